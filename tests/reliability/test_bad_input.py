# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input: each case fails with a message naming the option, never a traceback, and changes nothing.

The inventory plugin does not exist yet; its cases come with it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile

import pytest

from ansible_collections.composeio.dbaas.tests.reliability import harness

TOKEN = harness.TOKEN

FIZZ = '5854017e89d50f424e000192'
UNKNOWN = 'abcdefabcdefabcdefabcdef'
NOBODY = 65534
RESTORE = dict(deployment_name='fizz-production', name='fizz-copy', datacenter='aws:us-east-1')

# (id, module, args, what the message must contain). '<dest>' is a folder the test makes; '<missing>' is not there.
MODULE_CASES = [
    ('missing token', 'compose_deployment_info', dict(api_token=None), 'api_token'),
    ('empty token', 'compose_backup_info', dict(api_token='', deployment_name='fizz-production'), 'api_token'),
    ('id and name', 'compose_backup', dict(deployment_id=FIZZ, deployment_name='fizz-production'),
     'deployment_id|deployment_name'),
    ('neither id nor name', 'compose_backup_info', dict(), 'deployment_id, deployment_name'),
    ('malformed deployment_id', 'compose_backup', dict(deployment_id='fizz'), 'deployment_id'),
    ('malformed restore deployment_id', 'compose_backup_restore',
     dict(RESTORE, deployment_name=None, deployment_id='../etc'), 'deployment_id'),
    ('malformed id filter', 'compose_deployment_info', dict(id='5854017E89D50F424E000192'), 'id must be'),
    ('malformed backup_id', 'compose_backup_info', dict(deployment_id=FIZZ, backup_id='latest'), 'backup_id'),
    ('malformed recipe_id', 'compose_backup', dict(deployment_id=FIZZ, recipe_id='r1'), 'recipe_id'),
    ('unknown deployment_name', 'compose_backup', dict(deployment_name='fizz-prod'), 'deployment_name'),
    ('unknown deployment_id', 'compose_backup_info', dict(deployment_id=UNKNOWN), 'deployment_id'),
    ('unknown backup_id', 'compose_backup', dict(deployment_id=FIZZ, backup_id=UNKNOWN), 'backup_id'),
    ('unknown restore backup_id', 'compose_backup_restore', dict(RESTORE, backup_id=UNKNOWN), 'backup_id'),
    ('unreadable max_age', 'compose_backup', dict(deployment_id=FIZZ, max_age='soon'), 'max_age'),
    ('zero max_age', 'compose_backup', dict(deployment_id=FIZZ, max_age='0'), 'max_age'),
    ('negative max_age', 'compose_backup_info', dict(deployment_id=FIZZ, max_age='-5m'), 'max_age'),
    ('zero wait_timeout', 'compose_backup', dict(deployment_id=FIZZ, wait_timeout=0), 'wait_timeout'),
    ('negative wait_timeout', 'compose_backup_restore', dict(RESTORE, wait_timeout=-5), 'wait_timeout'),
    ('zero poll_interval', 'compose_backup', dict(deployment_id=FIZZ, poll_interval=0), 'poll_interval'),
    ('poll_max_interval below poll_interval', 'compose_backup',
     dict(deployment_id=FIZZ, poll_interval=5, poll_max_interval=1), 'poll_max_interval'),
    ('zero request_timeout', 'compose_deployment_info', dict(request_timeout=0), 'request_timeout'),
    ('negative request_timeout', 'compose_backup', dict(deployment_id=FIZZ, request_timeout=-1), 'request_timeout'),
    ('negative api_retries', 'compose_backup_info', dict(deployment_id=FIZZ, api_retries=-1), 'api_retries'),
    ('negative download_retries', 'compose_backup', dict(deployment_id=FIZZ, download_retries=-1), 'download_retries'),
    ('api_url not http', 'compose_deployment_info', dict(api_url='ftp://api.compose.io/2016-07'), 'api_url'),
    ('validate_certs not a boolean', 'compose_deployment_info', dict(validate_certs='maybe'), 'validate_certs'),
    ('dest in a missing folder', 'compose_backup', dict(deployment_id=FIZZ, dest='<missing>/x.tar.gz'), 'dest'),
    ('dest without write permission', 'compose_backup', dict(deployment_id=FIZZ, dest='<locked>/'), 'dest'),
    ('dest and checksum with force and wait=false: malformed checksum', 'compose_backup',
     dict(deployment_id=FIZZ, dest='<dest>/', wait=False, force=True, checksum='0' * 63), 'checksum'),
    ('malformed checksum', 'compose_backup', dict(deployment_id=FIZZ, dest='<dest>/', checksum='md5:abc'), 'checksum'),
    ('recipe_id with backup_id', 'compose_backup', dict(deployment_id=FIZZ, recipe_id=UNKNOWN, backup_id=UNKNOWN),
     'recipe_id'),
    ('recipe_id of a provisioning', 'compose_backup', dict(deployment_id=FIZZ, recipe_id='<provision>'), 'recipe_id'),
    ('restore name taken by another type', 'compose_backup_restore', dict(RESTORE, name='buzz-cache'), 'name'),
    ('restore name blank', 'compose_backup_restore', dict(RESTORE, name='  '), 'name'),
    ('neither datacenter nor cluster_id', 'compose_backup_restore', dict(RESTORE, datacenter=None),
     'datacenter, cluster_id'),
    ('datacenter and cluster_id', 'compose_backup_restore', dict(RESTORE, cluster_id='57ade1d70b2fa9ce1c7e6162'),
     'datacenter|cluster_id'),
    ('malformed datacenter', 'compose_backup_restore', dict(RESTORE, datacenter='mars'), 'datacenter'),
    ('malformed cluster_id', 'compose_backup_restore', dict(RESTORE, datacenter=None, cluster_id='big'), 'cluster_id'),
    ('unsupported deployment type filter', 'compose_deployment_info', dict(type=['postgres']), 'type'),
    ('unsupported backup type filter', 'compose_backup_info', dict(deployment_id=FIZZ, type=['hourly']), 'type'),
]


def _fill(args, folder, sim):
    out = {}
    for key, value in args.items():
        if isinstance(value, str):
            value = value.replace('<dest>', str(folder / 'dest')).replace('<missing>', str(folder / 'missing'))
            value = value.replace('<locked>', str(folder / 'locked'))
            if value == '<provision>':
                value = [r['id'] for r in sim.control.state()['recipes'] if r['kind'] == 'provision'][0]
        out[key] = value
    return dict((key, value) for key, value in out.items() if value is not None or key == 'api_token')


def _assert_unchanged(sim, before):
    after = sim.control.state()
    assert not [r for r in sim.control.requests() if r['method'] != 'GET'], 'a changing request was sent'
    assert len(after['recipes']) == len(before['recipes']) and len(after['deployments']) == len(before['deployments'])


@pytest.mark.parametrize('case', MODULE_CASES, ids=[case[0] for case in MODULE_CASES])
def test_module_refuses_bad_input(case, sim, module):
    dummy, name, args, expected = case
    # World-readable, so that the permission case can run as nobody when the suite runs as root.
    folder = harness.Path(tempfile.mkdtemp(prefix='compose-rel-bad-'))
    try:
        os.chmod(str(folder), 0o755)
        (folder / 'dest').mkdir()
        (folder / 'locked').mkdir(mode=0o555)
        before = sim.control.state()
        sim.control.clear_requests()
        filled = _fill(args, folder, sim)
        user = NOBODY if 'locked' in str(filled.get('dest')) and os.geteuid() == 0 else None
        run = module(name, filled, token='api_token' not in filled, user=user, where=folder)
        # Checked first and as a flag: a failure message must never print the token.
        leaked = TOKEN in run.output
        assert not leaked, 'the API token appears in the output'
        assert run.failed and 'Traceback' not in run.output
        _assert_unchanged(sim, before)
        assert expected in run.msg, 'the message does not name %s: %s' % (expected, run.msg)
        assert os.listdir(str(folder / 'dest')) == [] and os.listdir(str(folder / 'locked')) == []
        assert sorted(name for name in os.listdir(str(folder)) if not name.startswith('.')) == ['dest', 'locked']
    finally:
        os.chmod(str(folder / 'locked'), 0o755)
        shutil.rmtree(str(folder))


ROLE_CASES = [
    pytest.param(dict(compose_backup_deployments='fizz-production'), 'compose_backup_deployments',
                 id='deployments not a list'),
    pytest.param(dict(compose_backup_api_token=''), 'compose_backup_api_token', id='missing token'),
    pytest.param(dict(compose_backup_keep='many'), 'compose_backup_keep', id='keep not a number'),
    pytest.param(dict(compose_backup_max_age='soon'), 'max_age', id='unreadable max_age'),
    pytest.param(dict(compose_backup_wait_timeout=0), 'wait_timeout', id='zero wait_timeout'),
    pytest.param(dict(compose_backup_dest='<file>/backups'), 'compose_backup_dest', id='dest under a file'),
]


@pytest.mark.parametrize('extra, expected', ROLE_CASES)
def test_role_refuses_bad_input(extra, expected, sim, workdir):
    a_file = workdir / 'a-file'
    a_file.write_text('not a folder\n')
    variables = dict(compose_backup_deployments=['fizz-production'], compose_backup_dest=str(workdir / 'out'),
                     compose_backup_api_url=sim.api_url, compose_backup_api_token=TOKEN,
                     compose_backup_poll_interval=0.1)
    variables.update((key, value.replace('<file>', str(a_file)) if isinstance(value, str) else value)
                     for key, value in extra.items())
    before = sim.control.state()
    sim.control.clear_requests()
    process = harness.run_playbook([str(harness.ROOT / 'playbooks' / 'backup.yml'), '-e', json.dumps(variables)],
                                   workdir)
    text = process.stdout + process.stderr
    leaked = TOKEN in text
    assert not leaked, 'the API token appears in the output'
    assert process.returncode != 0 and 'Traceback' not in text
    _assert_unchanged(sim, before)
    assert expected in text, 'the output does not name %s' % expected
    archives = [name for name in os.listdir(str(workdir / 'out')) if not name.endswith('.json')] \
        if (workdir / 'out').is_dir() else []
    assert archives == []


@pytest.mark.parametrize('where', ['archive', 'sidecar'])
def test_a_folder_at_the_archive_or_sidecar_path_is_refused_naming_it(where, sim, module, workdir):
    dest = workdir / 'dest'
    dest.mkdir()
    args = dict(deployment_id=FIZZ, max_age='2d', dest=str(dest) + '/')
    planned = module('compose_backup', args, check_mode=True)
    assert not planned.failed, planned.msg
    folder = harness.Path(planned.result['dest'] + ('' if where == 'archive' else '.sha256'))
    folder.mkdir()
    (folder / 'keep').write_text('mine\n')
    before = sim.control.state()
    sim.control.clear_requests()
    run = module('compose_backup', args)
    leaked = TOKEN in run.output
    assert not leaked, 'the API token appears in the output'
    assert run.failed and 'Traceback' not in run.output and not run.result.get('unparsed')
    assert 'dest: %s is a folder' % folder in run.msg, run.msg
    _assert_unchanged(sim, before)
    assert not [r for r in sim.control.requests() if r['path'].startswith('/_download/')], 'downloaded all the same'
    assert os.listdir(str(dest)) == [folder.name] and os.listdir(str(folder)) == ['keep']
