# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write the backup role's metrics file (compose_backup_metrics_file), merged into what is there, under a lock.

usage: python write_metrics.py [--timeout SECONDS] PATH RUN_TIME < REPORT_ROWS_JSON

Runs that share the file (the slices of a sliced AWX job: separate jobs, started together, over different
deployments) must not lose each other's deployments. So the previous file is read, this run's report rows are merged
into it (the collection's backup_metrics filter) and the new file is renamed over the path (write_report.py), all
while holding an exclusive lock on the file .<name>.lock beside it: a run that finishes at the same moment waits its
turn and then merges into the file the other one wrote. The lock file stays (removing it would let a third run lock a
new file while the second still holds the old one).

Run by the Python that runs ansible-playbook: it imports the collection it belongs to, found from this file's place in
ansible_collections/composeio/dbaas/roles/backup/files.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: runs that share the file are then not serialised
    fcntl = None

from ansible.errors import AnsibleFilterError
from write_report import ReportError, run, write_report

OPTION = 'compose_backup_metrics_file'
MODE = 0o644
# A holder keeps the lock for the time it takes to read, merge and write a small file: far less than this.
LOCK_TIMEOUT = 300.0
LAYOUT = ('ansible_collections', 'composeio', 'dbaas', 'roles', 'backup', 'files')


def collections_root(here):
    """The folder holding ansible_collections/composeio/dbaas, when `here` is this role's files folder in it."""
    parts = os.path.abspath(here).split(os.sep)
    if tuple(parts[-len(LAYOUT):]) != LAYOUT:
        return None
    return os.sep.join(parts[:-len(LAYOUT)]) or os.sep


def merge_filter():
    """The collection's backup_metrics filter function: the one place that parses, merges and renders the file."""
    root = collections_root(os.path.dirname(os.path.abspath(__file__)))
    if root is not None and root not in sys.path:
        sys.path.insert(0, root)
    try:
        from ansible_collections.composeio.dbaas.plugins.filter.backup_metrics import backup_metrics
    except ImportError as exc:
        raise ReportError('cannot load the collection composeio.dbaas that this role belongs to (%s); run the role from '
                          'the installed collection' % exc) from None
    return backup_metrics


class LockTimeout(Exception):
    pass


def _expired(_signum, _frame):
    raise LockTimeout()


def lock(fd, lock_path, timeout):
    """Take the exclusive lock on fd, waiting at most timeout seconds for the run that holds it."""
    if fcntl is None:
        return
    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except LockTimeout:
        raise ReportError('another run has held the lock file %s for over %g seconds; if no run of the role is '
                          'writing the metrics file, remove the lock file' % (lock_path, timeout)) from None
    except OSError as exc:
        raise ReportError('cannot lock %s: %s; the folder must be on a filesystem with file locks'
                          % (lock_path, exc.strerror or exc)) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def write_metrics(path, rows, run_time, timeout=LOCK_TIMEOUT):
    """Merge rows into the metrics file at path under its lock; returns write_report's note."""
    name = os.path.basename(path)
    if name in ('', '.', '..'):
        raise ReportError('the path %s names a folder, not a file; set %s to a file path' % (path, OPTION))
    merge = merge_filter()
    folder = os.path.dirname(os.path.abspath(path))
    target = os.path.join(folder, name)
    lock_path = os.path.join(folder, '.%s.lock' % name)
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, 'O_NOFOLLOW', 0), 0o600)
    except OSError as exc:
        raise ReportError('cannot open the lock file %s: %s' % (lock_path, exc.strerror or exc)) from None
    try:
        lock(fd, lock_path, timeout)
        try:
            text = merge(rows, path=target, run_time=run_time)['text']
        except AnsibleFilterError as exc:
            # A previous file the filter cannot read: its message says which, and what to do.
            raise ReportError(exc.message) from None
        return write_report(target, text.encode('utf-8'), mode=MODE, option=OPTION)
    finally:
        # Closing the descriptor releases the lock, after the new file is in place.
        os.close(fd)


def main(argv=None):
    parser = argparse.ArgumentParser(prog='write_metrics.py', usage='%(prog)s [--timeout SECONDS] PATH RUN_TIME < ROWS_JSON')
    parser.add_argument('--timeout', type=float, default=LOCK_TIMEOUT)
    parser.add_argument('path')
    parser.add_argument('run_time', type=float)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    def write():
        try:
            rows = json.loads(sys.stdin.buffer.read() or b'[]')
        except ValueError as exc:
            raise ReportError('the report rows on stdin are not JSON: %s' % exc) from None
        return write_metrics(args.path, rows, args.run_time, timeout=args.timeout)

    return run(OPTION, args.path, write)


if __name__ == '__main__':
    sys.exit(main())
