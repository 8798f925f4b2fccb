#!/usr/bin/env bash
# Run ansible-test on a copy of the collection: ansible-test only runs when the current directory
# physically is .../ansible_collections/composeio/dbaas, and here the repository root is the collection.
#
# usage: hacking/ansible-test.sh [--put FILE PATH]... ANSIBLE-TEST-ARGUMENTS...
#   --put FILE PATH  also place FILE, a generated file, at PATH in the copy (tests/integration/integration_config.yml)
# The copy holds the git-visible files; its tests/output is copied back, to tests/output for the default venv and to
# tests/output/<venv> for another, so runs on several lines at once do not mix. VENV names the virtual environment
# whose ansible-test runs (default .venv).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VENV:-.venv}"
[[ "$venv" == /* ]] || venv="$root/$venv"

puts=()
while [ "$#" -gt 0 ] && [ "$1" = --put ]; do
  puts+=("$2" "$3")
  shift 3
done

work="$(mktemp -d "${TMPDIR:-/tmp}/composeio-dbaas-test.XXXXXX")"
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/composeio/dbaas"
mkdir -p "$dest" "$work/pythons"

# pythonX.Y links to the real interpreters, after the venv on PATH: ansible-test looks for every
# Python version it supports, and pyenv shims of non-selected versions exit 127.
for minor in 8 9 10 11 12 13 14 15; do
  if real="$("$root/hacking/find-python.sh" "python3.$minor" 2>/dev/null)"; then
    ln -s "$real" "$work/pythons/python3.$minor"
  fi
done
export PATH="$venv/bin:$work/pythons:$PATH"

# ansible-test sanity keeps its venvs and its pip bootstrap script under ~/.ansible/test, and offers no setting for
# that folder; it finds it through HOME. So sanity runs with HOME inside the checkout (git-ignored .ansible/), and
# the checkout's generated files stay in it; pip's download cache stays the user's own. Integration keeps the real
# HOME: the playbooks it runs use ~/.ansible_async, which ansible-core expands in more than one process.
if [ "${1:-}" = sanity ]; then
  export PIP_CACHE_DIR="${PIP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pip}"
  export HOME="$root/.ansible/test-home"
fi

# ansible-test bootstraps pip in each virtual environment it makes with a get-pip.py that it downloads
# from a host this machine cannot reach. It looks in its cache first: put a stand-in there that
# bootstraps pip with ensurepip, then pip-installs the arguments it is given.
requirements_py="$("$venv/bin/python" -c 'import ansible_test, os; print(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py"))')"
pip_versions="$(grep -oE "pip='[0-9.]+'" "$requirements_py" | grep -oE '[0-9.]+' | sort -u)"
[ -n "$pip_versions" ] || { echo "ansible-test.sh: no pip version found in $requirements_py" >&2; exit 1; }
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
for version in $pip_versions; do
  # Written to a new name and renamed: another line's run may be reading it.
  cat >"$cache/get_pip_${version//./_}.py.$$" <<'PY'
"""Stand-in for get-pip.py written by composeio.dbaas hacking/ansible-test.sh: ensurepip, then pip install."""
import subprocess
import sys

bootstrap = subprocess.run([sys.executable, '-m', 'ensurepip', '--default-pip'], capture_output=True, text=True)
if bootstrap.returncode:
    sys.exit(bootstrap.stdout + bootstrap.stderr)
args = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install', '--quiet'] + args))
PY
  mv "$cache/get_pip_${version//./_}.py.$$" "$cache/get_pip_${version//./_}.py"
done

# The git-visible files (tracked, and untracked but not ignored), then the generated ones put in place.
(
  cd "$root"
  git ls-files -z -co --exclude-standard |
    while IFS= read -r -d '' path; do
      if [ -e "$path" ] || [ -L "$path" ]; then printf '%s\0' "$path"; fi
    done |
    tar -cf - --null --no-recursion -T - | tar -xf - -C "$dest"
)
for ((i = 0; i < ${#puts[@]}; i += 2)); do
  mkdir -p "$(dirname "$dest/${puts[i + 1]}")"
  cp "${puts[i]}" "$dest/${puts[i + 1]}"
done

status=0
(cd "$dest" && ansible-test "$@") || status=$?

# Results come back; ansible-test's scratch space (.tmp, with its delegation venv) does not.
output="$root/tests/output"
[ "$(basename "$venv")" = .venv ] || output="$output/$(basename "$venv")"
if [ -d "$dest/tests/output" ]; then
  mkdir -p "$output"
  tar -cf - -C "$dest/tests/output" --exclude=./.tmp . | tar -xf - -C "$output"
fi
exit "$status"
