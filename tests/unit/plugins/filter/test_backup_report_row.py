# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup_report_row filter: the backup role's report line of one deployment, from its compose_backup results."""

from __future__ import annotations

from ansible_collections.composeio.dbaas.plugins.filter.backup_report_row import FilterModule, backup_report_row
from ansible_collections.composeio.dbaas.plugins.filter.downloadable_type import downloadable_type

DEPLOYMENT = {'id': 'd' * 24, 'name': 'fizz-production', 'type': 'postgresql'}
OLD = {'id': 'b-old', 'created_at': '2026-12-01T00:00:00Z', 'is_downloadable': True}
NEW = {'id': 'b-new', 'created_at': '2026-12-02T10:00:01Z', 'is_downloadable': True}
RECIPE = {'id': 'r-1', 'status': 'complete'}
ARCHIVE = {'format': 'tar.gz', 'members': 2, 'uncompressed_size': 5242880}
SKIPPED = {'changed': False, 'skipped': True, 'skip_reason': 'Conditional result was False'}
KEYS = ['host', 'deployment', 'deployment_id', 'type', 'action', 'recipe_id', 'backup_id', 'backup_created_at', 'file',
        'downloaded', 'size', 'sha256', 'resumed_bytes', 'archive', 'pruned', 'retention', 'note', 'duration', 'outcome', 'error', '_finished']


def download(backup, **extra):
    result = {'deployment': DEPLOYMENT, 'backup': backup, 'dest': '/b/fizz-production_20261202T100001Z_%s.tar.gz'
              % backup['id'], 'downloaded': True, 'size': 1048576, 'sha256': 'a' * 64, 'resumed_bytes': 0,
              'archive': ARCHIVE}
    result.update(extra)
    return result


def row(trigger, **kwargs):
    kwargs.setdefault('host', 'fizz-host')
    kwargs.setdefault('deployment_name', 'fizz-production')
    return backup_report_row(trigger, **kwargs)


def file_of(got):
    return dict((key, got[key]) for key in ('file', 'downloaded', 'size', 'sha256', 'resumed_bytes', 'archive'))


def file_fields(result):
    return {'file': result['dest'], 'downloaded': result['downloaded'], 'size': result['size'],
            'sha256': result['sha256'], 'resumed_bytes': result['resumed_bytes'], 'archive': result.get('archive')}


def test_registered_under_its_name():
    assert FilterModule().filters() == {'backup_report_row': backup_report_row}


def test_trigger_that_downloaded_at_once():
    start = download(NEW, action='triggered', recipe=RECIPE, changed=True)
    got = row(start, finish=SKIPPED, newest={}, pruned=['/b/fizz-production_20261130T000000Z_b-0.tar.gz'],
              started=1000.0, finished=1005.25, outcome='ok')
    assert got == {
        'host': 'fizz-host', 'deployment': 'fizz-production', 'deployment_id': 'd' * 24, 'type': 'postgresql',
        'action': 'triggered', 'recipe_id': 'r-1', 'backup_id': 'b-new', 'backup_created_at': NEW['created_at'],
        'file': start['dest'], 'downloaded': True, 'size': 1048576, 'sha256': 'a' * 64, 'resumed_bytes': 0,
        'archive': ARCHIVE, 'pruned': ['fizz-production_20261130T000000Z_b-0.tar.gz'], 'retention': {}, 'note': None, 'duration': 5.25, 'outcome': 'ok',
        'error': None, '_finished': 1005.25}
    assert list(got) == KEYS


def test_times_may_come_as_text_and_may_be_missing():
    # Ansible templates now().timestamp() into text in a set_fact.
    got = row({}, started='1000.5', finished='1002')
    assert (got['duration'], got['_finished']) == (1.5, 1002.0)
    got = row({}, started='', finished=None)
    assert (got['duration'], got['_finished']) == (None, None)


def test_the_finish_backup_and_its_download_win_over_the_trigger():
    start = {'deployment': DEPLOYMENT, 'action': 'joined', 'recipe': {'id': 'r-0', 'status': 'running'},
             'backup': None, 'dest': None, 'downloaded': False}
    finish = download(NEW, recipe=RECIPE, resumed_bytes=4096)
    got = row(start, finish=finish, started=1, finished=2)
    assert (got['backup_id'], got['backup_created_at']) == ('b-new', NEW['created_at'])
    assert file_of(got) == file_fields(finish)
    assert (got['action'], got['recipe_id'], got['resumed_bytes']) == ('joined', 'r-1', 4096)


def test_download_phase_alone_uses_the_newest_backup_found():
    # --tags download: no trigger result; the newest downloadable backup was found and fetched.
    finish = download(OLD, action='selected')
    got = row({}, finish=finish, newest={'backups': [OLD, NEW]})
    assert (got['backup_id'], got['backup_created_at']) == ('b-old', OLD['created_at'])
    assert file_of(got) == file_fields(finish)
    assert (got['deployment'], got['deployment_id'], got['type']) == ('fizz-production', 'd' * 24, 'postgresql')
    assert got['action'] == 'selected'
    assert got['duration'] is None


def test_the_newest_found_is_the_backup_when_nothing_was_fetched():
    got = row({}, finish=SKIPPED, newest={'backups': [NEW, OLD]})
    assert (got['backup_id'], got['file'], got['downloaded'], got['action']) == ('b-new', None, False, None)


def test_a_download_by_the_finish_beats_one_by_the_trigger():
    start = download(OLD)
    finish = download(NEW)
    assert row(start, finish=finish)['file'] == finish['dest']
    assert row(start, finish=SKIPPED)['file'] == start['dest']


def test_check_mode_plan_is_the_file_when_nothing_was_downloaded():
    planned = {'deployment': DEPLOYMENT, 'action': 'triggered', 'dest': '/b/fizz-production_planned.tar.gz',
               'downloaded': True, 'backup': None}
    start = {'deployment': DEPLOYMENT, 'action': 'triggered', 'recipe': None, 'backup': None}
    got = row(start, finish=planned, outcome='planned')
    assert got['file'] == planned['dest'] and got['downloaded'] is True
    assert got['backup_id'] is None and got['backup_created_at'] is None and got['outcome'] == 'planned'


def test_nothing_ran_reports_the_configured_deployment():
    got = row({}, finish={}, newest={}, pruned=[], deployment_id='given-id')
    assert (got['backup_id'], got['file'], got['note']) == (None, None, None)
    assert (got['deployment'], got['deployment_id'], got['type'], got['action'], got['file'], got['downloaded'],
            got['resumed_bytes'], got['pruned']) == ('fizz-production', 'given-id', None, None, None, False, 0, [])
    got = row({})
    assert (got['deployment'], got['deployment_id']) == ('fizz-production', None)


def test_inputs_that_are_not_mappings_count_as_empty():
    got = row(None, finish='skipped', newest={'backups': None}, pruned=None)
    assert got['backup_id'] is None and got['file'] is None and got['pruned'] == []
    assert row(None)['deployment'] == 'fizz-production'


def test_a_failure_keeps_what_was_learnt():
    start = {'deployment': DEPLOYMENT, 'action': 'triggered', 'recipe': RECIPE, 'backup': None, 'failed': True}
    got = row(start, outcome='failed', error='Wait for the backup: Backup failed')
    assert (got['outcome'], got['error'], got['action'], got['recipe_id']) == (
        'failed', 'Wait for the backup: Backup failed', 'triggered', 'r-1')


def test_note_for_a_type_compose_keeps_for_restores_only():
    elastic = dict(DEPLOYMENT, type='elastic_search')
    start = {'deployment': elastic, 'action': 'triggered', 'recipe': RECIPE, 'backup': None}
    note = 'backups of elastic_search deployments cannot be downloaded; kept at Compose'
    assert row(start)['note'] == note
    assert row(start, download=False)['note'] is None
    # A backup that says it cannot be downloaded, whatever the type.
    kept = dict(NEW, is_downloadable=False)
    assert row(dict(start, deployment=DEPLOYMENT, backup=kept))['note'] == (
        'backups of postgresql deployments cannot be downloaded; kept at Compose')
    # A downloadable type without a backup yet, or a type not known yet: no note.
    assert row(dict(start, deployment=DEPLOYMENT))['note'] is None
    assert row(dict(start, deployment=dict(DEPLOYMENT, type=None)))['note'] is None


def test_a_deployment_named_in_a_result_keeps_that_name():
    renamed = {'id': 'd' * 24, 'name': 'fizz-renamed', 'type': 'postgresql'}
    got = row({'deployment': renamed})
    assert (got['deployment'], got['host']) == ('fizz-renamed', 'fizz-host')


def test_downloadable_types():
    assert [downloadable_type(kind) for kind in ('postgresql', 'redis', 'elastic_search', 'scylla', 'janusgraph')] == [
        True, True, False, False, False]
    # Not known yet: not downloadable; a type this collection does not know: the module asks the API.
    assert (downloadable_type(''), downloadable_type(None), downloadable_type('cassandra')) == (False, False, True)


def test_retention_gives_each_archive_its_reason_by_name():
    decisions = [
        {'path': '/b/fizz-production_20261202T100001Z_b-new.tar.gz', 'keep': True, 'reason': 'newest 1, daily 2026-12-02',
         'pending': False},
        {'path': '/b/fizz-production_20261130T000000Z_b-0.tar.gz', 'keep': False,
         'reason': 'not one of the newest 1, older than the last 1 day with an archive', 'pending': False},
        'not a decision', {'reason': 'no path'}]
    got = row(download(NEW), pruned=['/b/fizz-production_20261130T000000Z_b-0.tar.gz'], retention=decisions)
    assert got['pruned'] == ['fizz-production_20261130T000000Z_b-0.tar.gz']
    assert got['retention'] == {
        'fizz-production_20261202T100001Z_b-new.tar.gz': 'newest 1, daily 2026-12-02',
        'fizz-production_20261130T000000Z_b-0.tar.gz': 'not one of the newest 1, older than the last 1 day with an archive'}
    assert list(got['retention']) == ['fizz-production_20261202T100001Z_b-new.tar.gz',
                                      'fizz-production_20261130T000000Z_b-0.tar.gz']
    assert row(download(NEW), retention=None)['retention'] == {}
