#!/usr/bin/env bash
# Integration tests: run under hacking/with-simulator.sh. Writes an integration_config.yml for the running
# simulator into the copy of the collection that ansible-test runs on (never into the checkout, where another
# line's run may be writing its own), then runs ansible-test integration in the venv's own Python (which has
# requests). Its arguments go to ansible-test.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
config="$(mktemp "${TMPDIR:-/tmp}/composeio-dbaas-integration.XXXXXX")"
trap 'rm -f "$config"' EXIT

cat >"$config" <<YAML
---
compose_api_url: ${COMPOSE_API_URL:?run under hacking/with-simulator.sh}
compose_api_token: ${COMPOSEAPITOKEN:?run under hacking/with-simulator.sh}
compose_sim_control: ${COMPOSE_SIM_CONTROL:?run under hacking/with-simulator.sh}
YAML

"$root/hacking/ansible-test.sh" --put "$config" tests/integration/integration_config.yml integration "$@"
