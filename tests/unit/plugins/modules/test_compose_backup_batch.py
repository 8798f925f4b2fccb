# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""compose_backup with deployments: one task, many deployments, each by the single-deployment path.

With concurrency 1 the deployments run one after the other, so their HTTP calls can be listed in order; the tests
of the caps run many at once over a mock whose answers wait until as many requests as the cap allows are in."""

from __future__ import annotations

import json
import os
import re
import threading

import pytest
import responses

from ansible_collections.composeio.dbaas.plugins.modules import compose_backup
from ansible_collections.composeio.dbaas.tests.unit.plugins.conftest import ENVIRONMENT
from ansible_collections.composeio.dbaas.tests.unit.plugins.modules.conftest import BASE, TOKEN
from ansible_collections.composeio.dbaas.tests.unit.plugins.modules.test_compose_backup import (
    DAILY,
    DEP,
    DEPLOYMENT,
    LINK,
    PAYLOAD,
    backup,
    recipe,
    stamp,
)

BUZZ = {'id': '5854017e89d50f424e000193', 'name': 'buzz-cache', 'type': 'redis', 'created_at': '2016-12-16T15:00:14.922Z'}
EVENTS = {'id': '5854017e89d50f424e000194', 'name': 'fizz-events', 'type': 'mongodb',
          'created_at': '2016-12-16T15:00:14.922Z'}
BUZZ_DAILY = dict(backup('b00000000000000000000012', 'daily', stamp(hours=2)), deployment_id=BUZZ['id'])
EVENTS_DAILY = dict(backup('b00000000000000000000022', 'daily', stamp(hours=3)), deployment_id=EVENTS['id'])
BUZZ_LINK = 'http://objects.test/buzz.tar.gz?expires=1&signature=s3cr3tbuzz'


def listing(api, *deps):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': list(deps or (DEPLOYMENT, BUZZ, EVENTS))}})


def recipes_of(api, dep, *items):
    api.get(BASE + '/deployments/%s/recipes' % dep['id'], json={'_embedded': {'recipes': list(items)}})


def backups_of(api, dep, *items):
    api.get(BASE + '/deployments/%s/backups' % dep['id'], json={'_embedded': {'backups': list(items)}})


def details_of(api, dep, item, link):
    api.get(BASE + '/deployments/%s/backups/%s' % (dep['id'], item['id']), json=dict(item, download_link=link))


def test_a_failed_deployment_leaves_the_others_to_finish_and_fails_the_task_naming_it(api, run_module, fake_time):
    listing(api)  # once, for every name
    recipes_of(api, DEPLOYMENT)
    backups_of(api, DEPLOYMENT, DAILY)
    recipes_of(api, BUZZ)
    backups_of(api, BUZZ)
    started = dict(recipe(created_at=stamp(seconds=0)), deployment_id=BUZZ['id'])
    api.post(BASE + '/deployments/%s/backups' % BUZZ['id'], status=202, json=started)
    api.get(BASE + '/recipes/' + started['id'], json=dict(started, status='failed', status_detail='disk full\nat node 2'))
    api.get(BASE + '/deployments/' + EVENTS['id'], json=EVENTS)
    recipes_of(api, EVENTS)
    backups_of(api, EVENTS, EVENTS_DAILY)
    result, dummy = run_module(compose_backup, {'deployments': ['fizz-production', 'buzz-cache', {'id': EVENTS['id']}],
                                                'max_age': '6h', 'concurrency': 1})
    assert result['failed'] is True
    assert result['msg'] == ('1 of 3 deployments failed: buzz-cache (recipe %s (Backup) failed: disk full)'
                             % started['id'])
    assert result['changed'] is True, 'buzz-cache started a backup'
    fizz, buzz, events = result['results']
    assert (fizz['failed'], fizz['action'], fizz['backup']['id'], fizz['changed']) == (False, 'reused', DAILY['id'], False)
    assert (buzz['failed'], buzz['action'], buzz['changed'], buzz['recipe']['status']) == (True, 'triggered', True, 'failed')
    assert buzz['msg'].startswith('recipe %s (Backup) failed: disk full' % started['id'])
    assert buzz['deployment']['name'] == 'buzz-cache'
    assert (events['failed'], events['action'], events['backup']['id']) == (False, 'reused', EVENTS_DAILY['id'])
    assert 'msg' not in fizz and 'msg' not in events
    # The keys of a single-deployment result, and failed.
    single = {'changed', 'action', 'deployment', 'backup', 'recipe', 'dest', 'size', 'sha256', 'downloaded',
              'resumed_bytes', 'archive', 'elapsed'}
    assert set(fizz) == single | {'failed'}
    assert set(buzz) == single | {'failed', 'msg'}


def test_a_name_that_matches_nothing_fails_that_deployment_only(api, run_module, fake_time):
    listing(api, DEPLOYMENT)
    recipes_of(api, DEPLOYMENT)
    backups_of(api, DEPLOYMENT, DAILY)
    result, dummy = run_module(compose_backup, {'deployments': ['no-such-deployment', 'fizz-production'],
                                                'max_age': '6h', 'concurrency': 1})
    assert result['msg'].startswith("1 of 2 deployments failed: no-such-deployment (deployment_name "
                                    "'no-such-deployment' matches no deployment")
    missing, fizz = result['results']
    assert (missing['failed'], missing['deployment'], missing['action']) == (True, None, None)
    assert (fizz['failed'], fizz['action']) == (False, 'reused')


def test_all_done_is_a_task_that_succeeds(api, run_module, fake_time):
    listing(api)
    recipes_of(api, DEPLOYMENT)
    backups_of(api, DEPLOYMENT, DAILY)
    recipes_of(api, BUZZ)
    backups_of(api, BUZZ, BUZZ_DAILY)
    result, dummy = run_module(compose_backup, {'deployments': ['fizz-production', 'buzz-cache'], 'max_age': '6h',
                                                'concurrency': 1})
    assert result.get('failed') is not True and 'msg' not in result
    assert (result['changed'], [r['backup']['id'] for r in result['results']]) == (False, [DAILY['id'], BUZZ_DAILY['id']])
    assert 'diff' not in result


def test_an_empty_list_backs_up_nothing(api, run_module):
    result, dummy = run_module(compose_backup, {'deployments': []})
    assert (result['changed'], result['results']) == (False, [])
    assert result.get('failed') is not True


def test_check_mode_and_diff_per_deployment(api, run_module, fake_time, tmp_path):
    listing(api)
    recipes_of(api, DEPLOYMENT)
    backups_of(api, DEPLOYMENT, DAILY)
    details_of(api, DEPLOYMENT, DAILY, LINK)
    recipes_of(api, BUZZ)
    backups_of(api, BUZZ)
    result, dummy = run_module(compose_backup, {'deployments': ['fizz-production', 'buzz-cache'], 'max_age': '6h',
                                                'dest': str(tmp_path), 'concurrency': 1,
                                                '_ansible_check_mode': True, '_ansible_diff': True})
    assert result['changed'] is True and result.get('failed') is not True
    fizz, buzz = result['results']
    assert (fizz['action'], fizz['downloaded'], buzz['action'], buzz['downloaded']) == ('reused', True, 'triggered', True)
    assert [(d['before_header'], d['after_header']) for d in result['diff']] == [('fizz-production',) * 2, ('buzz-cache',) * 2]
    assert result['diff'][0]['prepared'] == 'would reuse backup %s of fizz-production, made %s and download it to %s\n' % (
        DAILY['id'], DAILY['created_at'], fizz['dest'])
    assert result['diff'][1]['prepared'] == 'would trigger an on-demand backup of buzz-cache and download it to %s\n' % (
        buzz['dest'])
    assert 'diff' not in fizz
    assert os.listdir(str(tmp_path)) == []
    assert 'POST' not in [call.request.method for call in api.calls]


def test_secrets_never_reach_results_or_msg_and_warnings_name_their_deployment(api, run_module, fake_time, tmp_path):
    listing(api)
    # fizz-production: downloaded, but not a gzip'd tar: kept, with a warning.
    recipes_of(api, DEPLOYMENT)
    backups_of(api, DEPLOYMENT, DAILY)
    details_of(api, DEPLOYMENT, DAILY, LINK)
    api.get(LINK, body=b'not a tarball')
    # buzz-cache: its link answers 404.
    recipes_of(api, BUZZ)
    backups_of(api, BUZZ, BUZZ_DAILY)
    details_of(api, BUZZ, BUZZ_DAILY, BUZZ_LINK)
    api.get(BUZZ_LINK, status=404, body=b'<Error><Code>NoSuchKey</Code></Error>')
    # fizz-events: the API echoes the token in its error.
    api.get(BASE + '/deployments/%s/recipes' % EVENTS['id'], status=422, json={'errors': 'token %s is not allowed' % TOKEN})
    result, out = run_module(compose_backup, {'deployments': ['fizz-production', 'buzz-cache', 'fizz-events'],
                                              'max_age': '6h', 'dest': str(tmp_path), 'verify_archive': True,
                                              'concurrency': 1})
    fizz, buzz, events = result['results']
    assert (fizz['failed'], fizz['downloaded'], fizz['archive']['format']) == (False, True, 'unknown')
    assert buzz['msg'].startswith('download from http://objects.test/buzz.tar.gz failed: HTTP 404')
    assert (events['failed'], events['deployment']['name']) == (True, 'fizz-events')
    assert 'is not allowed' in events['msg']
    assert result['msg'].startswith('2 of 3 deployments failed: buzz-cache (download from http://objects.test/buzz.tar.gz')
    for secret in ('s3cr3tsig', 's3cr3tbuzz', TOKEN):
        assert secret not in out
    assert "fizz-production: the archive of backup %s is not a gzip'd tar" % DAILY['id'] in run_module.err


@pytest.mark.parametrize('args, message', [
    ({'deployments': ['a', 'b', 'a', {'id': DEP}, {'id': DEP}]},
     'deployments lists these deployments more than once: a, id %s; list each once' % DEP),
    ({'deployments': ['a'], 'deployment_name': 'b'}, 'parameters are mutually exclusive: deployments|deployment_name'),
    ({'deployments': ['a'], 'deployment_id': DEP}, 'parameters are mutually exclusive: deployments|deployment_id'),
    ({'deployments': ['a'], 'backup_id': DAILY['id']}, 'parameters are mutually exclusive: deployments|backup_id'),
    ({'deployments': ['a'], 'recipe_id': 'e' * 24}, 'parameters are mutually exclusive: deployments|recipe_id'),
    ({'deployments': ['a'], 'checksum': 'a' * 64}, 'parameters are mutually exclusive: deployments|checksum'),
    ({}, 'one of the following is required: deployment_id, deployment_name, deployments'),
    ({'deployments': ['a', 5]}, 'deployments[1] must be a deployment name as a non-empty string, got 5; quote it'),
    ({'deployments': ['a', ' ']}, "deployments[1] must be a deployment name as a non-empty string, got ' '"),
    ({'deployments': [{'name': 'a', 'id': DEP}]}, "deployments[0] must have exactly one of the keys name and id, got"),
    ({'deployments': [{'host': 'a'}]}, 'deployments[0] must have exactly one of the keys name and id (unknown: host)'),
    ({'deployments': [{'id': 'fizz'}]}, "deployments[0].id must be 24 lowercase hexadecimal characters"),
    ({'deployments': ['a'], 'concurrency': 0}, 'concurrency must be 1 or more, got 0'),
    ({'deployments': ['a'], 'api_concurrency': 0}, 'api_concurrency must be 1 or more, got 0'),
    ({'deployments': ['a'], 'download_concurrency': -1}, 'download_concurrency must be 1 or more, got -1'),
])
def test_bad_batch_input_fails_before_any_request(api, run_module, args, message):
    result, dummy = run_module(compose_backup, args)
    assert result['failed'] is True
    assert message in result['msg'], result['msg']
    assert len(api.calls) == 0


def test_dest_must_be_a_folder(api, run_module, tmp_path):
    result, dummy = run_module(compose_backup, {'deployments': ['a'], 'dest': str(tmp_path / 'one.tar.gz')})
    assert result['msg'] == ('dest: with deployments, dest must be a folder, which each archive is written to under its '
                             'own name; %s is not a folder: end it with / or create it' % (tmp_path / 'one.tar.gz'))
    assert len(api.calls) == 0


def test_a_folder_that_does_not_exist_yet_fails_each_deployment_as_it_would_alone(api, run_module, tmp_path):
    result, dummy = run_module(compose_backup, {'deployments': ['a', 'b'], 'dest': str(tmp_path / 'new') + '/'})
    assert result['msg'].startswith('2 of 2 deployments failed: a (dest: the folder %s/new/ does not exist' % tmp_path)
    assert len(api.calls) == 0


# -- the caps, many deployments at once ---------------------------------------------------------------------------


# How long a full crowd stays for one more request to come in: only a code that breaks the cap brings one, and a
# slower one is missed, never a false failure. No assertion depends on time.
GRACE = 0.25


class Crowd:
    """The requests of one kind held in the mock's answers: how many at once, at most.

    Each waits until `cap` are in, or until too few are left to come for that (so the cap is reached whenever the code
    allows it); a full crowd then waits GRACE seconds for one more, which a code that let more in would send, and
    leaves together."""

    def __init__(self, cap, total):
        self.cap = cap
        self.total = total
        self.cond = threading.Condition()
        self.now = self.most = self.entered = self.group = 0

    def enter(self):
        with self.cond:
            self.now += 1
            self.entered += 1
            self.most = max(self.most, self.now)
            self.cond.notify_all()
            group = self.group
            if self.now >= self.cap or self.total - self.entered < self.cap - self.now:
                self.cond.wait_for(lambda: self.now > self.cap or self.group != group, timeout=GRACE)
                if self.group == group:
                    self.group += 1
                    self.cond.notify_all()
            else:
                assert self.cond.wait_for(lambda: self.group != group, timeout=60), 'the crowd never filled'
            self.now -= 1


@pytest.fixture
def threaded(monkeypatch):
    """HTTP mocks answered by callbacks, any number of times, in any order: for deployments run at once."""
    for var in ENVIRONMENT:
        monkeypatch.delenv(var, raising=False)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def many(count):
    deps = [{'id': '%024x' % (0xd0 + index), 'name': 'dep-%02d' % index, 'type': 'postgresql',
             'created_at': '2016-12-16T15:00:14.922Z'} for index in range(count)]
    fresh = dict((dep['id'], dict(backup('%024x' % (0xb0 + index), 'daily', stamp(hours=1)), deployment_id=dep['id']))
                 for index, dep in enumerate(deps))
    return deps, fresh


def serve(mock, deps, fresh, api=None, downloads=None):
    """The API and the download host of deps, each with a fresh backup. Each deployment's first request (GET of
    itself: all of them at once when the task starts) goes through api.enter(), and its download through
    downloads.enter(), when given. Only one request of each deployment is held: one that waits there makes no other,
    so the crowd fills whenever the code lets enough in."""
    by_id = dict((dep['id'], dep) for dep in deps)

    def answer(request):
        path = request.path_url
        if path.startswith('/objects/'):
            if downloads is not None:
                downloads.enter()
            return 200, {'Content-Length': str(len(PAYLOAD))}, PAYLOAD
        match = re.match(r'^/2016-07/deployments/([0-9a-f]{24})(/recipes|/backups|/backups/[0-9a-f]{24})?$', path)
        dep, tail = by_id[match.group(1)], match.group(2)
        if tail is None:
            if api is not None:
                api.enter()
            body = dep
        elif tail == '/recipes':
            body = {'_embedded': {'recipes': []}}
        elif tail == '/backups':
            body = {'_embedded': {'backups': [fresh[dep['id']]]}}
        else:
            body = dict(fresh[dep['id']], download_link='http://objects.test/objects/%s.tar.gz?signature=s3cr3t' % dep['id'])
        return 200, {'Content-Type': 'application/json'}, json.dumps(body)

    mock.add_callback(responses.GET, re.compile(r'^https://api\.test/2016-07/.*'), callback=answer)
    mock.add_callback(responses.GET, re.compile(r'^http://objects\.test/objects/.*'), callback=answer)


def test_api_requests_in_flight_never_pass_api_concurrency(threaded, run_module, fake_time):
    deps, fresh = many(8)
    # Each deployment: itself (held), its recipes and its backups (a fresh one is reused).
    api = Crowd(3, total=len(deps))
    serve(threaded, deps, fresh, api=api)
    result, dummy = run_module(compose_backup, {'deployments': [{'id': dep['id']} for dep in deps], 'max_age': '6h',
                                                'concurrency': 8, 'api_concurrency': 3})
    assert [r['action'] for r in result['results']] == ['reused'] * len(deps), result['msg']
    assert api.entered == len(deps)
    assert api.most == 3


def test_downloads_in_flight_never_pass_download_concurrency(threaded, run_module, fake_time, tmp_path):
    deps, fresh = many(6)
    downloads = Crowd(2, total=len(deps))
    serve(threaded, deps, fresh, downloads=downloads)
    result, dummy = run_module(compose_backup, {'deployments': [{'id': dep['id']} for dep in deps], 'max_age': '6h',
                                                'dest': str(tmp_path), 'concurrency': 6, 'api_concurrency': 4,
                                                'download_concurrency': 2})
    assert [(r['action'], r['downloaded']) for r in result['results']] == [('reused', True)] * len(deps), result
    assert downloads.entered == len(deps)
    assert downloads.most == 2
    assert len([name for name in os.listdir(str(tmp_path)) if name.endswith('.tar.gz')]) == len(deps)
