#!/usr/bin/env bash
# One gate of the nightly workflow (.github/workflows/nightly.yml):
#   scripts/nightly_gate.sh NAME BASELINE [RUN_ID]
# Runs `harness gate`, and whatever its exit code puts its output in the job summary
# ($GITHUB_STEP_SUMMARY) and in out/gate-NAME.{txt,code,xml}, then exits with the gate's code
# (0 pass, 1 harness error, 2 regression, 3 incomplete): a failing gate fails its step, visibly.
# A missing BASELINE is a warning and exit 0 (the model is reported, not gated).
set -uo pipefail  # no -e: the gate's code is kept, not the shell's reaction to it

name=$1
baseline=$2
run_id=${3:-}
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
mkdir -p out

if [ ! -f "$baseline" ]; then
  echo "::warning::no $baseline: $name is reported but not gated"
  { echo "### Gate: $name"; echo; echo "not gated: no \`$baseline\` committed"; } >> "$summary"
  exit 0
fi

args=(gate --baseline "$baseline" --junit "out/gate-$name.xml")
if [ -n "$run_id" ]; then args+=(--run "$run_id"); fi
code=0
.venv/bin/harness "${args[@]}" > "out/gate-$name.txt" 2>&1 || code=$?
echo "$code" > "out/gate-$name.code"
cat "out/gate-$name.txt"

case $code in
  0) verdict=PASS ;;
  2) verdict=REGRESSION ;;
  3) verdict=INCOMPLETE ;;
  *) verdict="HARNESS ERROR" ;;
esac
{
  echo "### Gate: $name: $verdict (exit $code)"
  echo
  echo '```'
  cat "out/gate-$name.txt"
  echo '```'
} >> "$summary"
if [ "$code" -ne 0 ]; then echo "::error title=gate $name::$verdict (exit $code): see the job summary"; fi
exit "$code"
