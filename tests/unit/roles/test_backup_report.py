# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup role's report writer (roles/backup/files/write_report.py), and the role's report phase with it: a
symbolic link planted at the report's path is replaced, its target never written."""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROLE = Path(__file__).resolve().parents[3] / 'roles' / 'backup'
SCRIPT = ROLE / 'files' / 'write_report.py'
_spec = importlib.util.spec_from_file_location('compose_write_report', SCRIPT)
writer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(writer)


@pytest.fixture
def planted(tmp_path):
    """A backup folder whose report path is a symbolic link to a file outside it."""
    folder, outside = tmp_path / 'backups', tmp_path / 'outside'
    folder.mkdir()
    outside.mkdir()
    victim = outside / 'victim.conf'
    victim.write_text('precious\n')
    victim.chmod(0o644)
    report = folder / 'compose-backup-report.json'
    report.symlink_to(victim)
    return report, victim


def entries(folder):
    return sorted(path.name for path in folder.iterdir())


def test_a_planted_link_is_replaced_and_its_target_untouched(planted):
    report, victim = planted
    note = writer.write_report(str(report), b'{"deployments": []}\n')
    assert victim.read_text() == 'precious\n' and stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert not report.is_symlink() and report.read_bytes() == b'{"deployments": []}\n'
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert note == 'replaced the symbolic link at %s (its target was left as it was)' % report
    assert entries(report.parent) == ['compose-backup-report.json']


def test_a_dangling_link_is_replaced_and_nothing_is_created_at_its_target(tmp_path):
    report = tmp_path / 'report.json'
    report.symlink_to(tmp_path / 'elsewhere.json')
    writer.write_report(str(report), b'{}')
    assert not (tmp_path / 'elsewhere.json').exists() and report.read_bytes() == b'{}'


def test_a_new_or_existing_file_is_written_and_the_folder_may_be_a_link(tmp_path):
    real = tmp_path / 'real'
    real.mkdir()
    (tmp_path / 'dest').symlink_to(real)
    path = str(tmp_path / 'dest' / 'report.json')
    assert writer.write_report(path, b'one') == ''
    assert writer.write_report(path, b'two') == ''
    assert (real / 'report.json').read_bytes() == b'two' and entries(real) == ['report.json']


@pytest.mark.parametrize('kind', ['folder', 'link to a folder'])
def test_a_folder_at_the_path_is_refused_or_the_link_replaced(tmp_path, kind):
    target = tmp_path / 'a-folder'
    target.mkdir()
    path = tmp_path / 'report.json'
    if kind == 'folder':
        path.mkdir()
        with pytest.raises(writer.ReportError, match='is a folder; set compose_backup_report to a file path'):
            writer.write_report(str(path), b'{}')
        assert entries(tmp_path) == ['a-folder', 'report.json'] and path.is_dir()
    else:
        path.symlink_to(target)
        writer.write_report(str(path), b'{}')
        assert entries(target) == [] and path.read_bytes() == b'{}'


def test_the_command_line(planted):
    report, victim = planted
    done = subprocess.run([sys.executable, str(SCRIPT), str(report)], input=b'{"a": 1}\n', capture_output=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert b'replaced the symbolic link' in done.stdout
    assert report.read_bytes() == b'{"a": 1}\n' and victim.read_text() == 'precious\n'
    folder = subprocess.run([sys.executable, str(SCRIPT), str(report.parent)], input=b'{}', capture_output=True,
                            timeout=60, check=False)
    expected = b'compose_backup_report: cannot write %s: ' % str(report.parent).encode()
    assert folder.returncode == 1 and folder.stderr.startswith(expected)


def test_the_metrics_file_is_written_readable_by_others_and_errors_name_its_variable(tmp_path):
    path = tmp_path / 'compose_backup.prom'
    done = subprocess.run([sys.executable, str(SCRIPT), '--mode', '0644', '--option', 'compose_backup_metrics_file',
                           str(path)], input=b'up 1\n', capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert path.read_bytes() == b'up 1\n' and stat.S_IMODE(path.stat().st_mode) == 0o644
    assert entries(tmp_path) == ['compose_backup.prom']
    missing = subprocess.run([sys.executable, str(SCRIPT), '--mode', '0644', '--option', 'compose_backup_metrics_file',
                              str(tmp_path / 'absent' / 'x.prom')], input=b'', capture_output=True, timeout=60,
                             check=False)
    assert missing.returncode == 1
    assert missing.stderr.startswith(b'compose_backup_metrics_file: cannot write %s: ' % str(tmp_path / 'absent' / 'x.prom').encode())
    with pytest.raises(writer.ReportError, match='set compose_backup_metrics_file to a file path'):
        writer.write_report(str(tmp_path), b'', option='compose_backup_metrics_file')


PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Report as the role does
      ansible.builtin.include_role:
        name: composeio.dbaas.backup
        tasks_from: report.yml
      vars:
        __backup_folder: "{{ folder }}"
"""


def test_the_role_replaces_a_link_at_the_report_path(tmp_path, planted):
    report, victim = planted
    playbook = tmp_path / 'report.yml'
    playbook.write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_HOME=str(tmp_path / 'home'), ANSIBLE_NOCOLOR='true',
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false')
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), str(playbook), '-e',
                           json.dumps({
                               'folder': str(report.parent), 'compose_backup_report': str(report),
                               # No deployment ran here: the report.yml tasks alone, with this host as the one that
                               # reports, as after a run whose download phase ran.
                               '__backup_reporter': 'localhost', '__backup_download_phase': True})],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert victim.read_text() == 'precious\n'
    assert not report.is_symlink() and stat.S_IMODE(report.stat().st_mode) == 0o600
    assert json.loads(report.read_text())['totals']['deployments'] == 0


def test_the_role_writes_the_metrics_file_and_check_mode_only_says_so(tmp_path):
    folder = tmp_path / 'backups'
    folder.mkdir()
    metrics = folder / 'compose_backup.prom'
    playbook = tmp_path / 'report.yml'
    playbook.write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_HOME=str(tmp_path / 'home'), ANSIBLE_NOCOLOR='true',
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false')
    outcome = {'host': 'localhost', 'deployment': 'fizz', 'deployment_id': 'f' * 24, 'type': 'redis', 'outcome': 'ok',
               'action': 'reused', 'backup_id': 'b' * 24, 'backup_created_at': '2026-12-05T00:00:00.000Z',
               'file': None, 'downloaded': False, 'note': None, 'pruned': [], 'retention': {}, 'error': None,
               'size': 2048, 'duration': 1.5, '_finished': 1}

    def play(*args, **extra):
        done = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), str(playbook), '-e',
                               json.dumps(dict({'folder': str(folder), 'compose_backup_report': '',
                                                'compose_backup_metrics_file': str(metrics), '__backup_reporter': 'localhost',
                                                '__backup_downloads': True, '__backup_outcome': outcome}, **extra))]
                              + list(args), capture_output=True, text=True, env=env, timeout=300, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    out = play('--check')
    assert 'Check mode, nothing written: the run would write %s (mode 0644) with the freshness metrics of fizz.' % (
        metrics) in out
    assert not metrics.exists()
    play()
    assert stat.S_IMODE(metrics.stat().st_mode) == 0o644
    assert 'compose_backup_last_success_timestamp_seconds{deployment="fizz",type="redis"} 1796428800' in metrics.read_text()
    # The lock file that runs sharing the metrics file take turns through stays beside it.
    assert entries(folder) == ['.compose_backup.prom.lock', 'compose_backup.prom']
    # A run that secured no backup (--tags trigger alone: no wait, no download) leaves the file as it was.
    before = metrics.read_text()
    play(__backup_downloads=False, __backup_outcome=dict(outcome, backup_created_at=None))
    assert metrics.read_text() == before
