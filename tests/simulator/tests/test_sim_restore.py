"""Restore into a new deployment: success, validation (422) and unknown ids (404)."""

from __future__ import annotations

import pytest

FIZZ = '5854017e89d50f424e000192'


def _backup_id(sim, dep=FIZZ):
    return sim.get(f'/deployments/{dep}/backups').json()['_embedded']['backups'][-1]['id']


def _restore(sim, params, dep=FIZZ, backup_id=None):
    return sim.post(f'/deployments/{dep}/backups/{backup_id or _backup_id(sim, dep)}/restore', {'deployment': params})


def test_restore_creates_a_deployment_that_becomes_ready(sim):
    result = _restore(sim, {'name': 'fizz-restored', 'datacenter': 'aws:eu-west-1'})
    assert result.status == 202
    new = result.json()
    assert new['name'] == 'fizz-restored' and new['type'] == 'postgresql'
    assert new['version'] == sim.get(f'/deployments/{FIZZ}').json()['version']
    assert new['connection_strings']['direct'][0].startswith('postgres://admin:SIMPASS-')
    assert new['id'] != FIZZ and len(new['id']) == 24
    listed = [d['name'] for d in sim.get('/deployments').json()['_embedded']['deployments']]
    assert 'fizz-restored' in listed, 'listed at once'
    assert sim.get(f'/deployments/{new["id"]}/backups').json() == {'_embedded': {'backups': []}}
    recipe = sim.get(f'/recipes/{new["provision_recipe_id"]}').json()
    assert (recipe['template'], recipe['name'], recipe['status']) == ('Recipes::Deployment::Run', 'Restore', 'running')
    assert recipe['deployment_id'] == new['id']

    def ready():
        return next(d for d in sim.control.state()['deployments'] if d['id'] == new['id'])['ready']

    assert ready() is False
    assert sim.get(f'/recipes/{new["provision_recipe_id"]}').json()['status'] == 'complete'
    assert ready() is True
    recipes = sim.get(f'/deployments/{new["id"]}/recipes').json()['_embedded']['recipes']
    assert [r['id'] for r in recipes] == [new['provision_recipe_id']]


def test_restore_with_version_cluster_and_ssl(sim):
    result = _restore(sim, {'name': 'on-cluster', 'cluster_id': 'ab' * 12, 'version': '10.1', 'ssl': True})
    assert result.status == 202
    assert result.json()['version'] == '10.1' and result.json()['cluster_id'] == 'ab' * 12


@pytest.mark.parametrize('params, errors', [
    ({'datacenter': 'aws:us-east-1'}, {'name': ["can't be blank"]}),
    ({'name': '', 'datacenter': 'aws:us-east-1'}, {'name': ["can't be blank"]}),
    ({'name': 'buzz-cache', 'datacenter': 'aws:us-east-1'}, {'name': ['has already been taken']}),
    ({'name': 'x'}, {'datacenter': ['must be given when cluster_id is not']}),
    ({'name': 'x', 'datacenter': 'aws:us-east-1', 'cluster_id': 'ab' * 12}, {'cluster_id': ['must be blank when datacenter is given']}),
    ({'name': 'x', 'datacenter': 'mars:olympus-1'}, {'datacenter': ['is not included in the list']}),
    ({'name': '', 'cluster_id': 'nope'}, {'name': ["can't be blank"], 'cluster_id': ['is invalid']}),
])
def test_restore_validation_is_422(sim, params, errors):
    result = _restore(sim, params)
    assert result.status == 422
    assert result.json() == {'errors': errors}


def test_restore_without_deployment_object_is_422(sim):
    result = sim.post(f'/deployments/{FIZZ}/backups/{_backup_id(sim)}/restore')
    assert result.status == 422 and 'deployment' in result.json()['errors']


def test_not_restorable_backup_is_422(sim):
    sim.control.patch_deployment(FIZZ, restorable=False)
    backup = sim.get(f'/deployments/{FIZZ}/backups').json()['_embedded']['backups'][0]
    assert backup['is_restorable'] is False
    result = _restore(sim, {'name': 'nope', 'datacenter': 'aws:us-east-1'}, backup_id=backup['id'])
    assert result.status == 422 and result.json() == {'errors': {'backup': ['is not restorable']}}


def test_restore_unknown_ids_is_404(sim):
    other = sim.control.deployment_id('buzz-cache')
    assert _restore(sim, {'name': 'a', 'datacenter': 'aws:us-east-1'}, dep='0' * 24, backup_id=_backup_id(sim)).status == 404
    assert _restore(sim, {'name': 'a', 'datacenter': 'aws:us-east-1'}, backup_id='0' * 24).status == 404
    assert _restore(sim, {'name': 'a', 'datacenter': 'aws:us-east-1'}, dep=other, backup_id=_backup_id(sim)).status == 404


def test_failed_restore_leaves_deployment_not_ready(sim):
    new = _restore(sim, {'name': 'doomed', 'datacenter': 'aws:us-east-1'}).json()
    sim.control.set_recipe(new['provision_recipe_id'], 'failed', 'out of capacity')
    recipe = sim.get(f'/recipes/{new["provision_recipe_id"]}').json()
    assert (recipe['status'], recipe['status_detail']) == ('failed', 'out of capacity')
    assert next(d for d in sim.control.state()['deployments'] if d['id'] == new['id'])['ready'] is False
