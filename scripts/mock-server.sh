# Sourced by the scripts that run `sluice mock-server`: starts one on a free port and reads the
# port from the JSON line it prints on stdout once listening (no port race, no polling of HTTP).
#
# start_mock_server SLUICE LOG ARGS...: runs `SLUICE mock-server --port 0 ARGS...` in the
# background with its stderr (banner, stats at exit) in LOG, waits at most 10 s for its JSON line,
# and sets mock_server_pid and mock_server_port. Returns 1 (after saying why) if it does not start.
# To read /_mock/stats, give it an admin token through SLUICE_MOCK_ADMIN_TOKEN in its environment.
start_mock_server() {
  local sluice=$1 log=$2
  shift 2
  local line_file
  line_file=$(mktemp)
  "$sluice" mock-server --port 0 "$@" >"$line_file" 2>"$log" &
  mock_server_pid=$!
  mock_server_port=""
  local _
  for _ in $(seq 1 100); do
    if [ -s "$line_file" ] && mock_server_port=$(python3 -c \
      'import json, sys; print(json.loads(open(sys.argv[1]).readline())["port"])' "$line_file" 2>/dev/null); then
      break
    fi
    mock_server_port=""
    kill -0 "$mock_server_pid" 2>/dev/null || break
    sleep 0.1
  done
  rm -f "$line_file"
  if [ -z "$mock_server_port" ]; then
    echo "sluice mock-server did not start (see $log)" >&2
    return 1
  fi
}

# stop_mock_server: stops the server start_mock_server last started, if it still runs, waits for it
# and forgets it (so a trap may call it again).
stop_mock_server() {
  if [ -n "${mock_server_pid:-}" ]; then
    kill "$mock_server_pid" 2>/dev/null || true
    wait "$mock_server_pid" 2>/dev/null || true
    mock_server_pid=""
  fi
}

# make_mock_server_work_dir: sets work to a new temporary folder and, when the script exits, stops
# the server start_mock_server last started and removes the folder.
make_mock_server_work_dir() {
  work=$(mktemp -d)
  trap 'stop_mock_server; rm -rf "$work"' EXIT
}
