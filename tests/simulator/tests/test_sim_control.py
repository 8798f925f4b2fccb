"""The control API, the request log, seeds, and the command line (start, URL file, clean stop)."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import ProxyHandler, Request, build_opener

import pytest

FIZZ = '5854017e89d50f424e000192'
SIMULATOR_DIR = Path(__file__).resolve().parents[1]


def test_request_log_records_api_and_download_requests(sim):
    sim.get('/deployments', headers={'User-Agent': 'unit/1.0'})
    sim.get('/deployments', token='nope')
    sim.get('/deployments', token=None)
    sim.control.state()
    log = sim.control.requests()
    assert [(r['method'], r['path'], r['status'], r['auth'], r['user_agent']) for r in log] == [
        ('GET', '/2016-07/deployments', 200, 'ok', 'unit/1.0'),
        ('GET', '/2016-07/deployments', 401, 'bad', None),
        ('GET', '/2016-07/deployments', 401, 'none', None),
    ], '/_sim calls are not logged'
    assert log[0]['seq'] < log[1]['seq'] < log[2]['seq']
    assert log[0]['bytes'] > 100 and log[1]['bytes'] == len(b'{"errors":"invalid_token"}')
    assert {'time', 'query', 'range', 'fault'} <= set(log[0])
    sim.get('/deployments?embed=x')
    assert sim.control.requests()[-1]['query'] == 'embed=x'
    sim.control.clear_requests()
    assert sim.control.requests() == []


def test_reset_with_a_seed_document(sim):
    seed = {
        'config': {'recipe_polls': 1, 'list_order': 'newest_first'},
        'deployments': [{'name': 'solo', 'type': 'mysql', 'id': 'c' * 24, 'history': {'daily': 2, 'weekly': 0, 'monthly': 1},
                         'on_demand': False, 'backup_size': 4096}],
    }
    sim.control.fault(status=500)
    sim.control.reset(seed)
    deployments = sim.get('/deployments').json()['_embedded']['deployments']
    assert [(d['id'], d['name'], d['type']) for d in deployments] == [('c' * 24, 'solo', 'mysql')]
    backups = sim.get(f'/deployments/{"c" * 24}/backups').json()['_embedded']['backups']
    assert sorted(b['type'] for b in backups) == ['daily', 'daily', 'monthly']
    assert [b['created_at'] for b in backups] == sorted((b['created_at'] for b in backups), reverse=True)
    assert sim.control.config()['recipe_polls'] == 1
    assert sim.control.faults() == []
    sim.control.reset()
    assert len(sim.get('/deployments').json()['_embedded']['deployments']) == 5


def test_bad_seeds_and_config_are_400(sim):
    for seed in ({'deployments': [{'name': 'a', 'type': 'postgres'}]}, {'deployments': [{'type': 'redis'}]},
                 {'config': {'colour': 1}}, {'deployments': [{'name': 'a', 'type': 'redis', 'id': 'XYZ'}]},
                 {'deployments': [{'name': 'a', 'type': 'redis'}, {'name': 'a', 'type': 'redis'}]}, [1]):
        with pytest.raises(Exception) as caught:
            sim.control.reset(seed)
        assert caught.value.status == 400, seed
    for change in ({'recipe_polls': -1}, {'time_scale': 0}, {'list_order': 'sideways'}, {'nope': 1}, {'recipe_waiting': 1}):
        with pytest.raises(Exception) as caught:
            sim.control.config(**change)
        assert caught.value.status == 400, change
    assert len(sim.get('/deployments').json()['_embedded']['deployments']) == 5, 'a bad reset changes nothing'


def test_add_and_patch_deployments(sim):
    added = sim.control.add_deployment(name='new-graph', type='janusgraph', history={'daily': 1, 'weekly': 0, 'monthly': 0})
    assert added['type'] == 'janusgraph' and sim.get(f'/deployments/{added["id"]}').status == 200
    backups = sim.get(f'/deployments/{added["id"]}/backups').json()['_embedded']['backups']
    assert [b['type'] for b in backups] == ['daily', 'on_demand'] and not backups[0]['is_downloadable']
    with pytest.raises(Exception) as caught:
        sim.control.add_deployment(name='new-graph', type='redis')
    assert caught.value.status == 400
    twins = [sim.control.add_deployment(name='new-graph', type='redis', duplicate_name=True) for twin in range(2)]
    named = [d['id'] for d in sim.get('/deployments').json()['_embedded']['deployments'] if d['name'] == 'new-graph']
    assert sorted(named) == sorted([added['id']] + [t['id'] for t in twins]) and len(set(named)) == 3
    patched = sim.control.patch_deployment(added['id'], downloadable=True, restorable=False, backup_size=1000)
    assert (patched['downloadable'], patched['restorable'], patched['backup_size']) == (True, False, 1000)
    assert sim.get(f'/deployments/{added["id"]}/backups/{backups[0]["id"]}').json()['download_link'] is not None
    for change in ({'backup_size': 0}, {'colour': 'red'}, {'never_appear': 'yes'}):
        with pytest.raises(Exception) as caught:
            sim.control.patch_deployment(added['id'], **change)
        assert caught.value.status == 400
    with pytest.raises(Exception) as caught:
        sim.control.patch_deployment('0' * 24, never_appear=True)
    assert caught.value.status == 404


def test_state_reports_everything(sim):
    state = sim.control.state()
    assert set(state) >= {'now', 'config', 'deployments', 'recipes', 'faults'}
    fizz = state['deployments'][0]
    assert fizz['id'] == FIZZ and fizz['ready'] is True and len(fizz['backups']) == 15
    assert all('sha256' not in b for b in fizz['backups'])
    assert state['config']['recipe_polls'] == 2 and state['config']['list_order'] == 'oldest_first'


@pytest.fixture
def spawn():
    """Start simulator processes; any still running when the test ends (a failed assert) are killed."""
    started = []

    def start(*args, **kwargs):
        process = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,  # pylint: disable=consider-using-with
                                   text=True, **kwargs)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()


def _stop(process, signum):
    process.send_signal(signum)
    out, err = process.communicate(timeout=15)
    return process.returncode, out, err


def _fetch(url, token=None):
    headers = {'Authorization': f'Bearer {token}'} if token else {}
    with build_opener(ProxyHandler({})).open(Request(url, headers=headers), timeout=10) as response:
        return response.status, json.loads(response.read())


def _first_archive(api_url):
    """Build the first backup's archive through the control API; return its path."""
    root = api_url.rsplit('/', 1)[0]
    state = _fetch(root + '/_sim/state')[1]
    return _fetch(root + '/_sim/backups/' + state['deployments'][0]['backups'][0]['id'])[1]['path']


@pytest.mark.parametrize('signum', [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_url_writes_url_file_and_stops_cleanly(tmp_path, signum, spawn):  # pylint: disable=redefined-outer-name
    url_file = tmp_path / 'url'
    process = spawn(str(SIMULATOR_DIR), '--port', '0', '--url-file', str(url_file), '--token', 't')
    url = process.stdout.readline().strip()
    assert url.startswith('http://127.0.0.1:') and url.endswith('/2016-07')
    assert url_file.read_text(encoding='utf-8') == url + '\n'
    assert _fetch(url + '/datacenters', token='t')[0] == 200
    archive = _first_archive(url)
    assert os.path.exists(archive)
    code, _out, err = _stop(process, signum)
    assert (code, err) == (0, '')
    assert not os.path.exists(os.path.dirname(archive)), 'the temporary data directory is removed'


def test_cli_as_module_with_seed_token_env_and_data_dir(tmp_path, spawn):  # pylint: disable=redefined-outer-name
    seed = tmp_path / 'seed.json'
    seed.write_text(json.dumps({'deployments': [{'name': 'one', 'type': 'etcd', 'backup_size': 2048}]}), encoding='utf-8')
    data = tmp_path / 'data'
    env = dict(os.environ, COMPOSE_SIM_TOKEN='from-env')
    process = spawn('-m', 'simulator', '--port', '0', '--seed', str(seed), '--data-dir', str(data),
                    cwd=str(SIMULATOR_DIR.parent), env=env)
    url = process.stdout.readline().strip()
    assert url.endswith('/2016-07')
    status, body = _fetch(url + '/deployments', token='from-env')
    assert status == 200 and [d['name'] for d in body['_embedded']['deployments']] == ['one']
    archive = _first_archive(url)
    assert os.path.dirname(archive) == str(data)
    code, _out, err = _stop(process, signal.SIGTERM)
    assert code == 0, err
    assert os.path.exists(archive), 'a given --data-dir is kept (and reused as a cache)'


def _post(url, token):
    request = Request(url, data=b'{}', method='POST', headers={'Authorization': f'Bearer {token}', 'Content-Type': 'application/json'})
    with build_opener(ProxyHandler({})).open(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_cli_keeps_the_account_in_a_state_file_across_restarts(tmp_path, spawn):  # pylint: disable=redefined-outer-name
    state = tmp_path / 'state.json'
    process = spawn(str(SIMULATOR_DIR), '--port', '0', '--token', 't', '--state', str(state))
    url = process.stdout.readline().strip()
    status, recipe = _post(f'{url}/deployments/{FIZZ}/backups', 't')
    assert status == 202
    # The default seed completes a recipe on its second poll.
    statuses = [_fetch(f'{url}/recipes/{recipe["id"]}', token='t')[1]['status'] for poll in range(2)]
    assert statuses == ['running', 'complete']
    before = _fetch(f'{url}/deployments/{FIZZ}/backups', token='t')[1]['_embedded']['backups']
    assert _stop(process, signal.SIGTERM)[0] == 0
    process = spawn(str(SIMULATOR_DIR), '--port', '0', '--token', 't', '--state', str(state))
    url = process.stdout.readline().strip()
    after = _fetch(f'{url}/deployments/{FIZZ}/backups', token='t')[1]['_embedded']['backups']
    on_demand = [b['id'] for b in after if b['type'] == 'on_demand']
    assert sorted(b['id'] for b in after) == sorted(b['id'] for b in before) and len(on_demand) == 1
    assert _fetch(f'{url}/recipes/{recipe["id"]}', token='t')[1]['status'] == 'complete'
    assert _stop(process, signal.SIGTERM)[0] == 0
    state.write_text('{"format": 0}', encoding='utf-8')
    process = spawn(str(SIMULATOR_DIR), '--state', str(state))
    _out, err = process.communicate(timeout=15)
    assert process.returncode == 2 and 'state file' in err


def test_cli_rejects_a_bad_seed(tmp_path, spawn):  # pylint: disable=redefined-outer-name
    seed = tmp_path / 'seed.json'
    seed.write_text('{"deployments": [{"name": "x", "type": "oracle"}]}', encoding='utf-8')
    process = spawn(str(SIMULATOR_DIR), '--seed', str(seed))
    _out, err = process.communicate(timeout=15)
    assert process.returncode == 2
    assert 'deployments[0].type' in err and 'oracle' in err


def test_cli_serves_https_with_a_certificate(tmp_path, spawn):  # pylint: disable=redefined-outer-name
    openssl = shutil.which('openssl')
    if not openssl:
        pytest.skip('openssl is needed to make a test certificate')
    cert, key = tmp_path / 'cert.pem', tmp_path / 'key.pem'
    subprocess.run([openssl, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', str(key), '-out', str(cert), '-days', '1',
                    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], check=True, capture_output=True)
    process = spawn(str(SIMULATOR_DIR), '--port', '0', '--tls-cert', str(cert), '--tls-key', str(key))
    url = process.stdout.readline().strip()
    assert url.startswith('https://127.0.0.1:')
    context = ssl.create_default_context(cafile=str(cert))
    parts = urlsplit(url)
    conn = http.client.HTTPSConnection(parts.hostname, parts.port, context=context, timeout=10)
    headers = {'Authorization': 'Bearer simulator-token'}
    conn.request('GET', f'{parts.path}/deployments/{FIZZ}/backups', headers=headers)
    backup = json.loads(conn.getresponse().read())['_embedded']['backups'][0]
    conn.request('GET', f'{parts.path}/deployments/{FIZZ}/backups/{backup["id"]}', headers=headers)
    link = urlsplit(json.loads(conn.getresponse().read())['download_link'])
    assert link.scheme == 'https'
    conn.request('GET', f'{link.path}?{link.query}')
    response = conn.getresponse()
    assert response.status == 200 and len(response.read()) == int(response.headers['Content-Length'])
    conn.close()
    code, _out, err = _stop(process, signal.SIGTERM)
    assert code == 0, err
