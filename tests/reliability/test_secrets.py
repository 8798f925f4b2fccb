# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secrets: every module and the role, at -vvvv, succeeding, failing and in check mode, and the role under
ansible-runner as AWX runs it. The API token, the signature of download links and the passwords of
connection strings appear nowhere: not in the output, the results, the report or the job events.

The inventory plugin does not exist yet; its runs come with it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from urllib.parse import parse_qs

import pytest

from ansible_collections.composeio.dbaas.tests.reliability import harness

TOKEN = harness.TOKEN

PASSWORD = 'SIMPASS-'


def _task(name, module, args, **extra):
    task = {'name': name, 'composeio.dbaas.' + module: args}
    task.update(extra)
    return task


def _modules_play(dest):
    defaults = {'poll_interval': 0.1, 'poll_max_interval': 0.2}
    tasks = [
        _task('List deployments', 'compose_deployment_info', {}),
        _task('Connection strings, hidden', 'compose_deployment_info', {'include_connection_strings': True},
              no_log=True),
        _task('List backups', 'compose_backup_info', {'deployment_name': 'fizz-production'}),
        _task('Download links, hidden', 'compose_backup_info',
              {'deployment_name': 'fizz-production', 'include_download_link': True, 'latest': True}, no_log=True),
        _task('Back up and download', 'compose_backup',
              dict(defaults, deployment_name='fizz-production', max_age='1h', dest=dest + '/')),
        _task('Download the daily one by id', 'compose_backup',
              dict(defaults, deployment_name='buzz-cache', max_age='2d', dest=dest + '/')),
        _task('Restore, with connection strings hidden', 'compose_backup_restore',
              dict(defaults, deployment_name='fizz-production', name='fizz-secret', datacenter='aws:us-east-1',
                   include_connection_strings=True), no_log=True),
        _task('Restore again', 'compose_backup_restore',
              dict(defaults, deployment_name='fizz-production', name='fizz-secret', datacenter='aws:us-east-1')),
        # Failures: each message is printed in full at -vvvv.
        _task('A download whose link is always refused', 'compose_backup',
              dict(defaults, deployment_name='fizz-events', max_age='2d', dest=dest + '/', download_retries=1),
              ignore_errors=True),
        _task('An unknown backup', 'compose_backup_info',
              {'deployment_name': 'fizz-production', 'backup_id': 'abcdefabcdefabcdefabcdef'}, ignore_errors=True),
        _task('A restore name taken by another type', 'compose_backup_restore',
              dict(defaults, deployment_name='fizz-production', name='buzz-cache', datacenter='aws:us-east-1'),
              ignore_errors=True),
        _task('A trigger the API keeps failing', 'compose_backup',
              dict(defaults, deployment_name='buzz-queue', force=True, api_retries=0), ignore_errors=True),
    ]
    return [{'name': 'Every module', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]


def _secrets_in(text, signatures):
    """The kinds of secret found in text (never the secrets themselves)."""
    found = []
    if TOKEN in text:
        found.append('the API token')
    if PASSWORD in text:
        found.append('a connection-string password')
    if any(sig in text for sig in signatures) or re.search(r'signature=[0-9a-f]{16}', text):
        found.append('a download-link signature')
    return found


def _signatures(sim):
    out = set()
    for entry in sim.control.requests():
        for value in parse_qs(entry.get('query') or '').get('signature', []):
            out.add(value)
    return out


def _break_things(sim):
    """The faults the failing tasks meet."""
    events = sim.control.deployment_id('fizz-events')
    backups = [d for d in sim.control.state()['deployments'] if d['id'] == events][0]['backups']
    sim.control.fault(path='^/_download/(%s)/' % '|'.join(b['id'] for b in backups), status=403, times=0)
    sim.control.fault(method='POST', path='^/2016-07/deployments/%s/backups$' % sim.control.deployment_id('buzz-queue'),
                      status=500, times=0)


def _env(sim):
    return {'COMPOSEAPITOKEN': TOKEN, 'COMPOSE_API_URL': sim.api_url}


@pytest.mark.parametrize('check', [False, True], ids=['real', 'check-mode'])
def test_modules_at_vvvv_keep_secrets(check, sim, workdir):
    dest = workdir / 'out'
    dest.mkdir()
    playbook = workdir / 'modules.yml'
    playbook.write_text(json.dumps(_modules_play(str(dest))))
    _break_things(sim)
    args = [str(playbook), '-vvvv'] + (['--check'] if check else [])
    process = harness.run_playbook(args, workdir, env=_env(sim))
    text = process.stdout + process.stderr
    for path in sorted(dest.iterdir()):
        text += path.read_text(errors='replace')
    # First, and without printing the text: a failure message must not show what it found.
    assert _secrets_in(text, _signatures(sim)) == []
    # The failing tasks failed and were ignored; nothing else failed.
    ran = process.returncode == 0 and 'ignored=%d ' % (2 if check else 4) in text
    assert ran, 'the play did not run as planned (exit %d)' % process.returncode
    if not check:
        assert len(_signatures(sim)) >= 2, 'the play downloaded nothing, so the signature check proved nothing'


@pytest.mark.parametrize('mode', ['real', 'failing', 'check-mode'])
def test_role_at_vvvv_keeps_secrets(mode, sim, workdir):
    out = workdir / 'out'
    variables = dict(compose_backup_deployments=list(harness.DEMO), compose_backup_dest=str(out),
                     compose_backup_poll_interval=0.1, compose_backup_max_age='1h')
    if mode == 'failing':
        sim.control.patch_deployment(sim.control.deployment_id('buzz-cache'), fail_next_recipe='Disk full')
        # Refused for good (404, not retried), so the failing run stays quick.
        sim.control.fault(path='^/_download/', status=404, times=0)
    args = [str(harness.ROOT / 'playbooks' / 'backup.yml'), '-vvvv', '-e', json.dumps(variables)]
    process = harness.run_playbook(args + (['--check'] if mode == 'check-mode' else []), workdir, env=_env(sim))
    text = process.stdout + process.stderr
    report = out / 'compose-backup-report.json'
    if report.exists():
        text += report.read_text()
    assert _secrets_in(text, _signatures(sim)) == []
    assert process.returncode == (2 if mode == 'failing' else 0), 'unexpected exit status %d' % process.returncode
    assert report.exists() == (mode != 'check-mode')


def test_role_under_ansible_runner_keeps_secrets(sim, workdir):
    """As AWX runs a job: the credential in the environment, every event recorded."""
    private = workdir / 'job'
    (private / 'env').mkdir(parents=True)
    (private / 'project').mkdir()
    out = workdir / 'out'
    (private / 'env' / 'envvars').write_text(json.dumps(_env(sim)))
    (private / 'env' / 'extravars').write_text(json.dumps(dict(
        compose_backup_deployments=list(harness.DEMO), compose_backup_dest=str(out), compose_backup_max_age='1h',
        compose_backup_poll_interval=0.1)))
    (private / 'project' / 'backup.yml').write_text((harness.ROOT / 'playbooks' / 'backup.yml').read_text())
    runner = os.path.join(os.path.dirname(sys.executable), 'ansible-runner')
    process = subprocess.run([runner, 'run', str(private), '-p', 'backup.yml', '--ident', 'job', '-v'],
                             env=harness.clean_env({'ANSIBLE_NOCOLOR': '1'}), capture_output=True, text=True,
                             timeout=300, check=False)
    assert process.returncode == 0, 'ansible-runner failed: %s' % process.stdout[-2000:].replace(TOKEN, '<token>')
    events = sorted((private / 'artifacts' / 'job' / 'job_events').iterdir())
    assert len(events) > 20
    text = process.stdout + process.stderr + (private / 'artifacts' / 'job' / 'stdout').read_text()
    text += ''.join(path.read_text() for path in events)
    text += (out / 'compose-backup-report.json').read_text()
    assert _secrets_in(text, _signatures(sim)) == []
    # ansible-runner itself records the environment it was given (the credential included) in
    # artifacts/<ident>/command; AWX removes the private data folder after the job. No other artifact may hold it.
    holding = sorted(str(path.relative_to(private / 'artifacts')) for path in (private / 'artifacts').rglob('*')
                     if path.is_file() and _secrets_in(path.read_text(errors='replace'), _signatures(sim)))
    assert holding in ([], ['job/command'])
