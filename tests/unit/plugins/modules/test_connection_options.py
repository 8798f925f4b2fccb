# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared connection options as a new user sets them: a token read from a file, an api_url without its version."""

from __future__ import annotations

import pytest

from ansible_collections.composeio.dbaas.plugins.modules import compose_deployment_info
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
