# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup_retention filter, and the backup role's prune phase with it: an id from the API is text, never a pattern;
the archives no rule keeps go, by the created_at their sidecars record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.composeio.dbaas.plugins.filter.backup_retention import FilterModule, backup_retention
from ansible_collections.composeio.dbaas.plugins.module_utils._archive import sidecar_path, sidecar_text

FIZZ = 'a' * 24
BUZZ = 'b' * 24
HOSTILE_IDS = ['.*', 'a|b', '.', '\\b', '[ab]*', 'a' * 23 + '.', '', None]


def archive(folder, dep_id, name, day):
    """An archive and its sidecar as compose_backup writes them; returns the archive's path."""
    path = str(folder / ('%s_201801%02dT120000Z_backup%d.tar.gz' % (name, day, day)))
    Path(path).write_bytes(b'archive of %s' % name.encode())
    # Hashes starting with a or b: the former pattern a|b matched such lines too.
    backup = {'id': 'backup%d' % day, 'deployment_id': dep_id, 'created_at': '2018-01-%02dT12:00:00Z' % day}
    with open(sidecar_path(path), 'w') as handle:
        handle.write(sidecar_text(path, backup, 'ab' * 32, 10))
    return path


@pytest.fixture
def folder(tmp_path):
    """Three archives of fizz, two of buzz, one of a deployment whose id the writer cleaned (a|b became a-b)."""
    backups = tmp_path / 'backups'
    backups.mkdir()
    for day in (1, 2, 3):
        archive(backups, FIZZ, 'fizz', day)
    for day in (4, 5):
        archive(backups, BUZZ, 'buzz', day)
    archive(backups, 'a|b', 'odd', 6)
    return backups


def sidecars(folder):
    return sorted(str(path) for path in folder.glob('*.sha256'))


def ours(files, dep_id, **options):
    """The archives the filter counts as the deployment's (kept or not), by name."""
    return [os.path.basename(decision['path']) for decision in backup_retention(files, dep_id, **options)['decisions']]


def test_selects_by_exact_id(folder):
    files = [{'path': path} for path in sidecars(folder)]
    assert sorted(ours(files, FIZZ)) == [
        'fizz_20180101T120000Z_backup1.tar.gz', 'fizz_20180102T120000Z_backup2.tar.gz',
        'fizz_20180103T120000Z_backup3.tar.gz']
    assert len(ours(sidecars(folder), BUZZ)) == 2
    # The cleaned id, as the sidecar writes it, still selects its own.
    assert ours(sidecars(folder), 'a-b') == ['odd_20180106T120000Z_backup6.tar.gz']
    assert FilterModule().filters()['backup_retention'] is backup_retention


@pytest.mark.parametrize('dep_id', HOSTILE_IDS)
def test_an_id_is_never_a_pattern(folder, dep_id):
    got = backup_retention([{'path': path} for path in sidecars(folder)], dep_id, keep=1)
    assert got == {'keep': [], 'remove': [], 'decisions': []}


def test_unreadable_and_odd_files_select_nothing(tmp_path):
    other = tmp_path / 'x.tar.gz.sha256'
    other.write_text('deployment_id=%s deployment_id=%s\n' % (FIZZ, FIZZ))
    second_line = tmp_path / 'y.tar.gz.sha256'
    second_line.write_text('# composeio.dbaas backup_id=b\n%s deployment_id=%s\n' % ('ab' * 32, FIZZ))
    # The archives are there: only their sidecars say they are not FIZZ's.
    (tmp_path / 'x.tar.gz').write_bytes(b'x')
    (tmp_path / 'y.tar.gz').write_bytes(b'y')
    odd = [str(tmp_path / 'missing'), str(tmp_path), str(other), str(second_line), {}, None, 3]
    assert ours(odd, FIZZ) == []
    assert ours(None, FIZZ) == []


def test_the_first_line_alone_names_the_deployment(tmp_path):
    # As a sidecar whose checksum line was lost, or one written by an earlier release: its header still counts.
    (tmp_path / 'fizz_20180101T120000Z_a.tar.gz').write_bytes(b'a')
    side = tmp_path / 'fizz_20180101T120000Z_a.tar.gz.sha256'
    side.write_text('# composeio.dbaas backup_id=a deployment_id=%s created_at=2018-01-01T12-00-00Z\n' % FIZZ)
    got = backup_retention([str(side)], FIZZ, keep=1)
    assert got['keep'] == [str(tmp_path / 'fizz_20180101T120000Z_a.tar.gz')]
    assert dict((key, got['decisions'][0][key]) for key in ('keep', 'reason', 'pending')) == {
        'keep': True, 'reason': 'newest 1', 'pending': False}


def test_a_sidecar_without_its_archive_counts_for_nothing(folder):
    os.remove(str(folder / 'fizz_20180103T120000Z_backup3.tar.gz'))
    assert ours(sidecars(folder), FIZZ) == ['fizz_20180102T120000Z_backup2.tar.gz', 'fizz_20180101T120000Z_backup1.tar.gz']


def test_the_newest_are_kept_and_the_others_removed(folder):
    got = backup_retention(sidecars(folder), FIZZ, keep=2)
    assert [os.path.basename(path) for path in got['keep']] == [
        'fizz_20180103T120000Z_backup3.tar.gz', 'fizz_20180102T120000Z_backup2.tar.gz']
    assert [os.path.basename(path) for path in got['remove']] == ['fizz_20180101T120000Z_backup1.tar.gz']
    assert [(decision['keep'], decision['reason'], decision['pending']) for decision in got['decisions']] == [
        (True, 'newest 2', False), (True, 'newest 2', False), (False, 'not one of the newest 2', False)]
    assert backup_retention(sidecars(folder), FIZZ)['remove'] == []


def test_a_planned_download_takes_its_place_among_the_kept(folder):
    planned = str(folder / 'fizz_20180104T120000Z_pending.tar.gz')
    on_disk = str(folder / 'fizz_20180103T120000Z_backup3.tar.gz')
    got = backup_retention(sidecars(folder), FIZZ, keep=2, pending=[planned, on_disk])
    assert got['keep'] == [planned, on_disk]
    assert [os.path.basename(path) for path in got['remove']] == [
        'fizz_20180102T120000Z_backup2.tar.gz', 'fizz_20180101T120000Z_backup1.tar.gz']
    assert [decision['pending'] for decision in got['decisions']] == [True, False, False, False]


PLAYBOOK = """
- hosts: all
  connection: local
  gather_facts: false
  tasks:
    - name: Prune as the role does, each host for its deployment
      ansible.builtin.include_role:
        name: composeio.dbaas.backup
        tasks_from: prune.yml
      vars:
        __backup_folder: "{{ folder }}"
        __backup_by_id: "{{ deployment_id }}"
        compose_backup_keep: "{{ keep | default(1) }}"
    - name: Say what was pruned
      ansible.builtin.copy:
        dest: "{{ out }}/{{ inventory_hostname }}.json"
        content: "{{ __backup_retention | to_json }}"
        mode: "0600"
"""


def prune(tmp_path, folder, ids, retention=False, **extra):
    """Run the role's prune phase for each deployment id at once (one host each, keeping 1 unless extra says
    otherwise, as the role runs over an inventory): the archives each pruned, by id; with retention, the whole
    plan (keep, remove and decisions) instead."""
    playbook, inventory, out = tmp_path / 'prune.yml', tmp_path / 'hosts.yml', tmp_path / 'pruned'
    out.mkdir()
    playbook.write_text(PLAYBOOK)
    hosts = dict(('host%d' % index, {'deployment_id': dep_id, 'ansible_python_interpreter': sys.executable})
                 for index, dep_id in enumerate(ids))
    inventory.write_text(json.dumps({'all': {'hosts': hosts}}))
    env = dict(os.environ, ANSIBLE_HOME=str(tmp_path / 'home'), ANSIBLE_NOCOLOR='true')
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(inventory),
                           str(playbook), '-e', json.dumps(dict(extra, folder=str(folder), out=str(out)))],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    plans = dict((hostvars['deployment_id'], json.loads((out / (host + '.json')).read_text()))
                 for host, hostvars in hosts.items())
    if retention:
        return plans
    return dict((dep_id, [os.path.basename(path) for path in plan.get('remove', [])]) for dep_id, plan in plans.items())


def test_the_role_prunes_nothing_of_others_for_a_hostile_id(tmp_path, folder):
    before = set(os.listdir(str(folder)))
    pruned = prune(tmp_path, folder, ['.*', 'a|b', FIZZ])
    # A real id prunes its own archives beyond compose_backup_keep, and only those; the others prune nothing.
    assert pruned == {'.*': [], 'a|b': [],
                      FIZZ: ['fizz_20180102T120000Z_backup2.tar.gz', 'fizz_20180101T120000Z_backup1.tar.gz']}
    assert sorted(before - set(os.listdir(str(folder)))) == [
        'fizz_20180101T120000Z_backup1.tar.gz', 'fizz_20180101T120000Z_backup1.tar.gz.sha256',
        'fizz_20180102T120000Z_backup2.tar.gz', 'fizz_20180102T120000Z_backup2.tar.gz.sha256']


def dated(folder, name, created_at, dep_id=FIZZ):
    """An archive whose sidecar records created_at as compose_backup writes it; the name's time says otherwise."""
    path = str(folder / ('fizz_20300101T000000Z_%s.tar.gz' % name))
    Path(path).write_bytes(b'x')
    with open(sidecar_path(path), 'w') as handle:
        handle.write(sidecar_text(path, {'id': name, 'deployment_id': dep_id, 'created_at': created_at}, 'ab' * 32, 1))
    return path


def test_calendar_rules_go_by_the_sidecars_created_at_not_names_nor_file_times(tmp_path):
    times = {'dec6': '2026-12-06T01:00:00.000Z', 'dec5late': '2026-12-05T23:59:59.000Z',
             'dec5early': '2026-12-05T00:00:00.000Z', 'nov30': '2026-11-30T12:00:00.000Z',
             'nov2': '2026-11-02T12:00:00.000Z', 'oct1': '2026-10-01T12:00:00.000Z'}
    paths = dict((name, dated(tmp_path, name, when)) for name, when in times.items())
    # The file times say the opposite of the sidecars.
    for age, name in enumerate(times):
        os.utime(paths[name], (1000000000 + age, 1000000000 + age))
    got = backup_retention(sidecars(tmp_path), FIZZ, keep_daily=2, keep_weekly=1, keep_monthly=3)
    names = dict((path, name) for name, path in paths.items())
    assert [names[path] for path in got['keep']] == ['dec6', 'dec5late', 'nov30', 'oct1']
    assert [names[path] for path in got['remove']] == ['dec5early', 'nov2']
    assert dict((names[d['path']], d['reason']) for d in got['decisions']) == {
        'dec6': 'daily 2026-12-06, weekly 2026-W49, monthly 2026-12',
        'dec5late': 'daily 2026-12-05',
        'dec5early': 'not the newest of day 2026-12-05, not the newest of week 2026-W49, not the newest of month 2026-12',
        'nov30': 'monthly 2026-11',
        'nov2': 'older than the last 2 days with an archive, older than the last 1 week with an archive, '
                'not the newest of month 2026-11',
        'oct1': 'monthly 2026-10',
    }


def test_an_archive_without_a_readable_time_is_counted_and_kept(tmp_path):
    unknown = str(tmp_path / 'fizz_unknown-time_u.tar.gz')
    Path(unknown).write_bytes(b'u')
    with open(sidecar_path(unknown), 'w') as handle:
        handle.write(sidecar_text(unknown, {'id': 'u', 'deployment_id': FIZZ, 'created_at': None}, 'ab' * 32, 1))
    newer, older = dated(tmp_path, 'new', '2026-12-06T01:00:00Z'), dated(tmp_path, 'old', '2026-12-01T01:00:00Z')
    got = backup_retention(sidecars(tmp_path), FIZZ, keep=1, keep_daily=1)
    assert got['keep'] == [newer, unknown] and got['remove'] == [older]
    assert got['decisions'][-1]['reason'] == 'its created_at (unnamed) cannot be read, so it is never removed'


@pytest.mark.parametrize('option', ['keep_daily', 'keep_weekly', 'keep_monthly'])
def test_a_bad_rule_is_an_error_naming_it(folder, option):
    with pytest.raises(AnsibleFilterError, match='backup_retention: %s must be a whole number' % option):
        backup_retention(sidecars(folder), FIZZ, **{option: 'many'})


def test_the_role_prunes_by_the_calendar_and_keeps_an_unreadable_time(tmp_path):
    folder = tmp_path / 'backups'
    folder.mkdir()
    for name, when in (('a', '2026-12-06T01:00:00Z'), ('b', '2026-12-05T20:00:00Z'), ('c', '2026-12-05T10:00:00Z'),
                       ('d', '2026-11-01T10:00:00Z')):
        dated(folder, name, when)
    # Not named with a time: still found, and kept.
    unknown = folder / 'fizz_unknown-time_u.tar.gz'
    unknown.write_bytes(b'u')
    with open(sidecar_path(str(unknown)), 'w') as handle:
        handle.write(sidecar_text(str(unknown), {'id': 'u', 'deployment_id': FIZZ, 'created_at': 'soon'}, 'ab' * 32, 1))
    plan = prune(tmp_path, folder, [FIZZ], retention=True, keep=0, compose_backup_keep_daily=2)[FIZZ]
    assert dict((os.path.basename(d['path']), (d['keep'], d['reason'])) for d in plan['decisions']) == {
        'fizz_20300101T000000Z_a.tar.gz': (True, 'daily 2026-12-06'),
        'fizz_20300101T000000Z_b.tar.gz': (True, 'daily 2026-12-05'),
        'fizz_20300101T000000Z_c.tar.gz': (False, 'not the newest of day 2026-12-05'),
        'fizz_20300101T000000Z_d.tar.gz': (False, 'older than the last 2 days with an archive'),
        'fizz_unknown-time_u.tar.gz': (True, 'its created_at (soon) cannot be read, so it is never removed')}
    assert sorted(os.listdir(str(folder))) == sorted(
        name + suffix for name in ('fizz_20300101T000000Z_a.tar.gz', 'fizz_20300101T000000Z_b.tar.gz',
                                   'fizz_unknown-time_u.tar.gz') for suffix in ('', '.sha256'))
