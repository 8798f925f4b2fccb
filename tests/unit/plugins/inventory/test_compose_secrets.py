# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The compose inventory plugin never shows the token, whole or in part, in its errors."""

from __future__ import annotations

import json

import pytest

from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader

BASE = 'https://api.test/2016-07'
TOKEN = '0123456789abcdef' * 4


def parse(tmp_path):
    """The plugin's own parse()."""
    path = tmp_path / 'compose.yml'
    path.write_text(json.dumps({'plugin': 'composeio.dbaas.compose', 'api_url': BASE, 'api_retries': 0,
                                'api_token': TOKEN}))
    inventory_loader.get('composeio.dbaas.compose').parse(InventoryData(), DataLoader(), str(path), cache=False)


def pieces(secret, size=8):
    return [secret[start:start + size] for start in range(len(secret) - size + 1)]


@pytest.mark.parametrize('body', [
    # The 200-character preview of this JSON cuts the token in two.
    {'detail': 'x' * 170 + TOKEN},
    {'errors': 'token %s is not valid' % TOKEN},
])
def test_an_echoed_token_is_masked(api, tmp_path, body, monkeypatch):
    from ansible.utils.display import Display
    shown = []
    monkeypatch.setattr(Display, 'error', lambda self, msg, *args, **kwargs: shown.append(str(msg)))
    api.get(BASE + '/deployments', status=401, json=body)
    with pytest.raises(SystemExit) as failure:
        parse(tmp_path)
    message = failure.value.message
    assert shown == [message]
    assert 'GET /deployments failed: 401 Unauthorized' in message and '********' in message
    assert not any(piece in message for piece in pieces(TOKEN)), message


def parse_with(tmp_path, token):
    path = tmp_path / 'compose.yml'
    path.write_text(json.dumps({'plugin': 'composeio.dbaas.compose', 'api_url': BASE, 'api_retries': 0,
                                'api_token': token}))
    inventory = InventoryData()
    inventory_loader.get('composeio.dbaas.compose').parse(inventory, DataLoader(), str(path), cache=False)
    return inventory


def test_whitespace_around_the_token_is_not_sent(api, tmp_path):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': []}})
    parse_with(tmp_path, ' %s\n' % TOKEN)
    assert api.calls[0].request.headers['Authorization'] == 'Bearer ' + TOKEN


def test_a_token_holding_a_control_character_fails_at_once_naming_the_option(api, tmp_path):
    # A source that cannot be read stops the command (fail_on_errors, on by default).
    with pytest.raises(SystemExit) as failure:
        parse_with(tmp_path, TOKEN[:8] + '\n' + TOKEN[8:])
    message = failure.value.message
    assert 'api_token holds a control character' in message, message
    assert len(api.calls) == 0
    assert not any(piece in message for piece in pieces(TOKEN)), message
