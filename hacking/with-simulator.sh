#!/usr/bin/env bash
# Run a command against a fresh Compose API simulator, and always stop the simulator afterwards.
#
# usage: hacking/with-simulator.sh [--seed FILE] [--state FILE] [--] COMMAND [ARGUMENT]...
# --state keeps the simulated account in FILE between runs (make demo twice).
# The command sees COMPOSE_API_URL (http://127.0.0.1:PORT/2016-07), COMPOSEAPITOKEN (random, per run)
# and COMPOSE_SIM_CONTROL (http://127.0.0.1:PORT/_sim). VENV names the virtual environment whose
# Python runs the simulator (default .venv); SIMULATOR its path (default tests/simulator).
# The work is tests/simulator/launch.py's, the launcher every suite starts its simulators with.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VENV:-.venv}"
[[ "$venv" == /* ]] || venv="$root/$venv"
simulator="${SIMULATOR:-$root/tests/simulator}"

# -P: the script's folder (the simulator's modules) stays off sys.path.
exec "$venv/bin/python" -P "$simulator/launch.py" "$@"
