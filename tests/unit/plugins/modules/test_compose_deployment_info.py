# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.composeio.dbaas.plugins.modules import compose_deployment_info
from ansible_collections.composeio.dbaas.tests.unit.plugins.modules.conftest import BASE

PG = {'id': 'a' * 24, 'name': 'zeta-pg', 'type': 'postgresql', 'created_at': '2016-12-16T15:00:14.922Z'}
REDIS = {'id': 'b' * 24, 'name': 'alpha-redis', 'type': 'redis', 'created_at': '2017-01-01T00:00:00Z'}
ES = {'id': 'c' * 24, 'name': 'search', 'type': 'elastic_search', 'created_at': '2017-02-01T00:00:00Z'}
SECRET = 'postgres://admin:SIMPASS-zeta@portal:17000/compose'


def details(dep):
    return dict(dep, version='1.0', account_id='d' * 24, ca_certificate_base64='LS0t',
                connection_strings={'direct': [SECRET], 'cli': [], 'misc': {}})


def test_lists_all_sorted_by_name_without_secrets(api, run_module):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': [PG, REDIS, ES]}})
    for dep in (REDIS, ES, PG):
        api.get(BASE + '/deployments/%s' % dep['id'], json=details(dep))
    result, out = run_module(compose_deployment_info, {})
    assert [d['name'] for d in result['deployments']] == ['alpha-redis', 'search', 'zeta-pg']
    assert result['deployments'][0] == dict(REDIS, version='1.0', cluster_id=None)
    assert 'SIMPASS' not in out


@pytest.mark.parametrize('cluster_id, expected', [('e' * 24, 'e' * 24), ('', None), (None, None)])
def test_the_dedicated_cluster_comes_from_the_details(api, run_module, cluster_id, expected):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': [PG]}})
    api.get(BASE + '/deployments/%s' % PG['id'], json=dict(details(PG), cluster_id=cluster_id))
    result, dummy = run_module(compose_deployment_info, {})
    assert result['deployments'][0]['cluster_id'] == expected


def test_filters_by_type_and_name(api, run_module):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': [PG, REDIS, ES]}})
    api.get(BASE + '/deployments/%s' % PG['id'], json=details(PG))
    result, dummy = run_module(compose_deployment_info, {'type': ['postgresql', 'redis'], 'name': 'zeta-pg'})
    assert [d['id'] for d in result['deployments']] == [PG['id']]


def test_filter_by_id_matching_nothing(api, run_module):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': [PG]}})
    result, dummy = run_module(compose_deployment_info, {'id': 'e' * 24})
    assert result['deployments'] == []


def test_connection_strings_on_request(api, run_module):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': [PG]}})
    api.get(BASE + '/deployments/%s' % PG['id'], json=details(PG))
    result, dummy = run_module(compose_deployment_info, {'include_connection_strings': True})
    assert result['deployments'][0]['connection_strings']['direct'] == [SECRET]
    assert result['deployments'][0]['ca_certificate_base64'] == 'LS0t'


def test_bad_id_fails_before_any_request(api, run_module):
    result, dummy = run_module(compose_deployment_info, {'id': 'zz'})
    assert 'id must be 24 lowercase hexadecimal characters' in result['msg']
    assert len(api.calls) == 0


def test_empty_api_url_means_the_default(api, run_module):
    # AWX's credential type injects COMPOSE_API_URL even when its field is left empty.
    api.get('https://api.compose.io/2016-07/deployments', json={'_embedded': {'deployments': [PG]}})
    result, dummy = run_module(compose_deployment_info, {'id': 'e' * 24, 'api_url': ''})
    assert result['deployments'] == [] and 'failed' not in result


@pytest.mark.parametrize('no_log', [False, True])
def test_connection_strings_on_a_printed_task_are_warned_about(api, run_module, no_log):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': [PG]}})
    api.get(BASE + '/deployments/%s' % PG['id'], json=details(PG))
    run_module(compose_deployment_info, {'include_connection_strings': True, '_ansible_no_log': no_log})
    warned = 'include_connection_strings is true on a task without no_log' in run_module.err
    assert warned is not no_log and SECRET not in run_module.err
