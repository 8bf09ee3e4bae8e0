#!/usr/bin/env bash
# Issue 17's pacing targets, against `sluice mock-server` on loopback enforcing the limits itself
# and sending OpenAI's rate-limit headers; the client is configured with the same limits:
#
#   requests  the server allows 60 requests, then 10 a second (600 a minute, burst 60); 300 calls.
#             Ideal: (300 - 60) / 10 = 24 s. Target: within 1 % of it, no 429.
#   tokens    the server allows 6,000 tokens, then 1,000 a second (60,000 a minute, burst 6,000);
#             100 calls of 245 tokens (a 45-token prompt estimate + max_tokens 200, what the server
#             charges at admission). Ideal: (24,500 - 6,000) / 1,000 = 18.5 s. Target: within 3 %.
#
# Each at 1 and 32 callers, with the default safety margin (250 ms of refill) and with a margin
# sized for loopback (50 ms). The margin costs a run its own length once (the client's buckets run
# that far behind the server's), so it is the part of the gap to the ideal the user chooses.
# Usage: Benchmarks/pacing/targets.sh BIN_DIR (the folder holding `sluice`; scripts/bench --pacing-targets
# builds it in release first). Every run is bounded (its call count and --max-duration 120).
set -euo pipefail
bin=${1:?usage: targets.sh BIN_DIR}

source "$(dirname "$0")/../../scripts/mock-server.sh"
make_mock_server_work_dir
export SLUICE_PACING_KEY=pacing-targets-key

# run_one SCENARIO CONCURRENCY MARGIN_MS: prints "wall 429s failed"
run_one() {
  local scenario=$1 concurrency=$2 margin=$3
  local server bench
  if [ "$scenario" = requests ]; then
    server=(--rpm 600 --request-burst 60 --reply-tokens 16)
    bench=(--rpm 600 --burst-seconds 6 --requests 300 --max-tokens 16 --prompt-chars 100)
  else
    server=(--tpm 60000 --token-burst 6000 --reply-tokens 200)
    bench=(--tpm 60000 --burst-seconds 6 --requests 100 --max-tokens 200 --prompt-chars 150)
  fi
  start_mock_server "$bin/sluice" "$work/mock.log" "${server[@]}"
  "$bin/sluice" bench --provider openai --base-url "http://127.0.0.1:$mock_server_port/v1" \
    --api-key-env SLUICE_PACING_KEY --concurrency "$concurrency" "${bench[@]}" --safety-margin-ms "$margin" \
    --max-attempts 1 --max-duration 120 --json --quiet >"$work/bench.json" || true  # 429s exit 1; still counted
  stop_mock_server
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["wall_seconds"], r["http_429"], r["failed"])' "$work/bench.json"
}

printf '%-9s %7s %9s %8s %8s %9s %5s %7s\n' scenario callers margin_ms wall_s ideal_s over_ideal 429s target
for scenario in requests tokens; do
  if [ "$scenario" = requests ]; then ideal=24; target=1; else ideal=18.5; target=3; fi
  for margin in 250 50; do
    for concurrency in 1 32; do
      read -r wall r429 failed < <(run_one "$scenario" "$concurrency" "$margin")
      read -r over verdict < <(python3 -c "
over = ($wall / $ideal - 1) * 100
ok = over <= $target and $r429 == 0 and $failed == 0
print(f'{over:+.2f}%', 'met' if ok else 'MISSED')")
      printf '%-9s %7d %9d %8.2f %8.2f %9s %5d %7s\n' "$scenario" "$concurrency" "$margin" "$wall" "$ideal" "$over" "$r429" "$verdict"
    done
  done
done
