#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for a given time.
#
#   tests/fuzz/run.sh SECONDS [TARGET...]     TARGET: text, number, cli, rows, container, pickle (default: all)
#   tests/fuzz/run.sh 0                       build and seed only
#
# Targets (tests/fuzz/fuzz_*.cpp):
#   fuzz_text    read::parse_text() and read::load("-") on the bytes
#   fuzz_number  read::parse_number() on the bytes, checked against strtod
#   fuzz_cli     the whole program (run_main) on argv + stdin; see the file
#                for the input layout and the contract it checks
#   fuzz_rows    the row readers of src/read/rows.h (CSV, JSON Lines, .npy,
#                whole .npy, sniffing); built only when that header exists
#   fuzz_pickle  read::torch_pickle_arrays() (torch.save's data.pkl) on the
#                bytes, any storage key served a fixed 4 KiB
#   fuzz_container  .npz / zip, safetensors and torch.save files
#                (src/read/container.h) on the bytes of a file
#
# Everything goes to build-fuzz/ at the top of the repository:
#   obj/                 src/**/*.cpp (but main.cpp) compiled with clang,
#                        -fsanitize=fuzzer-no-link,address,undefined
#   fuzz_TARGET          the fuzzers
#   corpus/TARGET/       the corpus: seeded from samples/*/ data files,
#                        tests/cli/*.case and tests/fuzz/seeds/ (pickle:
#                        tests/read/pt_fixtures/*.pkl), grown by runs
#   artifacts/TARGET/    crash-*, leak-*, timeout-*, oom-* reproducers
#   logs/TARGET/         libFuzzer's fuzz-0.log of the last run
#   cli-work/            fuzz_cli's working directory (small data files)
#
# Reproduce a crash:  build-fuzz/fuzz_TARGET build-fuzz/artifacts/TARGET/crash-...
# (for fuzz_cli, run it with FUZZ_CLI_WORKDIR=build-fuzz/cli-work).
#
# Runs under nice -n 19 with -jobs=1 -workers=1: the machine is shared.
# Environment: CXX (default clang++), FUZZ_JOBS (compile jobs, default 1).
set -euo pipefail

if [ "$#" -lt 1 ] || ! [[ "$1" =~ ^[0-9]+$ ]]; then
  sed -n '2,6p' "$0" >&2
  exit 2
fi
seconds=$1
shift
targets=("$@")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
all=(text number cli)
[ -f "$root/src/read/rows.h" ] && all+=(rows)
[ -f "$root/src/read/container.h" ] && all+=(container)
[ -f "$root/src/read/torch_pickle.h" ] && all+=(pickle)
[ "${#targets[@]}" -gt 0 ] || targets=("${all[@]}")
for t in "${targets[@]}"; do
  case " ${all[*]} " in *" $t "*) ;; *) echo "run.sh: unknown target '$t' (${all[*]})" >&2; exit 2 ;; esac
done
out=$root/build-fuzz
CXX=${CXX:-clang++}
version=$(sed -n 's/^project(losscalc VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
flags=(-std=c++20 -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all
  "-DLOSSCALC_VERSION=\"${version:-0}\"" -I"$root/src" -I/usr/include/eigen3)
mkdir -p "$out/obj"

# ---- build -------------------------------------------------------------------
# An object is rebuilt when its source or any header under src/ is newer.
newest_header=$(find "$root/src" -name '*.h' -printf '%T@\n' | sort -n | tail -1)
objects=()
pids=()
while IFS= read -r src; do
  rel=${src#"$root/src/"}
  obj=$out/obj/${rel//\//__}.o
  objects+=("$obj")
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] ||
    awk -v h="$newest_header" -v o="$(stat -c %Y "$obj")" 'BEGIN { exit !(h > o) }'; then
    echo "compile $rel"
    nice -n 19 "$CXX" "${flags[@]}" -fsanitize=fuzzer-no-link,address,undefined -c "$src" -o "$obj" &
    pids+=($!)
    if [ "${#pids[@]}" -ge "${FUZZ_JOBS:-1}" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  fi
done < <(find "$root/src" -name '*.cpp' ! -name main.cpp | sort)
for p in "${pids[@]}"; do wait "$p"; done

for t in "${targets[@]}"; do
  bin=$out/fuzz_$t
  need=0
  [ -f "$bin" ] || need=1
  for f in "$here/fuzz_$t.cpp" "${objects[@]}"; do [ "$f" -nt "$bin" ] && need=1; done
  if [ "$need" = 1 ]; then
    echo "link fuzz_$t"
    nice -n 19 "$CXX" "${flags[@]}" -fsanitize=fuzzer,address,undefined "$here/fuzz_$t.cpp" "${objects[@]}" -lz -o "$bin"
  fi
done

# ---- corpus ------------------------------------------------------------------
# Seeds are content-named, so reseeding adds nothing twice.
seed() {  # seed TARGET < bytes
  local dir=$out/corpus/$1 tmp
  mkdir -p "$dir"
  tmp=$(mktemp "$dir/.seed.XXXXXX")
  cat >"$tmp"
  mv "$tmp" "$dir/seed-$(sha1sum "$tmp" | cut -c1-16)"
}
data_files() { find "$root/samples" -mindepth 2 -maxdepth 2 -type f \( -name '*.json' -o -name '*.csv' -o -name '*.tsv' -o -name '*.txt' \); }

for t in "${targets[@]}"; do mkdir -p "$out/corpus/$t" "$out/artifacts/$t" "$out/logs/$t"; done
for f in "$here"/seeds/text/*; do [ -f "$f" ] && seed text <"$f"; done
for f in "$here"/seeds/number/*; do [ -f "$f" ] && seed number <"$f"; done
for f in "$here"/seeds/cli/*; do [ -f "$f" ] && seed cli <"$f"; done
if [[ " ${targets[*]} " == *" pickle "* ]]; then
  for f in "$root"/tests/read/pt_fixtures/*.pkl; do [ -f "$f" ] && seed pickle <"$f"; done
fi
while IFS= read -r f; do
  seed text <"$f"
  # cli: the file as stdin of an activation and of a loss with a matching target
  { printf 'softmax\0-\n'; cat "$f"; } | seed cli
  dir=$(dirname "$f")
  if [ "$(basename "$f")" = input.json ] && [ -f "$dir/target.json" ]; then
    { printf 'ce\0-\0'; tr '\n' '\002' <"$dir/target.json"; printf '\n'; cat "$f"; } | seed cli
  fi
done < <(data_files)
# tests/cli/*.case: the arguments (NUL-separated), then stdin; their inline
# data arguments and stdin also seed the text reader.
for c in "$root"/tests/cli/*.case; do
  (
    unset stdin
    args=()
    # shellcheck disable=SC1090
    source "$c" >/dev/null 2>&1 || exit 0
    { first=1; for a in "${args[@]}"; do [ $first = 1 ] || printf '\0'; first=0; printf '%s' "${a//$'\n'/$'\002'}"; done
      printf '\n'; printf '%s' "${stdin-}"; } | seed cli
    for a in "${args[@]}"; do case "$a" in '['* | '{'*) printf '%s' "$a" | seed text ;; esac; done
    [ -n "${stdin-}" ] && printf '%s' "$stdin" | seed text
    exit 0
  )
done
while IFS= read -r tok; do printf '%s' "$tok" | seed number; done <<'TOKENS'
0
-0
+1.5
1e400
-1e-400
4.9406564584124654e-324
2.2250738585072011e-308
1.7976931348623157e308
1.7976931348623159e308
9223372036854775808
0.1e-5
.5
5.
1.e5
NaN
-Infinity
+inf
1e+
1e
TOKENS

# fuzz_rows: byte 0 picks the reader (0 CSV, 1 JSON Lines, 2 .npy rows,
# 3 whole .npy, 4 sniff; higher values vary the CSV options), byte 1 the
# block size and read size, then the data.
npy() {  # npy DESCR SHAPE PRINTF-ARGS...: a version 1.0 .npy, data from printf
  local h="{'descr': '$1', 'fortran_order': False, 'shape': $2, }"
  shift 2
  local total=$(( (10 + ${#h} + 1 + 63) / 64 * 64 ))
  local pad=$(( total - 10 - ${#h} - 1 ))
  local len=$(( total - 10 ))
  printf '\x93NUMPY\x01\x00'; printf "\\x$(printf %02x $((len & 255)))\\x$(printf %02x $((len >> 8)))"
  printf '%s%*s\n' "$h" "$pad" ''
  # shellcheck disable=SC2059
  printf "$@"
}
if [[ " ${targets[*]} " == *" rows "* ]]; then
  for mode in 2 3; do
    for step in '\x00' '\x0b' '\x3a'; do
      { printf "\\x0$mode$step"; npy '<f8' '(2, 3)' '\x00\x00\x00\x00\x00\x00\xf0\x3f%.0s' 1 2 3 4 5 6; } | seed rows
      { printf "\\x0$mode$step"; npy '<f4' '(4,)' '\x00\x00\x80\x3f%.0s' 1 2 3 4; } | seed rows
      { printf "\\x0$mode$step"; npy '<i8' '(2, 1)' '\x01\x00\x00\x00\x00\x00\x00\x00%.0s' 1 2; } | seed rows
      { printf "\\x0$mode$step"; npy '<i4' '()' '\x07\x00\x00\x00'; } | seed rows
      { printf "\\x0$mode$step"; npy '<f8' '(2, 2, 1)' '\x00\x00\x00\x00\x00\x00\xf0\x3f%.0s' 1 2 3 4; } | seed rows
    done
  done
  for f in "$out"/corpus/text/*; do
    { printf '\x00\x09'; cat "$f"; } | seed rows
    { printf '\x4b\x00'; cat "$f"; } | seed rows
  done
  printf '\x01\x09{"input": [1, 2], "target": 0}\n{"input": [3, 4], "target": 1}\n' | seed rows
  printf '\x01\x13{"logits": [1, 2]}\n\n{"logits": [3, 4]}' | seed rows
  printf '\x00\x0ba,b,label\n1,2,0\n3,4,1\n' | seed rows
  printf '\x96\x0ba,b,label\n1,2,0\n3,4,1\n' | seed rows
  printf '\x04\x00{"input": [1]}\n{"input": [2]}\n' | seed rows
  # JSON Lines records, as pandas writes them; byte 0 = 1, 6, 11, 16: no
  # column options, --target-column label, input 0:1 and target -1, and
  # column 0 ignored with the groups b | -1.
  for mode in '\x01' '\x06' '\x0b' '\x10'; do
    printf "$mode"'\x09{"a":0.1,"b":-2.5e-3,"label":1}\n{"a":1,"b":null,"label":0}\n{"b":2,"a":true,"label":2}\n' | seed rows
    printf "$mode"'\x13{"Unnamed: 0":0,"file":"x\\"y","b":1,"label":0}\n{"Unnamed: 0":1,"file":"z","b":2,"label":1}\n' | seed rows
    printf "$mode"'\x00{"a\\/b":0.1,"caf\\u00e9":0.2,"y":1}\n\n{"a\\/b":0.3,"caf\\u00e9":0.4,"y":0}' | seed rows
  done
fi

# fuzz_container: the files of tests/cli/containers/ (sound and damaged).
if [[ " ${targets[*]} " == *" container "* ]]; then
  for f in "$root"/tests/cli/containers/*.npz "$root"/tests/cli/containers/*.safetensors "$root"/tests/cli/containers/*.pt "$root"/tests/cli/pt/*.pt; do [ -f "$f" ] && seed container <"$f"; done
fi

# The fuzz_cli working directory: small files its arguments may name.
work=$out/cli-work
mkdir -p "$work"
printf '[[0.1,0.2,0.3,0.4],[0.1,0.1,0.1,0.1]]\n' >"$work/a.json"
printf 'a,b,c\n1,2,3\n4,5,6\n' >"$work/b.csv"
printf '1\t2\n3\t4\n' >"$work/c.tsv"
printf 'label\n0\n2\n' >"$work/labels.csv"
: >"$work/empty.txt"
printf '{"input": [[1,2],[3,4]], "target": [1,0], "weight": [1,2]}\n' >"$work/obj.json"
printf 'a,b,label\n1,2,0\n3,4,1\n5,6,0\n' >"$work/rows.csv"
printf 'a\tb\tlabel\n1\t2\t0\n3\t4\t1\n' >"$work/rows.tsv"
printf '{"input": [1, 2], "target": 0}\n{"input": [3, 4], "target": 1}\n' >"$work/rows.jsonl"
{ printf '\x93NUMPY\x01\x00\x76\x00'; printf "%-117s\n" "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }"
  printf '\x00\x00\x00\x00\x00\x00\xf0\x3f%.0s' 1 2 3 4; } >"$work/small.npy"
# losscalc ce --partial --target-column label rows.csv, twice (merge's input)
for k in 1 2; do
  printf '%s\n' '{"partial":true,"function":"cross_entropy","reduction":"mean","dtype":"float64","count":3,"loss_sum":2.9397850625546686,"loss_sum_parts":[5.551115123125783e-17,-2.220446049250313e-16,2.9397850625546686],"denominator":3,"denominator_parts":[3],"extra_denominator":0}'
done >"$work/partial.jsonl"

[ "$seconds" -gt 0 ] || exit 0

# ---- run ---------------------------------------------------------------------
# One process at a time: -jobs=1 -workers=1 (libFuzzer stops at the first
# crash), or with FUZZ_KEEP_GOING=1, -fork=1 -ignore_crashes=1 (it records
# each crash and goes on, to get past a known bug).
status=0
for t in "${targets[@]}"; do
  logs=$out/logs/$t
  arts=$out/artifacts/$t
  rm -f "$logs"/fuzz-*.log "$logs"/run.log
  if [ "$t" = cli ]; then rm -f "$work"/fuzz-*.log; fi  # only its own: another target may be running
  before=$(ls "$arts" | wc -l)
  extra=()
  [ "$t" = cli ] && extra=(-dict="$here/cli.dict")
  [ "$t" = text ] && extra=(-dict="$here/text.dict")
  [ "$t" = rows ] && extra=(-dict="$here/text.dict")
  [ "$t" = pickle ] && extra=(-dict="$here/pickle.dict")
  if [ "${FUZZ_KEEP_GOING:-0}" = 1 ]; then
    mode=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  else
    mode=(-jobs=1 -workers=1)
  fi
  echo "== fuzz_$t for ${seconds}s (corpus $(ls "$out/corpus/$t" | wc -l) files)"
  start=$(date +%s)
  (cd "$logs" && FUZZ_CLI_WORKDIR=$work nice -n 19 "$out/fuzz_$t" "${mode[@]}" -max_total_time="$seconds" \
    -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$arts/" "${extra[@]}" "$out/corpus/$t" \
    >"$logs/run.log" 2>&1) || true
  elapsed=$(( $(date +%s) - start ))
  # -jobs writes fuzz-0.log into the current directory, which fuzz_cli changes.
  if [ "$t" = cli ] && [ -f "$work/fuzz-0.log" ]; then mv "$work/fuzz-0.log" "$logs/"; fi
  log=$logs/fuzz-0.log
  [ -f "$log" ] || log=$logs/run.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  if [ -z "$execs" ]; then  # no final stats (a crash, or -fork): the last status line
    execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
    rate=$(sed -nE 's/.*exec\/s:? ([0-9]+).*/\1/p' <<<"$last")
  fi
  cov=$(sed -nE 's/.*cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+).*/cov \1, ft \2, corpus \3/p' <<<"$last")
  echo "   ${elapsed}s, ${execs:-?} executions, ${rate:-?} exec/s, ${cov:-no coverage line}; log $log"
  after=$(ls "$arts" | wc -l)
  if [ "$after" -gt "$before" ] || grep -qE '^==[0-9]+==ERROR|runtime error|deadly signal|fuzz_[a-z]+: ' "$log"; then
    status=1
    echo "   FINDINGS:"
    ls -t "$arts" | head -$((after - before > 0 ? after - before : 1)) | sed "s|^|     $arts/|"
    grep -E 'ERROR: |runtime error|SUMMARY|fuzz_[a-z]+: ' "$log" | sort | uniq -c | sort -rn | head -20 | sed 's/^/     /'
  fi
done
exit $status
