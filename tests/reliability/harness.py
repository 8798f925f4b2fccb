# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reliability suite's machinery: a simulator process (tests/simulator/launch.py), and the collection run the way Ansible runs it."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zlib
from pathlib import Path

from ansible_collections.composeio.dbaas.tests.simulator import launch

ROOT = Path(__file__).resolve().parents[2]
DEMO = ('fizz-production', 'buzz-cache', 'fizz-events', 'buzz-queue', 'fizz-search')
MODULE_PACKAGE = 'ansible_collections.composeio.dbaas.plugins.modules.'
# Recognisable, so that a leak anywhere in the suite's output can be searched for. Defined here, not in
# conftest.py, which pytest imports under another module name than the tests do.
TOKEN = 'SECRET-TOKEN-' + secrets.token_hex(12)
TOKEN_VARS = ('COMPOSEAPITOKEN', 'COMPOSE_API_TOKEN', 'COMPOSE_API_URL', 'COMPOSE_VALIDATE_CERTS', 'COMPOSE_CA_PATH')


class Simulator(launch.Simulator):
    """One simulator subprocess on a free port, started at once; extra CLI arguments (TLS) as given."""

    def __init__(self, token, extra=(), context=None):
        super().__init__(token=token, extra_args=extra, context=context)
        self.start()


def clean_env(extra=None):
    """The environment of a run: the collection importable, no Compose settings unless given."""
    env = dict((key, value) for key, value in os.environ.items() if key not in TOKEN_VARS)
    collections = env.get('ANSIBLE_COLLECTIONS_PATH')
    if not collections:
        raise RuntimeError('run under hacking/with-collection.sh')
    env['PYTHONPATH'] = collections
    env['PYTHONDONTWRITEBYTECODE'] = '1'
    env.update(extra or {})
    return env


class ModuleRun:
    def __init__(self, process, result):
        self.rc = process.returncode
        self.stdout = process.stdout
        self.stderr = process.stderr
        self.result = result

    @property
    def failed(self):
        return self.rc != 0 or bool(self.result.get('failed'))

    @property
    def msg(self):
        return str(self.result.get('msg', ''))

    @property
    def output(self):
        return self.stdout + self.stderr


def run_module(name, args, workdir, env=None, check_mode=False, timeout=180, user=None):
    """Execute a module as Ansible does on a managed node: `python -m module args.json` (as `user` if given)."""
    payload = dict(args)
    payload.update(_ansible_remote_tmp=str(workdir), _ansible_keep_remote_files=False, _ansible_check_mode=check_mode)
    handle, path = tempfile.mkstemp(dir=str(workdir), prefix='.args-', suffix='.json')
    with os.fdopen(handle, 'w') as out:
        json.dump({'ANSIBLE_MODULE_ARGS': payload}, out)
    prefix = []
    env = dict(env or {})
    if user is not None:
        os.chmod(path, 0o644)
        prefix = ['setpriv', '--reuid=%d' % user, '--regid=%d' % user, '--clear-groups']
        # with-collection.sh's folder is private to its owner: give the other user a readable one.
        env['PYTHONPATH'] = _readable_collections(str(workdir))
    try:
        process = subprocess.run(prefix + [sys.executable, '-m', MODULE_PACKAGE + name, path], env=clean_env(env),
                                 cwd=str(workdir), capture_output=True, text=True, timeout=timeout, check=False)
    finally:
        os.unlink(path)
    try:
        result = json.loads(process.stdout)
    except ValueError:
        result = {'failed': True, 'msg': 'no JSON on stdout', 'unparsed': True}
    return ModuleRun(process, result)


def _readable_collections(workdir):
    folder = os.path.join(workdir, '.collections')
    link = os.path.join(folder, 'ansible_collections', 'composeio', 'dbaas')
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), mode=0o755, exist_ok=True)
        for part in (folder, os.path.dirname(os.path.dirname(link)), os.path.dirname(link)):
            os.chmod(part, 0o755)
        os.symlink(str(ROOT), link)
    return folder


def run_playbook(args, workdir, env=None, timeout=300):
    """ansible-playbook from the venv, in workdir; returns the CompletedProcess."""
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')] + list(args)
    extra = {'ANSIBLE_LOCALHOST_WARNING': 'false', 'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
             'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_RETRY_FILES_ENABLED': 'false'}
    extra.update(env or {})
    return subprocess.run(command, env=clean_env(extra), cwd=str(workdir), capture_output=True, text=True,
                          timeout=timeout, check=False)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def snapshot(folder):
    """{relative path: sha256} of every file below folder, hidden ones included."""
    out = {}
    for base, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(base, name)
            out[os.path.relpath(path, folder)] = sha256_file(path)
    return out


def sidecar_valid(archive):
    """True when <archive>.sha256 holds the archive's real checksum, as `sha256sum -c` would check it."""
    try:
        with open(archive + '.sha256', encoding='utf-8') as handle:
            lines = [line.split() for line in handle if line.strip() and not line.startswith('#')]
    except OSError:
        return False
    return len(lines) == 1 and lines[0][0] == sha256_file(archive) and lines[0][1] == os.path.basename(archive)


def archive_problem(path):
    """Why the .tar.gz at path cannot be read through, as `tar xzf` reads it (the whole gzip stream, then every
    member), or None when it can. Python's tarfile alone stops at the tar's end and never checks the gzip CRC."""
    try:
        with gzip.open(path, 'rb') as stream, tempfile.TemporaryFile() as tar:
            shutil.copyfileobj(stream, tar)
            tar.seek(0)
            with tarfile.open(fileobj=tar, mode='r:') as archive:
                for member in archive:
                    data = archive.extractfile(member) if member.isfile() else None
                    while data and data.read(1 << 20):
                        pass
    except (EOFError, OSError, zlib.error, tarfile.TarError) as exc:
        return '%s: %s' % (type(exc).__name__, exc)
    return None


def backup_recipes(state, deployment_id):
    return [r for r in state['recipes'] if r['deployment_id'] == deployment_id and r['kind'] == 'backup']


def requests_for(log, method, pattern):
    return [r for r in log if r['method'] == method and re.search(pattern, r['path'])]


_HEX24 = re.compile(r'\b[0-9a-f]{24}\b')
_PORT = re.compile(r'(127\.0\.0\.1|localhost|\[::1\]):\d+')
_NUMBERS = re.compile(r'\b\d+ bytes\b')


def normalise(text, limit=None):
    """A message with the parts that change from run to run (ids, ports, temp paths, byte counts, seconds) replaced."""
    text = _HEX24.sub('<id>', text)
    text = _PORT.sub(r'\1:<port>', text)
    text = re.sub(r'/tmp/[^\s:)\'"]+', '<path>', text)
    text = re.sub(r'[0-9a-f]{64}', '<sha256>', text)
    text = re.sub(r'_\d{8}T\d{6}Z', '_<time>', text)
    text = re.sub(r'\d{4}-\d\d-\d\dT\d\d(:|%3A)\d\d(:|%3A)\d\d(\.\d+)?Z', '<time>', text)
    text = _NUMBERS.sub('N bytes', text)
    # How long a slow body took before the client gave up depends on the machine's load.
    text = re.sub(r'N bytes in \d+(?:\.\d+)? s\b', 'N bytes in S s', text)
    if limit and len(text) > limit:
        text = text[:limit - 3] + '...'
    return text
