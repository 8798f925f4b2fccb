"""Pre-signed download links: no auth, real archives, ranges, expiry and signatures."""

from __future__ import annotations

import hashlib
import io
import tarfile
from urllib.parse import urlsplit

FIZZ = '5854017e89d50f424e000192'


def _first_backup(sim, dep=FIZZ):
    return sim.get(f'/deployments/{dep}/backups').json()['_embedded']['backups'][0]


def _link(sim, backup_id, dep=FIZZ):
    return sim.get(f'/deployments/{dep}/backups/{backup_id}').json()['download_link']


def test_download_without_auth_matches_the_known_checksum(sim):
    backup = _first_backup(sim)
    link = _link(sim, backup['id'])
    assert sim.control.state()['deployments'][0]['backups'][0].get('sha256') is None, 'state does not build archives'
    result = sim.get(link, token=None)
    assert result.status == 200
    expected = sim.control.backup_file(backup['id'])
    assert hashlib.sha256(result.body).hexdigest() == expected['sha256']
    assert len(result.body) == expected['size'] == int(result.headers['Content-Length'])
    assert 120000 < expected['size'] <= 131072, 'about the seeded backup_size'
    assert result.headers['Content-Type'] == 'application/gzip'
    assert result.headers['ETag'] == f'"{expected["sha256"]}"'
    with tarfile.open(fileobj=io.BytesIO(result.body), mode='r:gz') as archive:
        members = archive.getmembers()
        assert len(members) == 1 and members[0].isfile() and members[0].size > 100000
    listed = sim.control.state()['deployments'][0]['backups']
    assert next(b for b in listed if b['id'] == backup['id'])['sha256'] == expected['sha256']
    log = [r for r in sim.control.requests() if r['path'].startswith('/_download/')]
    assert [(r['method'], r['status'], r['auth'], r['bytes']) for r in log] == [('GET', 200, 'none', expected['size'])]


def test_head_and_ranges(sim):
    backup = _first_backup(sim)
    link = _link(sim, backup['id'])
    whole = sim.get(link, token=None).body
    head = sim.request('HEAD', link, token=None)
    assert head.status == 200 and head.body == b'' and int(head.headers['Content-Length']) == len(whole)
    assert head.headers['Accept-Ranges'] == 'bytes'
    part = sim.get(link, token=None, headers={'Range': 'bytes=1000-'})
    assert part.status == 206 and part.body == whole[1000:]
    assert part.headers['Content-Range'] == f'bytes 1000-{len(whole) - 1}/{len(whole)}'
    middle = sim.get(link, token=None, headers={'Range': 'bytes=10-19'})
    assert middle.status == 206 and middle.body == whole[10:20] and middle.headers['Content-Length'] == '10'
    tail = sim.get(link, token=None, headers={'Range': 'bytes=-100'})
    assert tail.status == 206 and tail.body == whole[-100:]
    beyond = sim.get(link, token=None, headers={'Range': f'bytes={len(whole)}-'})
    assert beyond.status == 416 and beyond.headers['Content-Range'] == f'bytes */{len(whole)}'
    stale = sim.get(link, token=None, headers={'Range': 'bytes=10-', 'If-Range': '"other"'})
    assert stale.status == 200 and stale.body == whole
    ranges = [r['range'] for r in sim.control.requests() if r['path'].startswith('/_download/')]
    assert 'bytes=10-19' in ranges and None in ranges


def test_expired_link_is_403_access_denied(sim):
    sim.control.config(link_ttl=0)
    link = _link(sim, _first_backup(sim)['id'])
    result = sim.get(link, token=None)
    assert result.status == 403
    assert b'<Error><Code>AccessDenied</Code>' in result.body and b'expired' in result.body
    assert result.headers['Content-Type'] == 'application/xml'


def test_bad_or_missing_signature_is_403(sim):
    link = _link(sim, _first_backup(sim)['id'])
    parts = urlsplit(link)
    flipped = link[:-1] + ('0' if link[-1] != '0' else '1')
    for url in (flipped, f'{sim.root}{parts.path}', link.replace('expires=', 'expires=9')):
        result = sim.get(url, token=None)
        assert result.status == 403 and result.body.startswith(b'<?xml'), url
    other = _first_backup(sim, sim.control.deployment_id('buzz-cache'))['id']
    forged = link.replace(parts.path.split('/')[2], other)
    assert sim.get(forged, token=None).status == 403, 'a signature covers its own backup only'


def test_replaced_on_demand_backup_link_is_404(sim):
    old = next(b for b in sim.get(f'/deployments/{FIZZ}/backups').json()['_embedded']['backups'] if b['type'] == 'on_demand')
    link = _link(sim, old['id'])
    sim.control.config(recipe_polls=0)
    sim.post(f'/deployments/{FIZZ}/backups')
    result = sim.get(link, token=None)
    assert result.status == 404 and b'NoSuchKey' in result.body


def test_backup_size_per_deployment(sim):
    sim.control.patch_deployment(FIZZ, backup_size=300000)
    backup = _first_backup(sim)
    info = sim.control.backup_file(backup['id'])
    assert 290000 < info['size'] <= 300000
    assert hashlib.sha256(sim.get(_link(sim, backup['id']), token=None).body).hexdigest() == info['sha256']
    assert sim.control.backup_file(backup['id']) == info, 'built once, then cached'
