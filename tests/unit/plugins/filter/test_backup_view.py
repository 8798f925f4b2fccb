# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup_view filter: which backup, download and deployment the backup role reports, from its registered results."""

from __future__ import annotations

import time

from ansible_collections.composeio.dbaas.plugins.filter.backup_view import FilterModule, backup_view

DEPLOYMENT = {'id': 'd' * 24, 'name': 'fizz-production', 'type': 'postgresql'}
OLD = {'id': 'b-old', 'created_at': '2026-12-01T00:00:00Z', 'is_downloadable': True}
NEW = {'id': 'b-new', 'created_at': '2026-12-02T10:00:01Z', 'is_downloadable': True}
RECIPE = {'id': 'r-1', 'status': 'complete'}
SKIPPED = {'changed': False, 'skipped': True, 'skip_reason': 'Conditional result was False'}
UNDOWNLOADABLE = ['elastic_search', 'scylla', 'janusgraph']


def download(backup, **extra):
    result = {'deployment': DEPLOYMENT, 'backup': backup, 'dest': '/b/fizz-production_20261202T100001Z_%s.tar.gz'
              % backup['id'], 'downloaded': True, 'size': 1048576, 'sha256': 'a' * 64, 'resumed_bytes': 0}
    result.update(extra)
    return result


def view(results, **kwargs):
    kwargs.setdefault('host', 'fizz-host')
    kwargs.setdefault('name', 'fizz-production')
    kwargs.setdefault('undownloadable', UNDOWNLOADABLE)
    return backup_view(results, **kwargs)


def test_registered_under_its_name():
    assert FilterModule().filters() == {'backup_view': backup_view}


def test_trigger_that_downloaded_at_once():
    start = download(NEW, action='triggered', recipe=RECIPE, changed=True)
    got = view({'start': start, 'waited': SKIPPED, 'fetched': {}, 'planned': {}, 'newest': {},
                'pruned': ['/b/fizz-production_20261130T000000Z_b-0.tar.gz']}, started=time.time() - 5)
    assert got['backup'] == NEW
    assert got['file'] is start
    assert got['deployment'] == DEPLOYMENT
    assert got['note'] is None
    row = got['row']
    assert 5 <= row.pop('duration') < 60
    assert row == {
        'host': 'fizz-host', 'deployment': 'fizz-production', 'deployment_id': 'd' * 24, 'type': 'postgresql',
        'action': 'triggered', 'recipe_id': 'r-1', 'backup_id': 'b-new', 'backup_created_at': NEW['created_at'],
        'file': start['dest'], 'downloaded': True, 'size': 1048576, 'sha256': 'a' * 64, 'resumed_bytes': 0,
        'pruned': ['fizz-production_20261130T000000Z_b-0.tar.gz'], 'note': None, 'outcome': None, 'error': None}
    assert list(row) == ['host', 'deployment', 'deployment_id', 'type', 'action', 'recipe_id', 'backup_id',
                         'backup_created_at', 'file', 'downloaded', 'size', 'sha256', 'resumed_bytes', 'pruned',
                         'note', 'outcome', 'error']


def test_the_waited_backup_and_its_download_win_over_the_trigger():
    start = {'deployment': DEPLOYMENT, 'action': 'joined', 'recipe': {'id': 'r-0', 'status': 'running'},
             'backup': None, 'dest': None, 'downloaded': False}
    waited = download(NEW, recipe=RECIPE, resumed_bytes=4096)
    got = view({'start': start, 'waited': waited}, started=time.time())
    assert got['backup'] == NEW and got['file'] is waited
    row = got['row']
    assert (row['action'], row['recipe_id'], row['backup_id'], row['resumed_bytes']) == ('joined', 'r-1', 'b-new', 4096)


def test_download_phase_alone_uses_the_newest_backup_found():
    # --tags download: no trigger result; the newest downloadable backup was found and fetched.
    fetched = download(OLD, action='selected')
    got = view({'start': {}, 'waited': {}, 'fetched': fetched, 'newest': {'backups': [OLD, NEW]}})
    assert got['backup'] == OLD
    assert got['file'] is fetched
    assert got['deployment'] == DEPLOYMENT
    assert got['row']['action'] == 'selected'
    assert got['row']['duration'] is None


def test_a_later_download_beats_an_earlier_one():
    waited = download(OLD)
    fetched = download(NEW)
    assert view({'waited': waited, 'fetched': fetched})['file'] is fetched
    assert view({'waited': waited, 'fetched': SKIPPED})['file'] is waited


def test_check_mode_plan_is_the_file_when_nothing_was_downloaded():
    planned = {'deployment': DEPLOYMENT, 'action': 'triggered', 'dest': '/b/fizz-production_planned.tar.gz',
               'downloaded': True}
    start = {'deployment': DEPLOYMENT, 'action': 'triggered', 'recipe': None, 'backup': None}
    got = view({'start': start, 'planned': planned})
    assert got['file'] is planned
    assert got['row']['file'] == planned['dest'] and got['row']['downloaded'] is True
    assert got['backup'] is None and got['row']['backup_id'] is None


def test_nothing_ran_reports_the_configured_deployment():
    got = view({'start': {}, 'waited': {}, 'fetched': {}, 'planned': {}, 'pruned': []}, deployment_id='given-id')
    assert got['backup'] is None and got['file'] == {} and got['note'] is None
    assert got['deployment'] == {'id': 'given-id', 'name': 'fizz-production'}
    row = got['row']
    assert (row['deployment'], row['deployment_id'], row['type'], row['action'], row['file'], row['downloaded'],
            row['resumed_bytes'], row['pruned']) == ('fizz-production', 'given-id', None, None, None, False, 0, [])
    assert view({})['deployment'] == {'id': None, 'name': 'fizz-production'}


def test_inputs_that_are_not_mappings_count_as_empty():
    got = view({'start': None, 'waited': 'skipped', 'newest': {'backups': None}, 'pruned': None})
    assert got['backup'] is None and got['file'] == {} and got['row']['pruned'] == []
    assert view(None)['row']['deployment'] == 'fizz-production'


def test_note_for_a_type_compose_keeps_for_restores_only():
    elastic = dict(DEPLOYMENT, type='elastic_search')
    start = {'deployment': elastic, 'action': 'triggered', 'recipe': RECIPE, 'backup': None}
    note = 'backups of elastic_search deployments cannot be downloaded; kept at Compose'
    assert view({'start': start})['note'] == note
    assert view({'start': start})['row']['note'] == note
    assert view({'start': start}, download=False)['note'] is None
    # A backup that says it cannot be downloaded, whatever the type.
    kept = dict(NEW, is_downloadable=False)
    assert view({'start': dict(start, deployment=DEPLOYMENT, backup=kept)})['note'] == (
        'backups of postgresql deployments cannot be downloaded; kept at Compose')
    # A downloadable type without a backup yet: no note.
    assert view({'start': dict(start, deployment=DEPLOYMENT)})['note'] is None


def test_a_deployment_named_in_a_result_keeps_that_name():
    renamed = {'id': 'd' * 24, 'name': 'fizz-renamed', 'type': 'postgresql'}
    row = view({'start': {'deployment': renamed}})['row']
    assert (row['deployment'], row['host']) == ('fizz-renamed', 'fizz-host')
