#!/usr/bin/env bash
# Check the execution environment both ways ansible-builder meets the collection (no container engine needed):
# - as a definition: `ansible-builder create` in the collection's root, on execution-environment.yml where it lies,
#   writes a build context whose Python requirements are the collection's requirements.txt and whose Galaxy
#   requirements name composeio.dbaas;
# - as an installed collection: `ansible-builder introspect` on the built and installed tarball finds every line
#   of requirements.txt.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/composeio-dbaas-ee.XXXXXX")"
trap 'rm -rf "$work"' EXIT

fail() { echo "ee-check: $*" >&2; exit 1; }

# As a definition, in place, as a user runs it (the build context goes to a temporary folder).
(cd "$root" && ansible-builder create -c "$work/context") >"$work/create.log" 2>&1 ||
  { cat "$work/create.log" >&2; fail "ansible-builder create failed"; }
diff <(grep -vE '^\s*(#|$)' "$root/requirements.txt") <(grep -vE '^\s*(#|$)' "$work/context/_build/requirements.txt") ||
  fail "the build context's Python requirements differ from requirements.txt"
grep -q 'composeio.dbaas' "$work/context/_build/requirements.yml" || fail "the build context does not install composeio.dbaas"
[ -f "$work/context/Containerfile" ] || [ -f "$work/context/Dockerfile" ] || fail "no Containerfile in the build context"

# As collection metadata, on the installed tarball.
ansible-galaxy collection build --output-path "$work/dist" "$root" >/dev/null
ANSIBLE_COLLECTIONS_PATH="$work/collections" ansible-galaxy collection install --offline --no-deps -p "$work/collections" "$work/dist"/composeio-dbaas-*.tar.gz >/dev/null
ansible-builder introspect --sanitize "$work/collections" >"$work/introspect.log" 2>&1 ||
  { cat "$work/introspect.log" >&2; fail "ansible-builder introspect failed"; }
while IFS= read -r requirement; do
  grep -qF -- "- '$requirement  # from collection composeio.dbaas'" "$work/introspect.log" ||
    { cat "$work/introspect.log" >&2; fail "introspect did not find $requirement as a requirement of composeio.dbaas"; }
done < <(grep -vE '^\s*(#|$)' "$root/requirements.txt")
echo "ee-check: ansible-builder create and introspect agree with requirements.txt"
