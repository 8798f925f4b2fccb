"""The simulator's own tests: one simulator subprocess for the whole session, reset before each test."""

from __future__ import annotations

import http.client
import importlib.util
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

SIM_TOKEN = 'unit-test-token'
_DEFAULT = object()


def _load(name):
    # Loaded by path: these tests need neither the collection nor an ansible_collections tree on sys.path.
    spec = importlib.util.spec_from_file_location('compose_simulator_' + name, Path(__file__).resolve().parents[1] / (name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


launch = _load('launch')


class HttpResult:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


class SimHandle:
    """What a test gets from the `sim` fixture: URLs, the token, the control client and a small HTTP helper."""

    def __init__(self, simulator):
        self.api_url = simulator.api_url
        self.root = simulator.root
        self.token = simulator.token
        self.control = simulator.control

    def url(self, path):
        """Absolute URL: paths starting with /_ are on the server root, others below the API base URL."""
        if path.startswith(('http://', 'https://')):
            return path
        return (self.root if path.startswith('/_') else self.api_url) + path

    def request(self, method, path, body=None, headers=None, token=_DEFAULT, timeout=30.0):
        """One request on a fresh connection; body may be bytes or a JSON-able value."""
        parts = urlsplit(self.url(path))
        send = {}
        if token is _DEFAULT:
            token = self.token
        if token is not None:
            send['Authorization'] = f'Bearer {token}'
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
            send['Content-Type'] = 'application/json'
        send.update(headers or {})
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            conn.request(method, parts.path + (f'?{parts.query}' if parts.query else ''), body=body, headers=send)
            response = conn.getresponse()
            return HttpResult(response.status, response.headers, response.read())
        finally:
            conn.close()

    def get(self, path, **kwargs):
        return self.request('GET', path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.request('POST', path, body=body, **kwargs)


@pytest.fixture(scope='session')
def overlap():
    """The simulator's overlap.py (the most requests in flight at once)."""
    return _load('overlap')


@pytest.fixture(scope='session')
def compose_simulator():
    """The simulator as a subprocess on a free port (a launch.Simulator)."""
    with launch.Simulator(token=SIM_TOKEN) as simulator:
        yield simulator


@pytest.fixture
def sim(compose_simulator):  # pylint: disable=redefined-outer-name
    """The shared simulator, reset to its startup seed (state, config, faults, request log)."""
    compose_simulator.control.reset()
    return SimHandle(compose_simulator)
