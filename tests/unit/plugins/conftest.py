# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the plugin tests share: HTTP mocks called in order, a clock that moves only when something sleeps, and a
network error as requests raises it."""

from __future__ import annotations

import pytest
import requests
import responses
from responses.registries import OrderedRegistry
from urllib3.exceptions import MaxRetryError, NewConnectionError

# Settings the environment may hold that would change what a test sends: the connection options' fallbacks, and
# the proxies and CA bundles requests reads.
ENVIRONMENT = ('COMPOSEAPITOKEN', 'COMPOSE_API_TOKEN', 'COMPOSE_API_URL', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY',
               'NO_PROXY', 'http_proxy', 'https_proxy', 'all_proxy', 'no_proxy', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE')


@pytest.fixture
def api(monkeypatch):
    """HTTP mocks that must be called in the order they are added, each one exactly once."""
    for var in ENVIRONMENT:
        monkeypatch.delenv(var, raising=False)
    with responses.RequestsMock(registry=OrderedRegistry, assert_all_requests_are_fired=True) as mock:
        yield mock


class FakeTime:
    """time.sleep and time.monotonic that only move when something sleeps, so no test waits."""

    def __init__(self):
        self.now = 5000.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self):
        return self.now

    clock = monotonic


@pytest.fixture
def fake_time(monkeypatch):
    """A FakeTime in place of time.sleep and time.monotonic (its sleep and clock can also be given to a client)."""
    import time
    fake = FakeTime()
    monkeypatch.setattr(time, 'sleep', fake.sleep)
    monkeypatch.setattr(time, 'monotonic', fake.monotonic)
    return fake


def refused(url='https://api.test/'):
    """The ConnectionError requests raises for a refused connection: urllib3's NewConnectionError behind a
    MaxRetryError, caused by the socket's ConnectionRefusedError."""
    reason = NewConnectionError(None, 'Failed to establish a new connection: [Errno 111] Connection refused')
    reason.__cause__ = ConnectionRefusedError(111, 'Connection refused')
    return requests.exceptions.ConnectionError(MaxRetryError(None, url, reason))
