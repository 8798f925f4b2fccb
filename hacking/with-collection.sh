#!/usr/bin/env bash
# Run a command that finds this checkout as the collection composeio.dbaas, and nothing else:
# ANSIBLE_COLLECTIONS_PATH is a temporary folder holding only ansible_collections/composeio/dbaas,
# a symlink to the checkout, so ansible-lint, ansible-playbook and pytest see the live sources.
#
# usage: hacking/with-collection.sh COMMAND [ARGUMENT]...
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
collections="$(mktemp -d "${TMPDIR:-/tmp}/composeio-dbaas-collections.XXXXXX")"
trap 'rm -rf "$collections"' EXIT
mkdir -p "$collections/ansible_collections/composeio"
ln -s "$root" "$collections/ansible_collections/composeio/dbaas"

export ANSIBLE_COLLECTIONS_PATH="$collections"
"$@"
