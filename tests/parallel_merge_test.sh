#!/usr/bin/env bash
# The distributed route: GNU parallel --pipepart splits a CSV into blocks
# (each with the header line), each block runs `losscalc ... --partial -`,
# and `losscalc merge` adds the lines. The merged loss must be the very
# double that one run over the whole file gives, for a mean, a sum, class
# weights and float32. Skipped (77) where GNU parallel is not installed.
#
#   bash tests/parallel_merge_test.sh /path/to/losscalc
set -euo pipefail
bin=$1
command -v parallel >/dev/null || { echo "GNU parallel is not installed: skipped"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# 120,000 rows of four logits and a label, from a fixed linear congruential
# generator (the same file on every machine).
awk 'BEGIN {
  s = 12345; print "a,b,c,d,label"
  for (i = 0; i < 120000; i++) {
    line = ""
    for (k = 0; k < 4; k++) { s = (s * 1103515245 + 12345) % 2147483648; line = line sprintf("%.6f,", s / 2147483648 * 8 - 4) }
    s = (s * 1103515245 + 12345) % 2147483648
    print line int(s / 2147483648 * 4)
  }
}' > "$dir/data.csv"

fail=0
check() {
  local single merged parts
  single=$("$bin" ce -q --target-column label "$@" "$dir/data.csv")
  parts=$(parallel --pipepart -a "$dir/data.csv" --header 1 --block 256k -k "$bin" ce --partial --target-column label "$@" -)
  merged=$(printf '%s\n' "$parts" | "$bin" merge -q)
  local n
  n=$(printf '%s\n' "$parts" | wc -l)
  if [ "$n" -lt 4 ]; then echo "FAIL $*: only $n parts; the file was not split"; fail=1; fi
  if [ "$single" != "$merged" ]; then
    echo "FAIL ce $*: one run $single, $n parts merged $merged"; fail=1
  else
    echo "ok   ce $*: $single from one run and from $n parts"
  fi
}
check
check -r sum
check -w '[1,2,0.5,1]'
check --dtype float32
check --label-smoothing 0.1 --ignore-index 3
exit $fail
