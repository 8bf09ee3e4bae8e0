#!/usr/bin/env bash
# Pacing against servers whose rate-limit reports disagree with the client's own count (issue 20).
#
# For each server mode and each concurrency, runs `sluice bench` twice against `sluice mock-server`
# on loopback: once with the server's rate-limit headers, once with the same server sending none,
# and prints both wall times, their ratio and the 429s. Headers the client reads must cost nothing
# against the run without them. Called by `scripts/bench --pacing` (after the build); usage:
#
#   Benchmarks/pacing/grid.sh BIN_DIR [--quick]
#
# Modes (the server enforces 1,200 requests a minute with a burst of 100; 200 calls, 16 tokens out):
#   in-order   one request at a time, no latency: every report counts exactly the calls before it
#   counted    concurrent, 20 ms a reply, each report as of its request's arrival
#   reordered  concurrent, 20 ms plus up to 50 ms at random: replies return out of order
#   rounded    concurrent, 20 ms; tokens bind (600,000 a minute, burst 50,000, ~520 a call) and
#              remaining tokens are rounded down to the thousand
# Every run is bounded: 200 calls, and `--max-duration 120`.
set -euo pipefail
bin=${1:?usage: grid.sh BIN_DIR [--quick]}
concurrencies=(1 8 32 128)
modes=(in-order counted reordered rounded)
if [ "${2:-}" = "--quick" ]; then concurrencies=(32); modes=(counted reordered); fi

source "$(dirname "$0")/../../scripts/mock-server.sh"
make_mock_server_work_dir
export SLUICE_PACING_KEY=pacing-grid-key

# run_one MODE CONCURRENCY HEADERS(yes|no): prints "wall 429s failed"
run_one() {
  local mode=$1 concurrency=$2 headers=$3
  local server=() limits bench_limits
  case "$mode" in
    in-order) server=(--in-order) ;;
    counted) server=(--head-latency-ms 20) ;;
    reordered) server=(--head-latency-ms 20 --reply-jitter-ms 50) ;;
    rounded) server=(--head-latency-ms 20 --remaining-unit 1000) ;;
  esac
  if [ "$mode" = rounded ]; then
    limits=(--tpm 600000 --token-burst 50000)
    bench_limits=(--tpm 600000 --burst-seconds 5 --prompt-chars 2000)
  else
    limits=(--rpm 1200 --request-burst 100)
    bench_limits=(--rpm 1200 --burst-seconds 5 --prompt-chars 100)
  fi
  [ "$headers" = no ] && server+=(--no-rate-limit-headers)
  start_mock_server "$bin/sluice" "$work/mock.log" --reply-tokens 16 "${limits[@]}" "${server[@]}"
  local port=$mock_server_port
  "$bin/sluice" bench --provider openai --base-url "http://127.0.0.1:$port/v1" --api-key-env SLUICE_PACING_KEY \
    --requests 200 --concurrency "$concurrency" --max-tokens 16 "${bench_limits[@]}" --max-attempts 1 \
    --max-duration 120 --json --quiet ${SLUICE_PACING_MARGIN_MS:+--safety-margin-ms "$SLUICE_PACING_MARGIN_MS"} \
    >"$work/bench.json" || true  # a run with 429s exits 1; its report still counts them
  stop_mock_server
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["wall_seconds"], r["http_429"], r["failed"])' "$work/bench.json"
}

printf '%-10s %5s %10s %10s %7s %6s %6s\n' mode callers headers_s none_s ratio 429s none_429s
worst=0
for mode in "${modes[@]}"; do
  for concurrency in "${concurrencies[@]}"; do
    read -r with with429 withfailed < <(run_one "$mode" "$concurrency" yes)
    read -r without without429 _ < <(run_one "$mode" "$concurrency" no)
    ratio=$(python3 -c "print(f'{$with / $without:.3f}')")
    printf '%-10s %5d %10.2f %10.2f %7s %6d %6d%s\n' "$mode" "$concurrency" "$with" "$without" "$ratio" "$with429" "$without429" \
      "$([ "$withfailed" -gt 0 ] && echo "  ($withfailed failed)")"
    worst=$(python3 -c "print(max($worst, $with / $without))")
  done
done
echo "worst ratio (with headers / without): $(python3 -c "print(f'{$worst:.3f}')")"
