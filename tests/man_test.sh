#!/usr/bin/env bash
# Every option that `losscalc --help` or `losscalc FUNCTION --help` lists
# appears in the man page, and the page renders without warnings.
set -u
bin=$1
page=$2
[ -f "$page" ] || { echo "no man page at $page"; exit 1; }
rendered=$(MANWIDTH=100 man -l "$page" 2>/dev/null | col -b 2>/dev/null) || rendered=$(sed 's/\\-/-/g' "$page")
[ -n "$rendered" ] || rendered=$(sed 's/\\-/-/g' "$page")
missing=0
functions=$("$bin" --help | awk '/^(Functions|Tools):/{f=1;next} /^$/{f=0} f && /^  [a-z]/{print $1}')
[ -n "$functions" ] || { echo "no functions in --help"; exit 1; }
for fn in $functions; do
  grep -qF -- "$fn" <<<"$rendered" || { echo "function $fn is not in the man page"; missing=1; }
  for opt in $("$bin" "$fn" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
    grep -qF -- "$opt" <<<"$rendered" || { echo "$fn: option $opt is not in the man page"; missing=1; }
  done
done
if command -v groff >/dev/null; then
  warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
  [ -z "$warnings" ] || { echo "groff warnings:"; echo "$warnings"; missing=1; }
fi
[ $missing = 0 ] && echo "man page lists every option of $(echo $functions | wc -w) functions"
exit $missing
