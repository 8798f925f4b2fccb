"""The request log's start and end of each request, and the most requests in flight at once (overlap.py)."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest

FIZZ = '5854017e89d50f424e000192'
# Larger than the socket buffers of both ends on loopback: a server sending it waits for the client to read.
BIG = 32 << 20


def entry(start, end, kind='api'):
    return {'start': start, 'end': end, 'kind': kind}


@pytest.mark.parametrize('entries, api, download', [
    ([], 0, 0),
    ([entry(0, 1), entry(2, 3)], 1, 0),
    ([entry(0, 1), entry(1, 2)], 1, 0),  # touching: the first ended as the second began
    ([entry(0, 3), entry(1, 2), entry(1.5, 4)], 3, 0),
    ([entry(0, 3), entry(1, 2, 'download'), entry(1.5, 4, 'download'), entry(3.5, 5, 'download')], 1, 2),
    ([entry(0, None), entry(5, 6)], 2, 0),  # no end yet: still in flight
])
def test_max_overlap(overlap, entries, api, download):
    assert (overlap.max_overlap(entries, 'api'), overlap.max_overlap(entries, 'download')) == (api, download)
    assert overlap.max_overlap(entries) >= max(api, download)
    assert overlap.overlaps(entries) == {'api': api, 'download': download, 'requests': len(entries)}


def _open(sim, url, headers=None):
    """A request on a connection of its own, its answer's headers read and its body not: (connection, response)."""
    parts = urlsplit(sim.url(url))
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request('GET', parts.path + (f'?{parts.query}' if parts.query else ''),
                 headers=dict({'Authorization': f'Bearer {sim.token}'}, **(headers or {})))
    return conn, conn.getresponse()


def _big_download_link(sim):
    dep = sim.control.add_deployment(name='big', type='postgresql', backup_size=BIG,
                                     history={'daily': 1, 'weekly': 0, 'monthly': 0}, on_demand=False)
    backup = sim.get(f'/deployments/{dep["id"]}/backups').json()['_embedded']['backups'][0]
    sim.control.backup_file(backup['id'])  # built before the downloads start
    return sim.get(f'/deployments/{dep["id"]}/backups/{backup["id"]}').json()['download_link']


def test_each_request_has_its_kind_start_and_end(sim):
    sim.get('/deployments')
    backup = sim.get(f'/deployments/{FIZZ}/backups').json()['_embedded']['backups'][0]
    sim.get(sim.get(f'/deployments/{FIZZ}/backups/{backup["id"]}').json()['download_link'])
    log = sim.control.requests()
    assert [r['kind'] for r in log] == ['api', 'api', 'api', 'download']
    assert all(r['start'] <= r['end'] for r in log)
    assert all(earlier['end'] <= later['start'] for earlier, later in zip(log, log[1:]))


def test_requests_one_after_the_other_on_one_connection_never_overlap(sim):
    # The end is noted before the last byte goes out: a client that has the whole answer sends its next request
    # after it, however fast.
    parts = urlsplit(sim.api_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        for dummy in range(40):
            conn.request('GET', parts.path + f'/deployments/{FIZZ}/recipes', headers={'Authorization': f'Bearer {sim.token}'})
            assert conn.getresponse().read()
    finally:
        conn.close()
    assert sim.control.overlap() == {'api': 1, 'download': 0, 'requests': 40}


def test_downloads_in_flight_together_overlap(sim):
    link = _big_download_link(sim)
    sim.control.clear_requests()
    first, second = _open(sim, link), _open(sim, link)
    # Both answers have begun and neither can end before its body is read.
    assert len(second[1].read()) > BIG - (4 << 10)
    assert len(first[1].read()) > BIG - (4 << 10)
    for conn, dummy in (first, second):
        conn.close()
    assert sim.control.overlap() == {'api': 0, 'download': 2, 'requests': 2}


def test_api_requests_in_flight_together_overlap(sim):
    sim.control.fault(path='^/2016-07/deployments$', body='huge_json', times=0)
    opened = [_open(sim, '/deployments') for dummy in range(3)]
    for conn, response in reversed(opened):
        assert len(response.read()) > BIG - (4 << 10)
        conn.close()
    sim.get(f'/deployments/{FIZZ}')
    assert sim.control.overlap() == {'api': 3, 'download': 0, 'requests': 4}


def test_a_dropped_request_ends_too(sim):
    sim.control.fault(path='^/2016-07/deployments$', drop='before')
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        _open(sim, '/deployments')
    sim.get('/deployments')
    first, second = sim.control.requests()
    assert first['status'] is None and first['end'] is not None and first['end'] <= second['start']
