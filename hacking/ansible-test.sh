#!/usr/bin/env bash
# Run ansible-test on a copy of the collection: ansible-test only runs when the current directory
# physically is .../ansible_collections/composeio/dbaas, and here the repository root is the collection.
#
# usage: hacking/ansible-test.sh [--with FILE]... ANSIBLE-TEST-ARGUMENTS...
#   --with FILE  also copy FILE, a generated git-ignored file (tests/integration/integration_config.yml)
# The copy holds the git-visible files; its tests/output is copied back. VENV names the virtual
# environment whose ansible-test runs (default .venv).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VENV:-.venv}"
[[ "$venv" == /* ]] || venv="$root/$venv"

extra=()
while [ "$#" -gt 0 ] && [ "$1" = --with ]; do
  extra+=("$2")
  shift 2
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

# ansible-test bootstraps pip in each virtual environment it makes with a get-pip.py that it downloads
# from a host this machine cannot reach. It looks in its cache first: put a stand-in there that
# bootstraps pip with ensurepip, then pip-installs the arguments it is given.
requirements_py="$("$venv/bin/python" -c 'import ansible_test, os; print(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py"))')"
pip_versions="$(grep -oE "pip='[0-9.]+'" "$requirements_py" | grep -oE '[0-9.]+' | sort -u)"
[ -n "$pip_versions" ] || { echo "ansible-test.sh: no pip version found in $requirements_py" >&2; exit 1; }
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
for version in $pip_versions; do
  cat >"$cache/get_pip_${version//./_}.py" <<'PY'
"""Stand-in for get-pip.py written by composeio.dbaas hacking/ansible-test.sh: ensurepip, then pip install."""
import subprocess
import sys

bootstrap = subprocess.run([sys.executable, '-m', 'ensurepip', '--default-pip'], capture_output=True, text=True)
if bootstrap.returncode:
    sys.exit(bootstrap.stdout + bootstrap.stderr)
args = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install', '--quiet'] + args))
PY
done

# The git-visible files (tracked, and untracked but not ignored), plus the named generated ones.
(
  cd "$root"
  { git ls-files -z -co --exclude-standard; [ "${#extra[@]}" -eq 0 ] || printf '%s\0' "${extra[@]}"; } |
    while IFS= read -r -d '' path; do
      if [ -e "$path" ] || [ -L "$path" ]; then printf '%s\0' "$path"; fi
    done |
    tar -cf - --null --no-recursion -T - | tar -xf - -C "$dest"
)

status=0
(cd "$dest" && ansible-test "$@") || status=$?

# Results come back; ansible-test's scratch space (.tmp, with its delegation venv) does not.
if [ -d "$dest/tests/output" ]; then
  mkdir -p "$root/tests/output"
  tar -cf - -C "$dest/tests/output" --exclude=./.tmp . | tar -xf - -C "$root/tests/output"
fi
exit "$status"
