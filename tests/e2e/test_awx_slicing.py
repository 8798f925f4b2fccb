# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A sliced AWX job template, run as AWX runs one: S jobs at once, each an ansible-runner job of the backup playbook
over its share of the inventory (slice k of S: the hosts sorted by name from the (k-1)-th, every S-th), with the same
credential, extra variables and destination, against one simulator of N deployments. Then the merge_reports
playbook. And a slice killed midway (the node it ran on lost), run again alone: the night completes with one backup
per deployment.

Small in make e2e (S = 3, N = 24); COMPOSE_E2E_SLICES, COMPOSE_E2E_DEPLOYMENTS and COMPOSE_E2E_FORKS size it, and
COMPOSE_E2E_FIGURES=PATH writes the timings and request counts there as JSON (docs/scaling.md has the command).
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import re
import resource
import secrets
import signal
import sys
import tarfile
import threading
import time

import pytest

from ansible_collections.composeio.dbaas.plugins.module_utils._archive import read_sidecar
from ansible_collections.composeio.dbaas.tests.e2e.awx_job import injected_env, meta_vars, slice_inventory, write_inventory
from ansible_collections.composeio.dbaas.tests.simulator.launch import Simulator

ansible_runner = pytest.importorskip('ansible_runner')

SLICES = int(os.environ.get('COMPOSE_E2E_SLICES', '3'))
DEPLOYMENTS = int(os.environ.get('COMPOSE_E2E_DEPLOYMENTS', '24'))
FORKS = int(os.environ.get('COMPOSE_E2E_FORKS', '4'))
FIGURES = os.environ.get('COMPOSE_E2E_FIGURES')
TYPES = ['postgresql', 'redis', 'mongodb', 'mysql', 'rabbitmq', 'etcd']
WORKFLOW_JOB = 500
TRIGGER_TASK = 'Trigger, join or reuse a backup'
# Far more than a night of the default size takes; the large run (docs/scaling.md) takes minutes per slice.
JOB_TIMEOUT = 3600


def seed():
    """N deployments with no backup recent enough to reuse (so each night makes one), and instant recipes."""
    return {'config': {'recipe_polls': 0, 'list_order': 'newest_first'},
            'deployments': [{'name': 'night-%03d' % index, 'type': TYPES[index % len(TYPES)], 'backup_size': 2048,
                             'history': {'daily': 1, 'weekly': 0, 'monthly': 0}, 'on_demand': False}
                            for index in range(DEPLOYMENTS)]}


class Night:
    """One simulator, one destination, one inventory synced from it, and the jobs of the night."""

    def __init__(self, tmp_path, simulator):
        self.tmp_path, self.simulator = tmp_path, simulator
        self.dest = tmp_path / 'backups'
        self.envvars = injected_env({'api_token': simulator.token, 'api_url': simulator.api_url})
        self.envvars['ANSIBLE_COLLECTIONS_PATH'] = os.environ['ANSIBLE_COLLECTIONS_PATH']
        self.listing = self.sync()
        self.next_job = 600
        simulator.control.clear_requests()

    def sync(self):
        """The inventory update: ansible-inventory --list on the source, with the credential's environment."""
        source = self.tmp_path / 'project' / 'inventories' / 'compose.yml'
        source.parent.mkdir(parents=True)
        source.write_text('plugin: composeio.dbaas.compose\nfetch_details: false\n')
        out, err = ansible_runner.get_inventory(action='list', inventories=[str(source)], response_format='json',
                                                export=True, envvars=self.envvars, private_data_dir=str(self.tmp_path / 'sync'), quiet=True)
        assert isinstance(out, dict), err
        assert len(out['_meta']['hostvars']) == DEPLOYMENTS, err
        return out

    def ids(self):
        """{host: deployment id}; ansible-inventory writes the plugin's values as {"__ansible_unsafe": value}."""
        hostvars = self.listing['_meta']['hostvars']
        return dict((host, plain(hostvars[host]['compose_deployment_id'])) for host in hostvars)

    def hosts(self, number=1, count=1):
        return slice_inventory(self.listing, number, count)['all']['hosts']

    def launch(self, playbook, number=1, count=1, launch_type='workflow', workflow=WORKFLOW_JOB, extra=None, **kwargs):
        """One AWX job: its own private data directory and job id, the sliced inventory, the same extra variables."""
        self.next_job += 1
        private = self.tmp_path / ('job-%d' % self.next_job)
        inventory = write_inventory(private, slice_inventory(self.listing, number, count))
        extravars = dict(meta_vars(self.next_job, workflow, launch_type), compose_backup_dest=str(self.dest),
                         compose_backup_metrics_file=str(self.dest / 'compose_backup.prom'), **(extra or {}))
        job = {'id': self.next_job, 'hosts': self.hosts(number, count), 'inventory': str(inventory), 'started': time.monotonic()}

        def finished(_runner):
            job['seconds'] = time.monotonic() - job['started']

        job['thread'], job['runner'] = ansible_runner.run_async(
            private_data_dir=str(private), playbook=playbook, inventory=str(inventory), envvars=self.envvars,
            extravars=extravars, forks=FORKS, quiet=True, settings={'pexpect_timeout': 1},
            finished_callback=finished, **kwargs)
        return job

    def sliced(self, per_slice=None):
        """The S jobs of one launch of the sliced template, started together; per_slice: {k: more run_async arguments}."""
        return [self.launch('composeio.dbaas.backup', number, SLICES, **(per_slice or {}).get(number, {}))
                for number in range(1, SLICES + 1)]

    def merge(self):
        """The merge_reports playbook as a job of its own over the whole inventory, after the sliced job."""
        job = self.launch('composeio.dbaas.merge_reports', launch_type='workflow',
                          extra={'compose_backup_merge_slices': SLICES})
        wait(job)
        return job, json.loads((self.dest / 'compose-backup-summary.json').read_text())

    def posts(self):
        """POST /deployments/:id/backups per deployment id, from the simulator's request log."""
        return collections.Counter(entry['path'].split('/')[3] for entry in self.simulator.control.requests()
                                   if entry['method'] == 'POST' and entry['path'].endswith('/backups'))

    def report(self, job):
        return json.loads((self.dest / ('compose-backup-report-%d.json' % job['id'])).read_text())


def processes():
    """{pid: (parent pid, command line)} of every process, from /proc."""
    found = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % name, encoding='utf-8', errors='replace') as handle:
                parent = int(handle.read().rsplit(')', 1)[1].split()[1])
            with open('/proc/%s/cmdline' % name, 'rb') as handle:
                command = handle.read().replace(b'\0', b' ').decode('utf-8', 'replace')
        except (OSError, IndexError, ValueError):
            continue
        found[int(name)] = (parent, command)
    return found


def kill_job(marker):
    """SIGKILL every process of a job, as losing its node does: ansible-playbook and its workers (they share its
    command line, which names the job's own inventory, `marker`) and everything under them (the modules). ansible-core's
    workers each start a session of their own, so ansible-runner's cancel, a SIGKILL to ansible-playbook's process
    group, leaves them running on. Each is stopped first, until no new one appears, so none escapes by forking."""
    stopped = set()
    while True:
        table = processes()
        found = set(pid for pid, (_parent, command) in table.items() if marker in command) | stopped
        grown = True
        while grown:
            under = set(pid for pid, (parent, _command) in table.items() if parent in found) - found
            found |= under
            grown = bool(under)
        new = found - stopped
        if not new:
            break
        for pid in new:
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                pass
        stopped |= new
    for pid in stopped:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return stopped


def plain(value):
    return value['__ansible_unsafe'] if isinstance(value, dict) and '__ansible_unsafe' in value else value


def wait(*jobs):
    for job in jobs:
        job['thread'].join(JOB_TIMEOUT)
        assert not job['thread'].is_alive(), 'job %d did not end' % job['id']
    return [job['runner'].status for job in jobs]


def output(job):
    return job['runner'].stdout.read()[-3000:]


def check_archives(dest, ids):
    """One archive per deployment, each the bytes its .sha256 file names, each a tar that reads to its end."""
    archives = sorted(dest.glob('*.tar.gz'))
    owners = collections.Counter()
    for path in archives:
        meta = read_sidecar(str(path))
        assert meta is not None, path
        with open(path, 'rb') as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == meta['sha256'], path
        with tarfile.open(path) as archive:
            assert archive.getmembers(), path
        owners[meta['deployment_id']] += 1
    assert owners == collections.Counter(ids), 'archives per deployment: %s' % (owners - collections.Counter(ids))


def metrics_deployments(dest):
    text = (dest / 'compose_backup.prom').read_text()
    return sorted(set(line.split('deployment="')[1].split('"')[0] for line in text.splitlines()
                      if line.startswith('compose_backup_last_run_success{')))


@pytest.fixture
def night(tmp_path, monkeypatch):
    # ansible-runner runs the ansible-playbook of this Python's environment, as an execution environment does.
    monkeypatch.setenv('PATH', os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
    with Simulator(token='AWX-SECRET-TOKEN-' + secrets.token_hex(8), seed=seed()) as simulator:
        yield Night(tmp_path, simulator)


def test_a_sliced_job_backs_up_every_deployment_once(night):
    ids = night.ids()
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    jobs = night.sliced()
    statuses = wait(*jobs)
    seconds = time.monotonic() - started
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert statuses == ['successful'] * SLICES, [output(job) for job in jobs]

    # The slices cover the inventory once between them, as AWX splits it.
    assert sorted(host for job in jobs for host in job['hosts']) == sorted(ids)
    # Every deployment backed up exactly once: one POST each, one verified archive each.
    posts = night.posts()
    assert posts == collections.Counter(ids.values())
    check_archives(night.dest, ids.values())
    # Each slice wrote its own report, of its own hosts: none overwrote another's.
    assert sorted(path.name for path in night.dest.glob('compose-backup-report*.json')) == sorted(
        'compose-backup-report-%d.json' % job['id'] for job in jobs)
    for job in jobs:
        report = night.report(job)
        assert sorted(row['host'] for row in report['deployments']) == sorted(job['hosts'])
        assert (report['awx_job_id'], report['awx_workflow_job_id']) == (job['id'], WORKFLOW_JOB)
        assert report['totals']['ok'] == len(job['hosts'])
    # The slices wrote the one metrics file at about the same moment: each merged into what the others wrote.
    assert metrics_deployments(night.dest) == sorted(ids)

    merge, summary = night.merge()
    assert merge['runner'].status == 'successful', output(merge)
    assert summary['complete'] and summary['problems'] == []
    assert summary['totals']['deployments'] == summary['totals']['ok'] == DEPLOYMENTS
    assert sorted(row['host'] for row in summary['deployments']) == sorted(ids)

    requests = night.simulator.control.requests()
    downloads = [entry for entry in requests if entry['path'].startswith('/_download/')]
    figures = {
        'slices': SLICES, 'deployments': DEPLOYMENTS, 'forks': FORKS,
        'wall_seconds': round(seconds, 1), 'slice_seconds': [round(job['seconds'], 1) for job in jobs],
        'cpu_seconds_of_the_jobs': round(used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime, 1),
        'posts': sum(posts.values()), 'api_requests': len(requests) - len(downloads), 'downloads': len(downloads),
        'api_requests_per_deployment': round((len(requests) - len(downloads)) / DEPLOYMENTS, 2),
        'api_requests_by_kind': dict(collections.Counter(
            entry['method'] + ' ' + re.sub('[0-9a-f]{24}', ':id', entry['path']) for entry in requests if entry not in downloads)),
        'merge_seconds': round(merge['seconds'], 1)}
    print(json.dumps(figures))
    if FIGURES:
        with open(FIGURES, 'w', encoding='utf-8') as handle:
            json.dump(figures, handle, indent=1)


def test_a_slice_killed_midway_is_run_again_without_a_second_backup(night):
    ids = night.ids()
    doomed = night.hosts(SLICES, SLICES)
    # Killed (SIGKILL to each of its processes, as when its node is lost) once a third of its deployments are backed
    # up, while its last third have not started theirs: the simulator holds their first request until the kill.
    kill_after = max(1, len(doomed) // 3)
    held = doomed[-kill_after:]
    for host in held:
        night.simulator.control.fault(method='GET', path='^/2016-07/deployments/%s$' % ids[host], delay=600, times=0)
    done = []
    lock = threading.Lock()

    def on_event(event):
        data = event.get('event_data', {})
        if event.get('event') == 'runner_on_ok' and data.get('task') == TRIGGER_TASK:
            with lock:
                done.append(data.get('host'))
        return True

    jobs, killed_processes = [], []

    def lost():
        # The doomed slice is the last job launched; the path of its own inventory names its processes.
        if len(done) >= kill_after and jobs and not killed_processes:
            killed_processes.extend(kill_job(jobs[-1]['inventory']))
        return bool(killed_processes)

    jobs.extend(night.sliced({SLICES: {'event_handler': on_event, 'cancel_callback': lost}}))
    statuses = wait(*jobs)
    night.simulator.control.clear_faults()
    assert statuses == ['successful'] * (SLICES - 1) + ['canceled'], [output(job) for job in jobs]
    killed = jobs[-1]
    assert len(done) >= kill_after and killed_processes
    # It never reached its report; the other slices wrote theirs.
    assert not (night.dest / ('compose-backup-report-%d.json' % killed['id'])).exists()
    posted = night.posts()
    assert set(posted.values()) == {1}, posted
    assert set(ids[host] for host in done) <= set(posted)
    # Midway: some of its deployments had their backup, some had none started.
    assert not set(ids[host] for host in held) & set(posted)

    # The merge says what is missing: a slice, and its deployments.
    merge, summary = night.merge()
    assert merge['runner'].status == 'failed'
    assert not summary['complete'] and summary['missing_slices'] == 1
    assert sorted(summary['missing']) == sorted(doomed)

    # AWX's relaunch of that slice job: the same hosts, a new job id, outside the workflow. The role's default
    # compose_backup_max_age (12h) reuses what the killed job had started or finished.
    rerun = night.launch('composeio.dbaas.backup', SLICES, SLICES, launch_type='relaunch', workflow=None)
    assert wait(rerun) == ['successful'], output(rerun)
    rows = dict((row['host'], row) for row in night.report(rerun)['deployments'])
    assert sorted(rows) == sorted(doomed)
    assert all(rows[host]['action'] == 'reused' for host in done), [rows[host] for host in done]
    assert [host for host in doomed if ids[host] not in posted] == [host for host in doomed if rows[host]['action'] == 'triggered']
    assert all(row['outcome'] == 'ok' for row in rows.values())
    # Still exactly one backup per deployment, and one verified archive each.
    assert night.posts() == collections.Counter(ids.values())
    check_archives(night.dest, ids.values())
    assert metrics_deployments(night.dest) == sorted(ids)

    merge, summary = night.merge()
    assert merge['runner'].status == 'successful', output(merge)
    assert summary['complete'] and summary['problems'] == []
    assert summary['totals']['deployments'] == summary['totals']['ok'] == DEPLOYMENTS
    assert summary['totals']['reports'] == SLICES
