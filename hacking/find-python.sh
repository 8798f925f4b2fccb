#!/usr/bin/env bash
# Print the real interpreter behind a name such as python3.11, or fail.
# pyenv shims of versions that are not selected exit 127, so fall back to pyenv's own folders.
set -euo pipefail

name="${1:?usage: find-python.sh pythonX.Y}"
probe='import os, sys; print(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))'

try() {
  local real
  real="$("$1" -c "$probe" 2>/dev/null)" && [ -x "$real" ] && printf '%s\n' "$real"
}

try "$name" && exit 0
while IFS= read -r candidate; do
  try "$candidate" && exit 0
done < <(printf '%s\n' "${PYENV_ROOT:-$HOME/.pyenv}"/versions/*/bin/"$name" | sort -rV)

echo "find-python.sh: no working interpreter for '$name'" >&2
exit 1
