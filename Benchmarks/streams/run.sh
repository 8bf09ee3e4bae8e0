#!/usr/bin/env bash
# Memory per concurrent stream (issue 17: at most 32 KiB a stream with 1,000 open): the Streams
# driver (Benchmarks/Drivers/Streams) opens N streams at once against `sluice mock-server
# --reply-tokens 50 --token-ms 60` on 127.0.0.1, through CurlTransport and through
# LLMClient.streamChat, each in a process of its own. A stream lasts 3 s or more, so that nearly all N
# are open together on 2 shared cores (at 10 ms a token, the first streams end before the last ones
# open: `max open` 200-350 of 1,000). scripts/bench --streams runs the mock server's release build. Prints one JSON line per
# contender (baseline RSS, peak RSS, (peak - baseline) / N, heap held at the peak and while all N
# were open and reading, mallocs per stream) and a table. Each run is capped at 60 s; the mock server
# is stopped on exit.
#
#   Benchmarks/streams/run.sh SLUICE_BIN_DIR BENCH_BIN_DIR [N] [--json]
set -euo pipefail
sluice_bin=${1:?usage: run.sh SLUICE_BIN_DIR BENCH_BIN_DIR [N] [--json]}
bench_bin=${2:?usage: run.sh SLUICE_BIN_DIR BENCH_BIN_DIR [N] [--json]}
streams=${3:-1000}
json=${4:-}
source "$(dirname "$0")/../../scripts/mock-server.sh"
make_mock_server_work_dir
trap 'exit 130' INT
trap 'exit 143' TERM

preload=""
if [ -f "$bench_bin/libMallocInterposerSwift.so" ]; then preload="$bench_bin/libMallocInterposerSwift.so"; fi
start_mock_server "$sluice_bin/sluice" "$work/mock.log" --reply-tokens 50 --token-ms 60
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for contender in curl client; do
  env ${preload:+LD_PRELOAD="$preload"} "$bench_bin/Streams" --contender "$contender" \
    --url "http://127.0.0.1:$mock_server_port" --streams "$streams" --seconds 60 >>"$work/results.jsonl" || true  # a run with failures exits 1; its line counts them
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
if [ "$json" = "--json" ]; then
  cat "$work/results.jsonl"
  exit 0
fi
echo "== $streams concurrent streams, mock server paced 60 ms a token, 50 tokens ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo "load average at start $load_start, at end $load_end; $(nproc) cores (a shared machine: see the load)"
python3 - "$work/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print(f"{'contender':<10} {'streams':>7} {'max open':>8} {'failed':>6} {'baseline':>10} {'peak':>10} {'per stream':>11} {'heap/stream':>11} {'heap reading':>12} {'allocs/stream':>13}")
for r in rows:
    allocs = "n/a" if r["allocs_per_stream"] is None else f"{r['allocs_per_stream']:.1f}"
    reading = r.get("heap_all_open_per_stream_kib")
    reading = "n/a" if reading is None else f"{reading:.1f} KiB"
    print(f"{r['contender']:<10} {r['streams']:>7} {r['max_open']:>8} {r['failed']:>6} "
          f"{r['baseline_rss_kib'] / 1024:>7.1f} MiB {r['peak_rss_kib'] / 1024:>6.1f} MiB "
          f"{r['per_stream_kib']:>7.1f} KiB {r['heap_per_stream_kib']:>7.1f} KiB {reading:>12} {allocs:>13}")
PY
