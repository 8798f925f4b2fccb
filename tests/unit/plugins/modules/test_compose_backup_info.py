# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import datetime

import pytest

from ansible_collections.composeio.dbaas.plugins.modules import compose_backup_info
from ansible_collections.composeio.dbaas.tests.unit.plugins.modules.conftest import BASE, TOKEN

DEP = '5854017e89d50f424e000192'
OTHER = '5854017e89d50f424e000193'
DEPLOYMENT = {'id': DEP, 'name': 'fizz-production', 'type': 'postgresql', 'created_at': '2016-12-16T15:00:14.922Z'}


def ago(**delta):
    when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(**delta)
    return when.strftime('%Y-%m-%dT%H:%M:%S.000Z')


def backup(bid, kind, created_at, downloadable=True):
    return {'id': bid, 'deployment_id': DEP, 'name': 'fizz-production_%s' % created_at, 'type': kind,
            'status': 'complete', 'is_downloadable': downloadable, 'is_restorable': True, 'created_at': created_at,
            '_links': {'self': {'href': 'deployments/%s/backups/%s' % (DEP, bid)}}}


# Oldest first, as the simulator lists them: the module must sort.
BACKUPS = [
    backup('b0000000000000000000000a', 'monthly', ago(days=40)),
    backup('b0000000000000000000000b', 'weekly', ago(days=6)),
    backup('b0000000000000000000000c', 'daily', ago(days=2)),
    backup('b0000000000000000000000d', 'on_demand', ago(hours=3)),
    backup('b0000000000000000000000e', 'daily', ago(hours=1), downloadable=False),
]


def list_calls(api):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': [DEPLOYMENT]}})
    api.get(BASE + '/deployments/%s/backups' % DEP, json={'_embedded': {'backups': BACKUPS}})


def test_by_name_lists_newest_first(api, run_module):
    list_calls(api)
    result, dummy = run_module(compose_backup_info, {'deployment_name': 'fizz-production'})
    assert result['changed'] is False
    assert result['deployment'] == DEPLOYMENT
    assert [b['id'][-1] for b in result['backups']] == ['e', 'd', 'c', 'b', 'a']
    assert '_links' not in result['backups'][0]
    assert 'download_link' not in result['backups'][0]


def test_by_id_reads_the_deployment_but_returns_no_connection_strings(api, run_module):
    details = dict(DEPLOYMENT, version='9.6.3', connection_strings={'direct': ['postgres://admin:s3cret@h:1/c']})
    api.get(BASE + '/deployments/%s' % DEP, json=details)
    api.get(BASE + '/deployments/%s/backups' % DEP, json={'_embedded': {'backups': []}})
    result, out = run_module(compose_backup_info, {'deployment_id': DEP})
    assert result['deployment']['version'] == '9.6.3'
    assert 's3cret' not in out


def test_filters_combine(api, run_module):
    list_calls(api)
    result, dummy = run_module(compose_backup_info, {
        'deployment_name': 'fizz-production', 'type': ['daily', 'weekly', 'on_demand'],
        'downloadable': True, 'max_age': '7d'})
    assert [b['id'][-1] for b in result['backups']] == ['d', 'c', 'b']


def test_latest_with_max_age(api, run_module):
    list_calls(api)
    result, dummy = run_module(compose_backup_info, {
        'deployment_name': 'fizz-production', 'downloadable': True, 'max_age': '1h30m', 'latest': True})
    assert result['backups'] == []


def test_download_links_only_on_request_from_details(api, run_module):
    list_calls(api)
    link = 'http://sim/_download/x.tar.gz?signature=abc'
    api.get(BASE + '/deployments/%s/backups/b0000000000000000000000d' % DEP, json=dict(BACKUPS[3], download_link=link))
    result, dummy = run_module(compose_backup_info, {
        'deployment_name': 'fizz-production', 'type': ['on_demand'], 'include_download_link': True})
    assert [b['download_link'] for b in result['backups']] == [link]
    # Not hidden by no_log: the task is told, without the link.
    assert 'include_download_link is true on a task without no_log' in run_module.err
    assert 'signature' not in run_module.err


def test_download_links_on_a_no_log_task_are_not_warned_about(api, run_module):
    list_calls(api)
    api.get(BASE + '/deployments/%s/backups/b0000000000000000000000d' % DEP, json=BACKUPS[3])
    run_module(compose_backup_info, {'deployment_name': 'fizz-production', 'type': ['on_demand'],
                                     'include_download_link': True, '_ansible_no_log': True})
    assert 'no_log' not in run_module.err


def test_one_backup_by_id(api, run_module):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': [DEPLOYMENT]}})
    api.get(BASE + '/deployments/%s/backups/b0000000000000000000000c' % DEP,
            json=dict(BACKUPS[2], download_link='http://x/y?signature=z'))
    result, out = run_module(compose_backup_info, {'deployment_name': 'fizz-production',
                                                   'backup_id': 'b0000000000000000000000c'})
    assert [b['type'] for b in result['backups']] == ['daily']
    assert 'signature=z' not in out


def test_unknown_name_names_the_option(api, run_module):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': [DEPLOYMENT]}})
    result, dummy = run_module(compose_backup_info, {'deployment_name': 'buzz'})
    assert result['failed'] is True
    assert "deployment_name 'buzz' matches no deployment" in result['msg']


def test_duplicate_names_list_their_ids(api, run_module):
    twin = dict(DEPLOYMENT, id=OTHER)
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': [twin, DEPLOYMENT]}})
    result, dummy = run_module(compose_backup_info, {'deployment_name': 'fizz-production'})
    assert result['msg'] == ("deployment_name 'fizz-production' matches 2 deployments (%s, %s); "
                             "use deployment_id to pick one" % (DEP, OTHER))


def test_unknown_id_gives_a_hint(api, run_module):
    api.get(BASE + '/deployments/%s' % OTHER, status=404, json={'errors': 'Not found'})
    result, dummy = run_module(compose_backup_info, {'deployment_id': OTHER})
    assert result['msg'] == ('GET /deployments/%s failed: 404 Not Found: Not found (no deployment has id %s; '
                             'check deployment_id or use deployment_name; API at %s)' % (OTHER, OTHER, BASE))


def test_invalid_token_names_option_and_variables_but_not_the_token(api, run_module):
    api.get(BASE + '/deployments', status=401, json={'errors': 'invalid_token'})
    result, out = run_module(compose_backup_info, {'deployment_name': 'fizz-production'})
    assert result['failed'] is True
    for word in ('401', 'invalid_token', 'api_token', 'COMPOSEAPITOKEN', 'COMPOSE_API_TOKEN'):
        assert word in result['msg']
    assert TOKEN not in out


def test_missing_token_fails_before_any_request(api, run_module):
    result, dummy = run_module(compose_backup_info, {'deployment_name': 'fizz-production'}, token=False)
    assert result['msg'] == ('No Compose API token: set the api_token option or the COMPOSEAPITOKEN '
                             '(or COMPOSE_API_TOKEN) environment variable')
    assert len(api.calls) == 0


def test_token_from_the_environment(api, run_module, monkeypatch):
    monkeypatch.setenv('COMPOSE_API_TOKEN', 'from-env')
    list_calls(api)
    run_module(compose_backup_info, {'deployment_name': 'fizz-production'}, token=False)
    assert api.calls[0].request.headers['Authorization'] == 'Bearer from-env'


@pytest.mark.parametrize('args, message', [
    ({'deployment_name': 'x', 'max_age': 'yesterday'}, "max_age: cannot read 'yesterday' as a duration"),
    ({'deployment_name': 'x', 'max_age': '0'}, 'max_age must be a positive duration'),
    ({'deployment_name': 'x', 'max_age': '1000000w'}, 'max_age must be at most 100 years'),
    ({'deployment_name': 'x', 'max_age': '9' * 400}, 'max_age must be at most 100 years'),
    ({'deployment_name': 'x', 'backup_id': '../../etc'}, 'backup_id must be 24 lowercase hexadecimal characters'),
    ({'deployment_id': 'NOT-AN-ID'}, 'deployment_id must be 24 lowercase hexadecimal characters'),
    ({'deployment_id': DEP, 'deployment_name': 'x'}, 'parameters are mutually exclusive: deployment_id|deployment_name'),
    ({}, 'one of the following is required: deployment_id, deployment_name'),
    ({'deployment_name': 'x', 'type': ['hourly']}, 'value of type must be one or more of'),
    ({'deployment_name': 'x', 'api_url': 'ftp://api'}, 'api_url must be an http(s) URL'),
    ({'deployment_name': 'x', 'request_timeout': 0}, 'request_timeout must be greater than 0'),
])
def test_bad_input_fails_clearly_before_any_request(api, run_module, args, message):
    result, dummy = run_module(compose_backup_info, args)
    assert result['failed'] is True
    assert message in result['msg']
    assert len(api.calls) == 0
