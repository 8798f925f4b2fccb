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

# Most of the time goes to waiting (backoff, Retry-After, timeouts), not to the CPU: six workers on two cores.
# The concurrency case (20 playbooks at once) runs alone afterwards: it takes both cores, and the fault matrix's
# timings must not depend on it. Test paths among the arguments choose the files: each runs once, in its own run.
concurrency=tests/reliability/test_concurrency.py
options=() paths=() alone=()
for arg in "$@"; do
  if [ -e "${arg%%::*}" ]; then
    case "$(realpath "${arg%%::*}")" in
      "$root/$concurrency") alone+=("$arg") ;;
      "$root/tests/reliability") paths+=("$arg"); alone+=("$concurrency") ;;
      *) paths+=("$arg") ;;
    esac
  else
    options+=("$arg")
  fi
done
if [ "${#paths[@]}" -eq 0 ] && [ "${#alone[@]}" -eq 0 ]; then
  paths=(tests/reliability) alone=("$concurrency")
fi

status=0
if [ "${#paths[@]}" -gt 0 ]; then
  "$venv/bin/python" -m pytest -p no:cacheprovider -r a -n "${RELIABILITY_WORKERS:-6}" ${options[@]+"${options[@]}"} \
    --ignore "$concurrency" "${paths[@]}" || status=$?
fi
if [ "${#alone[@]}" -gt 0 ]; then
  "$venv/bin/python" -m pytest -p no:cacheprovider -r a ${options[@]+"${options[@]}"} "${alone[@]}" || {
    rc=$?
    # -k may leave nothing to collect there (5): not a failure.
    [ "$rc" -eq 5 ] || status=$rc
  }
fi
exit "$status"
