# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Waiting for a recipe: the pure schedule, and the loop against ordered HTTP mocks (every look listed)."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.composeio.dbaas.plugins.module_utils._client import ComposeClient
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import (
    ComposeError,
    ComposeRecipeFailed,
    ComposeWaitTimeout,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._polling import Schedule, age_of, wait_recipe

BASE = 'https://api.test/2016-07'
TOKEN = 'feedfacecafebeef' * 4


@pytest.fixture
def client(fake_time):
    return ComposeClient(TOKEN, base_url=BASE + '/', retries=3, sleep=fake_time.sleep, clock=fake_time.clock)


@pytest.mark.parametrize('running, expected, delay', [
    (0, None, 2), (30, None, 3), (1000, None, 60), (0, 600, 60), (430, 600, 50), (480, 600, 48), (700, 600, 60),
])
def test_the_schedule_is_a_share_of_the_running_time_within_bounds_and_lead_of_the_expected_duration(
        running, expected, delay):
    assert Schedule(3600).next_delay(running, expected) == pytest.approx(delay)


def test_the_schedule_of_the_wait_options():
    schedule = Schedule.from_params(dict(wait_timeout=600, poll_interval=1.0, poll_max_interval=5.0))
    assert (schedule.timeout, schedule.poll_start, schedule.poll_cap) == (600, 1.0, 5.0)


def test_the_age_of_a_recipe_from_its_creation_time():
    now = datetime.datetime(2018, 3, 1, 12, 10, tzinfo=datetime.timezone.utc)
    assert age_of({'created_at': '2018-03-01T12:00:00Z'}, now) == 600
    assert age_of({'created_at': '2018-03-01T12:20:00Z'}, now) == 0
    assert age_of({'id': 'r1'}, now) == 0 and age_of(None) == 0


def test_wait_recipe_sleeps_a_share_of_the_running_time_within_bounds(api, client, fake_time):
    for dummy in range(7):
        api.get(BASE + '/recipes/r1', json={'id': 'r1', 'status': 'running'})
    api.get(BASE + '/recipes/r1', json={'id': 'r1', 'status': 'complete'})
    recipe = wait_recipe(client, 'r1', Schedule(600, poll_start=2, poll_cap=5, share=0.5))
    assert recipe['status'] == 'complete' and len(api.calls) == 8
    # Half the elapsed time: 2 (floor) at 0 s, 2 (floor; half of 2 is 1) at 2 s, 2 at 4 s, 3 at 6 s, 4.5 at 9 s,
    # then the 5 s cap.
    assert fake_time.sleeps == [2, 2, 2, 3, 4.5, 5, 5]


def test_wait_recipe_takes_up_a_running_recipe_at_its_age_and_without_a_first_request(api, client, fake_time):
    api.get(BASE + '/recipes/r1', json={'id': 'r1', 'status': 'complete'})
    recipe = wait_recipe(client, 'r1', Schedule(600, poll_start=2, poll_cap=30), first={'id': 'r1', 'status': 'running'},
                         age=100)
    assert recipe['status'] == 'complete' and fake_time.sleeps == [10]
    assert len(api.calls) == 1


def test_wait_recipe_complete_first_look_makes_no_request(api, client, fake_time):
    recipe = wait_recipe(client, 'r1', Schedule(600), first={'id': 'r1', 'status': 'complete'})
    assert recipe['status'] == 'complete' and fake_time.sleeps == [] and len(api.calls) == 0


def test_wait_recipe_with_an_expected_duration_looks_at_the_cap_until_near_it(api, client, fake_time):
    # Earlier backups took 600 s: looks 60 s apart until 480 s (80 %), then a tenth of the running time again.
    for dummy in range(10):
        api.get(BASE + '/recipes/r1', json={'id': 'r1', 'status': 'running'})
    api.get(BASE + '/recipes/r1', json={'id': 'r1', 'status': 'complete'})
    asked = []
    recipe = wait_recipe(client, 'r1', Schedule(3600, poll_start=2, poll_cap=60), first={'id': 'r1', 'status': 'running'},
                         expect=lambda: asked.append(1) or 600.0)
    assert recipe['status'] == 'complete' and len(api.calls) == 11 and asked == [1]
    assert fake_time.sleeps == pytest.approx([60] * 8 + [48, 52.8, 58.08])


def test_wait_recipe_expected_duration_never_stretches_a_delay_past_the_cap(api, client, fake_time):
    for dummy in range(3):
        api.get(BASE + '/recipes/r1', json={'id': 'r1', 'status': 'running'})
    api.get(BASE + '/recipes/r1', json={'id': 'r1', 'status': 'complete'})
    wait_recipe(client, 'r1', Schedule(3600, poll_start=2, poll_cap=5), expect=lambda: 600.0)
    assert fake_time.sleeps == [5, 5, 5]


def test_wait_recipe_without_an_expected_duration_keeps_the_share_schedule(api, client, fake_time):
    for dummy in range(3):
        api.get(BASE + '/recipes/r1', json={'id': 'r1', 'status': 'running'})
    api.get(BASE + '/recipes/r1', json={'id': 'r1', 'status': 'complete'})
    asked = []
    wait_recipe(client, 'r1', Schedule(600, poll_start=2, poll_cap=60), expect=lambda: asked.append(1))
    assert fake_time.sleeps == [2, 2, 2] and asked == [1]


def test_wait_recipe_asks_for_no_expected_duration_when_complete_at_once(api, client, fake_time):
    asked = []
    wait_recipe(client, 'r1', Schedule(600), first={'id': 'r1', 'status': 'complete'}, expect=lambda: asked.append(1))
    assert asked == [] and len(api.calls) == 0


def test_wait_recipe_failed_carries_status_detail(api, client):
    api.get(BASE + '/recipes/r1', json={'id': 'r1', 'status': 'failed', 'name': 'Backup', 'status_detail': 'disk full'})
    with pytest.raises(ComposeRecipeFailed) as info:
        wait_recipe(client, 'r1', Schedule(60))
    assert str(info.value) == 'recipe r1 (Backup) failed: disk full'
    assert info.value.recipe['status'] == 'failed'


def test_wait_recipe_times_out_at_the_deadline(api, client, fake_time):
    # Polls at 0, 3, 6 and 9 s, and a last look at the 10 s deadline.
    for dummy in range(5):
        api.get(BASE + '/recipes/r1', json={'id': 'r1', 'status': 'running'})
    with pytest.raises(ComposeWaitTimeout) as info:
        wait_recipe(client, 'r1', Schedule(10, poll_start=3, poll_cap=3))
    assert str(info.value) == 'recipe r1 still running after 10s'
    assert sum(fake_time.sleeps) == 10


def test_retries_do_not_sleep_past_the_recipe_deadline(api, client, fake_time):
    api.get(BASE + '/recipes/r1', json={'id': 'r1', 'status': 'running'})
    api.get(BASE + '/recipes/r1', status=429, headers={'Retry-After': '120'}, json={'errors': 'slow'})
    with pytest.raises(ComposeError, match='429'):
        wait_recipe(client, 'r1', Schedule(30, poll_start=2))
    assert fake_time.sleeps == [2]
