# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Waiting for a recipe: the poll schedule, pure, and the loop that follows it. Private to this collection, may
change without notice."""

from __future__ import annotations

import dataclasses
import datetime

from ansible_collections.composeio.dbaas.plugins.module_utils._errors import ComposeRecipeFailed, ComposeWaitTimeout
from ansible_collections.composeio.dbaas.plugins.module_utils._options import POLL_INTERVAL, POLL_MAX_INTERVAL
from ansible_collections.composeio.dbaas.plugins.module_utils._time import parse_time

# How a wait can end other than with a complete recipe, when neither the API nor the network failed.
RECIPE_OUTCOMES = (ComposeRecipeFailed, ComposeWaitTimeout)
RECIPE_KEYS = ('id', 'name', 'template', 'status', 'status_detail', 'deployment_id', 'created_at', 'updated_at',
               'operations_complete', 'operations_total')


def recipe_summary(recipe):
    """The documented keys of a recipe that it has."""
    return dict((key, recipe.get(key)) for key in RECIPE_KEYS if key in recipe)


@dataclasses.dataclass(frozen=True)
class Schedule:
    """How a recipe is waited for.

    Each delay is `share` of the time the recipe has been running, at least poll_start and at most poll_cap: a
    completion is seen within max(poll_start, share of the recipe's duration), capped at poll_cap, for short and long
    recipes alike, at a cost that grows with the logarithm of the duration. When the recipe is expected to run for a
    known duration, the delays before `lead` times that duration may be longer than a share of its age (never more
    than poll_cap): a long backup whose earlier runs took about as long costs a dozen looks instead of fifty, and one
    that completes before lead times the expected duration is still seen within poll_cap.
    """

    timeout: float
    poll_start: float = POLL_INTERVAL
    poll_cap: float = POLL_MAX_INTERVAL
    share: float = 0.1
    lead: float = 0.8

    @classmethod
    def from_params(cls, params):
        """The schedule of a module's wait options (doc_fragments/_wait.py)."""
        return cls(params['wait_timeout'], poll_start=params['poll_interval'], poll_cap=params['poll_max_interval'])

    def next_delay(self, running, expected=None):
        """Seconds until the next look at a recipe that has run for `running` seconds and is expected to run for
        `expected` seconds in all (None: unknown)."""
        delay = self.share * running
        if expected and running < self.lead * expected:
            delay = max(delay, self.lead * expected - running)
        return min(self.poll_cap, max(self.poll_start, delay))


def age_of(recipe, now=None):
    """Seconds since the recipe was created, by its created_at (0 when unknown, or in the future: clock skew only
    changes the pace, within poll_cap)."""
    created = parse_time(recipe.get('created_at')) if recipe else None
    if created is None:
        return 0.0
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return max(0.0, (now - created).total_seconds())


def wait_recipe(client, recipe_id, schedule, first=None, age=None, on_poll=None, expect=None):
    """Poll a recipe until complete, as schedule says, within one overall deadline; return it complete.

    first is the recipe as the caller already has it (the POST's answer, say): it counts as the first look, so an
    instant recipe costs no request here. A recipe that has run for a while (joined, or started by an earlier task) is
    polled at the pace its age calls for: age in seconds, by default first's age_of(). on_poll(recipe) sees every
    look. expect, when given, returns how long such a recipe is expected to run (or None); it is asked once, before
    the first sleep. Raises ComposeRecipeFailed when the recipe ends failed and ComposeWaitTimeout at the deadline.
    """
    start = client.clock()
    deadline = start + schedule.timeout
    began = start - (age_of(first) if age is None else max(0.0, age))
    recipe, expected = first, None
    while True:
        if recipe is None:
            recipe = client.get_recipe(recipe_id, deadline=deadline)
        if on_poll is not None:
            on_poll(recipe)
        if _finished(recipe):
            return recipe
        if expect is not None:
            expected, expect = expect(), None
        now = client.clock()
        if deadline - now <= 0:
            raise ComposeWaitTimeout(recipe, schedule.timeout)
        client.sleep(min(schedule.next_delay(now - began, expected), deadline - now))
        recipe = None


def _finished(recipe):
    """True when the recipe is complete; ComposeRecipeFailed when it failed."""
    status = recipe.get('status')
    if status == 'failed':
        raise ComposeRecipeFailed(recipe)
    return status == 'complete'
