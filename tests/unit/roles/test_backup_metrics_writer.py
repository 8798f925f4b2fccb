# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup role's metrics writer (roles/backup/files/write_metrics.py): the previous file is read, merged and
replaced while the lock file beside it is held, so runs that share the file (the slices of a sliced AWX job) never
lose each other's deployments."""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ansible_collections.composeio.dbaas.plugins.filter.backup_metrics import backup_metrics

FILES = Path(__file__).resolve().parents[3] / 'roles' / 'backup' / 'files'
SCRIPT = FILES / 'write_metrics.py'
sys.path.insert(0, str(FILES))
_spec = importlib.util.spec_from_file_location('compose_write_metrics', SCRIPT)
writer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(writer)
sys.path.remove(str(FILES))

NIGHT = 1796515200.0  # 2026-12-06T00:00:00Z


def row(name, outcome='ok'):
    return {'deployment': name, 'deployment_id': None, 'host': name, 'type': 'redis', 'outcome': outcome,
            'size': 2048, 'duration': 1.5, 'backup_created_at': '2026-12-05T23:00:00.000Z'}


def deployments(path):
    return sorted(set(line.split('deployment="')[1].split('"')[0] for line in path.read_text().splitlines()
                      if 'deployment="' in line))


def run(path, rows, *args):
    return subprocess.run([sys.executable, str(SCRIPT)] + list(args) + [str(path), str(NIGHT)],
                          input=json.dumps(rows).encode(), capture_output=True, timeout=120, check=False)


def blocked_on(lock_path, pid, timeout=60.0):
    """Whether process pid waits for the flock on lock_path, per /proc/locks (its waiters are the lines with ->)."""
    inode = ':%d ' % os.stat(lock_path).st_ino
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open('/proc/locks', encoding='ascii') as handle:
            if any('->' in line and inode in line + ' ' and (' %d ' % pid) in line for line in handle):
                return True
        time.sleep(0.02)
    return False


@pytest.mark.skipif(not os.path.exists('/proc/locks'), reason='needs /proc/locks (Linux) to see a waiting lock')
def test_a_run_that_waits_for_the_lock_merges_what_the_holder_wrote(tmp_path):
    path = tmp_path / 'compose_backup.prom'
    lock_path = tmp_path / '.compose_backup.prom.lock'
    # Another slice holds the lock...
    rows = tmp_path / 'rows.json'
    rows.write_text(json.dumps([row('fizz')]))
    with open(lock_path, 'w', encoding='ascii') as held, open(rows, 'rb') as stdin:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        waiting = subprocess.Popen([sys.executable, str(SCRIPT), str(path), str(NIGHT)],  # pylint: disable=consider-using-with
                                   stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert blocked_on(lock_path, waiting.pid), 'write_metrics.py never waited for the lock'
            # ...and writes its deployments while this run waits: a run that had read the file before taking the
            # lock would now write over them.
            path.write_text(backup_metrics([row('buzz')], path=str(path), run_time=NIGHT)['text'])
        finally:
            fcntl.flock(held.fileno(), fcntl.LOCK_UN)
        out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert out == b''
    assert deployments(path) == ['buzz', 'fizz']
    assert sorted(os.listdir(tmp_path)) == ['.compose_backup.prom.lock', 'compose_backup.prom', 'rows.json']


def test_concurrent_runs_over_different_deployments_keep_every_one(tmp_path):
    path = tmp_path / 'compose_backup.prom'
    names = ['slice-%d' % number for number in range(6)]
    started = [subprocess.Popen([sys.executable, str(SCRIPT), str(path), str(NIGHT)],  # pylint: disable=consider-using-with
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for name in names]
    for name, process in zip(names, started):
        process.stdin.write(json.dumps([row(name)]).encode())
        process.stdin.close()
    for process in started:
        assert process.wait(timeout=120) == 0, process.stderr.read()
        process.stdout.close()
        process.stderr.close()
    assert deployments(path) == names


def test_a_lock_that_is_never_released_fails_naming_the_lock_file(tmp_path):
    path = tmp_path / 'm.prom'
    with open(tmp_path / '.m.prom.lock', 'w', encoding='ascii') as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        done = run(path, [row('fizz')], '--timeout', '0.2')
    assert done.returncode == 1
    assert done.stderr.decode() == (
        'compose_backup_metrics_file: cannot write %s: another run has held the lock file %s for over 0.2 seconds; if no '
        'run of the role is writing the metrics file, remove the lock file\n' % (path, tmp_path / '.m.prom.lock'))
    assert not path.exists()


@pytest.mark.parametrize('case, expected', [
    ('link at the lock path', 'compose_backup_metrics_file: cannot write {path}: cannot open the lock file {lock}: '),
    ('unreadable previous file', 'compose_backup_metrics_file: cannot write {path}: the previous metrics file {path} cannot be read'),
    ('folder', 'compose_backup_metrics_file: cannot write {folder}/: the path {folder}/ names a folder, not a file; '
               'set compose_backup_metrics_file to a file path'),
    ('rows that are not JSON', 'compose_backup_metrics_file: cannot write {path}: the report rows on stdin are not JSON: '),
])
def test_errors_name_the_variable_and_leave_the_file(tmp_path, case, expected):
    path, lock, victim = tmp_path / 'm.prom', tmp_path / '.m.prom.lock', tmp_path / 'victim'
    rows = json.dumps([row('fizz')]).encode()
    if case == 'link at the lock path':
        victim.write_text('precious\n')
        lock.symlink_to(victim)
    elif case == 'unreadable previous file':
        path.write_text('this is not a metric\n')
    elif case == 'rows that are not JSON':
        rows = b'{'
    target = str(tmp_path) + '/' if case == 'folder' else str(path)
    done = subprocess.run([sys.executable, str(SCRIPT), target, str(NIGHT)], input=rows, capture_output=True,
                          timeout=120, check=False)
    assert done.returncode == 1
    assert done.stderr.decode().startswith(expected.format(path=path, lock=lock, folder=tmp_path)), done.stderr
    assert not victim.exists() or victim.read_text() == 'precious\n'
    assert not path.exists() or path.read_text() == 'this is not a metric\n'


@pytest.mark.parametrize('here, root', [
    ('/usr/share/ansible/collections/ansible_collections/composeio/dbaas/roles/backup/files', '/usr/share/ansible/collections'),
    ('/ansible_collections/composeio/dbaas/roles/backup/files', '/'),
    ('/home/me/src/dbaas/roles/backup/files', None),
    ('/x/ansible_collections/other/dbaas/roles/backup/files', None),
])
def test_the_collection_is_found_from_the_role_folder(here, root):
    assert writer.collections_root(here) == root
