# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The inventory plugin's tests: HTTP mocked in order, with no connection setting from the environment."""

from __future__ import annotations

import pytest
import responses
from responses.registries import OrderedRegistry


@pytest.fixture
def api(monkeypatch):
    for var in ('COMPOSEAPITOKEN', 'COMPOSE_API_TOKEN', 'COMPOSE_API_URL'):
        monkeypatch.delenv(var, raising=False)
    with responses.RequestsMock(registry=OrderedRegistry, assert_all_requests_are_fired=True) as mock:
        yield mock
