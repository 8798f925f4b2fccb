# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module's main() in-process with given arguments (the HTTP mocks and the clock: ../conftest.py)."""

from __future__ import annotations

import json

import pytest
from ansible.utils.display import Display

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    import contextlib
    from unittest import mock

    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args=None):
        with mock.patch.object(basic, '_ANSIBLE_ARGS', json.dumps({'ANSIBLE_MODULE_ARGS': args or {}}).encode()):
            yield

BASE = 'https://api.test/2016-07'
TOKEN = 'feedfacecafebeef' * 4


@pytest.fixture
def run_module(capsys, monkeypatch, tmp_path_factory):
    """Return a function that runs module.main() and gives back (result, stdout)."""
    for var in ('COMPOSEAPITOKEN', 'COMPOSE_API_TOKEN', 'COMPOSE_API_URL'):
        monkeypatch.delenv(var, raising=False)
    # Each test gets its own lock folder, so no test sees a backup another one started.
    import tempfile
    monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path_factory.mktemp('locks')))

    def run(module, args, token=True):
        # The display shows a warning once per process; each run here stands for a task of its own.
        getattr(Display(), '_warns', set()).clear()
        args = dict(args)
        args.setdefault('api_url', BASE)
        if token:
            args.setdefault('api_token', TOKEN)
        args.setdefault('_ansible_remote_tmp', '/tmp')
        args.setdefault('_ansible_keep_remote_files', False)
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                module.main()
        captured = capsys.readouterr()
        # Under pytest the module counts as the controller: its warnings go to the display (stderr).
        run.err = captured.err
        return json.loads(captured.out), captured.out

    return run
