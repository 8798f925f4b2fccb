# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""compose_backup_restore with state=absent: removing a deployment a restore created, with every HTTP call listed in
order. Each refusal is checked to send no DELETE."""

from __future__ import annotations

import pytest
import requests

from ansible_collections.composeio.dbaas.plugins.modules import compose_backup_restore
from ansible_collections.composeio.dbaas.tests.unit.plugins.modules.conftest import BASE

SRC = '5854017e89d50f424e000192'
DRILL_ID = '5a0000000000000000000d01'
OTHER_ID = '5a0000000000000000000d02'
RESTORE_RID = '5a0000000000000000000e01'
DEPROVISION_RID = '5a0000000000000000000e02'
NAME = 'fizz-production-drill-20260101T000000'
SOURCE = {'id': SRC, 'name': 'fizz-production', 'type': 'postgresql', 'created_at': '2016-12-16T15:00:14.922Z'}
DRILL = {'id': DRILL_ID, 'name': NAME, 'type': 'postgresql', 'created_at': '2026-01-01T00:00:00.000Z'}
SECRET = 'postgres://admin:SIMPASS-drill@portal:17000/compose'
ARGS = {'state': 'absent', 'name': NAME}

RESTORE = {'id': RESTORE_RID, 'template': 'Recipes::Deployment::Run', 'name': 'Restore', 'status': 'complete',
           'deployment_id': DRILL_ID, 'created_at': '2026-01-01T00:00:00.000Z'}
PROVISION = dict(RESTORE, name='Provision')
BACKUP_RECIPE = {'id': '5a0000000000000000000e03', 'template': 'Recipes::Deployment::Backup', 'name': 'Backup',
                 'status': 'complete', 'deployment_id': DRILL_ID, 'created_at': '2025-12-31T00:00:00.000Z'}


def deprovision_recipe(status='running', detail=None, rid=DEPROVISION_RID):
    return {'id': rid, 'template': 'Recipes::Deployment::Deprovision', 'name': 'Deprovision', 'status': status,
            'status_detail': detail, 'deployment_id': DRILL_ID, 'created_at': '2026-01-01T01:00:00.000Z'}


def listing(api, *deployments):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': list(deployments)}})


def recipes(api, *items, dep=DRILL_ID, **kwargs):
    if not kwargs:
        kwargs['json'] = {'_embedded': {'recipes': list(items)}}
    api.get(BASE + '/deployments/%s/recipes' % dep, **kwargs)


def details(api):
    detail = dict(DRILL, version='9.6.10', connection_strings={'direct': [SECRET]}, ca_certificate_base64='Q0E=')
    api.get(BASE + '/deployments/' + DRILL_ID, json=detail)


def delete(api, **kwargs):
    if 'body' not in kwargs:
        kwargs.setdefault('json', deprovision_recipe())
    kwargs.setdefault('status', 202)
    api.delete(BASE + '/deployments/' + DRILL_ID, **kwargs)


def recipe(api, status, detail=None):
    api.get(BASE + '/recipes/' + DEPROVISION_RID, json=deprovision_recipe(status, detail))


def gone(api):
    api.get(BASE + '/deployments/' + DRILL_ID, status=404, json={'errors': 'Not found'})


def decided(api, *extra):
    """The reads before a removal: the list, the recipes (a restore made it), its details."""
    listing(api, SOURCE, DRILL)
    recipes(api, BACKUP_RECIPE, RESTORE, *extra)
    details(api)


def sent(api):
    return ['%s %s' % (call.request.method, call.request.url[len(BASE):]) for call in api.calls]


def deletes(api):
    return [call for call in sent(api) if call.startswith('DELETE')]


def test_removes_a_restored_deployment_and_waits_until_it_is_gone(api, run_module, fake_time):
    decided(api)
    delete(api)
    recipe(api, 'complete', 'All operations have completed successfully!')
    gone(api)
    result, out = run_module(compose_backup_restore, dict(ARGS, restored_id=DRILL_ID, deployment_name='fizz-production',
                                                          _ansible_diff=True))
    assert (result['changed'], result['action']) == (True, 'removed')
    assert result['deployment'] == {'id': DRILL_ID, 'name': NAME, 'type': 'postgresql', 'version': '9.6.10'}
    assert (result['recipe']['id'], result['recipe']['name'], result['recipe']['status']) == \
        (DEPROVISION_RID, 'Deprovision', 'complete')
    assert result['diff'] == {'before': result['deployment'], 'after': {}}
    assert 'source' not in result and 'seconds' not in result
    assert sent(api) == ['GET /deployments', 'GET /deployments/%s/recipes' % DRILL_ID, 'GET /deployments/' + DRILL_ID,
                         'DELETE /deployments/' + DRILL_ID, 'GET /recipes/' + DEPROVISION_RID,
                         'GET /deployments/' + DRILL_ID]
    assert 'SIMPASS' not in out and 'Q0E=' not in out


def test_not_found_is_absent_without_change(api, run_module, fake_time):
    listing(api, SOURCE)
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert (result['changed'], result['action'], result['deployment'], result['recipe']) == (False, 'absent', None, None)
    assert sent(api) == ['GET /deployments']


def test_check_mode_says_what_would_go_and_sends_no_delete(api, run_module, fake_time):
    decided(api)
    result, dummy = run_module(compose_backup_restore, dict(ARGS, _ansible_check_mode=True, _ansible_diff=True))
    assert (result['changed'], result['action']) == (True, 'removed')
    assert result['diff'] == {'before': {'id': DRILL_ID, 'name': NAME, 'type': 'postgresql', 'version': '9.6.10'},
                              'after': {}}
    assert deletes(api) == []


def test_without_wait_the_removal_is_reported_running(api, run_module, fake_time):
    decided(api)
    delete(api)
    result, dummy = run_module(compose_backup_restore, dict(ARGS, wait=False))
    assert (result['changed'], result['action'], result['recipe']['status']) == (True, 'removing', 'running')
    assert len(deletes(api)) == 1


def test_a_failed_deprovision_fails_with_its_detail(api, run_module, fake_time):
    decided(api)
    delete(api)
    recipe(api, 'failed', 'Deployment is locked')
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert result['failed'] is True and result['changed'] is True
    assert result['msg'].startswith('recipe %s (Deprovision) failed: Deployment is locked (the deployment was not '
                                    'removed' % DEPROVISION_RID)
    assert result['recipe']['status'] == 'failed'


def test_a_timeout_says_the_removal_goes_on_and_a_rerun_waits(api, run_module, fake_time):
    decided(api)
    delete(api)                               # the answer is the first look, at 0 s
    recipe(api, 'running')                    # 1 s
    recipe(api, 'running')                    # 2 s: the deadline
    result, dummy = run_module(compose_backup_restore, dict(ARGS, wait_timeout=2, poll_interval=1, poll_max_interval=1))
    assert result['failed'] is True and result['changed'] is True
    assert result['msg'].startswith('recipe %s still running after 2s (the removal goes on at Compose; run the task '
                                    'again to wait for it (it sends no second removal)' % DEPROVISION_RID)


@pytest.mark.parametrize('history, why', [
    ((PROVISION,), "was not created by a restore: its provisioning recipe %s is named 'Provision', not 'Restore'"
     % RESTORE_RID),
    ((BACKUP_RECIPE,), 'has no provisioning recipe among its 1 recipes, so nothing shows that a restore created it'),
    ((), 'has no provisioning recipe among its 0 recipes'),
    # The oldest recipe that is not a backup's decides: a later restore-named one proves nothing.
    ((PROVISION, dict(RESTORE, id='5a0000000000000000000e09', created_at='2026-02-01T00:00:00Z')),
     "was not created by a restore: its provisioning recipe %s is named 'Provision'" % RESTORE_RID),
])
def test_a_deployment_a_restore_did_not_create_is_refused(api, run_module, fake_time, history, why):
    listing(api, SOURCE, DRILL)
    recipes(api, *history)
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert result['failed'] is True and result['changed'] is False
    assert ('deployment %s (%s) ' % (NAME, DRILL_ID) + why) in result['msg']
    assert 'nothing was removed' in result['msg']
    assert deletes(api) == []


def test_recipes_that_cannot_be_read_are_refused(api, run_module, fake_time):
    listing(api, SOURCE, DRILL)
    recipes(api, status=500, json={'errors': 'Internal Server Error'})
    result, dummy = run_module(compose_backup_restore, dict(ARGS, api_retries=0))
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'].startswith('the recipes of deployment %s (%s) could not be read (GET /deployments/%s/recipes '
                                    'failed: 500 Internal Server Error' % (NAME, DRILL_ID, DRILL_ID))
    assert 'so nothing shows that a restore created it; nothing was removed' in result['msg']
    assert deletes(api) == []


def test_recipes_of_the_wrong_shape_are_refused(api, run_module, fake_time):
    listing(api, SOURCE, DRILL)
    recipes(api, json={'recipes': [RESTORE]})
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert result['failed'] is True and 'could not be read' in result['msg']
    assert deletes(api) == []


def test_the_source_given_by_id_is_refused(api, run_module, fake_time):
    listing(api, SOURCE, DRILL)
    result, dummy = run_module(compose_backup_restore, dict(ARGS, deployment_id=DRILL_ID))
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'].startswith('deployment %s (%s) is the source deployment (deployment_id); state=absent never '
                                    'removes the source of a restore; nothing was removed' % (NAME, DRILL_ID))
    assert sent(api) == ['GET /deployments']


@pytest.mark.parametrize('args, message', [
    ({'name': 'fizz-production', 'deployment_name': 'fizz-production'},
     "name: 'fizz-production' is the source deployment (deployment_name); state=absent never removes the source"),
    ({'restored_id': SRC, 'deployment_id': SRC}, 'restored_id: %s is the source deployment (deployment_id)' % SRC),
    ({'datacenter': 'aws:us-east-1', 'ssl': False}, 'datacenter, ssl: only for state=present'),
    ({'include_connection_strings': True}, 'include_connection_strings: only for state=present'),
    ({'restored_id': 'drill'}, 'restored_id must be 24 lowercase hexadecimal characters'),
    ({'name': ' '}, 'name must not be empty: it names the deployment to remove'),
    ({'state': 'gone'}, 'value of state must be one of: present, absent, got: gone'),
])
def test_bad_input_for_absent_fails_before_any_request(api, run_module, args, message):
    result, dummy = run_module(compose_backup_restore, dict(ARGS, **args))
    assert result['failed'] is True
    assert message in result['msg']
    assert len(api.calls) == 0


def test_a_restored_id_that_does_not_match_is_refused(api, run_module, fake_time):
    listing(api, SOURCE, DRILL)
    result, dummy = run_module(compose_backup_restore, dict(ARGS, restored_id=OTHER_ID))
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'].startswith("restored_id: the deployment named '%s' has id %s, not %s; nothing was removed "
                                    '(pass the name and the id that the same restore returned' % (NAME, DRILL_ID, OTHER_ID))
    assert sent(api) == ['GET /deployments']


def test_a_restored_id_of_another_name_is_refused(api, run_module, fake_time):
    listing(api, SOURCE, DRILL)
    result, dummy = run_module(compose_backup_restore, dict(ARGS, name='fizz-other-drill', restored_id=DRILL_ID))
    assert result['failed'] is True
    assert "restored_id: deployment %s is named '%s', not 'fizz-other-drill'" % (DRILL_ID, NAME) in result['msg']
    assert deletes(api) == []


def test_a_shared_name_is_refused_without_restored_id(api, run_module, fake_time):
    listing(api, SOURCE, DRILL, dict(DRILL, id=OTHER_ID))
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'] == ("2 deployments are named '%s' (%s, %s); nothing was removed (pass restored_id, the id the "
                             'restore returned, to say which one to remove)'
                             % (NAME, DRILL_ID, OTHER_ID))
    assert deletes(api) == []


def test_restored_id_picks_one_of_a_shared_name(api, run_module, fake_time):
    listing(api, SOURCE, dict(DRILL, id=OTHER_ID), DRILL)
    recipes(api, RESTORE)
    details(api)
    delete(api)
    recipe(api, 'complete')
    gone(api)
    result, dummy = run_module(compose_backup_restore, dict(ARGS, restored_id=DRILL_ID))
    assert (result['changed'], result['action'], result['deployment']['id']) == (True, 'removed', DRILL_ID)


def test_a_lost_delete_answer_then_gone_counts_as_removed(api, run_module, fake_time):
    decided(api)
    delete(api, body=requests.exceptions.ConnectionError('Connection aborted: RemoteDisconnected'))
    recipes(api, status=404, json={'errors': 'Not found'})
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert (result['changed'], result['action'], result['recipe']) == (True, 'removed', None)
    assert len(deletes(api)) == 1


def test_a_lost_delete_answer_is_found_as_its_recipe_and_followed(api, run_module, fake_time):
    decided(api, deprovision_recipe('failed', 'an earlier attempt', rid='5a0000000000000000000e07'))
    delete(api, status=503, body='<html>unavailable</html>')
    recipes(api, RESTORE, deprovision_recipe('failed', 'an earlier attempt', rid='5a0000000000000000000e07'))
    recipes(api, RESTORE, deprovision_recipe('failed', 'an earlier attempt', rid='5a0000000000000000000e07'),
            deprovision_recipe())
    recipe(api, 'complete')
    gone(api)
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert (result['changed'], result['action'], result['recipe']['id']) == (True, 'removed', DEPROVISION_RID)
    assert len(deletes(api)) == 1
    assert fake_time.sleeps[0] == 1.0


# With request_timeout=5 the settle time is 35 s: looks at 0, 1, 3, 7, 15, 25 and 35 s after the failure.
SETTLE_LOOKS = 7


def test_a_delete_that_did_nothing_within_the_settle_time_is_sent_again_by_id(api, run_module, fake_time):
    decided(api)
    delete(api, body=requests.exceptions.ReadTimeout('Read timed out. (read timeout=5)'))
    for dummy in range(SETTLE_LOOKS):
        recipes(api, RESTORE)
    delete(api)
    recipe(api, 'complete')
    gone(api)
    result, dummy = run_module(compose_backup_restore, dict(ARGS, request_timeout=5))
    assert (result['changed'], result['action']) == (True, 'removed')
    assert deletes(api) == ['DELETE /deployments/' + DRILL_ID] * 2


def test_two_lost_delete_answers_fail_saying_a_rerun_waits(api, run_module, fake_time):
    decided(api)
    for dummy in range(2):
        delete(api, status=502, body='<html>bad gateway</html>')
        for dummy in range(SETTLE_LOOKS):
            recipes(api, RESTORE)
    result, dummy = run_module(compose_backup_restore, dict(ARGS, request_timeout=5))
    assert result['failed'] is True and result['changed'] is True
    assert 'may be being removed all the same' in result['msg'] and 'within 35s after each of 2 attempts' in result['msg']
    assert 'sends no second one' in result['msg']


def test_a_404_to_the_delete_is_absent(api, run_module, fake_time):
    decided(api)
    delete(api, status=404, json={'errors': 'Not found'})
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert (result['changed'], result['action'], result['deployment']) == (False, 'absent', None)


def test_a_rerun_while_the_removal_runs_waits_for_it_and_sends_no_delete(api, run_module, fake_time):
    decided(api, deprovision_recipe('running'))
    recipe(api, 'complete')
    gone(api)
    result, dummy = run_module(compose_backup_restore, ARGS)
    assert (result['changed'], result['action'], result['recipe']['status']) == (False, 'removed', 'complete')
    assert deletes(api) == []


def test_a_rerun_while_the_removal_runs_without_wait_reports_it(api, run_module, fake_time):
    decided(api, deprovision_recipe('waiting'))
    result, dummy = run_module(compose_backup_restore, dict(ARGS, wait=False))
    assert (result['changed'], result['action'], result['recipe']['id']) == (False, 'removing', DEPROVISION_RID)
    assert deletes(api) == []


def test_a_rerun_after_the_deployment_went_changes_nothing(api, run_module, fake_time):
    listing(api, SOURCE)
    result, dummy = run_module(compose_backup_restore, dict(ARGS, restored_id=DRILL_ID))
    assert (result['changed'], result['action']) == (False, 'absent')
    assert deletes(api) == []


def test_a_deployment_still_there_after_its_recipe_completed_fails(api, run_module, fake_time):
    decided(api)
    delete(api)
    recipe(api, 'complete')
    for dummy in range(SETTLE_LOOKS):
        details(api)
    result, dummy = run_module(compose_backup_restore, dict(ARGS, request_timeout=5))
    assert result['failed'] is True and result['changed'] is True
    assert ('the deprovision recipe of deployment %s completed, but the deployment was still there 35s later'
            % DRILL_ID) in result['msg']
    assert len(deletes(api)) == 1
