#!/usr/bin/env bash
# Integration tests: run under hacking/with-simulator.sh. Writes tests/integration/integration_config.yml
# (git-ignored) for the running simulator, then runs ansible-test integration on a copy of the collection
# in the venv's own Python (which has requests). Its arguments go to ansible-test.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
config=tests/integration/integration_config.yml
cd "$root"
trap 'rm -f "$config"' EXIT

cat >"$config" <<YAML
---
compose_api_url: ${COMPOSE_API_URL:?run under hacking/with-simulator.sh}
compose_api_token: ${COMPOSEAPITOKEN:?run under hacking/with-simulator.sh}
compose_sim_control: ${COMPOSE_SIM_CONTROL:?run under hacking/with-simulator.sh}
YAML

"$root/hacking/ansible-test.sh" --with "$config" integration "$@"
