"""The simulator's 2016-07 API: auth, errors, HAL shapes, fields, status codes."""

from __future__ import annotations

import base64
import http.client
import re
from urllib.parse import urlsplit

FIZZ = '5854017e89d50f424e000192'
ISO_MS = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')
HEX24 = re.compile(r'^[0-9a-f]{24}$')
BACKUP_KEYS = {'id', 'deployment_id', 'name', 'type', 'status', 'is_downloadable', 'is_restorable', 'created_at', '_links'}


def _deployments(sim):
    return {dep['name']: dep for dep in sim.get('/deployments').json()['_embedded']['deployments']}


def test_missing_or_wrong_token_is_401_invalid_token(sim):
    for kwargs in ({'token': None}, {'token': 'wrong'}, {'token': None, 'headers': {'Authorization': sim.token}},
                   {'token': None, 'headers': {'Authorization': f'bearer  {sim.token}'}}):
        result = sim.get('/deployments', **kwargs)
        assert result.status == 401
        assert result.json() == {'errors': 'invalid_token'}
        assert result.headers['Content-Type'] == 'application/json'
    assert sim.get('/recipes/' + '0' * 24, token='wrong').status == 401


def test_unknown_ids_and_paths_are_404_not_found(sim):
    for path in ('/deployments/' + '0' * 24, '/deployments/' + '0' * 24 + '/backups', f'/deployments/{FIZZ}/backups/' + '0' * 24,
                 '/recipes/' + '0' * 24, f'/deployments/{FIZZ}/recipes/x', '/nothing', '/deployments/'):
        result = sim.get(path)
        assert result.status == 404, path
        assert result.json() == {'errors': 'Not found'}
    assert sim.get('/_nothing').status == 404
    assert sim.post(f'/deployments/{FIZZ}/backups/' + '0' * 24 + '/restore', {'deployment': {}}).status == 404


def test_wrong_method_on_known_path_is_405(sim):
    result = sim.request('DELETE', f'/deployments/{FIZZ}/backups')
    assert result.status == 405
    assert result.headers['Allow'] == 'GET, POST'
    assert sim.post('/deployments').status == 405
    assert sim.request('PATCH', '/recipes/' + '0' * 24).status == 405


def test_deployment_list_is_hal_without_connection_strings(sim):
    result = sim.get('/deployments')
    assert result.status == 200
    assert result.headers['Content-Type'] == 'application/json'
    items = result.json()['_embedded']['deployments']
    assert [d['type'] for d in items] == ['postgresql', 'redis', 'mongodb', 'rabbitmq', 'elastic_search']
    for dep in items:
        assert set(dep) == {'id', 'name', 'type', 'created_at', 'notes', 'customer_billing_code', '_links'}
        assert HEX24.match(dep['id']) and ISO_MS.match(dep['created_at'])
        assert dep['_links']['compose_web_ui']['templated'] is True
    assert items[0]['id'] == FIZZ and items[0]['name'] == 'fizz-production'


def test_deployment_detail_has_recognisable_password_and_cert(sim):
    result = sim.get(f'/deployments/{FIZZ}')
    assert result.status == 200
    dep = result.json()
    assert dep['type'] == 'postgresql' and dep['version'] and dep['account_id']
    direct = dep['connection_strings']['direct'][0]
    assert re.match(r'^postgres://admin:SIMPASS-[0-9a-f]+@[^:]+:\d+/compose$', direct)
    assert b'CERTIFICATE' in base64.b64decode(dep['ca_certificate_base64'])
    for key in ('direct', 'cli', 'maps', 'ssh', 'health', 'admin'):
        assert isinstance(dep['connection_strings'][key], list)
    assert dep['_links']['backups']['href'].startswith(sim.api_url)
    other = sim.get('/deployments/' + _deployments(sim)['buzz-cache']['id']).json()
    assert other['connection_strings']['direct'][0].startswith('redis://admin:SIMPASS-')
    assert other['connection_strings']['direct'][0] != direct


def test_backup_list_shape_and_history(sim):
    result = sim.get(f'/deployments/{FIZZ}/backups')
    assert result.status == 200
    backups = result.json()['_embedded']['backups']
    counts = {}
    for backup in backups:
        assert set(backup) == BACKUP_KEYS, 'list items carry no download_link'
        assert backup['status'] == 'complete' and backup['deployment_id'] == FIZZ
        assert backup['_links']['self']['href'] == f'deployments/{FIZZ}/backups/{backup["id"]}'
        assert backup['name'].startswith('fizz-production_') and ISO_MS.match(backup['created_at'])
        assert backup['is_downloadable'] is True and backup['is_restorable'] is True
        counts[backup['type']] = counts.get(backup['type'], 0) + 1
    assert counts == {'daily': 7, 'weekly': 4, 'monthly': 3, 'on_demand': 1}


def test_backup_list_is_not_newest_first_by_default(sim):
    def created(order=None):
        if order:
            sim.control.config(list_order=order)
        return [b['created_at'] for b in sim.get(f'/deployments/{FIZZ}/backups').json()['_embedded']['backups']]

    oldest_first = created()
    assert oldest_first == sorted(oldest_first) and oldest_first[0] != oldest_first[-1]
    assert created('newest_first') == sorted(oldest_first, reverse=True)
    assert sorted(created('random')) == oldest_first


def test_backup_detail_has_download_link_or_null(sim):
    backup = sim.get(f'/deployments/{FIZZ}/backups').json()['_embedded']['backups'][0]
    detail = sim.get(f'/deployments/{FIZZ}/backups/{backup["id"]}').json()
    assert set(detail) == BACKUP_KEYS | {'download_link'}
    link = urlsplit(detail['download_link'])
    assert f'{link.scheme}://{link.netloc}' == sim.root
    assert link.path.startswith(f'/_download/{backup["id"]}/') and link.path.endswith('.tar.gz')
    assert re.match(r'^expires=\d+&signature=[0-9a-f]{64}$', link.query)
    search = _deployments(sim)['fizz-search']['id']
    item = sim.get(f'/deployments/{search}/backups').json()['_embedded']['backups'][0]
    assert item['is_downloadable'] is False
    assert sim.get(f'/deployments/{search}/backups/{item["id"]}').json()['download_link'] is None
    assert sim.get(f'/deployments/{search}/backups/{backup["id"]}').status == 404, 'backup of another deployment'


def test_start_backup_is_202_with_recipe(sim):
    for content_type in (None, 'application/json', 'application/hal+json; charset=utf-8'):
        headers = {'Content-Type': content_type} if content_type else {}
        result = sim.request('POST', f'/deployments/{FIZZ}/backups', body=b'', headers=headers)
        assert result.status == 202
        recipe = result.json()
        assert recipe['template'] == 'Recipes::Deployment::Backup' and recipe['name'] == 'Backup'
        assert recipe['status'] == 'running' and recipe['deployment_id'] == FIZZ
        assert (recipe['operations_complete'], recipe['operations_total']) == (0, 3)
        assert recipe['_embedded'] == {'recipes': []}
        assert HEX24.match(recipe['id']) and ISO_MS.match(recipe['created_at']) and ISO_MS.match(recipe['updated_at'])
    assert sim.post(f'/deployments/{FIZZ}/backups', {}).status == 202
    assert sim.request('POST', f'/deployments/{FIZZ}/backups', body=b'x', headers={'Content-Type': 'text/plain'}).status == 415


def test_deployment_recipes_list_provisioning_and_backups(sim):
    recipe_id = sim.post(f'/deployments/{FIZZ}/backups').json()['id']
    result = sim.get(f'/deployments/{FIZZ}/recipes')
    assert result.status == 200
    recipes = result.json()['_embedded']['recipes']
    expected = [('Provision', 'Recipes::Deployment::Run'), ('Backup', 'Recipes::Deployment::Backup')]
    assert [(r['name'], r['template']) for r in recipes] == expected
    assert recipes[0]['status'] == 'complete' and recipes[1]['id'] == recipe_id


def test_datacenters(sim):
    result = sim.get('/datacenters')
    assert result.status == 200
    slugs = [dc['slug'] for dc in result.json()['_embedded']['datacenters']]
    assert {'aws:us-east-1', 'aws:eu-west-1', 'aws:eu-central-1', 'gce:europe-west1'} <= set(slugs)


def test_keep_alive_serves_several_requests_on_one_connection(sim):
    parts = urlsplit(sim.api_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        for path in ('/deployments', f'/deployments/{FIZZ}', '/datacenters'):
            conn.request('GET', parts.path + path, headers={'Authorization': f'Bearer {sim.token}'})
            response = conn.getresponse()
            assert response.status == 200 and response.version == 11
            assert len(response.read()) == int(response.headers['Content-Length'])
        conn.request('GET', parts.path + '/nope', headers={'Authorization': 'Bearer no'})
        response = conn.getresponse()
        assert response.status == 401 and response.read() == b'{"errors":"invalid_token"}'
    finally:
        conn.close()
    assert {r['path'] for r in sim.control.requests()} >= {'/2016-07/deployments', '/2016-07/nope'}
