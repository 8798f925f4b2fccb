#!/usr/bin/env bash
# The ecosystem's own gates, as a collection published to Galaxy and the Ansible docsite meets them:
# - galaxy-importer on the built tarball (what Galaxy runs on upload: metadata, role READMEs, ansible-doc of every
#   plugin, ansible-lint, ignore files); any ERROR or WARNING line it prints fails, since each concerns the tarball;
# - antsibull-docs lint-collection-docs --plugin-docs (docs/docsite/links.yml, extra docs, every plugin's and role's
#   documentation as the docsite renders it), run on the checkout seen as the only collection.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/composeio-dbaas-publish.XXXXXX")"
trap 'rm -rf "$work"' EXIT

fail() { echo "publish-check: $*" >&2; exit 1; }

ansible-galaxy collection build --output-path "$work/dist" "$root" >/dev/null
tarball="$(find "$work/dist" -name 'composeio-dbaas-*.tar.gz')"

# galaxy-importer's defaults (no ansible-test, which needs a container engine); its ansible temporary files stay in
# the checkout, as the Makefile keeps Ansible's.
export GALAXY_IMPORTER_CONFIG=/dev/null GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP="${ANSIBLE_HOME:-$root/.ansible}/tmp"
(cd "$work" && python -m galaxy_importer.main "$tarball") >"$work/importer.log" 2>&1 ||
  { cat "$work/importer.log" >&2; fail "galaxy-importer refused $(basename "$tarball")"; }
if grep -E '^(WARNING|ERROR)' "$work/importer.log" >&2; then
  fail "galaxy-importer warned about $(basename "$tarball") (above)"
fi
echo "publish-check: galaxy-importer accepts $(basename "$tarball") with no warning"

"$root/hacking/with-collection.sh" antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs all \
  --disallow-unknown-collection-refs "$root" || fail "antsibull-docs lint-collection-docs found the problems above"
echo "publish-check: antsibull-docs lint-collection-docs --plugin-docs passes"
