#!/usr/bin/env bash
# The bash completion script from `losscalc completion bash`: it completes
# function names, each function's own options, their choices, and files;
# the zsh and fish scripts are printed, and another shell is bad usage.
set -u
bin=$1
fail=0
script=$("$bin" completion bash) || { echo "completion bash failed"; exit 1; }
eval "$script"
# complete WORDS...: the candidates for the last word.
complete_words() {
  COMP_WORDS=(losscalc "$@")
  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
  COMPREPLY=()
  _losscalc
  [ ${#COMPREPLY[@]} = 0 ] || printf '%s\n' "${COMPREPLY[@]}"
}
expect() {  # expect DESCRIPTION WANTED -- WORDS...
  local what=$1 want=$2
  shift 3
  local got
  got=$(complete_words "$@" | sort | tr '\n' ' ')
  if [ "$got" != "$want" ]; then
    echo "FAIL $what: got '$got', want '$want'"
    fail=1
  fi
}
expect "function names" "margin-ranking-loss margin_ranking_loss " -- margin
expect "an option of the function" "--margin " -- margin_ranking_loss --mar
expect "not another function's option" "" -- cross_entropy --mar
expect "a parameter's choices" "index " -- cross_entropy --target-type i
expect "reductions of a Keras function" "sum sum_over_batch_size " -- binary_crossentropy -r su
expect "reductions of a torch function" "sum " -- cross_entropy --reduction su
expect "boolean --no- form" "--no-from-logits " -- categorical_crossentropy --no-fr
expect "shells" "bash " -- completion ba
tmp=$(mktemp -d)
touch "$tmp/logits.csv"
expect "files for data arguments" "$tmp/logits.csv " -- cross_entropy "$tmp/lo"
rm -rf "$tmp"
"$bin" completion zsh | grep -q '^#compdef losscalc' || { echo "FAIL zsh script"; fail=1; }
"$bin" completion fish | grep -q "complete -c losscalc -n '__fish_seen_subcommand_from margin_ranking_loss" || { echo "FAIL fish script"; fail=1; }
err=$("$bin" completion tcsh 2>&1 >/dev/null); status=$?
[ $status = 2 ] && [ "$err" = "losscalc: completion: unknown shell 'tcsh': expected bash, zsh or fish" ] || { echo "FAIL tcsh: $status $err"; fail=1; }
[ $fail = 0 ] && echo "completion: every check passed"
exit $fail
