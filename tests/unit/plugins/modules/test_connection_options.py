# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared connection options as a new user sets them: a token read from a file, an api_url without its version."""

from __future__ import annotations

import pytest

from ansible_collections.composeio.dbaas.plugins.modules import compose_deployment_info
from ansible_collections.composeio.dbaas.tests.unit.plugins.conftest import refused
from ansible_collections.composeio.dbaas.tests.unit.plugins.modules.conftest import BASE, TOKEN

DEP = {'id': '5854017e89d50f424e000192', 'name': 'fizz-production', 'type': 'postgresql'}


@pytest.mark.parametrize('given', [TOKEN + '\n', TOKEN + '\r\n', '  %s  ' % TOKEN, '\t%s\n' % TOKEN])
def test_whitespace_around_the_token_is_not_sent(api, run_module, given):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': []}})
    result, out = run_module(compose_deployment_info, {'api_token': given})
    assert 'failed' not in result, result
    assert api.calls[0].request.headers['Authorization'] == 'Bearer ' + TOKEN
    assert TOKEN not in out


@pytest.mark.parametrize('given', [TOKEN[:10] + '\n' + TOKEN[10:], TOKEN + '\x00', TOKEN[:5] + '\x7f' + TOKEN[5:],
                                   TOKEN[:5] + '\u00e9' + TOKEN[5:]])
def test_a_token_holding_a_control_character_fails_at_once_naming_the_option(api, run_module, fake_time, given):
    result, out = run_module(compose_deployment_info, {'api_token': given})
    assert result['failed'] is True
    assert result['msg'].startswith('api_token holds '), result['msg']
    assert len(api.calls) == 0 and fake_time.sleeps == []
    assert TOKEN[10:] not in out and TOKEN[:10] not in out


def test_a_blank_token_is_a_missing_token(api, run_module):
    result, dummy = run_module(compose_deployment_info, {'api_token': ' \n'})
    assert result['msg'].startswith('No Compose API token')
    assert len(api.calls) == 0


def test_an_api_url_without_the_version_is_named_with_the_fix(api, run_module):
    api.get('https://api.test/deployments', status=404, body='404 page not found', content_type='text/plain')
    result, out = run_module(compose_deployment_info, {'api_url': 'https://api.test'})
    assert result['msg'].startswith('GET /deployments failed: 404 Not Found'), result['msg']
    assert 'api_url must end with the API version, as in https://api.test/2016-07' in result['msg']
    assert 'API at https://api.test)' in result['msg']
    assert TOKEN not in out


def test_an_unknown_deployment_id_under_an_api_url_without_the_version_suggests_it(api, run_module):
    from ansible_collections.composeio.dbaas.plugins.modules import compose_backup_info
    api.get('https://api.test/deployments/%s' % DEP['id'], status=404, body='404 page not found',
            content_type='text/plain')
    result, dummy = run_module(compose_backup_info, {'api_url': 'https://api.test/', 'deployment_id': DEP['id']})
    assert 'no deployment has id %s' % DEP['id'] in result['msg']
    assert 'api_url must end with the API version, as in https://api.test/2016-07' in result['msg']


def test_a_refused_connection_names_the_host_and_not_the_token(api, run_module, fake_time):
    for dummy in range(3):
        api.get(BASE + '/deployments', body=refused(BASE))
    result, out = run_module(compose_deployment_info, {'api_retries': 2})
    assert result['msg'] == ('GET /deployments failed: connection failed: connection refused (ConnectionError) '
                             '(check api_url and the network, then try again; API at %s)' % BASE)
    assert TOKEN not in out


def test_the_api_is_shown_without_user_password_or_query():
    from ansible_collections.composeio.dbaas.plugins.module_utils._client import shown_url
    assert shown_url('https://user:s3cret@api.test:8443/2016-07/?sig=abc#x') == 'https://api.test:8443/2016-07'
