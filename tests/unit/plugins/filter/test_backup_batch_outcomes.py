# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup_batch_outcomes filter: each host's report row from its deployment's item of the batch call's results, as
backup_report_row builds the per-host path's; failures, check mode, retention and the calls that did not run."""

from __future__ import annotations

from ansible_collections.composeio.dbaas.plugins.filter.backup_batch_outcomes import FilterModule, backup_batch_outcomes
from ansible_collections.composeio.dbaas.plugins.filter.backup_batch_plan import backup_batch_plan
from ansible_collections.composeio.dbaas.plugins.filter.backup_report_row import backup_report_row

FIZZ = 'a' * 24
ELASTIC = 'e' * 24
HOSTVARS = {
    'fizz': {'compose_deployment_id': FIZZ, 'compose_deployment_name': 'fizz', 'compose_deployment_type': 'postgresql'},
    'fizz-again': {'compose_backup_deployment_id': FIZZ, 'compose_deployment_name': 'fizz'},
    'buzz': {'compose_deployment_name': 'buzz', 'compose_deployment_type': 'redis'},
    'search': {'compose_deployment_id': ELASTIC, 'compose_deployment_name': 'search', 'compose_deployment_type': 'elastic_search'},
}
HOSTS = list(HOSTVARS)
PLAN = backup_batch_plan(HOSTS, HOSTVARS)


def result(dep_id, name, kind, **extra):
    """One item of compose_backup's results, as a single call returns it, with failed."""
    item = {'action': 'triggered', 'changed': True, 'failed': False, 'elapsed': 2.5,
            'deployment': {'id': dep_id, 'name': name, 'type': kind},
            'backup': {'id': 'f' * 24, 'created_at': '2026-12-07T01:00:00Z', 'is_downloadable': True},
            'recipe': {'id': 'c' * 24}, 'dest': '/b/%s.tar.gz' % name, 'downloaded': True, 'size': 10, 'sha256': 'ab' * 32}
    item.update(extra)
    return item


DOWNLOAD = {'failed': True, 'msg': 'Backups failed for 1 of 2 deployments: buzz', 'results': [
    result(FIZZ, 'fizz', 'postgresql'),
    {'action': None, 'changed': False, 'failed': True, 'msg': 'Backup failed: disk full', 'elapsed': 0.5}]}
KEEP = {'changed': True, 'results': [result(ELASTIC, 'search', 'elastic_search', dest=None, downloaded=False,
                                            backup={'id': '9' * 24, 'is_downloadable': False})]}


def test_registered_under_its_name():
    assert FilterModule().filters() == {'backup_batch_outcomes': backup_batch_outcomes}


def test_each_host_gets_the_row_backup_report_row_builds_from_its_item():
    got = backup_batch_outcomes(PLAN, 'fizz', download_result=DOWNLOAD, keep_result=KEEP, started=100.0)
    assert [row['host'] for row in got['rows']] == HOSTS
    expected = backup_report_row(DOWNLOAD['results'][0], host='fizz', deployment_name='fizz', deployment_id=FIZZ,
                                 started=100.0, finished=102.5, outcome='ok')
    expected.pop('_finished')
    assert got['rows'][0] == expected
    # Two hosts of one deployment: one item, one row each.
    assert got['rows'][1] == dict(expected, host='fizz-again')
    assert got['rows'][0]['duration'] == 2.5
    assert got['complete'] is True and got['missing'] == [] and got['reporter'] == 'fizz'
    # The labels are backup_outcomes': a name two rows share is followed by the id.
    assert got['labels'] == ['fizz (%s)' % FIZZ, 'fizz (%s)' % FIZZ, 'buzz', 'search']


def test_a_failed_item_fails_its_row_only_with_its_message():
    rows = backup_batch_outcomes(PLAN, 'fizz', download_result=DOWNLOAD, keep_result=KEEP, started=100.0)['rows']
    assert [row['outcome'] for row in rows] == ['ok', 'ok', 'failed', 'ok']
    assert rows[2]['error'] == 'Back up every deployment: Backup failed: disk full'
    assert rows[2]['deployment'] == 'buzz' and rows[2]['file'] is None and rows[2]['deployment_id'] is None
    # The type the plan knows, for the metrics' label.
    assert rows[2]['type'] == 'redis'
    # The type kept for restores: backed up, not downloaded, which is not a failure.
    assert rows[3]['note'] == 'backups of elastic_search deployments cannot be downloaded; kept at Compose'


def test_a_call_that_failed_without_results_fails_each_of_its_rows():
    broken = {'failed': True, 'msg': 'api_token: the token was refused'}
    rows = backup_batch_outcomes(PLAN, 'fizz', download_result=broken, keep_result=KEEP, task='T')['rows']
    assert [row['outcome'] for row in rows] == ['failed', 'failed', 'failed', 'ok']
    assert rows[0]['error'] == 'T: api_token: the token was refused'


def test_calls_that_did_not_run_leave_rows_as_the_per_host_path_does():
    skipped = {'changed': False, 'skipped': True, 'skip_reason': 'Conditional result was False'}
    rows = backup_batch_outcomes(PLAN, 'fizz', download_result=skipped)['rows']
    assert [row['outcome'] for row in rows] == ['ok'] * 4
    assert rows[0]['action'] is None and rows[0]['deployment_id'] == FIZZ and rows[0]['duration'] is None


def test_check_mode_rows_are_planned():
    rows = backup_batch_outcomes(PLAN, 'fizz', download_result=DOWNLOAD, keep_result=KEEP, check_mode=True)['rows']
    assert [row['outcome'] for row in rows] == ['planned', 'planned', 'failed', 'planned']


def test_retention_goes_into_the_rows_of_the_deployments_it_decided_for():
    retention = {FIZZ: {'remove': ['/b/old.tar.gz'], 'decisions': [
        {'path': '/b/fizz.tar.gz', 'keep': True, 'reason': 'newest 1'},
        {'path': '/b/old.tar.gz', 'keep': False, 'reason': 'not one of the newest 1'}]}}
    rows = backup_batch_outcomes(PLAN, 'fizz', download_result=DOWNLOAD, keep_result=KEEP, retention=retention)['rows']
    assert rows[0]['pruned'] == ['old.tar.gz'] and rows[1]['pruned'] == ['old.tar.gz']
    assert rows[0]['retention'] == {'fizz.tar.gz': 'newest 1', 'old.tar.gz': 'not one of the newest 1'}
    assert rows[3]['pruned'] == [] and rows[3]['retention'] == {}
