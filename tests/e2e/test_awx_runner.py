# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A backup job run the way AWX runs one: ansible-runner, a private data directory, the credential type's injectors
for the environment, the inventory plugin as the inventory source, the collection's backup playbook."""

from __future__ import annotations

import json
import os
import secrets
import sys

import pytest

from ansible_collections.composeio.dbaas.tests.e2e.awx_job import injected_env, meta_vars
from ansible_collections.composeio.dbaas.tests.simulator.launch import Simulator

ansible_runner = pytest.importorskip('ansible_runner')


def test_backup_job_through_ansible_runner(tmp_path, monkeypatch):
    # ansible-runner runs the ansible-playbook of this Python's environment, as an execution environment does.
    monkeypatch.setenv('PATH', os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
    token = 'AWX-SECRET-TOKEN-' + secrets.token_hex(8)
    with Simulator(token=token) as simulator:
        api_url = simulator.api_url
        private = tmp_path / 'job'
        (private / 'inventory').mkdir(parents=True)
        (private / 'inventory' / 'compose.yml').write_text('plugin: composeio.dbaas.compose\ntypes: [postgresql, redis]\n')
        dest = tmp_path / 'backups'
        envvars = injected_env({'api_token': token, 'api_url': api_url})
        envvars['ANSIBLE_COLLECTIONS_PATH'] = os.environ['ANSIBLE_COLLECTIONS_PATH']
        result = ansible_runner.run(
            private_data_dir=str(private), playbook='composeio.dbaas.backup', inventory=str(private / 'inventory'),
            envvars=envvars, extravars=dict(meta_vars(7, launch_type='manual'), compose_backup_dest=str(dest),
                                            compose_backup_poll_interval=0.2),
            verbosity=4, quiet=True, json_mode=False)

        stdout = result.stdout.read()
        events = list(result.events)
        assert result.status == 'successful', stdout[-3000:]
        assert result.rc == 0

        # Named after the AWX job, which AWX passes as awx_job_id; the report says which job wrote it.
        assert sorted(path.name for path in dest.glob('compose-backup-report*')) == ['compose-backup-report-7.json']
        report = json.loads((dest / 'compose-backup-report-7.json').read_text())
        assert (report['awx_job_id'], report['awx_workflow_job_id']) == (7, None)
        assert sorted(row['deployment'] for row in report['deployments']) == ['buzz-cache', 'fizz-production']
        assert all(row['outcome'] == 'ok' and row['downloaded'] for row in report['deployments'])

        # The token never reaches the job's output or its events, even at -vvvv.
        assert events and any(event.get('event') == 'playbook_on_stats' for event in events)
        assert token not in stdout
        assert token not in json.dumps(events)
        assert 'signature=' not in stdout and 'SIMPASS-' not in stdout
        # Nor any artifact but artifacts/<id>/command, where ansible-runner records the environment it ran with
        # (AWX deletes the private data dir after the job).
        leaking = []
        for path in (private / 'artifacts').rglob('*'):
            if path.is_file() and token in path.read_text(errors='replace'):
                leaking.append(path.relative_to(private).as_posix())
        assert [path for path in leaking if not path.endswith(('/env.list', '/command'))] == [], leaking
