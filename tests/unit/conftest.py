"""Shared fixtures: a Compose API simulator subprocess for the whole session, reset before each test."""

from __future__ import annotations

import contextlib
import functools
import http.client
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from ansible.plugins.loader import init_plugin_loader

# Ansible's collection loader, installed before any test imports the collection, as the ansible commands do:
# without it ansible_collections is a plain namespace package and the plugin loader cannot find composeio.dbaas's
# plugins (the inventory plugin tests load it through InventoryManager).
init_plugin_loader()

SIMULATOR_DIR = Path(__file__).resolve().parent.parent / 'simulator'
SIM_TOKEN = 'unit-test-token'
START_TIMEOUT = 30.0
_DEFAULT = object()


@functools.lru_cache(maxsize=None)
def _load_control():
    # Loaded by path: the same code runs under plain pytest (no ansible_collections tree) and ansible-test.
    spec = importlib.util.spec_from_file_location('compose_simulator_control', SIMULATOR_DIR / 'control.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class HttpResult:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


class SimHandle:
    """What a test gets from the `sim` fixture: URLs, the token, the control client and a small HTTP helper."""

    def __init__(self, api_url, token, control):
        self.api_url = api_url
        self.root = api_url.rsplit('/', 1)[0]
        self.token = token
        self.control = control

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


@contextlib.contextmanager
def start_simulator(token=SIM_TOKEN, extra_args=()):
    """Run the simulator as a subprocess on a free port; yields (api_url, process) and stops it afterwards."""
    workdir = tempfile.mkdtemp(prefix='compose-sim-test-')
    url_file = os.path.join(workdir, 'url')
    with open(os.path.join(workdir, 'stderr'), 'w+b') as errors:
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, str(SIMULATOR_DIR), '--port', '0', '--url-file', url_file, '--token', token]
            + list(extra_args),
            stdout=subprocess.DEVNULL, stderr=errors, cwd=workdir)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not os.path.exists(url_file):
                if process.poll() is not None or time.monotonic() > deadline:
                    errors.seek(0)
                    pytest.fail(f'simulator did not start (exit {process.poll()}): {errors.read().decode(errors="replace")}')
                time.sleep(0.02)
            with open(url_file, encoding='utf-8') as handle:
                api_url = handle.read().strip()
            yield api_url, process
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope='session')
def compose_simulator():
    """The simulator as a subprocess on a free port: (api_url, token, process)."""
    with start_simulator() as (api_url, process):
        yield api_url, SIM_TOKEN, process


@pytest.fixture
def sim(compose_simulator):  # pylint: disable=redefined-outer-name
    """The shared simulator, reset to its startup seed (state, config, faults, request log)."""
    api_url, token, _process = compose_simulator
    control = _load_control().SimControl(api_url)
    control.reset()
    return SimHandle(api_url, token, control)


@pytest.fixture
def own_simulator():
    """start_simulator itself, for a test that needs a simulator of its own (its own token, say)."""
    return start_simulator
