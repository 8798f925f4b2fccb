#!/usr/bin/env bash
# The pytest suites of the development venv, with the collection importable as ansible_collections.composeio.dbaas.
# Run it under hacking/with-collection.sh; its arguments go to pytest (make units PYTEST_ARGS='-k api -n auto').
# SUITES names the folders: by default the unit tests (tests/unit) and hacking/'s own (tests/hacking); make e2e
# gives its own (tests/simulator/tests and tests/e2e).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VENV:-.venv}"
[[ "$venv" == /* ]] || venv="$root/$venv"
cd "$root"
export PYTHONPATH="${ANSIBLE_COLLECTIONS_PATH:?run under hacking/with-collection.sh}${PYTHONPATH:+:$PYTHONPATH}"
read -r -a suites <<<"${SUITES:-tests/unit tests/hacking}"

status=0
"$venv/bin/python" -m pytest -p no:cacheprovider -r a "$@" "${suites[@]}" || status=$?

# pytest exits 5 when it collected nothing: fine while no test file exists, a failure once one does.
if [ "$status" -eq 5 ] && [ -z "$(find "${suites[@]}" -name 'test_*.py' -print -quit)" ]; then
  echo "units: no test files under ${suites[*]} yet"
  status=0
fi
exit "$status"
