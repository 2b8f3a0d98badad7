#!/usr/bin/env bash
# Runs one end-to-end case: tests/cli/NAME.case is a bash file that sets
#   args=(...)        the arguments after "losscalc"
#   stdin='...'       (optional) text on standard input; else /dev/null
#   stdin_file=PATH   (optional) a file or device as standard input
#   stdout_file=PATH  (optional) a file or device as standard output (/dev/full)
#   status=N          expected exit status
#   stdout='...'      (optional) exact expected stdout (a final newline is added)
#   stdout_contains='...'  (optional) a substring of stdout
#   stderr='...'      (optional) exact expected stderr (a final newline is added)
# With status != 0 stdout must be empty unless the case says otherwise.
set -u
# A sanitizer report must not pass for a data error (both would exit 1).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=86"
bin=$1
case_file=$2
unset stdin stdin_file stdout_file stdout stdout_contains stderr
# shellcheck disable=SC1090
source "$case_file"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$(dirname "$case_file")" || exit 1
out_to="$dir/out"
if [ -n "${stdout_file+set}" ]; then out_to=$stdout_file; : >"$dir/out"; fi
if [ -n "${stdin_file+set}" ]; then
  "$bin" "${args[@]}" <"$stdin_file" >"$out_to" 2>"$dir/err"
elif [ -n "${stdin+set}" ]; then
  printf '%s' "$stdin" | "$bin" "${args[@]}" >"$out_to" 2>"$dir/err"
else
  "$bin" "${args[@]}" </dev/null >"$out_to" 2>"$dir/err"
fi
got=$?
fail=0
if [ "$got" != "$status" ]; then
  echo "exit status: got $got, expected $status"
  fail=1
fi
# Expected text gets its final newline back; an empty expectation means empty.
expect() { if [ -n "$1" ]; then printf '%s\n' "$1"; fi; }
if [ -n "${stdout+set}" ]; then
  if ! diff -u <(expect "$stdout") "$dir/out"; then echo "stdout differs"; fail=1; fi
elif [ "$status" != 0 ] && [ -s "$dir/out" ]; then
  echo "stdout should be empty on error, got:"; cat "$dir/out"; fail=1
fi
if [ -n "${stdout_contains+set}" ] && ! grep -qF -- "$stdout_contains" "$dir/out"; then
  echo "stdout lacks: $stdout_contains"; cat "$dir/out"; fail=1
fi
if [ -n "${stderr+set}" ]; then
  if ! diff -u <(expect "$stderr") "$dir/err"; then echo "stderr differs"; fail=1; fi
fi
exit $fail
