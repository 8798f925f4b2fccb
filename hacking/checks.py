"""make test: every phase on the default line, the matrix phases on the other lines, several at once, then a table.

Each phase is one `make` target run for one line of locks/lines.txt (its own venv and lock). A phase's output goes
to tests/output/checks/<line>-<phase>.log; a failed phase's log is printed at the end. Each line's venv is set up
first (from its lock; nothing to do when it is current); a line whose Python this machine lacks is reported as
SKIPPED, loudly.

usage: python hacking/checks.py [-j JOBS] [--latest] [--only PHASE,...] [--list]
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOGS = os.path.join(ROOT, 'tests', 'output', 'checks')

# The default line's phases, the longest first so that they start first; each is a make target.
FULL = ['reliability', 'sanity', 'integration', 'fanout', 'playbooks', 'molecule', 'bench-smoke', 'demo-check',
        'lint', 'publish-check', 'units', 'e2e', 'build-check', 'ee-check', 'changelog-lint']
# The other lines: the unit and end-to-end tests, the role end to end (make demo twice), and the inventory plugin's
# target.
MATRIX = ['demo-check', 'inventory', 'units', 'e2e']
# Phase names that are not make targets of their own: the integration targets in three runs, each against its own
# simulator (the 200-deployment fan-out, and the collection's playbooks run as a user runs them - the backup's and the
# restore drill's - each take about as long as the module targets together), and the inventory plugin's target.
TARGETS = {
    'integration': ['integration', 'INTEGRATION_ARGS=--exclude backup_fanout --exclude backup_playbooks '
                    '--exclude restore_drill_playbook'],
    'fanout': ['integration', 'INTEGRATION_ARGS=backup_fanout'],
    'playbooks': ['integration', 'INTEGRATION_ARGS=backup_playbooks restore_drill_playbook'],
    'inventory': ['integration', 'INTEGRATION_ARGS=inventory_compose'],
}


def read_lines():
    """The claimed lines, [(python, ansible-core)], from locks/lines.txt; the first is the default."""
    with open(os.path.join(ROOT, 'locks', 'lines.txt')) as handle:
        rows = [line.split() for line in handle if line.strip() and not line.startswith('#')]
    return [(row[0], row[1]) for row in rows]


def find_python(version):
    found = subprocess.run([os.path.join(ROOT, 'hacking', 'find-python.sh'), 'python' + version],
                           capture_output=True, text=True, check=False)
    return found.stdout.strip() if found.returncode == 0 else None


class Phase:
    def __init__(self, line, name, after=None):
        self.line, self.name, self.after = line, name, after
        self.status, self.seconds = 'waiting', None
        self.log = os.path.join(LOGS, '%s-%s.log' % (line, name))

    @property
    def label(self):
        return '%s (%s)' % (self.name, self.line)

    def command(self, latest):
        target = TARGETS.get(self.name, [self.name])
        return ['make', '--no-print-directory'] + target + ['PYTHON=python' + self.line] + (['LATEST=1'] if latest else [])


class Runner:
    def __init__(self, jobs, latest):
        self.jobs, self.latest = jobs, latest
        self.lock = threading.Lock()
        self.started = time.monotonic()

    def say(self, text):
        with self.lock:
            print('[%4d s] %s' % (time.monotonic() - self.started, text), flush=True)

    def run(self, phase):
        env = dict(os.environ)
        # Each phase picks its venv from PYTHON; one set by the caller's make must not leak into another line.
        for name in ('VENV', 'MAKEFLAGS', 'MAKELEVEL', 'MFLAGS'):
            env.pop(name, None)
        start = time.monotonic()
        with open(phase.log, 'w') as log:
            done = subprocess.run(phase.command(self.latest), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, env=env, check=False)
        phase.seconds = time.monotonic() - start
        phase.status = 'pass' if done.returncode == 0 else 'FAIL'
        self.say('%s %s in %d s' % (phase.status, phase.label, phase.seconds))
        return phase

    def run_all(self, phases):
        """Run the phases, at most self.jobs at once, each after the phase it waits for (if that passed)."""
        pending = list(phases)
        running = {}
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            while pending or running:
                for phase in list(pending):
                    if len(running) >= self.jobs:
                        break
                    if phase.after is not None and phase.after.status in ('waiting', 'running'):
                        continue
                    pending.remove(phase)
                    if phase.after is not None and phase.after.status != 'pass':
                        phase.status = 'SKIPPED'
                        continue
                    phase.status = 'running'
                    self.say('start %s' % phase.label)
                    running[pool.submit(self.run, phase)] = phase
                if not running:
                    continue
                finished = wait(list(running), return_when=FIRST_COMPLETED).done
                for future in finished:
                    running.pop(future)
                    future.result()


def plan(lines, only):
    """The phases of every line, and the lines skipped for want of their Python."""
    phases, skipped = [], []
    default = lines[0][0]
    for version, core in lines:
        names = FULL if version == default else MATRIX
        names = [name for name in names if not only or name in only]
        if not names:
            continue
        if not find_python(version):
            skipped.append((version, core))
            continue
        setup = Phase(version, 'setup')
        phases.append(setup)
        phases.extend(Phase(version, name, after=setup) for name in names)
    return phases, skipped


def drift(lines):
    """make test-latest: each latest venv's versions that differ from its line's lock."""
    for version in [line[0] for line in lines]:
        python = os.path.join(ROOT, '.venv-latest-' + version, 'bin', 'python')
        lock = os.path.join(ROOT, 'locks', 'py%s.txt' % version)
        if not os.path.exists(python):
            continue
        with open(lock) as handle:
            locked = dict(line.split(' ')[0].split('==') for line in handle if '==' in line and not line.startswith(' '))
        listed = subprocess.run([python, '-m', 'pip', 'list', '--format=json'], capture_output=True, text=True, check=False)
        newer = ['%s %s -> %s' % (item['name'], locked[key], item['version'])
                 for item in json.loads(listed.stdout or '[]')
                 for key in [item['name'].lower().replace('_', '-').replace('.', '-')]
                 if key in locked and locked[key] != item['version']]
        print('Python %s: %s' % (version, '; '.join(newer) if newer else 'the same versions as the lock'))


def table(phases, skipped, seconds):
    print('\n%-16s %-6s %8s  %s' % ('phase', 'line', 'seconds', 'result'))
    for phase in phases:
        shown = '%8d' % phase.seconds if phase.seconds is not None else '%8s' % '-'
        print('%-16s %-6s %s  %s' % (phase.name, phase.line, shown, phase.status))
    for version, core in skipped:
        print('%-16s %-6s %8s  SKIPPED: no python%s on this machine, ansible-core %s NOT TESTED'
              % ('(all)', version, '-', version, core))
    print('%-16s %-6s %8d' % ('total (wall)', '', seconds))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-j', '--jobs', type=int, default=3, help='phases at once (default 3)')
    parser.add_argument('--latest', action='store_true', help='use the .venv-latest-X.Y venvs (make test-latest)')
    parser.add_argument('--only', default='', help='comma-separated phases to run (default: all)')
    parser.add_argument('--list', action='store_true', help='print the phases and their commands, run nothing')
    args = parser.parse_args()

    lines = read_lines()
    phases, skipped = plan(lines, set(filter(None, args.only.split(','))))
    if args.list:
        for phase in phases:
            print('%-16s %-6s %s' % (phase.name, phase.line, ' '.join(phase.command(args.latest))))
        for version, _core in skipped:
            print('%-16s %-6s SKIPPED: no python%s on this machine' % ('(all)', version, version))
        return 0
    os.makedirs(LOGS, exist_ok=True)
    for version, core in skipped:
        print('\n*** SKIPPED: line Python %s / ansible-core %s: no python%s on this machine. NOT TESTED. ***\n'
              % (version, core, version), flush=True)
    runner = Runner(max(1, args.jobs), args.latest)
    runner.run_all(phases)

    failed = [phase for phase in phases if phase.status != 'pass']
    for phase in failed:
        if os.path.exists(phase.log):
            print('\n===== %s failed; its log (%s) =====' % (phase.label, os.path.relpath(phase.log, ROOT)))
            with open(phase.log, errors='replace') as handle:
                sys.stdout.write(handle.read())
    if args.latest:
        print('\nVersions that differ from the locks (make test-latest):')
        drift(lines)
    table(phases, skipped, time.monotonic() - runner.started)
    if skipped:
        print('\n*** %d claimed line(s) SKIPPED: see the table. ***' % len(skipped))
    print('\nchecks: %d passed, %d failed' % (len(phases) - len(failed), len(failed)))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
