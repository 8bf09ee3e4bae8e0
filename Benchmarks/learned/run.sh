#!/usr/bin/env bash
# Learned limits (issue 14): `sluice bench` with no limits configured against `sluice mock-server`
# enforcing 60 requests of burst and 10 a second (--rpm 600 --request-burst 60) and sending its
# rate-limit headers; 200 calls, 32 callers, once per provider (OpenAI headers, Anthropic headers),
# with learning on and then off. Prints wall time, 429s, failures and the share of the server's
# capacity used: calls answered / (burst + rate x wall time). Loopback only; each run at most 120 s.
#
#   Benchmarks/learned/run.sh BIN_DIR
set -euo pipefail
bin=${1:?usage: run.sh BIN_DIR}
source "$(dirname "$0")/../../scripts/mock-server.sh"
make_mock_server_work_dir
export SLUICE_LEARNED_KEY=learned-limits-key

# run_one PROVIDER LEARNING(yes|no): prints "wall 429s failed"
run_one() {
  local provider=$1 learning=$2 base extra=()
  start_mock_server "$bin/sluice" "$work/mock.log" --reply-tokens 16 --head-latency-ms 20 --rpm 600 --request-burst 60
  base="http://127.0.0.1:$mock_server_port"
  [ "$provider" = openai ] && base="$base/v1"
  [ "$learning" = no ] && extra=(--no-learned-limits)
  "$bin/sluice" bench --provider "$provider" --base-url "$base" --api-key-env SLUICE_LEARNED_KEY \
    --requests 200 --concurrency 32 --max-tokens 16 --prompt-chars 100 --max-duration 120 --json --quiet \
    "${extra[@]}" >"$work/bench.json" || true  # a run with failures exits 1; its report still counts them
  stop_mock_server
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["wall_seconds"], r["http_429"], r["failed"], r["succeeded"])' "$work/bench.json"
}

printf '%-10s %-8s %8s %6s %7s %9s\n' provider learning wall_s 429s failed capacity
for provider in openai anthropic; do
  for learning in yes no; do
    read -r wall rejected failed succeeded < <(run_one "$provider" "$learning")
    share=$(python3 -c "print(f'{100 * $succeeded / (60 + 10 * $wall):.1f}%')")
    printf '%-10s %-8s %8.2f %6d %7d %9s\n' "$provider" "$learning" "$wall" "$rejected" "$failed" "$share"
  done
done
