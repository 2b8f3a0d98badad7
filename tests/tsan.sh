#!/usr/bin/env bash
# Race check of the threaded paths of src/stream.cpp under ThreadSanitizer:
# two threads parsing chunks of a large CSV (reduce_in_chunks, file and stdin)
# and the read-ahead thread of a stream (AheadReader: per-sample output, and
# a target in its own file). Builds build-tsan/ and runs a large CSV through
# both, clean, with a bad row early and late, with --partial and per-sample
# output. Every path must give the bits and messages of one thread.
#
#   tests/tsan.sh            (a few minutes on two cores: it builds the suite too)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build-tsan
cmake -S "$root" -B "$out" -DLOSSCALC_TESTS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" >/dev/null
cmake --build "$out" -j2 >/dev/null
bin=$out/losscalc
export TSAN_OPTIONS="halt_on_error=1:exitcode=66"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# 400,000 rows of 10 logits and a label: 40 MB, above the 4 MB two-thread threshold.
awk 'BEGIN { srand(7); printf "c0,c1,c2,c3,c4,c5,c6,c7,c8,c9,label\n";
  for (i = 0; i < 400000; i++) { for (k = 0; k < 10; k++) printf "%.6f,", rand() * 6 - 3; printf "%d\n", int(rand() * 10) } }' >"$dir/rows.csv"
sed '350000s/^/x/' "$dir/rows.csv" >"$dir/bad2.csv"
sed '1000s/^/x/' "$dir/rows.csv" >"$dir/bad1.csv"

fail=0
check() {  # check NAME EXPECTED-STATUS EXPECTED-STDOUT EXPECTED-STDERR -- ARGS...
  local name=$1 want_status=$2 want_out=$3 want_err=$4
  shift 5
  local got_out got_err got_status=0
  got_out=$("$bin" "$@" 2>"$dir/err") || got_status=$?
  got_err=$(cat "$dir/err")
  if [ "$got_status" != "$want_status" ] || [ "$got_out" != "$want_out" ] || [ "$got_err" != "$want_err" ]; then
    echo "FAIL $name: status $got_status (want $want_status)"; echo " stdout: $got_out"; echo " stderr: $got_err" | head -40
    fail=1
  else
    echo "ok   $name"
  fi
}
one_thread=$(LOSSCALC_THREADS=1 "$bin" ce -q --target-column label - <"$dir/rows.csv")
check "two threads = one thread" 0 "$one_thread" "" -- ce -q --target-column label "$dir/rows.csv"
check "two threads from stdin = one thread" 0 "$one_thread" "" -- ce -q --target-column label - <"$dir/rows.csv"
check "bad row in the second half" 1 "" \
  "losscalc: input: file '$dir/bad2.csv', line 350000, column 1: expected a number, found 'x$(sed -n '350000{s/,.*//;p}' "$dir/rows.csv")'" \
  -- ce -q --target-column label "$dir/bad2.csv"
check "bad row in the first half" 1 "" \
  "losscalc: input: file '$dir/bad1.csv', line 1000, column 1: expected a number, found 'x$(sed -n '1000{s/,.*//;p}' "$dir/rows.csv")'" \
  -- ce -q --target-column label "$dir/bad1.csv"
partial=$(LOSSCALC_THREADS=1 "$bin" ce --partial --target-column label - <"$dir/rows.csv")
check "--partial (the same canonical parts)" 0 "$partial" "" -- ce --partial --target-column label "$dir/rows.csv"
# Read-ahead: per-sample losses up to the bad row, then the error.
"$bin" ce -q -r none --target-column label - <"$dir/bad2.csv" >"$dir/none.out" 2>"$dir/none.err" && fail=1
LOSSCALC_THREADS=1 "$bin" ce -q -r none --target-column label - <"$dir/rows.csv" >"$dir/none.all"
head -n 349998 "$dir/none.all" >"$dir/none.want"
if [ "$(wc -l <"$dir/none.out")" != 349998 ] || ! cmp -s "$dir/none.out" "$dir/none.want" || ! grep -q "line 350000, column 1" "$dir/none.err"; then
  echo "FAIL -r none from stdin with a bad row: $(wc -l <"$dir/none.out") lines, $(cat "$dir/none.err")"; fail=1
else
  echo "ok   -r none from stdin ends before the bad row"
fi
# Read-ahead stopped early: a bad value (class 10 of 10) in the second block.
sed '50000s/,[0-9]$/,10/' "$dir/rows.csv" >"$dir/badtarget.csv"
check "a bad target in the second half" 1 "" "losscalc: target: data row 49999: Target 10 is out of bounds." \
  -- ce -q --target-column label "$dir/badtarget.csv"
# Read-ahead of a reduced stream: the logits, and the target in its own file.
cut -d, -f1-10 "$dir/badtarget.csv" >"$dir/logits.csv"
cut -d, -f11 "$dir/badtarget.csv" >"$dir/labels.csv"
got=$("$bin" ce -q - "$dir/labels.csv" <"$dir/logits.csv" 2>&1) && fail=1
if [ "$got" != "losscalc: target: data row 49999: Target 10 is out of bounds." ]; then
  echo "FAIL a bad target while the reader is ahead: $got"; fail=1
else
  echo "ok   a bad target while the reader is ahead (stdin)"
fi
# The stream tests of the suite that run two threads (chunks, blocks, .npy).
if "$out/tests/losscalc_tests" -tc="*two threads*,*.npy streamed*,*TARGET in another file*,*LOSSCALC_THREADS*,chunks*,two threads taking*,JSON Lines of 4 MB*,.npy files of 4 MB*" >"$dir/suite.log" 2>&1; then
  echo "ok   stream tests of the suite"
else
  echo "FAIL stream tests of the suite under TSan"; tail -40 "$dir/suite.log"; fail=1
fi
exit $fail
