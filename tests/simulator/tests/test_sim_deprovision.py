"""DELETE /deployments/:id: the deprovision recipe, the deployment's disappearance when it completes, a second
DELETE, failures and stalls from the control API, and the generic faults on DELETE."""

from __future__ import annotations

import http.client
import time
from urllib.parse import urlsplit

import pytest

FIZZ = '5854017e89d50f424e000192'


def _listed(sim):
    return [d['id'] for d in sim.get('/deployments').json()['_embedded']['deployments']]


def _restored(sim, name='fizz-drill'):
    backup_id = sim.get(f'/deployments/{FIZZ}/backups').json()['_embedded']['backups'][-1]['id']
    new = sim.post(f'/deployments/{FIZZ}/backups/{backup_id}/restore',
                   {'deployment': {'name': name, 'datacenter': 'aws:us-east-1'}}).json()
    sim.control.set_recipe(new['provision_recipe_id'], 'complete')
    return new


def test_delete_answers_202_with_a_running_deprovision_recipe(sim):
    new = _restored(sim)
    result = sim.request('DELETE', f'/deployments/{new["id"]}')
    assert result.status == 202
    recipe = result.json()
    assert (recipe['template'], recipe['name'], recipe['status']) == \
        ('Recipes::Deployment::Deprovision', 'Deprovision', 'running')
    assert recipe['deployment_id'] == new['id'] and len(recipe['id']) == 24
    assert (recipe['operations_complete'], recipe['operations_total']) == (0, 4)
    assert set(recipe) == {'id', 'template', 'status', 'status_detail', 'account_id', 'deployment_id', 'name',
                           'created_at', 'updated_at', 'operations_complete', 'operations_total', '_embedded'}
    # Still there while the recipe runs, with the recipe in its history.
    assert new['id'] in _listed(sim)
    assert sim.get(f'/deployments/{new["id"]}').status == 200
    recipes = sim.get(f'/deployments/{new["id"]}/recipes').json()['_embedded']['recipes']
    assert [r['name'] for r in recipes] == ['Restore', 'Deprovision']


def test_the_deployment_is_gone_when_the_recipe_completes_and_its_recipes_stay(sim):
    dep_id = sim.control.deployment_id('buzz-cache')
    backups = sim.get(f'/deployments/{dep_id}/backups').json()['_embedded']['backups']
    link = sim.get(f'/deployments/{dep_id}/backups/{backups[0]["id"]}').json()['download_link']
    provision = sim.get(f'/deployments/{dep_id}/recipes').json()['_embedded']['recipes'][0]
    recipe_id = sim.request('DELETE', f'/deployments/{dep_id}').json()['id']
    assert sim.get(f'/recipes/{recipe_id}').json()['status'] == 'running'
    done = sim.get(f'/recipes/{recipe_id}').json()
    assert (done['status'], done['operations_complete']) == ('complete', 4)
    assert dep_id not in _listed(sim)
    for path in ('', '/backups', f'/backups/{backups[0]["id"]}', '/recipes'):
        assert sim.get(f'/deployments/{dep_id}{path}').status == 404, path
    parts = urlsplit(link)
    assert sim.get(f'{parts.path}?{parts.query}').status == 404, 'its download links are gone too'
    # Recipes are kept for ever: the Deprovision recipe and the ones before it.
    assert sim.get(f'/recipes/{recipe_id}').json()['status'] == 'complete'
    assert sim.get(f'/recipes/{provision["id"]}').status == 200
    assert sim.request('DELETE', f'/deployments/{dep_id}').status == 404, 'once gone, 404'
    assert all(d['id'] != dep_id for d in sim.control.state()['deployments'])


def test_a_second_delete_while_deprovisioning_answers_the_same_recipe(sim):
    new = _restored(sim)
    first = sim.request('DELETE', f'/deployments/{new["id"]}').json()
    second = sim.request('DELETE', f'/deployments/{new["id"]}')
    assert second.status == 202 and second.json()['id'] == first['id']
    recipes = sim.get(f'/deployments/{new["id"]}/recipes').json()['_embedded']['recipes']
    assert [r['name'] for r in recipes].count('Deprovision') == 1


def test_deprovisioning_by_simulated_seconds_is_seen_by_the_list(sim):
    new = _restored(sim)
    sim.control.config(recipe_seconds=60, time_scale=6000)
    sim.request('DELETE', f'/deployments/{new["id"]}')
    deadline = time.monotonic() + 5
    while new['id'] in _listed(sim):
        assert time.monotonic() < deadline, 'the deployment never went'
        time.sleep(0.01)


def test_instant_deprovisioning_removes_the_deployment_at_once(sim):
    new = _restored(sim)
    sim.control.config(recipe_polls=0)
    recipe = sim.request('DELETE', f'/deployments/{new["id"]}').json()
    assert recipe['status'] == 'complete'
    assert new['id'] not in _listed(sim)


def test_a_failed_deprovision_leaves_the_deployment_and_a_new_delete_starts_again(sim):
    new = _restored(sim)
    sim.control.patch_deployment(new['id'], fail_deprovision='Deployment is locked')
    first = sim.request('DELETE', f'/deployments/{new["id"]}').json()
    sim.get(f'/recipes/{first["id"]}')
    failed = sim.get(f'/recipes/{first["id"]}').json()
    assert (failed['status'], failed['status_detail']) == ('failed', 'Deployment is locked')
    assert new['id'] in _listed(sim)
    second = sim.request('DELETE', f'/deployments/{new["id"]}').json()
    assert second['id'] != first['id'] and second['status'] == 'running', 'the switch was one-shot'


def test_a_stalled_deprovision_runs_until_the_control_api_moves_it(sim):
    new = _restored(sim)
    sim.control.config(recipe_polls=0)
    sim.control.patch_deployment(new['id'], stall_deprovision=True)
    recipe = sim.request('DELETE', f'/deployments/{new["id"]}').json()
    assert recipe['status'] == 'running'
    for _attempt in range(3):
        assert sim.get(f'/recipes/{recipe["id"]}').json()['status'] == 'running'
    assert new['id'] in _listed(sim)
    sim.control.set_recipe(recipe['id'], 'complete')
    assert new['id'] not in _listed(sim)


def test_a_stalled_deprovision_can_be_made_to_fail(sim):
    new = _restored(sim)
    sim.control.patch_deployment(new['id'], stall_deprovision=True)
    recipe = sim.request('DELETE', f'/deployments/{new["id"]}').json()
    sim.control.set_recipe(recipe['id'], 'failed', 'Stuck')
    assert sim.get(f'/recipes/{recipe["id"]}').json()['status_detail'] == 'Stuck'
    assert new['id'] in _listed(sim)


def test_the_switches_are_shown_and_checked(sim):
    new = _restored(sim)
    shown = sim.control.patch_deployment(new['id'], fail_deprovision='x', stall_deprovision=True)
    assert (shown['fail_deprovision'], shown['stall_deprovision']) == ('x', True)
    recipe = sim.request('DELETE', f'/deployments/{new["id"]}').json()
    state = next(d for d in sim.control.state()['deployments'] if d['id'] == new['id'])
    assert (state['deprovision_recipe_id'], state['fail_deprovision'], state['stall_deprovision']) == (recipe['id'], None, False)
    with pytest.raises(Exception) as refused:
        sim.control.patch_deployment(new['id'], stall_deprovision='yes')
    assert refused.value.status == 400


def test_delete_of_an_unknown_deployment_is_404(sim):
    assert sim.request('DELETE', '/deployments/' + '0' * 24).status == 404
    assert sim.request('DELETE', '/deployments/' + '0' * 24, token='wrong').status == 401


def test_a_fault_status_on_delete_acts_on_nothing(sim):
    new = _restored(sim)
    sim.control.fault(method='DELETE', path='^/2016-07/deployments/[^/]+$', status=503)
    assert sim.request('DELETE', f'/deployments/{new["id"]}').status == 503
    recipes = sim.get(f'/deployments/{new["id"]}/recipes').json()['_embedded']['recipes']
    assert [r['name'] for r in recipes] == ['Restore']


def test_a_delete_dropped_after_processing_started_the_deprovisioning(sim):
    new = _restored(sim)
    sim.control.fault(method='DELETE', path='^/2016-07/deployments/[^/]+$', drop='after')
    parts = urlsplit(sim.api_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request('DELETE', f'{parts.path}/deployments/{new["id"]}', headers={'Authorization': f'Bearer {sim.token}'})
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            conn.getresponse()
    finally:
        conn.close()
    recipes = sim.get(f'/deployments/{new["id"]}/recipes').json()['_embedded']['recipes']
    assert [(r['name'], r['status']) for r in recipes] == [('Restore', 'complete'), ('Deprovision', 'running')]
    logged = [e for e in sim.control.requests() if e['method'] == 'DELETE']
    assert len(logged) == 1 and logged[0]['status'] is None and logged[0]['fault'] is not None
