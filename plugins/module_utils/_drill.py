# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The restore drill's decisions. Private to this collection, may change without notice.

The restore_drill role restores each source deployment's newest restorable backup into a scratch deployment named
<source>-drill-<UTC yyyymmddThhmmss>, checks it and removes it. Everything the role decides is here, as pure
functions of what the modules returned, so that it is tested as Python (the restore_drill_* filters wrap them):
the scratch name, which deployments are leftovers of earlier drills, the source and where to restore it, what to
remove afterwards, and the report row. Standard library only.
"""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlsplit

from ansible_collections.composeio.dbaas.plugins.module_utils._errors import mask
from ansible_collections.composeio.dbaas.plugins.module_utils._time import parse_time

INFIX = '-drill-'
STAMP_FORMAT = '%Y%m%dT%H%M%S'
_STAMP = re.compile(r'[0-9]{8}T[0-9]{6}')
# A scratch name ends with the infix and a stamp of fixed length, so the source is the name without that tail:
# a name belongs to one source at most.
TAIL = len(INFIX) + len('yyyymmddThhmmss')
_UTC = datetime.timezone.utc
# The longest message kept from a failed task, after masking.
MESSAGE_LIMIT = 1000


class DrillError(ValueError):
    """Bad input to a decision: the filters turn it into a clear error naming the option."""


def moment(now):
    """An aware UTC datetime from seconds since the epoch (a number, or its text, as Ansible templates it), an RFC 3339
    timestamp, or a datetime (a naive one is taken as UTC)."""
    if isinstance(now, datetime.datetime):
        return (now if now.tzinfo else now.replace(tzinfo=_UTC)).astimezone(_UTC)
    if isinstance(now, (int, float)) and not isinstance(now, bool):
        return datetime.datetime.fromtimestamp(now, _UTC)
    if isinstance(now, str):
        try:
            return datetime.datetime.fromtimestamp(float(now), _UTC)
        except (ValueError, OverflowError):
            parsed = parse_time(now)
            if parsed is not None:
                return parsed.astimezone(_UTC)
    raise DrillError('now must be seconds since the epoch or a timestamp such as 2026-12-06T03:00:00Z, got %r' % (now,))


def scratch_name(source, now):
    """The scratch deployment's name: <source>-drill-<UTC yyyymmddThhmmss>."""
    if not isinstance(source, str) or not source.strip():
        raise DrillError('the source deployment name must be a non-empty string, got %r' % (source,))
    return source + INFIX + moment(now).strftime(STAMP_FORMAT)


def scratch_started(name, source):
    """When the drill of source that named a scratch deployment name started (aware UTC), or None when name is not
    exactly <source>-drill-<yyyymmddThhmmss> with a real date and time."""
    if not isinstance(name, str) or not isinstance(source, str) or not source or not name.startswith(source):
        return None
    tail = name[len(source):]
    if len(tail) != TAIL or not tail.startswith(INFIX) or not _STAMP.fullmatch(tail[len(INFIX):]):
        return None
    try:
        return datetime.datetime.strptime(tail[len(INFIX):], STAMP_FORMAT).replace(tzinfo=_UTC)
    except ValueError:
        return None


def _text_time(when):
    return when.strftime('%Y-%m-%dT%H:%M:%SZ')


def _mapping(value):
    return value if isinstance(value, dict) else {}


def find_leftovers(deployments, sources, now, min_age=0):
    """{source name: [leftover, ...]}: the deployments an earlier drill of each source left, oldest first.

    sources are names, or dicts with a name and a type. A leftover is named exactly <source>-drill-<yyyymmddThhmmss>
    (a real UTC time) and, when both types are known (a source's is also known when one listed deployment has its
    name), has the source's type: a restore makes a deployment of its source's type. A name with more or less text, one
    that ends like a drill name of a deployment that is no source here, and a source itself are never leftovers.
    Each is {name, id, type, started_at, age, removable, note}; one started less than min_age seconds before now (or
    after it) is not removable: a drill still running may be using it.
    """
    when = moment(now)
    deployments = [_mapping(dep) for dep in deployments or ()]
    listed = {}
    for dep in deployments:
        listed.setdefault(dep.get('name'), []).append(dep.get('type'))
    kinds = {}
    for source in sources or ():
        name = source.get('name') if isinstance(source, dict) else source
        if isinstance(name, str) and name:
            # The source's type, when it is known: given, or of the one deployment of that name.
            kind = source.get('type') if isinstance(source, dict) else None
            kinds[name] = kind or kinds.get(name) or (listed[name][0] if len(listed.get(name, ())) == 1 else None)
    found = dict((name, []) for name in kinds)
    for dep in deployments:
        name = dep.get('name')
        if not isinstance(name, str) or len(name) <= TAIL or name in kinds:
            continue
        source = name[:-TAIL]
        started = scratch_started(name, source) if source in kinds else None
        if started is None or (kinds[source] and dep.get('type') and dep.get('type') != kinds[source]):
            continue
        age = int((when - started).total_seconds())
        note = None
        if age < 0:
            note = 'its time is %d s after this run began; left alone' % -age
        elif age < min_age:
            note = 'started %d s ago, less than %d s: a drill may still be using it; left alone' % (age, min_age)
        found[source].append({'name': name, 'id': dep.get('id'), 'type': dep.get('type'), 'started_at': _text_time(started),
                              'age': age, 'removable': note is None, 'note': note})
    for items in found.values():
        items.sort(key=lambda item: (item['started_at'], item['name']))
    return found


def plan_source(deployments, name=None, deployment_id=None, datacenter=None):
    """The source deployment of one drill and where to restore it: {deployment, datacenter, cluster_id, error}.

    The source is the deployment with deployment_id, else the one named name exactly. Several of its name is an
    error, by id too: each drill would name its scratch deployment the same. It is restored into datacenter when
    given, else onto the source's own dedicated cluster (cluster_id): the API says which cluster a deployment runs on,
    but not which datacenter.
    """
    deployments = [_mapping(dep) for dep in deployments or ()]
    plan = {'deployment': None, 'datacenter': None, 'cluster_id': None, 'error': None}
    if deployment_id:
        matches = [dep for dep in deployments if dep.get('id') == deployment_id]
        missing = 'no deployment has id %s (%s); check the host variable compose_deployment_id' % (deployment_id, name)
    else:
        matches = [dep for dep in deployments if dep.get('name') == name]
        missing = 'no deployment named %r is visible to this token (names are exact and case-sensitive)' % (name,)
    if not matches:
        plan['error'] = missing
        return plan
    # A scratch deployment is named after its source: the drills of two deployments of one name would collide.
    namesakes = [dep for dep in deployments if dep.get('name') == matches[0].get('name')]
    if len(namesakes) > 1:
        plan['error'] = ('%d deployments are named %r (%s); a drill names its scratch deployment after its source, so '
                         'their drills would take the same name: rename all but one to drill them'
                         % (len(namesakes), matches[0].get('name'), ', '.join(sorted(str(dep.get('id')) for dep in namesakes))))
        return plan
    source = matches[0]
    plan['deployment'] = dict((key, source.get(key)) for key in ('id', 'name', 'type', 'version', 'cluster_id'))
    if datacenter:
        plan['datacenter'] = datacenter
    elif source.get('cluster_id'):
        plan['cluster_id'] = source['cluster_id']
    else:
        plan['error'] = ('no datacenter to restore %s into: compose_restore_drill_datacenter is empty and the deployment '
                         'runs on no dedicated cluster (the API says which cluster a deployment runs on, not which '
                         'datacenter); set compose_restore_drill_datacenter to a slug such as aws:us-east-1'
                         % source.get('name'))
    return plan


def _no(note, restored_id=None):
    return {'remove': False, 'restored_id': restored_id, 'note': note}


def plan_cleanup(restore, keep=False, check_mode=False):
    """What to remove once the drill is over, from the restore task's result (failed or not): {remove, restored_id,
    note}.

    Only what this drill's restore created: the deployment it restored (by id), or, after a restore request whose
    outcome is unknown (the task failed with changed true and no action), whatever restore made that name (the
    removal's own check that a restore created it decides). A name that existed before the drill is never removed.
    """
    restore = _mapping(restore)
    action = restore.get('action')
    restored_id = _mapping(restore.get('deployment')).get('id')
    if not restore or restore.get('skipped'):
        return _no('nothing was restored')
    if action == 'exists':
        return _no('a deployment of that name existed before the drill; it is not the drill\'s to remove')
    if action == 'restored':
        if check_mode:
            return _no('check mode: it would be removed after the checks')
    elif restore.get('changed'):
        restored_id = None
    else:
        return _no('the restore created nothing')
    if keep:
        return _no('kept, as compose_restore_drill_keep asks: remove it when done with it', restored_id)
    return {'remove': True, 'restored_id': restored_id, 'note': None}


def secrets_of(details):
    """Every secret in a deployment's connection details: each connection string, the password in it, and the CA
    certificate."""
    found = []

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, str) and value:
            found.append(value)
            try:
                password = urlsplit(value).password
            except ValueError:
                password = None
            if password:
                found.append(password)

    details = _mapping(details)
    walk(details.get('connection_strings'))
    walk(details.get('ca_certificate_base64'))
    return found


def _message(failure, secrets):
    failure = _mapping(failure)
    text = failure.get('msg') or 'failed'
    if failure.get('task'):
        text = '%s: %s' % (failure['task'], text)
    return mask(text, secrets, MESSAGE_LIMIT)


def _age(now, created_at):
    created = parse_time(created_at)
    return None if created is None else int((now - created).total_seconds())


def _check(source, restored, restore_done, completed, failure, check_tasks, check_mode, secrets):
    """passed, failed or skipped, with its message."""
    if check_mode:
        return {'outcome': 'skipped', 'message': 'check mode: nothing was restored to check'}
    if not restore_done:
        return {'outcome': 'skipped', 'message': 'the restore did not complete'}
    problems = ['%s %s, the source\'s is %s' % (key, restored.get(key), source.get(key)) for key in ('type', 'version')
                if restored.get(key) != source.get(key)]
    if failure:
        problems.append(_message(failure, secrets))
    elif not completed:
        problems.append('the checks did not run to their end')
    if problems:
        return {'outcome': 'failed', 'message': '; '.join(problems)}
    return {'outcome': 'passed', 'message': 'type and version are the source\'s%s'
            % ('; the check tasks passed' if check_tasks else '; no check tasks')}


def _leftover_rows(leftovers, removals, wanted, check_mode, secrets):
    results = dict((_mapping(result.get('item')).get('name'), result)
                   for result in _mapping(removals).get('results') or () if isinstance(result, dict))
    rows = []
    for leftover in leftovers or ():
        row = dict((key, leftover.get(key)) for key in ('name', 'id', 'started_at', 'age'))
        result = results.get(leftover.get('name'))
        removed, note = False, leftover.get('note')
        if note is None and not wanted:
            note = 'not removed: compose_restore_drill_remove_leftovers is false'
        elif note is None and (result is None or result.get('skipped')):
            note = 'not removed'
        elif note is None and result.get('failed'):
            note = 'not removed: %s' % mask(result.get('msg') or 'failed', secrets, MESSAGE_LIMIT)
        elif note is None:
            action = result.get('action')
            removed = action in ('removed', 'removing') and not check_mode
            note = ('check mode: it would be removed' if check_mode and action in ('removed', 'removing')
                    else 'its deprovisioning goes on at Compose' if action == 'removing'
                    else 'already gone' if action == 'absent' else None)
        row.update(removed=removed, note=note)
        rows.append(row)
    return rows


def report_row(restore, name, source, scratch, now, failure=None, completed=False, check_tasks=False, cleanup=None,
               removal=None, leftovers=(), leftover_removals=None, remove_leftovers=False, secrets=None,
               check_mode=False, host=None):
    """One drill's row of the report, from the results of its tasks (failed, skipped or not run: empty).

    restore is the restore task's result; name the source as configured; source the plan_source answer; failure the failed task's name and msg
    (the block's rescue); completed whether the block ran to its end; cleanup the plan_cleanup answer and removal the
    removal task's result; secrets the restored deployment's connection details, masked in every message kept.
    """
    restore, source, cleanup, removal = _mapping(restore), _mapping(source), _mapping(cleanup), _mapping(removal)
    deployment = _mapping(source.get('deployment'))
    restored = _mapping(restore.get('deployment'))
    backup = _mapping(restore.get('backup'))
    secrets = secrets_of(secrets)
    when = moment(now)
    restore_done = restore.get('action') == 'restored' and not restore.get('failed') and not restore.get('skipped')
    check = _check(deployment, restored, restore_done, completed, failure if restore_done else None, check_tasks,
                   check_mode, secrets)
    errors = []
    if source.get('error'):
        errors.append(source['error'])
    elif failure and not (restore_done and check['outcome'] == 'failed'):
        errors.append(_message(failure, secrets))
    if check['outcome'] == 'failed':
        errors.append('check failed: %s' % check['message'])
    removed, removal_note = False, cleanup.get('note') or 'nothing was restored'
    if cleanup.get('remove'):
        if removal.get('failed'):
            removal_note = 'not removed: %s' % mask(removal.get('msg') or 'failed', secrets, MESSAGE_LIMIT)
            errors.append('%s was not removed: %s' % (scratch, mask(removal.get('msg') or 'failed', secrets, MESSAGE_LIMIT)))
        elif removal.get('action') in ('removed', 'removing'):
            removed = True
            removal_note = 'its deprovisioning goes on at Compose' if removal['action'] == 'removing' else None
        elif removal.get('action') == 'absent':
            removal_note = 'no deployment of that name was left to remove'
        else:
            removal_note = 'not removed: the removal did not run'
            errors.append('%s was not removed: the removal did not run' % scratch)
    outcome = 'failed' if errors else 'planned' if check_mode else 'ok'
    return {
        'host': host,
        'deployment': deployment.get('name') or name,
        'deployment_id': deployment.get('id'),
        'type': deployment.get('type'),
        'version': deployment.get('version'),
        'backup_id': backup.get('id'),
        'backup_created_at': backup.get('created_at'),
        'backup_age': _age(when, backup.get('created_at')),
        'scratch': scratch,
        'scratch_id': restored.get('id'),
        'action': restore.get('action'),
        'restore_seconds': restore.get('seconds'),
        'check': check,
        'removed': removed,
        'removal': removal_note,
        'leftovers': _leftover_rows(leftovers, leftover_removals, remove_leftovers, check_mode, secrets),
        'outcome': outcome,
        'error': '; '.join(errors) if errors else None,
    }
