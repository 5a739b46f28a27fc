#!/usr/bin/env bash
# Publish → visible through the API at several fleet sizes, one fresh pipeline per size (bench/e2e-latency.ts), and
# the rows collected into one Markdown table. Any further options go to every run (e.g. --archive,
# --history-hot-hours 0). Needs the local infrastructure (npm run infra:up); run it on a quiet machine.
#
#   bash bench/e2e-table.sh "4 8 10 12" [--seconds 30] [--archive] [--history-hot-hours 0]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
sizes=${1:-"4 8 10 12"}
shift || true
rows=()
cpu=()
for n in $sizes; do
  out="$(npx tsx bench/e2e-latency.ts --vehicles "$n" "$@" 2>/dev/null)"
  rows+=("$(grep -E "^\| $n \|" <<<"$out")")
  cpu+=("$n EVs: $(grep -E '^CPU per process' <<<"$out" | sed 's/^CPU per process (100% = one core) over the [0-9]* s measured: //')")
  grep -E '^consumer lag' <<<"$out" | sed "s/^/$n EVs: /" >&2
done
echo '| EVs | options | probes seen | not visible in 5 s | p50 ms | p95 ms | p99 ms | lag | held | load avg (1 min) |'
echo '|---|---|---|---|---|---|---|---|---|---|'
printf '%s\n' "${rows[@]}"
echo
echo 'CPU per process (100% = one core):'
printf -- '- %s\n' "${cpu[@]}"
echo
echo "command: bash bench/e2e-table.sh \"$sizes\" $*"
