"""Fault injection: status codes, bodies, counting, delays, drops, truncation and corruption."""

from __future__ import annotations

import hashlib
import http.client
import json
import time
from urllib.parse import urlsplit

import pytest

FIZZ = '5854017e89d50f424e000192'
BACKUPS = r'^/2016-07/deployments/[^/]+/backups$'


def _recipe_count(sim):
    return len(sim.get(f'/deployments/{FIZZ}/recipes').json()['_embedded']['recipes'])


def _download_link(sim):
    backup = sim.get(f'/deployments/{FIZZ}/backups').json()['_embedded']['backups'][0]
    return backup['id'], sim.get(f'/deployments/{FIZZ}/backups/{backup["id"]}').json()['download_link']


def _raw(sim, url, method='GET'):
    """Send one request and read whatever arrives until the server closes: (status line + headers, body)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, f'{parts.path}?{parts.query}', headers={'Authorization': f'Bearer {sim.token}'})
        response = conn.getresponse()
        chunks = []
        try:
            while True:
                chunk = response.read1(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except http.client.IncompleteRead as exc:
            chunks.append(exc.partial)
        return response, b''.join(chunks)
    finally:
        conn.close()


def test_status_with_retry_after_then_normal(sim):
    fault = sim.control.fault(path='^/2016-07/deployments$', status=429, retry_after='7')
    limited = sim.get('/deployments')
    assert limited.status == 429 and limited.headers['Retry-After'] == '7'
    assert limited.json() == {'errors': 'Too Many Requests'}
    assert sim.get('/deployments').status == 200, 'times defaults to 1'
    log = sim.control.requests()
    assert [(r['status'], r['fault']) for r in log] == [(429, fault), (200, None)]
    assert sim.control.faults()[0]['remaining'] == 0


def test_body_kinds(sim):
    sim.control.fault(path='/deployments$', status=502, body='html')
    sim.control.fault(path='/deployments$', status=503, body='empty', after=1)
    sim.control.fault(path='/deployments$', body='invalid_json', after=2)
    html = sim.get('/deployments')
    assert html.status == 502 and html.headers['Content-Type'] == 'text/html' and b'<html>' in html.body
    empty = sim.get('/deployments')
    assert empty.status == 503 and empty.body == b'' and empty.headers['Content-Length'] == '0'
    broken = sim.get('/deployments')
    assert broken.status == 200
    with pytest.raises(ValueError):
        json.loads(broken.body)
    assert sim.get('/deployments').status == 200


def test_after_and_times_counting(sim):
    sim.control.fault(method='GET', path='^/2016-07/datacenters$', status=500, after=2, times=2)
    statuses = [sim.get('/datacenters').status for _attempt in range(6)]
    assert statuses == [200, 200, 500, 500, 200, 200]
    assert sim.post(f'/deployments/{FIZZ}/backups').status == 202, 'other paths untouched'
    forever = sim.control.fault(path='^/2016-07/datacenters$', status=503, times=0)
    assert [sim.get('/datacenters').status for _attempt in range(3)] == [503] * 3
    listed = {f['id']: f for f in sim.control.faults()}
    assert listed[forever]['remaining'] is None and listed[forever]['fired'] == 3
    sim.control.clear_faults()
    assert sim.get('/datacenters').status == 200 and sim.control.faults() == []


def test_fault_applies_to_method_only_when_given(sim):
    sim.control.fault(method='POST', path=BACKUPS, status=503)
    assert sim.get(f'/deployments/{FIZZ}/backups').status == 200
    assert sim.post(f'/deployments/{FIZZ}/backups').status == 503
    assert sim.control.health() == {'ok': True}, 'the control API is never faulted'


def test_delay(sim):
    sim.control.fault(path='/datacenters$', delay=0.3)
    started = time.monotonic()
    assert sim.get('/datacenters').status == 200
    assert time.monotonic() - started >= 0.3


def test_drop_before_does_not_start_a_backup(sim):
    count = _recipe_count(sim)
    sim.control.fault(method='POST', path=BACKUPS, drop='before')
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        sim.post(f'/deployments/{FIZZ}/backups')
    assert _recipe_count(sim) == count
    entry = [r for r in sim.control.requests() if r['method'] == 'POST'][0]
    assert entry['status'] is None and entry['bytes'] == 0 and entry['fault'] is not None


def test_drop_after_really_starts_the_backup(sim):
    count = _recipe_count(sim)
    sim.control.fault(method='POST', path=BACKUPS, drop='after')
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        sim.post(f'/deployments/{FIZZ}/backups')
    recipes = sim.get(f'/deployments/{FIZZ}/recipes').json()['_embedded']['recipes']
    assert len(recipes) == count + 1 and recipes[-1]['template'] == 'Recipes::Deployment::Backup'
    assert [r['status'] for r in sim.control.requests() if r['method'] == 'POST'] == [None]


def test_truncate_json_response(sim):
    sim.control.fault(path='^/2016-07/deployments$', truncate_at=20)
    response, body = _raw(sim, sim.api_url + '/deployments')
    assert response.status == 200 and int(response.headers['Content-Length']) > 20
    assert len(body) == 20
    assert sim.control.requests()[0]['bytes'] == 20


def test_truncate_download_at_40_percent(sim):
    backup_id, link = _download_link(sim)
    size = sim.control.backup_file(backup_id)['size']
    sim.control.fault(path='^/_download/', truncate_at=size * 4 // 10)
    response, body = _raw(sim, link)
    assert response.status == 200 and int(response.headers['Content-Length']) == size
    assert len(body) == size * 4 // 10
    full = sim.get(link, token=None)
    assert full.status == 200 and full.body[:len(body)] == body and len(full.body) == size


def test_corrupt_download_keeps_length_changes_checksum(sim):
    backup_id, link = _download_link(sim)
    info = sim.control.backup_file(backup_id)
    sim.control.fault(path='^/_download/', corrupt=True)
    bad = sim.get(link, token=None)
    assert bad.status == 200 and len(bad.body) == info['size']
    assert hashlib.sha256(bad.body).hexdigest() != info['sha256']
    good = sim.get(link, token=None)
    assert hashlib.sha256(good.body).hexdigest() == info['sha256']


def test_corrupt_json_and_range_download(sim):
    backup_id, link = _download_link(sim)
    clean = sim.get('/datacenters').body
    sim.control.fault(path='^/2016-07/datacenters$', corrupt=True)
    damaged = sim.get('/datacenters').body
    assert len(damaged) == len(clean) and damaged != clean
    sim.control.fault(path='^/_download/', corrupt=True, truncate_at=50)
    response, body = _raw(sim, link)
    assert response.status == 200 and len(body) == 50
    assert body == sim.get(link, token=None).body[:50], 'damage sits in the middle, past the cut'
    assert sim.control.backup_file(backup_id)['size'] > 100


def test_bad_fault_specs_are_rejected(sim):
    for spec in ({'path': '('}, {'status': 700}, {'body': 'xml', 'status': 500}, {'drop': 'sideways'},
                 {'path': 'x'}, {'status': 500, 'colour': 'red'}, {'times': -1, 'status': 500}, {'trickle': -1}):
        with pytest.raises(Exception) as caught:
            sim.control.fault(**spec)
        assert getattr(caught.value, 'status', None) == 400, spec


def _trickled(sim, url, fast):
    """The first `fast` body bytes, then what three more reads bring, and the full Content-Length."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request('GET', f'{parts.path}?{parts.query}', headers={'Authorization': f'Bearer {sim.token}'})
        response = conn.getresponse()
        head = b''
        while len(head) < fast:
            head += response.read1(fast - len(head))
        reads = [response.read1(65536) for dummy in range(3)]
        return response, head, reads
    finally:
        conn.close()


@pytest.mark.parametrize('target', ['api', 'download'])
def test_trickle_sends_part_at_once_then_a_byte_at_a_time(sim, target):
    if target == 'api':
        url, path, fast = sim.api_url + '/deployments', '^/2016-07/deployments$', 100
        full = sim.get('/deployments').body
    else:
        backup_id, url = _download_link(sim)
        path, fast = '^/_download/', 1000
        full = sim.get(url, token=None).body
    sim.control.clear_requests()
    sim.control.fault(path=path, trickle=fast)
    response, head, reads = _trickled(sim, url, fast)
    assert response.status == 200 and int(response.headers['Content-Length']) == len(full)
    # Each read brings a byte or a few: the body keeps coming, slower than any client should wait for.
    assert all(1 <= len(data) <= 4 for data in reads)
    got = head + b''.join(reads)
    assert got == full[:len(got)] and len(got) < len(full)
    assert sim.control.faults()[0]['trickle'] == fast


def test_body_json_serves_a_crafted_answer_verbatim(sim):
    fault = sim.control.fault(path=f'^/2016-07/deployments/{FIZZ}/backups$', body_json={'_embedded': {'backups': 'x'}})
    crafted = sim.get(f'/deployments/{FIZZ}/backups')
    assert crafted.status == 200 and crafted.json() == {'_embedded': {'backups': 'x'}}
    assert isinstance(sim.get(f'/deployments/{FIZZ}/backups').json()['_embedded']['backups'], list), 'times is 1'
    sim.control.fault(path='^/2016-07/recipes/', status=202, body_json=[1, 2])
    assert [f['body_json'] for f in sim.control.faults()] == [{'_embedded': {'backups': 'x'}}, [1, 2]]
    assert [r['fault'] for r in sim.control.requests()][:2] == [fault, None]
