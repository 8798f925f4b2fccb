# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fault matrix: every fault in every phase it can hit; a transient one is survived, a persistent one fails
clearly, and nothing is ever lost. The rows of docs/reliability.md come from these runs."""

from __future__ import annotations

import email.utils
import re
import time

import pytest

from ansible_collections.composeio.dbaas.tests.reliability import harness, matrix, report

TOKEN = harness.TOKEN

SOURCE = 'fizz-production'
RESTORED = 'fizz-restored'
PREVIOUS = b'the previous archive, which must survive any failed run\n'
# What a failure must offer the user: a next step.
ADVICE = ('try again', 'run the task again', 'check ', 'raise ', 'set ', 'use ', 'wait ', 'choose ')


def _previous(dest):
    """A previous good archive at the destination, with the .sha256 file compose_backup writes."""
    dest.write_bytes(PREVIOUS)
    digest = harness.sha256_file(str(dest))
    dest.with_name(dest.name + '.sha256').write_text(
        '# composeio.dbaas backup_id=000000000000000000000000 deployment_id=x created_at=x size=%d\n%s  %s\n'
        % (len(PREVIOUS), digest, dest.name))


def _inject(control, case, dep_id):
    name = case.fault.name
    if name in matrix.ARCHIVE:
        control.patch_deployment(dep_id, **case.fault.spec)
    elif name == 'failed recipe':
        control.patch_deployment(dep_id, fail_next_recipe='Backup agent unreachable')
    elif name == 'backup never appears':
        control.patch_deployment(dep_id, never_appear=True)
    elif name == 'expired link' and case.variant == 'persistent':
        # Every link the API hands out has already expired.
        control.config(link_ttl=0)
    else:
        spec = dict(case.fault.spec, method=case.phase.method, path=case.phase.path,
                    times=1 if case.variant == 'transient' else 0)
        if spec.get('retry_after') == '<http-date>':
            spec['retry_after'] = email.utils.formatdate(time.time() + 2, usegmt=True)
        control.fault(**spec)


def _args(case, control, dest, dep_id):
    if case.phase.flow == 'restore':
        name = 'compose_backup_restore'
        args = dict(deployment_name=SOURCE, name=RESTORED, datacenter='aws:us-east-1')
    elif case.phase.flow == 'download':
        name = 'compose_backup'
        daily = [b for b in control.state()['deployments'] if b['id'] == dep_id][0]['backups'][-2]
        args = dict(deployment_name=SOURCE, backup_id=daily['id'], dest=str(dest))
        if case.variant != 'without checksum':
            # The checksum of the bytes the simulator serves: of the damaged ones when the fault is archive damage.
            args['checksum'] = control.backup_file(daily['id'])['sha256']
        # Every download runs with the archive check on (the module's default is off), but for the variant that
        # shows the risk of leaving it off.
        args['verify_archive'] = case.variant != 'verify_archive off'
    else:
        name = 'compose_backup'
        args = dict(deployment_name=SOURCE, dest=str(dest))
    args['settle_time'] = matrix.SETTLE
    if case.variant != 'transient':
        args.update(api_retries=1)
        if name == 'compose_backup':
            args.update(download_retries=1)
    if case.fault.name == 'read timeout' or 'trickle' in case.fault.spec:
        args['request_timeout'] = matrix.READ_TIMEOUT
    return name, args


@pytest.mark.parametrize('case', matrix.CASES, ids=[case.id for case in matrix.CASES])
def test_fault(case, sim, module, workdir):
    control = sim.control
    dep_id = control.deployment_id(SOURCE)
    folder = workdir / 'dest'
    folder.mkdir()
    dest = folder / 'fizz.tar.gz'
    _previous(dest)
    before = harness.snapshot(str(folder))
    deployments_before = len(control.state()['deployments'])
    recipes_before = len(harness.backup_recipes(control.state(), dep_id))
    # Before the arguments: damage at the source is there when the run's checksum is taken (the control API is
    # never faulted).
    _inject(control, case, dep_id)
    name, args = _args(case, control, dest, dep_id)
    control.clear_requests()

    run = module(name, args)

    log = control.requests()
    state = control.state()
    outcome = 'failed' if run.failed else 'survived'
    calls = len(harness.requests_for(log, case.phase.method, case.phase.path))
    recipes_made = len(harness.backup_recipes(state, dep_id)) - recipes_before
    restored = [d for d in state['deployments'] if d['name'] == RESTORED]
    after = harness.snapshot(str(folder))
    # A transfer that gave up keeps the bytes it received for the next run of that backup, and says so.
    kept = set(name for name in after if re.match(r'^\.fizz\.tar\.gz\.[0-9a-f]{24}\.part(\.json)?$', name))
    after = dict((name, digest) for name, digest in after.items() if name not in kept)

    if case.phase.flow == 'restore':
        made = '%d deployment%s' % (len(restored), '' if len(restored) == 1 else 's')
        dest_text = 'n/a'
    else:
        made = '%d backup%s' % (recipes_made, '' if recipes_made == 1 else 's')
        dest_text = 'untouched' if after == before else 'CHANGED' if run.failed else \
            'replaced, DAMAGED (not verified)' if case.fault.name in matrix.ARCHIVE else 'replaced, verified'
    row = dict(id=case.id, phase=case.phase.name, fault=case.fault.name, variant=case.variant,
               expected=case.expected, outcome=outcome, calls=calls, made=made, dest=dest_text,
               message=harness.normalise(run.msg, 400) if run.failed else '')
    report.record(row)

    leaked = TOKEN in run.output
    assert not leaked, 'the API token appears in the module output'
    assert 'Traceback' not in run.output and not run.result.get('unparsed'), run.stderr[-2000:]
    assert outcome == case.expected, run.msg
    assert len(state['deployments']) - deployments_before == len(restored) <= 1
    assert recipes_made <= 1, 'a second backup was started'
    assert not kept or (run.failed and 'bytes received are kept in' in run.msg), 'a part was left: %s' % sorted(kept)
    assert set(after) <= {'fizz.tar.gz', 'fizz.tar.gz.sha256'}, 'a temporary file was left: %s' % sorted(after)
    if run.failed:
        assert after == before, 'a failed run changed the destination'
        assert not restored, 'a failed restore created a deployment'
        message = run.msg
        assert any(word in message for word in case.phase.words), 'the message does not name the phase'
        # The list phase's resource is the deployments collection itself.
        resources = [dep_id, SOURCE, RESTORED, 'GET /deployments failed'] + [
            r['id'] for r in state['recipes'] if r['deployment_id'] == dep_id]
        assert any(item in message for item in resources), 'the message does not name the resource'
        assert any(word in message for word in ADVICE), 'the message does not say what to do'
        if case.fault.name in matrix.ARCHIVE:
            assert re.search(matrix.ARCHIVE_WORDS, message), 'the message does not say the archive is damaged'
    elif case.phase.flow == 'restore':
        assert len(restored) == 1
    else:
        backup = run.result['backup']
        assert run.result['dest'] == str(dest) and run.result['downloaded']
        assert harness.sha256_file(str(dest)) == control.backup_file(backup['id'])['sha256']
        assert harness.sidecar_valid(str(dest))
        assert ('backup_id=%s' % backup['id']) in dest.with_name(dest.name + '.sha256').read_text()
        assert recipes_made == (1 if case.phase.flow == 'trigger' else 0)
        if case.fault.name in matrix.ARCHIVE:
            # The risk verify_archive: false takes: the damaged archive is kept, its checksum file vouching for it.
            assert harness.archive_problem(str(dest)), 'the simulator served an undamaged archive'
