#!/usr/bin/env bash
# Build the collection, install the tarball offline into a temporary folder, and render the
# documentation of every plugin from that installed copy. Fails when the tarball ships generated
# files, when ansible-doc fails, or when its stderr holds an error or a warning of this collection; a warning
# raised inside ansible-core or a third-party package is reported, not failed (hacking/stderr_check.py).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/composeio-dbaas-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

ansible-galaxy collection build --output-path "$work/dist" "$root"
tarball="$(find "$work/dist" -name 'composeio-dbaas-*.tar.gz')"

if tar -tzf "$tarball" | grep -E '(^|/)(tests/output|\.venv[^/]*|__pycache__|\.pytest_cache|\.ansible|integration_config\.yml)(/|$)'; then
  echo "build-check: the tarball ships the generated paths listed above (see build_ignore in galaxy.yml)" >&2
  exit 1
fi

export ANSIBLE_COLLECTIONS_PATH="$work/collections"
ansible-galaxy collection install --offline --no-deps -p "$ANSIBLE_COLLECTIONS_PATH" "$tarball"
installed="$ANSIBLE_COLLECTIONS_PATH/ansible_collections/composeio/dbaas"

failed=0
checked=0
for dir in modules inventory lookup callback connection filter; do
  [ -d "$installed/plugins/$dir" ] || continue
  kind="${dir%s}"
  for file in "$installed/plugins/$dir"/*.py; do
    name="$(basename "$file" .py)"
    case "$name" in _* | \*) continue ;; esac
    checked=$((checked + 1))
    if ! ansible-doc -t "$kind" "composeio.dbaas.$name" >"$work/doc.out" 2>"$work/doc.err" ||
      ! python "$root/hacking/stderr_check.py" "ansible-doc -t $kind composeio.dbaas.$name" "$work/doc.err"; then
      echo "build-check: ansible-doc -t $kind composeio.dbaas.$name failed:" >&2
      cat "$work/doc.err" >&2
      failed=$((failed + 1))
    fi
  done
done
# Roles are documented by their meta/argument_specs.yml.
for role in "$installed"/roles/*/; do
  [ -f "$role/meta/argument_specs.yml" ] || continue
  name="$(basename "$role")"
  checked=$((checked + 1))
  if ! ansible-doc -t role "composeio.dbaas.$name" >"$work/doc.out" 2>"$work/doc.err" ||
    ! python "$root/hacking/stderr_check.py" "ansible-doc -t role composeio.dbaas.$name" "$work/doc.err"; then
    echo "build-check: ansible-doc -t role composeio.dbaas.$name failed:" >&2
    cat "$work/doc.err" >&2
    failed=$((failed + 1))
  fi
done
echo "build-check: $(basename "$tarball") installed; ansible-doc rendered $((checked - failed)) of $checked plugins and roles"
[ "$failed" -eq 0 ]
