# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Concurrency: 20 runs of playbooks/backup.yml at once over the same 5 deployments and the same folder make
exactly one backup per deployment, leave only valid archives, and write consistent reports."""

from __future__ import annotations

import json
import os
import subprocess

from ansible_collections.composeio.dbaas.tests.reliability import harness

RUNS = 20


def test_twenty_concurrent_role_runs(sim, workdir):
    sim.control.config(recipe_polls=2)
    dest = workdir / 'backups'
    ids = dict((name, sim.control.deployment_id(name)) for name in harness.DEMO)
    sim.control.clear_requests()
    processes = []
    for index in range(RUNS):
        variables = dict(compose_backup_deployments=list(harness.DEMO), compose_backup_dest=str(dest),
                         compose_backup_max_age='1h', compose_backup_poll_interval=0.2,
                         compose_backup_report=str(workdir / ('report-%02d.json' % index)))
        command = [os.path.join(os.path.dirname(harness.sys.executable), 'ansible-playbook'),
                   str(harness.ROOT / 'playbooks' / 'backup.yml'), '-e', json.dumps(variables)]
        env = harness.clean_env({'COMPOSEAPITOKEN': harness.TOKEN, 'COMPOSE_API_URL': sim.api_url,
                                 'ANSIBLE_LOCALHOST_WARNING': 'false', 'ANSIBLE_NOCOLOR': '1',
                                 # Twenty controllers on two cores: save each module the temporary-file round trip.
                                 'ANSIBLE_PIPELINING': 'true'})
        processes.append(subprocess.Popen(command, env=env, cwd=str(workdir), stdout=subprocess.PIPE,  # pylint: disable=consider-using-with
                                          stderr=subprocess.STDOUT, text=True))
    outputs = [process.communicate(timeout=600)[0] for process in processes]
    leaked = any(harness.TOKEN in text for text in outputs)
    assert not leaked, 'the API token appears in the output'
    failed = [index for index, process in enumerate(processes) if process.returncode != 0]
    assert failed == [], 'runs %s failed; the first says: %s' % (failed, outputs[failed[0]][-3000:] if failed else '')

    log = sim.control.requests()
    posts = dict((name, len(harness.requests_for(log, 'POST', '^/2016-07/deployments/%s/backups$' % dep_id)))
                 for name, dep_id in ids.items())
    assert posts == dict.fromkeys(harness.DEMO, 1), 'not exactly one backup per deployment'

    # Every file valid: only archives and their .sha256 files, each checked by sha256sum itself.
    names = sorted(os.listdir(str(dest)))
    sidecars = [name for name in names if name.endswith('.sha256')]
    assert len(sidecars) == 4 and sorted(names) == sorted(sidecars + [name[:-7] for name in sidecars])
    for sidecar in sidecars:
        subprocess.run(['sha256sum', '--check', '--status', '--strict', sidecar], cwd=str(dest), check=True)

    # Consistent reports: the same backup and file per deployment in all 20, the one each deployment made.
    state = sim.control.state()
    made = dict((dep['name'], [b['id'] for b in dep['backups'] if b['type'] == 'on_demand']) for dep in state['deployments'])
    rows = {}
    for index in range(RUNS):
        report = json.loads((workdir / ('report-%02d.json' % index)).read_text())
        assert report['totals']['deployments'] == 5 and report['totals']['failed'] == 0
        assert report['totals']['ok'] == 5
        for row in report['deployments']:
            rows.setdefault(row['deployment'], set()).add((row['backup_id'], row['file'] and os.path.basename(row['file'])))
    for name in harness.DEMO:
        assert len(rows[name]) == 1, '%s: the reports disagree: %s' % (name, rows[name])
        backup_id, file_name = rows[name].pop()
        assert [backup_id] == made[name]
        assert (file_name is None) == (name == 'fizz-search')
        if file_name:
            assert file_name in names and backup_id in file_name
