# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Choosing, triggering and finding on-demand backups. Private to this collection, may change without notice."""

from __future__ import annotations

import datetime

from ansible_collections.composeio.dbaas.plugins.module_utils._errors import (
    ComposeAmbiguousError,
    ComposeError,
    hint_on,
    seconds_text,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._time import parse_time

IN_PROGRESS = ('running', 'waiting')
# Backup and recipe timestamps both come from the API's clocks; the margin covers a backup record stamped a
# little before its recipe (see find_produced_backup).
SKEW = datetime.timedelta(seconds=60)
# Timestamps may be given to the second while a recipe's carry milliseconds.
TICK = datetime.timedelta(seconds=1)
# The documented keys of a backup: what the modules return of one, never its download link.
BACKUP_KEYS = ('id', 'deployment_id', 'name', 'type', 'status', 'is_downloadable', 'is_restorable', 'created_at')

_EARLIEST = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)
_LATEST = datetime.datetime.max.replace(tzinfo=datetime.timezone.utc)


def backup_summary(backup, with_link=False):
    """The documented keys of a backup, and its download link only when asked for; None for no backup."""
    if not backup:
        return None
    summary = dict((key, backup.get(key)) for key in BACKUP_KEYS)
    if with_link:
        summary['download_link'] = backup.get('download_link')
    return summary


def _created(item, undated):
    return parse_time(item.get('created_at')) or undated


def newest_first(items):
    """API objects sorted by created_at, newest first; undated ones last, in the order they came."""
    return sorted(items, key=lambda item: _created(item, _EARLIEST), reverse=True)


def newest(items):
    """The item created last (the first of newest_first); undated ones count as the oldest."""
    return newest_first(items)[0] if items else None


def oldest(items):
    """The item created first; undated ones count as the newest."""
    return min(items, key=lambda item: _created(item, _LATEST)) if items else None


def is_backup_recipe(recipe):
    """The backup recipe's template and name are not documented (docs/compose-api.md, "Start an on-demand
    backup"): match loosely."""
    text = '%s %s' % (recipe.get('template') or '', recipe.get('name') or '')
    return 'backup' in text.lower() and 'restore' not in text.lower()


def expected_duration(recipes, recipe_id, count=5):
    """How long the deployment's recent backups took, in seconds: the shortest of its last `count` complete backup
    recipes other than recipe_id (updated_at minus created_at), or None when there is none to go by. The shortest,
    so that a backup faster than usual is seen late less often."""
    done = []
    for recipe in recipes or ():
        if recipe.get('id') == recipe_id or recipe.get('status') != 'complete' or not is_backup_recipe(recipe):
            continue
        created, updated = parse_time(recipe.get('created_at')), parse_time(recipe.get('updated_at'))
        if created is not None and updated is not None and updated > created:
            done.append((created, (updated - created).total_seconds()))
    done.sort(reverse=True)
    return min(seconds for _when, seconds in done[:count]) if done else None


def reusable(backups, max_age_seconds, need_download, now=None):
    """The newest complete backup created within max_age, downloadable when it will be downloaded."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    cutoff = now - datetime.timedelta(seconds=max_age_seconds)
    fresh = [b for b in backups
             if b.get('status', 'complete') == 'complete' and (parse_time(b.get('created_at')) or cutoff) > cutoff
             and (b.get('is_downloadable') or not need_download)]
    return newest(fresh)


def running_backup_recipe(recipes):
    return newest([r for r in recipes if is_backup_recipe(r) and r.get('status') in IN_PROGRESS])


def trigger(client, deployment_id, known_recipe_ids, attempts=2):
    """POST a backup; after an ambiguous failure, look for the recipe it may have started before sending again.

    The recipes are looked at until the client's settle time has passed (ComposeClient.look_for), not once: a
    server may act on a POST well after the client gave up on its answer. Only when no new backup recipe appeared
    in that time is the POST sent again, `attempts` times in all. Returns the recipe of the backup this call
    started. One call never starts two backups unless the API acts on a POST later than the settle time.
    """
    path = '/deployments/%s/backups' % deployment_id

    def started():
        new = [r for r in client.list_recipes(deployment_id)
               if is_backup_recipe(r) and r.get('id') not in known_recipe_ids]
        return newest(new)

    error = None
    for dummy in range(max(1, attempts)):
        try:
            answer = client.request('POST', 'deployments', deployment_id, 'backups', expect=202)
            if isinstance(answer, dict) and isinstance(answer.get('id'), (str, int)) and answer.get('id') != '':
                return answer
            # Accepted, so a backup most likely started; the recipe that says which must be found in the list.
            raise ComposeAmbiguousError('unexpected response: the answer is not a recipe with an id', method='POST',
                                        path=path, status=202)
        except ComposeAmbiguousError as exc:
            error = exc
            with hint_on(ComposeError, 'POST %s may have started a backup, and its recipes could not be listed; run the '
                                       'task again later: it joins a backup that is running' % path):
                recipe = client.look_for(started)
            if recipe is not None:
                return recipe
    error.hint = ('a backup may have started all the same: no new backup recipe appeared within %ss after each of %d '
                  'attempts; check the deployment\'s recipes in the Compose console before running the task again '
                  '(a re-run joins a backup that is running)' % (seconds_text(client.settle_time()), attempts))
    raise error


def find_produced_backup(client, deployment_id, recipe, tries=5, interval=2.0):
    """The on-demand backup a completed recipe produced: the newest created at or after the recipe started.

    A backup's created_at is when it completed, so the one a recipe produced is stamped after the recipe began.
    One stamped up to SKEW before it (should the API's clocks disagree) is taken only at the last look, when the
    list has had time to catch up: a previous backup that completed just before this recipe began is not taken
    for the new one because the list lags.
    """
    started = parse_time(recipe.get('created_at'))
    for attempt in range(tries):
        last = attempt + 1 == tries
        since = None if started is None else started - (SKEW if last else TICK)
        produced = [b for b in client.list_backups(deployment_id) if b.get('type') == 'on_demand'
                    and (since is None or _created(b, _EARLIEST) >= since)]
        if produced:
            return newest(produced)
        if not last:
            client.sleep(interval)
    raise ComposeError('recipe %s completed but no on-demand backup created after %s appeared in %d looks at '
                       'the backup list' % (recipe.get('id'), recipe.get('created_at'), tries),
                       hint='check the deployment in the Compose console, then run the task again')
