# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""compose_backup_restore's decision, with every HTTP call listed in order."""

from __future__ import annotations

import json

import pytest
import requests

from ansible_collections.composeio.dbaas.plugins.modules import compose_backup_restore
from ansible_collections.composeio.dbaas.tests.unit.plugins.modules.conftest import BASE

SRC = '5854017e89d50f424e000192'
NEW = '59a6b3a5f32fb6001001ae6c'
RID = '59a6b3a5f32fb6001001ae6b'
SOURCE = {'id': SRC, 'name': 'fizz-production', 'type': 'postgresql', 'created_at': '2016-12-16T15:00:14.922Z'}
RESTORED = {'id': NEW, 'name': 'fizz-restored', 'type': 'postgresql', 'created_at': '2017-08-30T12:46:29Z'}
SECRET = 'postgres://admin:SIMPASS-new@portal:17000/compose'


def backup(bid, created_at, restorable=True):
    return {'id': bid, 'deployment_id': SRC, 'name': 'fizz_' + created_at, 'type': 'daily', 'status': 'complete',
            'is_downloadable': True, 'is_restorable': restorable, 'created_at': created_at}


NEWEST = backup('b00000000000000000000003', '2018-03-03T00:00:00.000Z', restorable=False)
MIDDLE = backup('b00000000000000000000002', '2018-03-02T00:00:00.000Z')
OLDEST = backup('b00000000000000000000001', '2018-03-01T00:00:00.000Z')
ARGS = {'deployment_name': 'fizz-production', 'name': 'fizz-restored', 'datacenter': 'aws:us-east-1'}


def listing(api, *deployments):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': list(deployments)}})


def backups(api):
    api.get(BASE + '/deployments/%s/backups' % SRC, json={'_embedded': {'backups': [OLDEST, NEWEST, MIDDLE]}})


def restore_post(api, bid=MIDDLE['id'], **kwargs):
    if 'body' not in kwargs:
        kwargs.setdefault('json', dict(RESTORED, provision_recipe_id=RID))
    kwargs.setdefault('status', 202)
    api.post(BASE + '/deployments/%s/backups/%s/restore' % (SRC, bid), **kwargs)


def recipe(api, status, detail=None):
    api.get(BASE + '/recipes/' + RID, json={'id': RID, 'name': 'Restore', 'status': status, 'status_detail': detail})


def details(api):
    api.get(BASE + '/deployments/' + RESTORED['id'], json=dict(RESTORED, version='9.6.3', connection_strings={'direct': [SECRET]}))


def test_restores_the_newest_restorable_backup(api, run_module, fake_time):
    listing(api, SOURCE)
    backups(api)
    restore_post(api)
    recipe(api, 'running')
    recipe(api, 'complete', 'Restore complete')
    details(api)
    result, out = run_module(compose_backup_restore, ARGS)
    assert (result['changed'], result['action'], result['backup']['id']) == (True, 'restored', MIDDLE['id'])
    assert result['deployment'] == dict(RESTORED, version='9.6.3')
    assert result['recipe']['status'] == 'complete'
    assert json.loads(api.calls[2].request.body) == {'deployment': {'name': 'fizz-restored', 'datacenter': 'aws:us-east-1'}}
    assert 'SIMPASS' not in out
    # From the POST to the end of the wait, by the client's clock: here the one sleep between the two looks.
    assert len(fake_time.sleeps) == 1 and result['seconds'] == fake_time.sleeps[0] > 0


def test_seconds_counts_the_look_after_a_lost_answer_too(api, run_module, fake_time):
    dropped_post(api)
    listing(api, SOURCE)
    found_created(api)
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert result['seconds'] == sum(fake_time.sleeps) == 1.0


def test_seconds_is_null_without_wait(api, run_module, fake_time):
    listing(api, SOURCE)
    backups(api)
    restore_post(api)
    details(api)
    result, dummy = run_module(compose_backup_restore, dict(ARGS, wait=False))
    assert (result['changed'], result['seconds']) == (True, None)


def test_existing_name_of_the_same_type_changes_nothing(api, run_module, fake_time):
    listing(api, SOURCE, RESTORED)
    api.get(BASE + '/deployments/%s/recipes' % NEW, json={'_embedded': {'recipes': [{'id': RID, 'status': 'complete'}]}})
    details(api)
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert (result['changed'], result['action'], result['backup'], result['seconds']) == (False, 'exists', None, None)
    assert result['deployment']['id'] == NEW


def test_rerun_after_a_timeout_waits_for_the_provisioning(api, run_module, fake_time):
    listing(api, SOURCE, RESTORED)
    api.get(BASE + '/deployments/%s/recipes' % NEW, json={'_embedded': {'recipes': [{'id': RID, 'status': 'running'}]}})
    recipe(api, 'complete')
    details(api)
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert (result['changed'], result['action'], result['recipe']['status']) == (False, 'exists', 'complete')


def test_rerun_after_a_failed_provisioning_fails_with_its_detail(api, run_module, fake_time):
    listing(api, SOURCE, RESTORED)
    api.get(BASE + '/deployments/%s/recipes' % NEW, json={'_embedded': {'recipes': [
        {'id': 'b' * 24, 'name': 'Backup', 'status': 'complete', 'created_at': '2018-01-02T00:00:00Z'},
        {'id': RID, 'name': 'Restore', 'status': 'failed', 'status_detail': 'Disk full',
         'created_at': '2018-01-01T00:00:00Z'}]}})
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'].startswith('recipe %s (Restore) failed: Disk full (the new deployment did not come up' % RID)


def test_existing_name_of_another_type_fails(api, run_module, fake_time):
    listing(api, SOURCE, dict(RESTORED, type='redis'))
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'] == ("name: a deployment named 'fizz-restored' already exists with type redis, but the backup is of "
                             "a postgresql deployment; choose another name")


def test_not_restorable_fails_before_any_post(api, run_module, fake_time):
    listing(api, SOURCE)
    api.get(BASE + '/deployments/%s/backups/%s' % (SRC, NEWEST['id']), json=NEWEST)
    result, dummy = run_module(compose_backup_restore, dict(ARGS, backup_id=NEWEST['id']))
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'].startswith('backup %s (daily) of deployment fizz-production (type postgresql) cannot be '
                                    'restored into a new deployment; omit backup_id' % NEWEST['id'])


def test_check_mode_reads_and_plans_without_post(api, run_module, fake_time):
    listing(api, SOURCE)
    backups(api)
    result, dummy = run_module(compose_backup_restore, dict(ARGS, _ansible_check_mode=True, _ansible_diff=True))
    assert (result['changed'], result['action']) == (True, 'restored')
    assert result['deployment'] == {'name': 'fizz-restored', 'type': 'postgresql'}
    assert result['diff']['after']['backup_id'] == MIDDLE['id']


def test_check_mode_with_the_name_taken_reports_no_change(api, run_module, fake_time):
    listing(api, SOURCE, RESTORED)
    api.get(BASE + '/deployments/%s/recipes' % NEW, json={'_embedded': {'recipes': [{'id': RID, 'status': 'running'}]}})
    details(api)
    result, dummy = run_module(compose_backup_restore, dict(ARGS, _ansible_check_mode=True))
    assert (result['changed'], result['action']) == (False, 'exists')


def dropped_post(api):
    listing(api, SOURCE)
    backups(api)
    restore_post(api, body=requests.exceptions.ConnectionError('Connection aborted: RemoteDisconnected'))


def found_created(api):
    """The name look-up finds the new deployment; it is fetched, provisioned, and its details read."""
    listing(api, SOURCE, RESTORED)
    api.get(BASE + '/deployments/' + NEW, json=dict(RESTORED, provision_recipe_id=RID))
    recipe(api, 'complete')
    details(api)


def test_dropped_post_response_creates_exactly_one_deployment(api, run_module, fake_time):
    dropped_post(api)
    found_created(api)
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert (result['changed'], result['action'], result['deployment']['id']) == (True, 'restored', NEW)


def test_name_taken_by_a_concurrent_restore_is_answered_as_a_rerun(api, run_module, fake_time):
    listing(api, SOURCE)
    backups(api)
    restore_post(api, status=422, json={'errors': {'name': ['has already been taken']}})
    listing(api, SOURCE, RESTORED)
    api.get(BASE + '/deployments/%s/recipes' % NEW, json={'_embedded': {'recipes': []}})
    details(api)
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert (result['changed'], result['action']) == (False, 'exists')


def test_failed_provisioning_fails_with_detail_and_changed(api, run_module, fake_time):
    listing(api, SOURCE)
    backups(api)
    restore_post(api)
    recipe(api, 'failed', 'Insufficient capacity in aws:us-east-1')
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert result['failed'] is True and result['changed'] is True
    assert 'Insufficient capacity in aws:us-east-1' in result['msg']
    assert result['recipe']['id'] == RID


def test_timeout_fails_with_changed_and_the_recipe_id(api, run_module, fake_time):
    listing(api, SOURCE)
    backups(api)
    restore_post(api)
    recipe(api, 'running')
    recipe(api, 'running')
    result, dummy = run_module(compose_backup_restore, dict(ARGS, wait_timeout=2, poll_interval=2, poll_max_interval=2))
    assert result['failed'] is True and result['changed'] is True
    assert result['msg'].startswith('recipe %s still running after 2s' % RID)


@pytest.mark.parametrize('args, message', [
    (dict(ARGS, cluster_id='c' * 24), 'parameters are mutually exclusive: datacenter|cluster_id'),
    ({'deployment_name': 'x', 'name': 'y'}, 'state is present but any of the following are missing: datacenter, cluster_id'),
    ({'name': 'y', 'datacenter': 'aws:us-east-1'},
     'state is present but any of the following are missing: deployment_id, deployment_name'),
    (dict(ARGS, restored_id=NEW), 'restored_id applies to state=absent only'),
    (dict(ARGS, datacenter='us-east'), "datacenter must be a slug such as aws:us-east-1"),
    (dict(ARGS, name='  '), 'name must not be empty'),
    (dict(ARGS, backup_id='newest'), 'backup_id must be 24 lowercase hexadecimal characters'),
    (dict(ARGS, wait_timeout=-1), 'wait_timeout must be greater than 0'),
])
def test_bad_input_fails_before_any_request(api, run_module, args, message):
    result, dummy = run_module(compose_backup_restore, args)
    assert result['failed'] is True
    assert message in result['msg']
    assert len(api.calls) == 0


def test_rerun_ignores_a_later_failed_recipe_that_is_not_the_provisioning(api, run_module, fake_time):
    listing(api, SOURCE, RESTORED)
    api.get(BASE + '/deployments/%s/recipes' % NEW, json={'_embedded': {'recipes': [
        {'id': 'c' * 24, 'name': 'Scale', 'status': 'failed', 'status_detail': 'No capacity',
         'created_at': '2018-02-01T00:00:00Z'},
        {'id': RID, 'name': 'Restore', 'status': 'complete', 'created_at': '2018-01-01T00:00:00Z'}]}})
    details(api)
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert (result['changed'], result['action'], result['recipe']['id']) == (False, 'exists', RID)


# With request_timeout=5 the settle time is 35 s: looks at 0, 1, 3, 7, 15, 25 and 35 s after the failure.
SETTLE_LOOKS = 7


def test_name_taken_after_an_ambiguous_post_of_this_task_counts_as_created(api, run_module, fake_time):
    dropped_post(api)
    for dummy in range(SETTLE_LOOKS):
        listing(api, SOURCE)                  # not listed within the settle time: send again
    restore_post(api, status=422, json={'errors': {'name': ['has already been taken']}})
    found_created(api)
    result, dummy = run_module(compose_backup_restore, dict(ARGS, request_timeout=5))
    assert (result['changed'], result['action'], result['deployment']['id']) == (True, 'restored', NEW)


def test_a_restore_acted_on_late_is_found_by_name_and_not_sent_again(api, run_module, fake_time):
    listing(api, SOURCE)
    backups(api)
    restore_post(api, body=requests.exceptions.ReadTimeout('Read timed out. (read timeout=30)'))
    listing(api, SOURCE)
    listing(api, SOURCE)
    found_created(api)                        # third look: the deployment the late POST created
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert (result['changed'], result['action'], result['deployment']['id']) == (True, 'restored', NEW)
    assert [call.request.method for call in api.calls].count('POST') == 1
    assert fake_time.sleeps[:2] == [1.0, 2.0]


def test_a_restore_that_created_nothing_within_the_settle_time_fails_cleanly_after_one_resend(
        api, run_module, fake_time):
    listing(api, SOURCE)
    backups(api)
    for dummy in range(2):
        restore_post(api, status=503, body='<html>unavailable</html>')
        for dummy in range(SETTLE_LOOKS):
            listing(api, SOURCE)
    result, dummy = run_module(compose_backup_restore, dict(ARGS, request_timeout=5))
    assert result['failed'] is True
    assert 'fizz-restored may have been created all the same' in result['msg'] and 'within 35s' in result['msg']
    assert [call.request.method for call in api.calls].count('POST') == 2


def test_an_accepted_restore_whose_answer_is_not_a_deployment_is_looked_up_by_name(api, run_module, fake_time):
    listing(api, SOURCE)
    backups(api)
    restore_post(api, json=['accepted'])
    found_created(api)
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert (result['changed'], result['action'], result['deployment']['id']) == (True, 'restored', NEW)
    assert [call.request.method for call in api.calls].count('POST') == 1


def test_a_deployment_list_without_embedded_fails_cleanly(api, run_module, fake_time):
    api.get(BASE + '/deployments', json={'deployments': [SOURCE]})
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert result['failed'] is True
    assert 'GET /deployments failed: unexpected response: no _embedded.deployments list (missing)' in result['msg']


def test_the_source_name_is_refused_before_any_request(api, run_module):
    result, dummy = run_module(compose_backup_restore, dict(ARGS, name='fizz-production'))
    assert result['failed'] is True and result['changed'] is False
    assert result['action'] != 'exists'
    assert "'fizz-production' is the source deployment itself; Compose restores a backup only into a new deployment" \
        in result['msg']
    assert len(api.calls) == 0


def test_the_source_name_is_refused_when_the_source_is_given_by_id(api, run_module, fake_time):
    listing(api, SOURCE, RESTORED)
    api.get(BASE + '/deployments/' + SRC, json=SOURCE)
    args = {'deployment_id': SRC, 'name': 'fizz-production', 'datacenter': 'aws:us-east-1'}
    result, dummy = run_module(compose_backup_restore, args)
    assert result['failed'] is True and result['changed'] is False
    assert result['action'] != 'exists'
    assert 'Compose restores a backup only into a new deployment' in result['msg']
    assert [call.request.method for call in api.calls] == ['GET', 'GET']


def test_a_refused_restore_says_nothing_changed(api, run_module, fake_time):
    listing(api, SOURCE)
    backups(api)
    restore_post(api, status=422, json={'errors': {'version': ['is not available']}})
    result, dummy = run_module(compose_backup_restore, dict(ARGS, version='1.0.0'))
    assert result['failed'] is True
    assert (result['changed'], result['action'], result['deployment']) == (False, None, None)
    assert 'is not available' in result['msg']
    assert 'nothing was created' in result['msg']


def test_a_refusal_after_an_ambiguous_post_keeps_changed(api, run_module, fake_time):
    dropped_post(api)
    for dummy in range(SETTLE_LOOKS):
        listing(api, SOURCE)
    restore_post(api, status=422, json={'errors': {'version': ['is not available']}})
    result, dummy = run_module(compose_backup_restore, dict(ARGS, request_timeout=5))
    assert result['failed'] is True
    assert (result['changed'], result['action']) == (True, 'restored')
    assert 'nothing was created' not in result['msg']
