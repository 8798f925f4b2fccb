#!/usr/bin/env bash
# The README's promise about `make demo`, checked: the first run backs up and downloads, a second run on the same
# simulated account and folder changes nothing, and every archive verifies. Runs the real `make demo` twice with its
# state and backups in a temporary folder, so the checkout's own ./backups is left alone.
#
# usage: hacking/demo-check.sh   (make demo-check; part of make test)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/composeio-dbaas-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$root"

fail() {
  echo "demo-check: $*" >&2
  echo "--- the run's output:" >&2
  cat "$log" >&2
  exit 1
}

for run in 1 2; do
  log="$work/run$run.log"
  start=$(date +%s.%N)
  make --no-print-directory demo DEMO_STATE="$work/state.json" DEMO_DEST="$work/backups" >"$log" 2>&1 ||
    fail "run $run of make demo failed"
  seconds=$(echo "$(date +%s.%N) - $start" | bc)
  # The demo's input is ours, so any warning in its output is noise a new user should not see (README, "The locks").
  if grep -nE '^\[(DEPRECATION )?WARNING\]|^[^ ].*:[0-9]+: [A-Za-z]*Warning: ' "$log" >&2; then
    fail "run $run of make demo printed the warnings above"
  fi
  cp "$work/backups/compose-backup-report.json" "$work/report$run.json"
  # The recap: one line per host, "name : ok=N changed=N unreachable=N failed=N ...".
  recap="$(sed -n '/^PLAY RECAP/,$p' "$log" | grep -E ' : ok=')"
  [ "$(echo "$recap" | wc -l)" -eq 6 ] || fail "run $run: expected 6 hosts in the recap (localhost and 5 deployments)"
  if echo "$recap" | grep -vqE 'unreachable=0 +failed=0 '; then fail "run $run: a host failed"; fi
  changed=$(echo "$recap" | grep -oE 'changed=[0-9]+' | cut -d= -f2 | paste -sd+ | bc)
  python3 - "$work/report$run.json" "$run" <<'PY' || fail "run $run: the report is not what it should be"
import json
import sys

report = json.load(open(sys.argv[1]))
run = int(sys.argv[2])
rows = {row['deployment']: row for row in report['deployments']}
assert report['totals']['deployments'] == 5 and report['totals']['failed'] == 0, report['totals']
downloadable = [name for name in rows if name != 'fizz-search']
assert all(rows[name]['file'] and rows[name]['sha256'] for name in downloadable), rows
assert rows['fizz-search']['note'] and not rows['fizz-search']['file'], rows['fizz-search']
if run == 1:
    assert report['totals']['triggered'] == 5 and report['totals']['downloaded'] == 4, report['totals']
else:
    assert report['totals']['triggered'] == 0 and report['totals']['downloaded'] == 0, report['totals']
    assert {row['action'] for row in rows.values()} == {'reused'}, rows
PY
  echo "demo-check: run $run: ${seconds%.*} s, $changed changed task(s)"
  if [ "$run" -eq 1 ] && [ "$changed" -eq 0 ]; then fail "run 1 changed nothing"; fi
  if [ "$run" -eq 2 ] && [ "$changed" -ne 0 ]; then fail "run 2 changed something: a second make demo must change nothing"; fi
done

(cd "$work/backups" && sha256sum --quiet -c ./*.sha256) || fail "an archive does not match its .sha256 file"
[ "$(find "$work/backups" -name '*.tar.gz' | wc -l)" -eq 4 ] || fail "expected 4 archives in the folder"
echo "demo-check: a second make demo changed nothing; 4 archives verify"
