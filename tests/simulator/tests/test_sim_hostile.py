"""Opt-in hostile behaviours: backups with hostile ids and names, bent download links, redirects, huge and deep JSON."""

from __future__ import annotations

import json
import os
from urllib.parse import quote, urlsplit

FIZZ = '5854017e89d50f424e000192'
HOSTILE_IDS = ['../../../../etc/passwd', '/etc/passwd', 'nul\u0000byte', 'x' * 10000, '%2e%2e%2f']


def test_hostile_backups_are_listed_served_and_downloadable(sim):
    for index, backup_id in enumerate(HOSTILE_IDS):
        made = sim.control.add_backup(deployment_id=FIZZ, id=backup_id, name='../' + backup_id, age=10 + index)
        assert made['id'] == backup_id and made['type'] == 'daily'
    listed = [b['id'] for b in sim.get(f'/deployments/{FIZZ}/backups').json()['_embedded']['backups']]
    assert set(HOSTILE_IDS) <= set(listed)
    for backup_id in HOSTILE_IDS:
        details = sim.get(f'/deployments/{FIZZ}/backups/{quote(backup_id, safe="")}').json()
        assert details['id'] == backup_id
        link = details['download_link']
        download = sim.get(link, token=None)
        assert download.status == 200 and download.body[:2] == b'\x1f\x8b'
        archive = sim.control.backup_file(backup_id)
        assert os.path.dirname(archive['path']) == os.path.dirname(sim.control.backup_file(listed[0])['path'])


def test_add_backup_validates(sim):
    for entry, word in (({'deployment_id': 'nope', 'id': 'a', 'name': 'b'}, 'deployment_id'),
                        ({'deployment_id': FIZZ, 'id': '', 'name': 'b'}, 'id'),
                        ({'deployment_id': FIZZ, 'id': 'a', 'name': 'b', 'type': 'hourly'}, 'type'),
                        ({'deployment_id': FIZZ, 'id': 'a', 'name': 'b', 'age': -1}, 'age'),
                        ({'deployment_id': FIZZ, 'id': 'a', 'name': 'b', 'color': 1}, 'color')):
        answer = sim.post('/_sim/backups', entry)
        assert answer.status == 400 and word in answer.json()['errors']


def _link(sim):
    backup = sim.get(f'/deployments/{FIZZ}/backups').json()['_embedded']['backups'][0]
    return sim.get(f'/deployments/{FIZZ}/backups/{backup["id"]}').json()['download_link']


def test_link_scheme_bends_the_download_link(sim):
    sim.control.patch_deployment(FIZZ, link_scheme='file')
    assert _link(sim).startswith('file://127.0.0.1:')
    sim.control.patch_deployment(FIZZ, link_scheme=None)
    assert _link(sim).startswith('http://')


def test_link_host_redirects_to_another_host_name(sim):
    sim.control.patch_deployment(FIZZ, link_host='localhost')
    link = _link(sim)
    assert '/_sim/redirect/' in link
    answer = sim.get(link, token=None)
    assert answer.status == 302
    target = answer.headers['Location']
    assert urlsplit(target).hostname == 'localhost' and '/_download/' in target and 'signature=' in target


def test_fault_location_header(sim):
    sim.control.fault(path='^/2016-07/deployments$', status=307, location='http://localhost:1/2016-07/deployments')
    answer = sim.get('/deployments')
    assert answer.status == 307 and answer.headers['Location'] == 'http://localhost:1/2016-07/deployments'


def test_huge_and_deep_json_bodies(sim):
    sim.control.fault(path='^/2016-07/deployments$', body='huge_json')
    huge = sim.get('/deployments')
    assert huge.status == 200 and len(huge.body) == 32 << 20 and json.loads(huge.body)['errors'].startswith('xxx')
    sim.control.fault(path='^/2016-07/deployments$', body='deep_json')
    deep = sim.get('/deployments')
    assert deep.body.startswith(b'[[[[') and len(deep.body) == 200000
