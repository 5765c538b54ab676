# Shared by the benches and the contract checks: start `pingan demo` and wait for its URL.
#
#   . scripts/lib/demo.sh
#   start_demo BIN WORK ERR [NAME=VALUE ...]
#
# Starts BIN demo on a free port (seed 5) with its data in WORK/data and its output in WORK/out (stderr
# to ERR), with the NAME=VALUE settings in its environment. Sets DEMO_PID and DEMO_URL once the URL line
# is printed; exits with the server's log when it stops early or prints no URL within a minute.
start_demo() {
  local bin="$1" work="$2" err="$3"
  shift 3
  env "$@" "$bin" demo --port 0 --data-dir "$work/data" --seed 5 > "$work/out" 2> "$err" &
  DEMO_PID=$!
  DEMO_URL=""
  for _ in $(seq 1 600); do
    DEMO_URL="$(grep -o 'http://127.0.0.1:[0-9]*/' "$work/out" | head -1 || true)"
    [[ -n "$DEMO_URL" ]] && return 0
    kill -0 "$DEMO_PID" 2>/dev/null || { cat "$err" >&2; echo "demo exited early" >&2; exit 1; }
    sleep 0.1
  done
  echo "demo did not start within a minute" >&2
  exit 1
}
