#!/usr/bin/env bash
# Run a command against a fresh Compose API simulator, and always stop the simulator afterwards.
#
# usage: hacking/with-simulator.sh [--seed FILE] [--state FILE] [--] COMMAND [ARGUMENT]...
# --state keeps the simulated account in FILE between runs (make demo twice).
# The command sees COMPOSE_API_URL (http://127.0.0.1:PORT/2016-07), COMPOSEAPITOKEN (random, per run)
# and COMPOSE_SIM_CONTROL (http://127.0.0.1:PORT/_sim). VENV names the virtual environment whose
# Python runs the simulator (default .venv); SIMULATOR its path (default tests/simulator).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VENV:-.venv}"
[[ "$venv" == /* ]] || venv="$root/$venv"
simulator="${SIMULATOR:-$root/tests/simulator}"

sim_args=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --seed) sim_args+=(--seed "$2"); shift 2 ;;
    --state) sim_args+=(--state "$2"); shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ "$#" -gt 0 ] || { echo "usage: with-simulator.sh [--seed FILE] [--state FILE] [--] COMMAND [ARGUMENT]..." >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/composeio-dbaas-sim.XXXXXX")"
pid=
stop() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop EXIT
trap 'exit 130' INT TERM

token="$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(32))')"
"$venv/bin/python" "$simulator" --port 0 --url-file "$work/url" --token "$token" \
  ${sim_args[@]+"${sim_args[@]}"} >"$work/simulator.log" 2>&1 &
pid=$!

# The simulator writes its URL once it listens; give it 15 s.
for _ in $(seq 150); do
  [ -s "$work/url" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "with-simulator.sh: the simulator exited before listening:" >&2
    cat "$work/simulator.log" >&2
    exit 1
  fi
  sleep 0.1
done
[ -s "$work/url" ] || { echo "with-simulator.sh: no URL from the simulator after 15 s" >&2; cat "$work/simulator.log" >&2; exit 1; }

url="$(head -n 1 "$work/url")"
export COMPOSE_API_URL="$url"
export COMPOSEAPITOKEN="$token"
export COMPOSE_SIM_CONTROL="${url%/*}/_sim"
echo "Compose API simulator at $COMPOSE_API_URL"

"$@" || {
  status=$?
  echo "with-simulator.sh: the command failed ($status); the simulator's last log lines:" >&2
  tail -n 20 "$work/simulator.log" >&2
  exit "$status"
}
