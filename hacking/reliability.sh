#!/usr/bin/env bash
# The reliability and security suite (tests/reliability): the fault matrix, bad input, secrets, hostile servers,
# TLS and concurrency, each against simulators it starts itself. Run it under hacking/with-collection.sh; its
# arguments go to pytest. A complete run rewrites docs/reliability.md from what it observed and fails when the
# committed copy differed (COMPOSE_RELIABILITY_UPDATE=1 accepts the new table).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VENV:-.venv}"
[[ "$venv" == /* ]] || venv="$root/$venv"
cd "$root"
export PYTHONPATH="${ANSIBLE_COLLECTIONS_PATH:?run under hacking/with-collection.sh}${PYTHONPATH:+:$PYTHONPATH}"

# Most of the time goes to waiting (backoff, Retry-After, timeouts), not to the CPU: four workers on two cores.
exec "$venv/bin/python" -m pytest -p no:cacheprovider -r a -n "${RELIABILITY_WORKERS:-4}" "$@" tests/reliability
