# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""compose_backup's decision, with every HTTP call listed in order."""

from __future__ import annotations

import datetime
import gzip
import hashlib
import io
import os
import random
import tarfile

import pytest
import requests

from ansible_collections.composeio.dbaas.plugins.module_utils import _archive
from ansible_collections.composeio.dbaas.plugins.modules import compose_backup
from ansible_collections.composeio.dbaas.tests.unit.plugins.modules.conftest import BASE

DEP = '5854017e89d50f424e000192'
DEPLOYMENT = {'id': DEP, 'name': 'fizz-production', 'type': 'postgresql', 'created_at': '2016-12-16T15:00:14.922Z'}
LINK = 'http://objects.test/fizz.tar.gz?expires=1&signature=s3cr3tsig'


def tar_gz(members):
    """A real .tar.gz of {name: bytes}, the same bytes every time, for the tests that turn verify_archive on."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode='w', format=tarfile.GNU_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


PAYLOAD = tar_gz({'dump.bin': random.Random(8).randbytes(16384)})
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


def stamp(**delta):
    when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(**delta)
    return when.strftime('%Y-%m-%dT%H:%M:%S.000Z')


def backup(bid, kind, created_at, downloadable=True):
    return {'id': bid, 'deployment_id': DEP, 'name': 'fizz_' + created_at, 'type': kind, 'status': 'complete',
            'is_downloadable': downloadable, 'is_restorable': True, 'created_at': created_at}


OLD_DEMAND = backup('b00000000000000000000001', 'on_demand', stamp(days=3))
DAILY = backup('b00000000000000000000002', 'daily', stamp(hours=5))
# Stamped after every recipe a test starts, however long the run (a backup's created_at is its completion).
NEW_DEMAND = backup('b00000000000000000000003', 'on_demand', stamp(minutes=-10))
RECIPE_START = stamp(minutes=2)


def recipe(rid='r00000000000000000000001', status='running', name='Backup', created_at=None, detail=None):
    return {'id': rid, 'name': name, 'template': 'Recipes::Deployment::%s' % name, 'status': status,
            'status_detail': detail, 'deployment_id': DEP, 'created_at': created_at or RECIPE_START,
            'updated_at': created_at or RECIPE_START}


def deployments(api):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': [DEPLOYMENT]}})


def recipes(api, *items):
    api.get(BASE + '/deployments/%s/recipes' % DEP, json={'_embedded': {'recipes': list(items)}})


def backups(api, *items):
    api.get(BASE + '/deployments/%s/backups' % DEP, json={'_embedded': {'backups': list(items)}})


def post(api, **kwargs):
    kwargs.setdefault('status', 202)
    if 'body' not in kwargs:
        kwargs.setdefault('json', recipe())
    api.post(BASE + '/deployments/%s/backups' % DEP, **kwargs)


def poll(api, status='complete', detail=None):
    api.get(BASE + '/recipes/r00000000000000000000001', json=recipe(status=status, detail=detail))


def details(api, item, link=LINK):
    api.get(BASE + '/deployments/%s/backups/%s' % (DEP, item['id']), json=dict(item, download_link=link))


def test_selected_backup_is_never_triggered(api, run_module, fake_time):
    deployments(api)
    details(api, DAILY)
    result, out = run_module(compose_backup, {'deployment_name': 'fizz-production', 'backup_id': DAILY['id']})
    assert (result['changed'], result['action'], result['backup']['id']) == (False, 'selected', DAILY['id'])
    assert result['recipe'] is None
    assert 's3cr3tsig' not in out


def test_fresh_backup_of_any_type_is_reused(api, run_module, fake_time):
    deployments(api)
    recipes(api)
    backups(api, OLD_DEMAND, DAILY)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'max_age': '6h'})
    assert (result['changed'], result['action'], result['backup']['id']) == (False, 'reused', DAILY['id'])


def test_running_backup_is_joined(api, run_module, fake_time):
    deployments(api)
    running = recipe(created_at=stamp(minutes=10))
    recipes(api, recipe(rid='p00000000000000000000001', name='Provision', status='running'), running)
    backups(api, OLD_DEMAND, DAILY)
    # The listed recipe counts as the first look. It has run for 10 minutes: polled at the 60 s cap at once.
    api.get(BASE + '/recipes/' + running['id'], json=running)
    api.get(BASE + '/recipes/' + running['id'], json=dict(running, status='complete'))
    backups(api, OLD_DEMAND, DAILY, NEW_DEMAND)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'max_age': '1h'})
    assert (result['changed'], result['action'], result['backup']['id']) == (False, 'joined', NEW_DEMAND['id'])
    assert result['recipe']['status'] == 'complete'
    assert fake_time.sleeps == [60.0, 60.0]


def test_trigger_waits_and_finds_the_new_backup_not_the_previous_one(api, run_module, fake_time):
    deployments(api)
    recipes(api, recipe(status='complete', rid='r00000000000000000000000', created_at=stamp(days=3)))
    post(api, json=recipe(created_at=stamp(seconds=0)))
    poll(api, 'waiting')
    poll(api, 'running')
    poll(api, 'complete')
    backups(api, OLD_DEMAND, DAILY)      # not listed yet: look again
    backups(api, NEW_DEMAND, OLD_DEMAND, DAILY)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production'})
    assert (result['changed'], result['action'], result['backup']['id']) == (True, 'triggered', NEW_DEMAND['id'])
    # The POST's answer is the first look: no poll before the first sleep; a young recipe is polled every
    # poll_interval; the backup list is looked at again after poll_interval.
    assert fake_time.sleeps == [2.0, 2.0, 2.0, 2.0]


def test_recipe_id_is_followed_to_its_backup_without_deciding(api, run_module, fake_time):
    rid = 'ec0000000000000000000001'
    deployments(api)
    api.get(BASE + '/recipes/' + rid, json=recipe(rid=rid, created_at=stamp(seconds=0)))
    # Running at the first look: the deployment's recipes say how long its backups take (none here).
    recipes(api, recipe(rid=rid, created_at=stamp(seconds=0)))
    for status in ('running', 'complete'):
        api.get(BASE + '/recipes/' + rid, json=recipe(rid=rid, status=status, created_at=stamp(seconds=0)))
    backups(api, OLD_DEMAND, DAILY, NEW_DEMAND)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'recipe_id': rid})
    assert (result['changed'], result['action'], result['backup']['id']) == (False, 'joined', NEW_DEMAND['id'])
    assert result['recipe']['status'] == 'complete'
    assert fake_time.sleeps == [2.0, 2.0]


def earlier_backup(rid, days, seconds, name='Backup'):
    """A complete recipe of the deployment that ran `days` ago for `seconds`."""
    created = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days)
    return dict(recipe(rid=rid, status='complete', name=name, created_at=created.strftime('%Y-%m-%dT%H:%M:%S.000Z')),
                updated_at=(created + datetime.timedelta(seconds=seconds)).strftime('%Y-%m-%dT%H:%M:%S.000Z'))


HISTORY = [earlier_backup('r0000000000000000000000a', 1, 700), earlier_backup('r0000000000000000000000b', 2, 600),
           earlier_backup('r0000000000000000000000c', 3, 30, name='Restore')]


def test_trigger_paces_its_looks_by_the_recipes_already_listed(api, run_module, fake_time):
    deployments(api)
    recipes(api, *HISTORY)
    post(api, json=recipe(created_at=stamp(seconds=0)))
    for dummy in range(3):
        poll(api, 'running')
    poll(api, 'complete')
    backups(api, NEW_DEMAND, OLD_DEMAND, DAILY)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production'})
    assert (result['action'], result['backup']['id']) == ('triggered', NEW_DEMAND['id'])
    # Its backups took 600 s at the shortest (the restore does not count): looks at the 60 s cap until 480 s,
    # and no second listing of the recipes.
    assert fake_time.sleeps == [60.0, 60.0, 60.0, 60.0]


def test_recipe_id_paces_its_looks_by_the_deployments_recipes(api, run_module, fake_time):
    rid = 'ec0000000000000000000001'
    deployments(api)
    api.get(BASE + '/recipes/' + rid, json=recipe(rid=rid, created_at=stamp(seconds=0)))
    recipes(api, recipe(rid=rid, created_at=stamp(seconds=0)), *HISTORY)
    api.get(BASE + '/recipes/' + rid, json=recipe(rid=rid, created_at=stamp(seconds=0)))
    api.get(BASE + '/recipes/' + rid, json=recipe(rid=rid, status='complete', created_at=stamp(seconds=0)))
    backups(api, OLD_DEMAND, DAILY, NEW_DEMAND)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'recipe_id': rid,
                                                'poll_max_interval': 45})
    assert result['backup']['id'] == NEW_DEMAND['id']
    assert fake_time.sleeps == [45.0, 45.0]


def test_recipe_id_waits_on_when_the_recipes_cannot_be_listed(api, run_module, fake_time):
    rid = 'ec0000000000000000000001'
    deployments(api)
    api.get(BASE + '/recipes/' + rid, json=recipe(rid=rid, created_at=stamp(seconds=0)))
    api.get(BASE + '/deployments/%s/recipes' % DEP, status=404, json={'errors': 'gone'})
    api.get(BASE + '/recipes/' + rid, json=recipe(rid=rid, status='complete', created_at=stamp(seconds=0)))
    backups(api, OLD_DEMAND, DAILY, NEW_DEMAND)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'recipe_id': rid})
    assert result['backup']['id'] == NEW_DEMAND['id'] and fake_time.sleeps == [2.0]


def test_recipe_id_of_another_deployment_is_refused(api, run_module, fake_time):
    rid = 'ec0000000000000000000001'
    deployments(api)
    api.get(BASE + '/recipes/' + rid, json=dict(recipe(rid=rid), deployment_id='f' * 24))
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'recipe_id': rid})
    assert result['failed'] is True
    assert 'recipe_id: %s is not a backup recipe of deployment fizz-production' % rid in result['msg']


def test_check_mode_makes_the_same_reads_and_no_post(api, run_module, fake_time):
    deployments(api)
    recipes(api)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', '_ansible_check_mode': True})
    assert (result['changed'], result['action'], result['backup'], result['recipe']) == (True, 'triggered', None, None)


def test_check_mode_diff_says_in_words_what_would_happen(api, run_module, fake_time, tmp_path):
    # Before and after alone read {} -> {"backup": null} for a backup that would be started.
    deployments(api)
    recipes(api)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'dest': str(tmp_path),
                                                '_ansible_check_mode': True, '_ansible_diff': True})
    assert (result['action'], result['downloaded']) == ('triggered', True)
    assert result['diff']['prepared'] == (
        'would trigger an on-demand backup of fizz-production and download it to %s\n' % result['dest'])
    assert result['dest'].startswith(str(tmp_path) + '/fizz-production_')
    assert [call.request.method for call in api.calls] == ['GET', 'GET']


def test_check_mode_diff_of_a_trigger_without_wait_says_it_does_not_download(api, run_module, fake_time, tmp_path):
    deployments(api)
    recipes(api)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'dest': str(tmp_path),
                                                'wait': False, '_ansible_check_mode': True, '_ansible_diff': True})
    assert result['diff']['prepared'] == ('would trigger an on-demand backup of fizz-production; not waited for '
                                          '(wait=false), so not downloaded by this task\n')


def test_check_mode_diff_of_a_reused_backup_names_it_and_the_file(api, run_module, fake_time, tmp_path):
    deployments(api)
    recipes(api)
    backups(api, OLD_DEMAND, DAILY)
    details(api, DAILY)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'dest': str(tmp_path),
                                                'max_age': '1d', '_ansible_check_mode': True, '_ansible_diff': True})
    assert result['diff']['prepared'] == 'would reuse backup %s of fizz-production, made %s and download it to %s\n' % (
        DAILY['id'], DAILY['created_at'], result['dest'])


def test_check_mode_diff_of_a_joined_backup_names_its_recipe(api, run_module, fake_time, tmp_path):
    deployments(api)
    recipes(api, recipe(created_at=stamp(minutes=1)))
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'dest': str(tmp_path),
                                                '_ansible_check_mode': True, '_ansible_diff': True})
    assert result['diff']['prepared'] == (
        'would join the backup of fizz-production that recipe r00000000000000000000001 makes and download it to %s\n'
        % result['dest'])


def test_a_real_run_has_no_prepared_text(api, run_module, fake_time):
    deployments(api)
    recipes(api)
    backups(api, OLD_DEMAND, DAILY)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'max_age': '6h',
                                                '_ansible_diff': True})
    assert 'prepared' not in result['diff']


def test_force_skips_reuse_and_join(api, run_module, fake_time):
    deployments(api)
    recipes(api, recipe(rid='r00000000000000000000009'))
    post(api)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'max_age': '1d',
                                                'force': True, 'wait': False})
    assert (result['changed'], result['action'], result['recipe']['id']) == (True, 'triggered', recipe()['id'])


def test_dropped_post_that_started_a_backup_is_not_sent_again(api, run_module, fake_time):
    deployments(api)
    recipes(api)
    post(api, body=requests.exceptions.ConnectionError('Connection aborted: RemoteDisconnected'))
    recipes(api, recipe())
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'wait': False})
    assert (result['changed'], result['action'], result['recipe']['id']) == (True, 'triggered', recipe()['id'])


# With request_timeout=5 the settle time is 35 s: looks at 0, 1, 3, 7, 15, 25 and 35 s after the failure.
SETTLE_LOOKS = 7
SETTLE_SLEEPS = [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_server_error_on_post_that_started_nothing_is_sent_again(api, run_module, fake_time):
    deployments(api)
    recipes(api)
    post(api, status=502, body='<html>bad gateway</html>')
    for dummy in range(SETTLE_LOOKS):
        recipes(api)
    post(api)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'wait': False,
                                                'request_timeout': 5})
    assert (result['changed'], result['recipe']['id']) == (True, recipe()['id'])
    assert fake_time.sleeps == SETTLE_SLEEPS


def test_a_post_acted_on_late_is_found_and_not_sent_again(api, run_module, fake_time):
    # The POST times out; the server starts the backup later than one short backoff: it shows at the third look.
    deployments(api)
    recipes(api)
    post(api, body=requests.exceptions.ReadTimeout('Read timed out. (read timeout=30)'))
    recipes(api)
    recipes(api)
    recipes(api, recipe())
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'wait': False})
    assert (result['changed'], result['action'], result['recipe']['id']) == (True, 'triggered', recipe()['id'])
    assert [call.request.method for call in api.calls].count('POST') == 1
    assert fake_time.sleeps == [1.0, 2.0]


def test_a_post_that_started_nothing_within_the_settle_time_is_sent_once_more_then_fails_cleanly(
        api, run_module, fake_time):
    deployments(api)
    recipes(api)
    for dummy in range(2):
        post(api, body=requests.exceptions.ReadTimeout('Read timed out. (read timeout=5)'))
        for dummy in range(SETTLE_LOOKS):
            recipes(api)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'wait': False,
                                                'request_timeout': 5})
    assert result['failed'] is True and 'Traceback' not in result['msg']
    assert 'a backup may have started all the same' in result['msg'] and 'within 35s' in result['msg']
    assert [call.request.method for call in api.calls].count('POST') == 2
    assert fake_time.sleeps == SETTLE_SLEEPS * 2


def test_settle_time_sets_how_long_an_ambiguous_post_is_looked_for(api, run_module, fake_time):
    # settle_time 3: looks at 0, 1 and 3 s after the failure, then the one re-send.
    deployments(api)
    recipes(api)
    post(api, status=502, body='<html>bad gateway</html>')
    for dummy in range(3):
        recipes(api)
    post(api)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'wait': False,
                                                'settle_time': 3})
    assert (result['changed'], result['recipe']['id']) == (True, recipe()['id'])
    assert fake_time.sleeps == [1.0, 2.0]


def test_a_negative_settle_time_is_refused_naming_the_option(api, run_module, fake_time):
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'settle_time': -1})
    assert result['failed'] is True and result['msg'] == 'settle_time must be 0 or more, got -1.0'
    assert not api.calls


def test_failed_recipe_fails_with_its_detail_and_changed(api, run_module, fake_time):
    deployments(api)
    recipes(api)
    post(api)
    poll(api, 'failed', detail='Backup agent unreachable')
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production'})
    assert result['failed'] is True and result['changed'] is True
    assert result['msg'] == ('recipe r00000000000000000000001 (Backup) failed: Backup agent unreachable (no backup was '
                             'made; see the recipe in the Compose console, then run the task again to start another)')
    assert result['recipe']['status'] == 'failed'


def test_timeout_fails_with_the_recipe_id_so_a_rerun_joins(api, run_module, fake_time):
    deployments(api)
    recipes(api)
    post(api)
    for dummy in range(2):
        poll(api, 'running')
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'wait_timeout': 5,
                                                'poll_interval': 2.5, 'poll_max_interval': 2.5})
    assert result['failed'] is True and result['changed'] is True
    assert result['msg'].startswith('recipe r00000000000000000000001 still running after 5s (the backup goes on')
    assert result['recipe']['id'] == 'r00000000000000000000001'


def test_download_to_a_folder_then_rerun_skips_it(api, run_module, fake_time, tmp_path):
    deployments(api)
    details(api, NEW_DEMAND)
    api.get(LINK, body=PAYLOAD, headers={'Content-Length': str(len(PAYLOAD))})
    args = {'deployment_name': 'fizz-production', 'backup_id': NEW_DEMAND['id'], 'dest': str(tmp_path)}
    result, out = run_module(compose_backup, args)
    assert (result['changed'], result['downloaded'], result['size'], result['sha256']) == (
        True, True, len(PAYLOAD), PAYLOAD_SHA)
    assert os.path.basename(result['dest']).startswith('fizz-production_')
    assert result['dest'].endswith('_%s.tar.gz' % NEW_DEMAND['id'])
    with open(result['dest'], 'rb') as handle:
        assert handle.read() == PAYLOAD
    assert oct(os.stat(result['dest']).st_mode & 0o777) == '0o600'
    with open(result['dest'] + '.sha256') as handle:
        sidecar = handle.read().splitlines()
    assert sidecar[0].startswith('# composeio.dbaas backup_id=%s ' % NEW_DEMAND['id'])
    assert sidecar[1] == '%s  %s' % (PAYLOAD_SHA, os.path.basename(result['dest']))
    assert sorted(os.listdir(str(tmp_path))) == sorted([os.path.basename(result['dest']),
                                                        os.path.basename(result['dest']) + '.sha256'])
    assert 's3cr3tsig' not in out and 'download_link' not in result['backup']

    # The same backup again: two API reads, and no request to the download link.
    deployments(api)
    details(api, NEW_DEMAND)
    again, dummy = run_module(compose_backup, args)
    assert 'failed' not in again
    assert (again['changed'], again['downloaded'], again['sha256']) == (False, False, PAYLOAD_SHA)


ARCHIVE = {'format': 'tar.gz', 'members': 1, 'uncompressed_size': len(gzip.decompress(PAYLOAD))}


def test_the_archive_check_is_returned_and_recorded_for_the_next_run(api, run_module, fake_time, tmp_path):
    deployments(api)
    details(api, NEW_DEMAND)
    api.get(LINK, body=PAYLOAD)
    args = {'deployment_name': 'fizz-production', 'backup_id': NEW_DEMAND['id'], 'dest': str(tmp_path),
            'verify_archive': True}
    result, dummy = run_module(compose_backup, args)
    assert result['archive'] == ARCHIVE
    with open(result['dest'] + '.sha256') as handle:
        header = handle.readline()
    assert header.rstrip().endswith(' format=tar.gz members=1 uncompressed_size=%d' % ARCHIVE['uncompressed_size'])
    # The next run keeps the file and reads what the check found from the checksum file, not from the archive.
    deployments(api)
    details(api, NEW_DEMAND)
    again, dummy = run_module(compose_backup, args)
    assert (again['downloaded'], again['archive']) == (False, ARCHIVE)


def test_a_damaged_archive_fails_and_leaves_the_earlier_file(api, run_module, fake_time, tmp_path):
    dest = tmp_path / 'fizz.tar.gz'
    dest.write_bytes(b'earlier')
    deployments(api)
    details(api, NEW_DEMAND)
    short = PAYLOAD[:len(PAYLOAD) // 2]
    api.get(LINK, body=short)
    api.get(LINK, body=short)
    result, out = run_module(compose_backup, {'deployment_name': 'fizz-production', 'backup_id': NEW_DEMAND['id'],
                                              'dest': str(dest), 'verify_archive': True})
    assert result['failed'] is True and result['downloaded'] is False
    assert result['msg'].startswith('the archive failed verify_archive: the gzip stream ends early')
    assert os.listdir(str(tmp_path)) == ['fizz.tar.gz'] and dest.read_bytes() == b'earlier'
    assert 's3cr3tsig' not in out


def test_by_default_the_archive_is_not_read(api, run_module, fake_time, tmp_path):
    # verify_archive is off unless asked for (its cost on a fast link, see docs/performance.md): a gzip cut in
    # half is kept, verified by its size and SHA-256 only, and no check is reported or recorded.
    deployments(api)
    details(api, NEW_DEMAND)
    short = PAYLOAD[:len(PAYLOAD) // 2]
    api.get(LINK, body=short)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'backup_id': NEW_DEMAND['id'],
                                                'dest': str(tmp_path)})
    assert (result['downloaded'], result['size'], result['archive']) == (True, len(short), None)
    with open(result['dest'] + '.sha256') as handle:
        assert 'format=' not in handle.readline()


@pytest.mark.parametrize('verify', [True, False])
def test_an_archive_that_is_not_a_tar_gz_is_kept_with_a_warning(api, run_module, fake_time, tmp_path, verify):
    deployments(api)
    details(api, NEW_DEMAND)
    api.get(LINK, body=b'PGDMP' + bytes(4096))
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'backup_id': NEW_DEMAND['id'],
                                                'dest': str(tmp_path), 'verify_archive': verify})
    assert result['downloaded'] is True
    if verify:
        assert result['archive'] == {'format': 'unknown', 'members': None, 'uncompressed_size': None}
        assert "is not a gzip'd tar; it was kept, verified by its size and SHA-256 only" in run_module.err
    else:
        assert result['archive'] is None and "gzip'd tar" not in run_module.err


def test_not_downloadable_fails_before_triggering(api, run_module, fake_time, tmp_path):
    es = dict(DEPLOYMENT, type='elastic_search')
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': [es]}})
    recipes(api)
    backups(api, dict(DAILY, is_downloadable=False))
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'dest': str(tmp_path)})
    assert result['failed'] is True and result['changed'] is False
    assert '(type elastic_search) cannot be downloaded' in result['msg']
    assert 'etcd, mongodb, mysql, postgresql, rabbitmq, redis, rethink' in result['msg']
    assert os.listdir(str(tmp_path)) == []


def test_checksum_mismatch_keeps_the_previous_file(api, run_module, fake_time, tmp_path):
    dest = tmp_path / 'fizz.tar.gz'
    dest.write_bytes(b'previous good archive')
    deployments(api)
    details(api, NEW_DEMAND)
    # A mismatch may be damage on the way: one fresh download, then the task fails.
    api.get(LINK, body=PAYLOAD, headers={'Content-Length': str(len(PAYLOAD))})
    api.get(LINK, body=PAYLOAD, headers={'Content-Length': str(len(PAYLOAD))})
    result, out = run_module(compose_backup, {'deployment_name': 'fizz-production', 'backup_id': NEW_DEMAND['id'],
                                              'dest': str(dest), 'checksum': 'sha256:' + 'ab' * 32})
    assert result['failed'] is True
    # The file named is the earlier one, left there; nothing was downloaded.
    assert (result['changed'], result['downloaded'], result['dest']) == (False, False, str(dest))
    assert result['msg'].startswith('sha256 mismatch: expected %s, got %s' % ('ab' * 32, PAYLOAD_SHA))
    assert 'the destination was left as it was; run the task again, and check the checksum option' in result['msg']
    assert 's3cr3tsig' not in out
    assert dest.read_bytes() == b'previous good archive'
    assert os.listdir(str(tmp_path)) == ['fizz.tar.gz']


def test_a_failed_download_says_it_downloaded_nothing_and_names_no_file_it_did_not_leave(
        api, run_module, fake_time, tmp_path):
    deployments(api)
    details(api, NEW_DEMAND)
    api.get(LINK, body=PAYLOAD, headers={'Content-Length': str(len(PAYLOAD))})
    api.get(LINK, body=PAYLOAD, headers={'Content-Length': str(len(PAYLOAD))})
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'backup_id': NEW_DEMAND['id'],
                                                'dest': str(tmp_path), 'checksum': 'ab' * 32})
    assert result['failed'] is True and result['msg'].startswith('sha256 mismatch')
    assert (result['changed'], result['downloaded'], result['dest']) == (False, False, None)
    assert os.listdir(str(tmp_path)) == []


@pytest.mark.parametrize('option', ['owner', 'group'])
def test_an_owner_or_group_that_does_not_exist_fails_before_any_backup_or_download(
        api, run_module, fake_time, tmp_path, option):
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'dest': str(tmp_path),
                                                option: 'nosuch-composeio-%s' % option})
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'].startswith("%s: %s 'nosuch-composeio-%s' does not exist" % (
        option, 'user' if option == 'owner' else 'group', option)), result['msg']
    assert len(api.calls) == 0 and os.listdir(str(tmp_path)) == []


def test_a_numeric_owner_and_group_need_no_entry(api, run_module, fake_time, tmp_path):
    deployments(api)
    details(api, NEW_DEMAND)
    api.get(LINK, body=PAYLOAD, headers={'Content-Length': str(len(PAYLOAD))})
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'backup_id': NEW_DEMAND['id'],
                                                'dest': str(tmp_path), 'owner': str(os.getuid()),
                                                'group': str(os.getgid())})
    assert 'failed' not in result, result
    assert result['downloaded'] is True


def test_an_archive_whose_sidecar_names_another_deployment_is_not_taken_as_already_there(
        api, run_module, fake_time, tmp_path):
    dest = tmp_path / 'fizz.tar.gz'
    dest.write_bytes(PAYLOAD)
    other = dict(NEW_DEMAND, deployment_id='5854017e89d50f424e0000ff')
    (tmp_path / 'fizz.tar.gz.sha256').write_text(_archive.sidecar_text(str(dest), other, PAYLOAD_SHA, len(PAYLOAD)))
    deployments(api)
    details(api, NEW_DEMAND)
    api.get(LINK, body=PAYLOAD, headers={'Content-Length': str(len(PAYLOAD))})
    args = {'deployment_name': 'fizz-production', 'backup_id': NEW_DEMAND['id'], 'dest': str(dest)}
    result, dummy = run_module(compose_backup, args)
    assert (result['changed'], result['downloaded']) == (True, True), result
    assert 'deployment_id=%s ' % DEP in (tmp_path / 'fizz.tar.gz.sha256').read_text()

    # Its own sidecar now: already there.
    deployments(api)
    details(api, NEW_DEMAND)
    again, dummy = run_module(compose_backup, args)
    assert (again['changed'], again['downloaded']) == (False, False), again


def test_a_unicode_deployment_name_is_kept_in_the_archive_name(api, run_module, fake_time, tmp_path):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': [dict(DEPLOYMENT, name=u'donn\u00e9es-prod')]}})
    details(api, NEW_DEMAND)
    api.get(LINK, body=PAYLOAD, headers={'Content-Length': str(len(PAYLOAD))})
    result, dummy = run_module(compose_backup, {'deployment_name': u'donn\u00e9es-prod', 'backup_id': NEW_DEMAND['id'],
                                                'dest': str(tmp_path)})
    assert os.path.basename(result['dest']).startswith(u'donn\u00e9es-prod_'), result['dest']
    assert os.path.exists(result['dest'])


def test_check_mode_plans_the_download_and_writes_nothing(api, run_module, fake_time, tmp_path):
    deployments(api)
    details(api, NEW_DEMAND)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'backup_id': NEW_DEMAND['id'],
                                                'dest': str(tmp_path), '_ansible_check_mode': True,
                                                '_ansible_diff': True})
    assert (result['changed'], result['downloaded'], result['sha256']) == (True, True, None)
    assert result['diff']['before'] == {}
    assert result['diff']['after']['backup_id'] == NEW_DEMAND['id']
    assert os.listdir(str(tmp_path)) == []


@pytest.mark.parametrize('args, message', [
    ({'wait_timeout': 0}, 'wait_timeout must be greater than 0'),
    ({'poll_interval': 10, 'poll_max_interval': 5}, 'poll_max_interval (5.0) must not be less than poll_interval'),
    ({'checksum': 'md5:abc'}, 'checksum must be a SHA-256'),
    ({'dest': '/no/such/folder/x.tar.gz'}, 'dest: the folder /no/such/folder does not exist'),
    ({'max_age': '3 days'}, "max_age: cannot read '3 days' as a duration"),
    ({'max_age': '99999999999'}, 'max_age must be at most 100 years'),
    ({'backup_id': 'latest'}, 'backup_id must be 24 lowercase hexadecimal characters'),
    ({'recipe_id': 'r1'}, 'recipe_id must be 24 lowercase hexadecimal characters'),
    ({'recipe_id': 'e' * 24, 'force': True}, 'parameters are mutually exclusive: recipe_id|force'),
])
def test_bad_input_fails_before_any_request(api, run_module, args, message):
    args = dict(args, deployment_name='fizz-production')
    result, dummy = run_module(compose_backup, args)
    assert result['failed'] is True
    assert message in result['msg']
    assert len(api.calls) == 0


def test_a_backup_that_completed_between_the_two_lists_is_reused(api, run_module, fake_time):
    # Another fork's backup was running when this task listed the recipes, and complete when it listed the backups.
    deployments(api)
    recipes(api, recipe(status='running', created_at=stamp(seconds=20)))
    backups(api, OLD_DEMAND, DAILY, NEW_DEMAND)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'max_age': '1h'})
    assert (result['changed'], result['action'], result['backup']['id']) == (False, 'reused', NEW_DEMAND['id'])


def test_instant_recipe_with_wait_false_downloads_at_once(api, run_module, fake_time, tmp_path):
    # The POST's answer says complete: no poll, one list to find the backup, one details GET for its link. A
    # postgresql deployment's backups can be downloaded: no list before the POST.
    deployments(api)
    recipes(api)
    post(api, json=recipe(status='complete'))
    backups(api, NEW_DEMAND, OLD_DEMAND, DAILY)
    details(api, NEW_DEMAND)
    api.get(LINK, body=PAYLOAD, headers={'Content-Length': str(len(PAYLOAD))})
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'wait': False,
                                                'dest': str(tmp_path)})
    assert (result['changed'], result['action'], result['downloaded'], result['sha256']) == (
        True, 'triggered', True, PAYLOAD_SHA)
    assert result['backup']['id'] == NEW_DEMAND['id'] and fake_time.sleeps == []


def test_a_type_compose_does_not_download_is_refused_from_the_backup_list(api, run_module, fake_time, tmp_path):
    # An unknown or download-less type: the backups say whether they can be downloaded, before any POST.
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': [dict(DEPLOYMENT, type='scylla')]}})
    recipes(api)
    backups(api, dict(DAILY, is_downloadable=False))
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'dest': str(tmp_path)})
    assert result['failed'] is True and result['changed'] is False and '(type scylla) cannot be downloaded' in result['msg']


def test_running_recipe_with_wait_false_returns_without_downloading(api, run_module, fake_time, tmp_path):
    deployments(api)
    recipes(api)
    post(api)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'wait': False,
                                                'dest': str(tmp_path)})
    assert (result['changed'], result['action'], result['downloaded'], result['dest']) == (
        True, 'triggered', False, None)
    assert result['backup'] is None and result['recipe']['status'] == 'running'
    assert os.listdir(str(tmp_path)) == [] and fake_time.sleeps == []


def test_reused_backup_with_wait_false_is_downloaded(api, run_module, fake_time, tmp_path):
    deployments(api)
    recipes(api)
    backups(api, OLD_DEMAND, DAILY)
    details(api, DAILY)
    api.get(LINK, body=PAYLOAD, headers={'Content-Length': str(len(PAYLOAD))})
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'wait': False,
                                                'max_age': '1d', 'dest': str(tmp_path)})
    assert (result['changed'], result['action'], result['downloaded'], result['backup']['id']) == (
        True, 'reused', True, DAILY['id'])


def test_check_mode_joining_a_running_backup_with_dest_reports_the_download(api, run_module, fake_time, tmp_path):
    # For real this run would wait, then download: changed. Check mode says so without waiting.
    deployments(api)
    recipes(api, recipe(created_at=stamp(minutes=1)))
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'dest': str(tmp_path),
                                                '_ansible_check_mode': True})
    assert (result['changed'], result['action'], result['downloaded']) == (True, 'joined', True)
    assert fake_time.sleeps == [] and os.listdir(str(tmp_path)) == []


def follow_complete(api, rid):
    deployments(api)
    api.get(BASE + '/recipes/' + rid, json=recipe(rid=rid, status='complete', created_at=stamp(minutes=1)))
    backups(api, OLD_DEMAND, DAILY, NEW_DEMAND)


def test_check_mode_on_a_complete_recipe_id_says_whether_the_file_would_change(api, run_module, fake_time, tmp_path):
    rid = 'ec0000000000000000000002'
    args = {'deployment_name': 'fizz-production', 'recipe_id': rid, 'dest': str(tmp_path / 'fizz.tar.gz')}
    follow_complete(api, rid)
    details(api, NEW_DEMAND)
    planned, dummy = run_module(compose_backup, dict(args, _ansible_check_mode=True))
    assert (planned['changed'], planned['downloaded'], planned['backup']['id']) == (True, True, NEW_DEMAND['id'])
    assert os.listdir(str(tmp_path)) == []

    follow_complete(api, rid)
    details(api, NEW_DEMAND)
    api.get(LINK, body=PAYLOAD, headers={'Content-Length': str(len(PAYLOAD))})
    real, dummy = run_module(compose_backup, args)
    assert (real['changed'], real['downloaded']) == (True, True)

    follow_complete(api, rid)
    again, dummy = run_module(compose_backup, dict(args, _ansible_check_mode=True))
    assert (again['changed'], again['downloaded'], again['sha256']) == (False, False, PAYLOAD_SHA)

    # A mode the file does not have yet would change it: check mode says so and leaves the file alone.
    follow_complete(api, rid)
    moded, dummy = run_module(compose_backup, dict(args, mode='0640', _ansible_check_mode=True))
    assert (moded['changed'], moded['downloaded']) == (True, False)
    assert oct(os.stat(str(tmp_path / 'fizz.tar.gz')).st_mode & 0o777) == '0o600'


def test_check_mode_on_a_failed_recipe_id_fails_as_a_real_run_would(api, run_module, fake_time, tmp_path):
    rid = 'ec0000000000000000000003'
    deployments(api)
    api.get(BASE + '/recipes/' + rid, json=recipe(rid=rid, status='failed', detail='Backup agent unreachable'))
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'recipe_id': rid,
                                                'dest': str(tmp_path), '_ansible_check_mode': True})
    assert result['failed'] is True and 'Backup agent unreachable' in result['msg']


def started_now(api):
    """A backup is triggered now and its recipe completes at the first poll."""
    now = stamp(seconds=0)
    deployments(api)
    recipes(api)
    post(api, json=recipe(created_at=now))
    api.get(BASE + '/recipes/r00000000000000000000001', json=recipe(status='complete', created_at=now))


def test_a_previous_backup_completed_just_before_the_trigger_is_not_taken_for_the_new_one(api, run_module, fake_time):
    # The previous on-demand backup completed 30 s before this recipe began; the list lags behind the recipe.
    just_before = backup('b00000000000000000000004', 'on_demand', stamp(seconds=30))
    started_now(api)
    backups(api, just_before, DAILY)
    backups(api, NEW_DEMAND, just_before, DAILY)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production'})
    assert (result['action'], result['backup']['id']) == ('triggered', NEW_DEMAND['id'])


def test_a_backup_stamped_a_little_before_its_recipe_is_taken_at_the_last_look(api, run_module, fake_time):
    skewed = backup('b00000000000000000000005', 'on_demand', stamp(seconds=20))
    started_now(api)
    for dummy in range(5):
        backups(api, skewed, OLD_DEMAND)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production'})
    assert (result['action'], result['backup']['id']) == ('triggered', skewed['id'])
    assert fake_time.sleeps[-4:] == [2.0] * 4


def test_a_download_removes_what_killed_runs_of_this_deployment_left(api, run_module, fake_time, tmp_path):
    def part(name, days):
        path = tmp_path / name
        path.write_bytes(b'x' * 100)
        when = datetime.datetime.now().timestamp() - days * 86400
        os.utime(str(path), (when, when))
        return name

    dead = part('.fizz-production_20261101T000000Z_b00000000000000000000009.tar.gz.ab_cd123.part', 2)
    live = part('.fizz-production_20261102T000000Z_b00000000000000000000008.tar.gz.zz998877.part', 0)
    other = part('.buzz-cache_20261101T000000Z_b00000000000000000000007.tar.gz.ab12cd34.part', 2)
    theirs = part('.notes.txt.ab12cd34.part', 2)
    deployments(api)
    details(api, NEW_DEMAND)
    api.get(LINK, body=PAYLOAD, headers={'Content-Length': str(len(PAYLOAD))})
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'backup_id': NEW_DEMAND['id'],
                                                'dest': str(tmp_path)})
    assert result['downloaded'] is True
    left = set(os.listdir(str(tmp_path)))
    assert dead not in left and {live, other, theirs} <= left
    assert 'removed 1 partial download(s) of 100 bytes that an interrupted run left in %s' % tmp_path in run_module.err


def test_a_download_a_killed_run_left_a_day_ago_is_resumed_not_swept(api, run_module, fake_time, tmp_path):
    import json
    from ansible_collections.composeio.dbaas.plugins.module_utils._archive import archive_name
    name = archive_name('fizz-production', NEW_DEMAND['id'], NEW_DEMAND['created_at'])
    part = tmp_path / ('.%s.%s.part' % (name, NEW_DEMAND['id']))
    part.write_bytes(PAYLOAD[:1000])
    state = tmp_path / (part.name + '.json')
    state.write_text(json.dumps({'backup_id': NEW_DEMAND['id'], 'size': len(PAYLOAD), 'etag': '"e1"',
                                 'last_modified': None, 'link_expires': 1}))
    when = datetime.datetime.now().timestamp() - 2 * 86400
    for path in (part, state):
        os.utime(str(path), (when, when))
    deployments(api)
    details(api, NEW_DEMAND)
    api.get(LINK, status=206, body=PAYLOAD[1000:], headers={
        'Content-Range': 'bytes 1000-%d/%d' % (len(PAYLOAD) - 1, len(PAYLOAD)), 'ETag': '"e1"'})
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'backup_id': NEW_DEMAND['id'],
                                                'dest': str(tmp_path)})
    assert api.calls[-1].request.headers['Range'] == 'bytes=1000-'
    assert (result['downloaded'], result['sha256'], result['resumed_bytes']) == (True, PAYLOAD_SHA, 1000)
    assert sorted(os.listdir(str(tmp_path))) == [name, name + '.sha256']
    assert 'removed' not in run_module.err


OLD_BYTES = PAYLOAD[::-1]  # another backup's archive of the same size: only its content tells them apart
OLD_SHA = hashlib.sha256(OLD_BYTES).hexdigest()


def write_sidecar(dest, item, sha, size):
    with open(str(dest) + '.sha256', 'w') as handle:
        handle.write('# composeio.dbaas backup_id=%s deployment_id=%s created_at=%s size=%d\n%s  %s\n' % (
            item['id'], DEP, item['created_at'], size, sha, dest.name))


def previous_backup(dest):
    """A fixed dest file holding OLD_DEMAND's archive and its sidecar, as an earlier run left them."""
    dest.write_bytes(OLD_BYTES)
    write_sidecar(dest, OLD_DEMAND, OLD_SHA, len(OLD_BYTES))


def assert_paired(dest):
    """No state pairs an archive with another backup's sidecar: a sidecar, if any, describes the file beside it."""
    assert set(os.listdir(str(dest.parent))) <= {dest.name, dest.name + '.sha256'}
    meta = _archive.read_sidecar(str(dest))
    if meta is not None:
        assert meta['sha256'] == hashlib.sha256(dest.read_bytes()).hexdigest()


@pytest.fixture
def full_disk_on_sidecar(monkeypatch):
    """Make writing any .sha256 file fail with ENOSPC, when it is created or when it is synced."""
    import errno
    import tempfile

    def install(how):
        if how == 'create':
            real = tempfile.mkstemp

            def mkstemp(*args, **kwargs):
                if '.sha256' in kwargs.get('prefix', ''):
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                return real(*args, **kwargs)
            monkeypatch.setattr(tempfile, 'mkstemp', mkstemp)
        else:
            if not os.path.isdir('/proc/self/fd'):
                pytest.skip('needs /proc/self/fd')
            real = os.fsync

            def fsync(fd):
                if '.sha256' in os.readlink('/proc/self/fd/%d' % fd):
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                return real(fd)
            monkeypatch.setattr(os, 'fsync', fsync)
        return monkeypatch.undo

    return install


@pytest.mark.parametrize('how', ['create', 'sync'])
def test_a_full_disk_while_writing_the_sidecar_fails_cleanly_and_pairs_nothing(
        api, run_module, fake_time, tmp_path, full_disk_on_sidecar, how):
    dest = tmp_path / 'fizz.tar.gz'
    previous_backup(dest)
    undo = full_disk_on_sidecar(how)
    deployments(api)
    details(api, NEW_DEMAND)
    api.get(LINK, body=PAYLOAD, headers={'Content-Length': str(len(PAYLOAD))})
    args = {'deployment_name': 'fizz-production', 'backup_id': NEW_DEMAND['id'], 'dest': str(dest)}
    result, out = run_module(compose_backup, args)
    undo()
    assert result['failed'] is True
    assert result['msg'].startswith('cannot write the checksum file %s.sha256: No space left on device (ENOSPC)'
                                    % dest)
    assert 'the next run downloads again' in result['msg']
    assert 'Traceback' not in out and 's3cr3tsig' not in out
    assert_paired(dest)

    # The next run downloads the new backup again rather than taking what is there for it.
    deployments(api)
    details(api, NEW_DEMAND)
    api.get(LINK, body=PAYLOAD, headers={'Content-Length': str(len(PAYLOAD))})
    again, dummy = run_module(compose_backup, args)
    assert 'failed' not in again and again['downloaded'] is True and again['sha256'] == PAYLOAD_SHA
    assert dest.read_bytes() == PAYLOAD
    assert_paired(dest)


def test_with_a_checksum_the_file_on_disk_is_hashed(api, run_module, fake_time, tmp_path):
    # The sidecar says the right backup and size, but the archive was changed in place since.
    dest = tmp_path / 'fizz.tar.gz'
    dest.write_bytes(OLD_BYTES)
    write_sidecar(dest, NEW_DEMAND, PAYLOAD_SHA, len(PAYLOAD))
    deployments(api)
    details(api, NEW_DEMAND)
    api.get(LINK, body=PAYLOAD, headers={'Content-Length': str(len(PAYLOAD))})
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'backup_id': NEW_DEMAND['id'],
                                                'dest': str(dest), 'checksum': PAYLOAD_SHA})
    assert 'failed' not in result and result['downloaded'] is True
    assert dest.read_bytes() == PAYLOAD
    assert_paired(dest)


def test_the_archive_and_its_sidecar_are_renamed_under_the_deployment_lock(
        api, run_module, fake_time, tmp_path, monkeypatch):
    import errno
    import fcntl
    import glob
    import tempfile

    def lock_held():
        held = []
        for path in glob.glob(os.path.join(tempfile.gettempdir(), 'composeio.dbaas-locks-*', '*.lock')):
            with open(path) as handle:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as exc:
                    assert exc.errno in (errno.EAGAIN, errno.EACCES)
                    held.append(path)
                else:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return bool(held)

    renamed = []
    for name in ('rename', 'replace'):
        def wrapper(src, dst, real=getattr(os, name)):
            if os.path.basename(os.fsdecode(dst)).startswith('fizz.tar.gz'):
                renamed.append((os.path.basename(os.fsdecode(dst)), lock_held()))
            return real(src, dst)
        monkeypatch.setattr(os, name, wrapper)
    dest = tmp_path / 'fizz.tar.gz'
    previous_backup(dest)
    deployments(api)
    details(api, NEW_DEMAND)
    api.get(LINK, body=PAYLOAD, headers={'Content-Length': str(len(PAYLOAD))})
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'backup_id': NEW_DEMAND['id'],
                                                'dest': str(dest)})
    assert 'failed' not in result
    assert renamed == [('fizz.tar.gz', True), ('fizz.tar.gz.sha256', True)]
    assert_paired(dest)


@pytest.mark.parametrize('unsafe', [True, False])
def test_unsafe_writes_writes_a_file_that_cannot_be_renamed_over_in_place(
        api, run_module, fake_time, tmp_path, monkeypatch, unsafe):
    # A file bind-mounted into a container: renaming onto it fails with EBUSY, writing into it works.
    import errno
    dest = tmp_path / 'fizz.tar.gz'
    previous_backup(dest)
    for name in ('rename', 'replace'):
        def busy(src, dst, real=getattr(os, name)):
            if os.path.abspath(os.fsdecode(dst)) == str(dest):
                raise OSError(errno.EBUSY, os.strerror(errno.EBUSY))
            return real(src, dst)
        monkeypatch.setattr(os, name, busy)
    deployments(api)
    details(api, NEW_DEMAND)
    api.get(LINK, body=PAYLOAD, headers={'Content-Length': str(len(PAYLOAD))})
    result, out = run_module(compose_backup, {'deployment_name': 'fizz-production', 'backup_id': NEW_DEMAND['id'],
                                              'dest': str(dest), 'unsafe_writes': unsafe})
    monkeypatch.undo()
    if unsafe:
        assert 'failed' not in result and result['downloaded'] is True
        assert dest.read_bytes() == PAYLOAD and oct(os.stat(str(dest)).st_mode & 0o777) == '0o600'
        with open(str(dest) + '.sha256') as handle:
            assert handle.read().splitlines()[1] == '%s  fizz.tar.gz' % PAYLOAD_SHA
    else:
        assert result['failed'] is True
        assert result['msg'].startswith('cannot move the download into place at %s: ' % dest)
        assert 'the next run downloads again' in result['msg'] and 'Traceback' not in out
    assert_paired(dest)


def test_a_download_redirected_from_https_to_http_fails_and_writes_nothing(api, run_module, fake_time, tmp_path):
    secure = 'https://objects.test/fizz.tar.gz?expires=1&signature=s3cr3tsig'
    deployments(api)
    details(api, NEW_DEMAND, link=secure)
    api.get(secure, status=302, headers={'Location': LINK})
    result, out = run_module(compose_backup, {'deployment_name': 'fizz-production', 'backup_id': NEW_DEMAND['id'],
                                              'dest': str(tmp_path), 'validate_certs': False})
    assert result['failed'] is True
    assert result['msg'].startswith('the download link at objects.test redirected to plain http at objects.test')
    assert 's3cr3tsig' not in out and os.listdir(str(tmp_path)) == []
    assert 'the TLS certificate of the download host objects.test is not checked' in run_module.err


@pytest.mark.parametrize('where', ['archive', 'sidecar'])
def test_a_folder_where_the_archive_or_its_sidecar_goes_fails_cleanly_naming_it(
        api, run_module, fake_time, tmp_path, where):
    name = _archive.archive_name('fizz-production', DAILY['id'], DAILY['created_at'])
    folder = tmp_path / (name if where == 'archive' else name + '.sha256')
    folder.mkdir()
    deployments(api)
    details(api, DAILY)
    result, out = run_module(compose_backup, {'deployment_name': 'fizz-production', 'backup_id': DAILY['id'],
                                              'dest': str(tmp_path) + '/'})
    assert result['failed'] is True
    assert result['msg'].startswith('dest: %s is a folder, where the %s would be written'
                                    % (folder, 'archive' if where == 'archive' else 'checksum file'))
    assert os.listdir(str(folder)) == [] and sorted(os.listdir(str(tmp_path))) == [folder.name]
    assert 's3cr3tsig' not in out


def test_a_folder_at_an_explicit_sidecar_path_fails_in_check_mode_too(api, run_module, fake_time, tmp_path):
    (tmp_path / 'fizz.tar.gz.sha256').mkdir()
    deployments(api)
    recipes(api)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'dest': str(tmp_path / 'fizz.tar.gz'),
                                                '_ansible_check_mode': True})
    assert result['failed'] is True and 'fizz.tar.gz.sha256 is a folder' in result['msg']


@pytest.mark.parametrize('listed, message', [
    ({'_embedded': {'backups': [{'type': 'daily', 'status': 'complete'}]}}, "_embedded.backups[0] has no usable 'id'"),
    ({'_embedded': {'backups': {'id': 'x'}}}, 'no _embedded.backups list (an object)'),
    ({'_embedded': {'backups': [dict(DAILY, created_at=20180301)]}}, "has a 'created_at' that is a number"),
], ids=['backup without id', 'backups not a list', 'created_at a number'])
def test_a_backup_list_of_the_wrong_shape_fails_cleanly(api, run_module, fake_time, listed, message):
    deployments(api)
    recipes(api)
    api.get(BASE + '/deployments/%s/backups' % DEP, json=listed)
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'max_age': '1d'})
    assert result['failed'] is True and result['changed'] is False
    assert 'GET /deployments/%s/backups failed: unexpected response: ' % DEP in result['msg'] and message in result['msg']


def test_a_download_link_that_is_not_a_url_fails_cleanly_without_showing_it(api, run_module, fake_time, tmp_path):
    deployments(api)
    details(api, DAILY, link='objects.test/fizz.tar.gz?signature=s3cr3tsig')
    result, out = run_module(compose_backup, {'deployment_name': 'fizz-production', 'backup_id': DAILY['id'],
                                              'dest': str(tmp_path) + '/'})
    assert result['failed'] is True and "the 'download_link' is not an absolute URL" in result['msg']
    assert 's3cr3tsig' not in out and os.listdir(str(tmp_path)) == []


def test_an_accepted_post_whose_answer_is_not_a_recipe_is_looked_for_not_sent_again(api, run_module, fake_time):
    deployments(api)
    recipes(api)
    post(api, json={'accepted': True})
    recipes(api, recipe())
    result, dummy = run_module(compose_backup, {'deployment_name': 'fizz-production', 'wait': False})
    assert (result['changed'], result['action'], result['recipe']['id']) == (True, 'triggered', recipe()['id'])
    assert [call.request.method for call in api.calls].count('POST') == 1
