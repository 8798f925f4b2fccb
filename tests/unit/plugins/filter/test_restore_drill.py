# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The restore drill's filters (plugins/module_utils/_drill.py): the scratch name, the leftovers of earlier drills, the
source and where it is restored, what is removed afterwards, and the report row."""

from __future__ import annotations

import datetime

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.composeio.dbaas.plugins.filter import (
    restore_drill_cleanup,
    restore_drill_leftovers,
    restore_drill_name,
    restore_drill_row,
    restore_drill_source,
)
from ansible_collections.composeio.dbaas.plugins.filter.restore_drill_cleanup import restore_drill_cleanup as cleanup
from ansible_collections.composeio.dbaas.plugins.filter.restore_drill_leftovers import restore_drill_leftovers as leftovers
from ansible_collections.composeio.dbaas.plugins.filter.restore_drill_name import restore_drill_name as scratch_name
from ansible_collections.composeio.dbaas.plugins.filter.restore_drill_row import restore_drill_row as row
from ansible_collections.composeio.dbaas.plugins.filter.restore_drill_source import restore_drill_source as source_of

# 2026-12-06T03:00:00Z
NOW = 1796526000.0
FIZZ = {'id': 'a' * 24, 'name': 'fizz', 'type': 'postgresql', 'version': '9.6.10', 'cluster_id': None}
FIZZ_PRODUCTION = {'id': 'b' * 24, 'name': 'fizz-production', 'type': 'postgresql', 'version': '9.6.3', 'cluster_id': None}
BUZZ = {'id': 'c' * 24, 'name': 'buzz', 'type': 'redis', 'version': '4.0', 'cluster_id': 'e' * 24}
SECRET = 'postgres://admin:SIMPASS-0123456789ab@sl-aws-us-east-1-portal.7.dblayer.com:17000/compose'
DETAILS = {'id': 'd' * 24, 'name': 'fizz-drill-20261206T030000', 'connection_strings': {'direct': [SECRET], 'cli': [], 'misc': {}},
           'ca_certificate_base64': 'LS0tLS1CRUdJTi1DRVJU'}


def dep(name, kind='postgresql', ident='f' * 24):
    return {'id': ident, 'name': name, 'type': kind}


@pytest.mark.parametrize('module, name', [
    (restore_drill_name, 'restore_drill_name'), (restore_drill_leftovers, 'restore_drill_leftovers'),
    (restore_drill_source, 'restore_drill_source'), (restore_drill_cleanup, 'restore_drill_cleanup'),
    (restore_drill_row, 'restore_drill_row'),
])
def test_registered_under_their_names(module, name):
    assert list(module.FilterModule().filters()) == [name]


@pytest.mark.parametrize('source, now, expected', [
    ('fizz', NOW, 'fizz-drill-20261206T030000'),
    ('fizz', int(NOW) + 59.999, 'fizz-drill-20261206T030059'),
    # Ansible templates now().timestamp() into text in a set_fact.
    ('fizz', str(NOW), 'fizz-drill-20261206T030000'),
    ('fizz', '2026-12-06T05:00:00+02:00', 'fizz-drill-20261206T030000'),
    ('fizz', datetime.datetime(2026, 12, 6, 3, 0), 'fizz-drill-20261206T030000'),
    ('fizz', datetime.datetime(2026, 12, 6, 4, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1))), 'fizz-drill-20261206T030000'),
    ('a b-c', 0, 'a b-c-drill-19700101T000000'),
])
def test_the_scratch_name(source, now, expected):
    assert scratch_name(source, now) == expected


@pytest.mark.parametrize('source, now, message', [
    ('', NOW, 'source deployment name must be a non-empty string'),
    (None, NOW, 'source deployment name must be a non-empty string'),
    ('fizz', 'yesterday', "now must be seconds since the epoch or a timestamp such as 2026-12-06T03:00:00Z, got 'yesterday'"),
    ('fizz', True, 'now must be seconds since the epoch'),
    ('fizz', None, 'now must be seconds since the epoch'),
])
def test_a_scratch_name_from_bad_input_is_a_clear_error(source, now, message):
    with pytest.raises(AnsibleFilterError, match='^restore_drill_name: ') as caught:
        scratch_name(source, now)
    assert message in str(caught.value)


# name of a deployment, its type, the sources -> the source it is a leftover of, or None.
LEFTOVER_CASES = [
    ('fizz-drill-20261129T030000', 'postgresql', ['fizz'], 'fizz'),
    ('fizz-production-drill-20261129T030000', 'postgresql', ['fizz', 'fizz-production'], 'fizz-production'),
    # Ends like a drill name of fizz-production, which is not a source of this run; and not fizz's either.
    ('fizz-production-drill-20261129T030000', 'postgresql', ['fizz'], None),
    ('fizz-production-drill-20261129T030000', 'postgresql', ['production'], None),
    # Extra text before or after, or a stamp of another shape.
    ('xfizz-drill-20261129T030000', 'postgresql', ['fizz'], None),
    ('fizz-drill-20261129T030000-old', 'postgresql', ['fizz'], None),
    ('fizz-drill-20261129T030000Z', 'postgresql', ['fizz'], None),
    ('fizz-drill-20261129T0300', 'postgresql', ['fizz'], None),
    ('fizz-drill-2026-11-29T03:00:00', 'postgresql', ['fizz'], None),
    ('fizz-drill-20261129t030000', 'postgresql', ['fizz'], None),
    ('fizz_drill_20261129T030000', 'postgresql', ['fizz'], None),
    ('fizz-restore-20261129T030000', 'postgresql', ['fizz'], None),
    ('fizz-drill-', 'postgresql', ['fizz'], None),
    ('-drill-20261129T030000', 'postgresql', ['fizz'], None),
    # Digits that are no date or time, and digits of other scripts.
    ('fizz-drill-20261329T030000', 'postgresql', ['fizz'], None),
    ('fizz-drill-20261129T250000', 'postgresql', ['fizz'], None),
    ('fizz-drill-２０261129T030000', 'postgresql', ['fizz'], None),
    # Another type than the source's: no restore of fizz made it.
    ('fizz-drill-20261129T030000', 'redis', ['fizz'], None),
    # A source is never a leftover, even named like a drill of another source.
    ('fizz-drill-20261129T030000', 'postgresql', ['fizz', 'fizz-drill-20261129T030000'], None),
    # Case matters, as in the API's names.
    ('Fizz-drill-20261129T030000', 'postgresql', ['fizz'], None),
    # A drill of a drill's scratch deployment.
    ('fizz-drill-20261129T030000-drill-20261130T030000', 'postgresql', ['fizz-drill-20261129T030000'],
     'fizz-drill-20261129T030000'),
]


@pytest.mark.parametrize('name, kind, sources, expected', LEFTOVER_CASES)
def test_which_deployments_are_leftovers(name, kind, sources, expected):
    listing = [dep(name, kind), dep('fizz', 'postgresql', 'a' * 24), dep('fizz-production', 'postgresql', 'b' * 24)]
    if name in sources:
        listing = listing[1:] + [dep(name, kind, 'c' * 24)]
    found = leftovers(listing, sources, now=NOW)
    assert sorted(found) == sorted(sources)
    owners = [source for source, items in found.items() if any(item['name'] == name for item in items)]
    assert owners == ([expected] if expected else [])


def test_a_leftover_line_and_its_order():
    listing = [dep('fizz-drill-20261205T030000', ident='1' * 24), dep('fizz-drill-20261129T030000', ident='2' * 24),
               dep('fizz'), dep('buzz', 'redis')]
    assert leftovers(listing, ['fizz', 'buzz'], now=NOW) == {
        'fizz': [
            {'name': 'fizz-drill-20261129T030000', 'id': '2' * 24, 'type': 'postgresql', 'started_at': '2026-11-29T03:00:00Z',
             'age': 7 * 86400, 'removable': True, 'note': None},
            {'name': 'fizz-drill-20261205T030000', 'id': '1' * 24, 'type': 'postgresql', 'started_at': '2026-12-05T03:00:00Z',
             'age': 86400, 'removable': True, 'note': None},
        ],
        'buzz': [],
    }


@pytest.mark.parametrize('stamp, min_age, removable, note', [
    ('20261206T020000', 3600, True, None),
    ('20261206T020001', 3600, False, 'started 3599 s ago, less than 3600 s: a drill may still be using it; left alone'),
    ('20261206T030000', 0, True, None),
    ('20261206T030001', 0, False, 'its time is 1 s after this run began; left alone'),
])
def test_a_recent_leftover_is_listed_but_left_alone(stamp, min_age, removable, note):
    found = leftovers([dep('fizz-drill-' + stamp)], ['fizz'], now=NOW, min_age=min_age)['fizz']
    assert [(item['removable'], item['note']) for item in found] == [(removable, note)]


def test_the_type_of_a_source_given_as_a_dict_wins_and_an_unknown_type_does_not_exclude():
    listing = [dep('fizz-drill-20261129T030000', 'redis')]
    assert leftovers(listing, [{'name': 'fizz', 'type': 'postgresql'}], now=NOW) == {'fizz': []}
    # fizz is not listed and given by name: its type is unknown, so the name decides.
    assert [item['name'] for item in leftovers(listing, ['fizz'], now=NOW)['fizz']] == ['fizz-drill-20261129T030000']


def test_leftovers_from_bad_input_are_a_clear_error():
    with pytest.raises(AnsibleFilterError, match='^restore_drill_leftovers: now must be'):
        leftovers([], ['fizz'], now='soon')


# deployments, name, id, datacenter -> deployment name, datacenter, cluster_id, error (a piece of it).
SOURCE_CASES = [
    ([FIZZ, FIZZ_PRODUCTION], 'fizz', '', 'aws:us-east-1', 'fizz', 'aws:us-east-1', None, None),
    # By id, which wins over the name.
    ([FIZZ, FIZZ_PRODUCTION], 'fizz', 'b' * 24, 'aws:eu-west-1', 'fizz-production', 'aws:eu-west-1', None, None),
    # No datacenter: the source's dedicated cluster.
    ([FIZZ, BUZZ], 'buzz', '', '', 'buzz', None, 'e' * 24, None),
    ([FIZZ, BUZZ], 'fizz', '', '', 'fizz', None, None, 'compose_restore_drill_datacenter is empty and the deployment runs on no dedicated cluster'),
    ([FIZZ], 'fizz-production', '', 'aws:us-east-1', None, None, None, "no deployment named 'fizz-production' is visible"),
    ([FIZZ], 'Fizz', '', 'aws:us-east-1', None, None, None, "no deployment named 'Fizz' is visible"),
    ([FIZZ], 'fizz', 'b' * 24, 'aws:us-east-1', None, None, None, 'no deployment has id %s (fizz)' % ('b' * 24)),
    ([FIZZ, dict(FIZZ, id='9' * 24)], 'fizz', '', 'aws:us-east-1', None, None, None,
     "2 deployments are named 'fizz' (%s, %s); a drill names its scratch deployment after its source" % ('9' * 24, 'a' * 24)),
    # By id too: both drills would take the same scratch name.
    ([FIZZ, dict(FIZZ, id='9' * 24)], 'fizz', '9' * 24, 'aws:us-east-1', None, None, None, "2 deployments are named 'fizz'"),
]


@pytest.mark.parametrize('deployments, name, ident, datacenter, found, to_datacenter, to_cluster, error', SOURCE_CASES)
def test_the_source_and_where_it_is_restored(deployments, name, ident, datacenter, found, to_datacenter, to_cluster, error):
    plan = source_of(deployments, name, deployment_id=ident, datacenter=datacenter)
    assert (plan['deployment'] or {}).get('name') == found
    assert (plan['datacenter'], plan['cluster_id']) == (to_datacenter, to_cluster)
    assert (plan['error'] is None) if error is None else (error in plan['error'])


def test_the_source_keeps_only_what_the_drill_uses():
    plan = source_of([dict(FIZZ, connection_strings={'direct': [SECRET]}, notes='n')], 'fizz', datacenter='aws:us-east-1')
    assert plan['deployment'] == FIZZ


RESTORED = {'changed': True, 'action': 'restored', 'deployment': {'id': 'd' * 24, 'name': 'fizz-drill-20261206T030000'}}
# the restore task's result, keep, check mode -> remove, restored_id, note (a piece of it).
CLEANUP_CASES = [
    (RESTORED, False, False, True, 'd' * 24, None),
    # Failed after the POST (provisioning failed, the wait timed out): still ours, by id.
    (dict(RESTORED, failed=True, msg='timed out'), False, False, True, 'd' * 24, None),
    # An ambiguous POST: it may have made the name; the removal checks that a restore did.
    ({'changed': True, 'action': None, 'deployment': None, 'failed': True}, False, False, True, None, None),
    ({'changed': False, 'action': None, 'deployment': None, 'failed': True}, False, False, False, None, 'the restore created nothing'),
    ({'changed': False, 'action': 'exists', 'deployment': {'id': '7' * 24}}, False, False, False, None, 'existed before the drill'),
    (dict(RESTORED, changed=True), True, False, False, 'd' * 24, 'kept, as compose_restore_drill_keep asks'),
    ({'changed': True, 'action': 'restored', 'deployment': {'name': 'fizz-drill-20261206T030000', 'type': 'postgresql'}}, False, True,
     False, None, 'check mode: it would be removed after the checks'),
    ({}, False, False, False, None, 'nothing was restored'),
    ({'changed': False, 'skipped': True}, False, False, False, None, 'nothing was restored'),
    (None, False, False, False, None, 'nothing was restored'),
]


@pytest.mark.parametrize('restore, keep, check_mode, remove, restored_id, note', CLEANUP_CASES)
def test_what_is_removed_after_the_drill(restore, keep, check_mode, remove, restored_id, note):
    got = cleanup(restore, keep=keep, check_mode=check_mode)
    assert (got['remove'], got['restored_id']) == (remove, restored_id)
    assert got['note'] is None if note is None else note in got['note']


PLAN = {'deployment': FIZZ, 'datacenter': 'aws:us-east-1', 'cluster_id': None, 'error': None}
BACKUP = {'id': '5' * 24, 'type': 'daily', 'created_at': '2026-12-06T00:00:00.000Z', 'is_restorable': True}
DONE = dict(RESTORED, backup=BACKUP, seconds=12.5, recipe={'id': '6' * 24, 'status': 'complete'},
            deployment=dict(RESTORED['deployment'], type='postgresql', version='9.6.10'))
REMOVED = {'changed': True, 'action': 'removed', 'deployment': RESTORED['deployment'], 'recipe': {'status': 'complete'}}
KEYS = ['host', 'deployment', 'deployment_id', 'type', 'version', 'backup_id', 'backup_created_at', 'backup_age', 'scratch',
        'scratch_id', 'action', 'restore_seconds', 'check', 'removed', 'removal', 'leftovers', 'outcome', 'error']


def drill_row(restore=None, **kwargs):
    restore = DONE if restore is None else restore
    kwargs.setdefault('name', 'fizz')
    kwargs.setdefault('source', PLAN)
    kwargs.setdefault('scratch', 'fizz-drill-20261206T030000')
    kwargs.setdefault('now', NOW)
    kwargs.setdefault('cleanup', cleanup(restore, keep=kwargs.pop('keep', False), check_mode=kwargs.get('check_mode', False)))
    return row(restore, **kwargs)


def test_a_drill_that_passed():
    got = drill_row(completed=True, check_tasks=True, removal=REMOVED, host='localhost', secrets=DETAILS)
    assert got == {
        'host': 'localhost', 'deployment': 'fizz', 'deployment_id': 'a' * 24, 'type': 'postgresql', 'version': '9.6.10',
        'backup_id': '5' * 24, 'backup_created_at': BACKUP['created_at'], 'backup_age': 3 * 3600,
        'scratch': 'fizz-drill-20261206T030000', 'scratch_id': 'd' * 24, 'action': 'restored', 'restore_seconds': 12.5,
        'check': {'outcome': 'passed', 'message': "type and version are the source's; the check tasks passed"},
        'removed': True, 'removal': None, 'leftovers': [], 'outcome': 'ok', 'error': None}
    assert list(got) == KEYS


FAILED_CHECK = {'task': 'Query the restored database', 'msg': 'cannot connect to %s (password SIMPASS-0123456789ab)' % SECRET}
# the restore's result, other inputs -> outcome, check outcome, check message (a piece), removed, error (a piece).
ROW_CASES = [
    ('no check tasks', DONE, dict(completed=True, removal=REMOVED), 'ok', 'passed', '; no check tasks', True, None),
    ('a check task failed', DONE, dict(failure=FAILED_CHECK, removal=REMOVED, check_tasks=True),
     'failed', 'failed', 'Query the restored database: cannot connect to ******** (password ********)', True,
     'check failed: Query the restored database'),
    ('another version', dict(DONE, deployment=dict(DONE['deployment'], version='9.6.11')), dict(completed=True, removal=REMOVED),
     'failed', 'failed', "version 9.6.11, the source's is 9.6.10", True, "check failed: version 9.6.11, the source's is 9.6.10"),
    ('the provisioning failed', dict(DONE, failed=True, seconds=None, msg='recipe failed'),
     dict(failure={'task': 'Restore the newest restorable backup into the scratch deployment', 'msg': 'recipe failed: disk'},
          removal=REMOVED),
     'failed', 'skipped', 'the restore did not complete', True, 'Restore the newest restorable backup into the scratch deployment: recipe failed'),
    ('the wait timed out and the removal failed', dict(DONE, failed=True, msg='timed out'),
     dict(failure={'task': 'Restore', 'msg': 'timed out after 2 s'}, removal={'failed': True, 'msg': 'DELETE refused'}),
     'failed', 'skipped', 'the restore did not complete', False, 'fizz-drill-20261206T030000 was not removed: DELETE refused'),
    ('no source', {}, dict(source={'deployment': None, 'error': "no deployment named 'fizz' is visible"},
                           failure={'task': 'Stop when the drill cannot start', 'msg': "no deployment named 'fizz' is visible"}),
     'failed', 'skipped', 'the restore did not complete', False, "no deployment named 'fizz' is visible"),
    ('the name existed', {'changed': False, 'action': 'exists', 'deployment': {'id': '7' * 24}},
     dict(failure={'task': 'Stop when a deployment of the scratch name existed before', 'msg': 'existed'}),
     'failed', 'skipped', 'the restore did not complete', False, 'Stop when a deployment of the scratch name existed before: existed'),
    ('check mode', {'changed': True, 'action': 'restored', 'backup': BACKUP, 'deployment': {'name': 'fizz-drill-20261206T030000'}},
     dict(check_mode=True, completed=True), 'planned', 'skipped', 'check mode', False, None),
    ('kept', DONE, dict(completed=True, keep=True), 'ok', 'passed', '', False, None),
    ('the removal did not run', DONE, dict(completed=True), 'failed', 'passed', '', False, 'was not removed: the removal did not run'),
    ('removed already', DONE, dict(completed=True, removal={'changed': False, 'action': 'absent'}), 'ok', 'passed', '', False, None),
    ('the deprovisioning goes on', DONE, dict(completed=True, removal=dict(REMOVED, action='removing')), 'ok', 'passed', '', True, None),
]


@pytest.mark.parametrize('restore, kwargs, outcome, check, message, removed, error',
                         [case[1:] for case in ROW_CASES], ids=[case[0] for case in ROW_CASES])
def test_the_drills_line(restore, kwargs, outcome, check, message, removed, error):
    got = drill_row(restore, secrets=DETAILS, **kwargs)
    assert (got['outcome'], got['check']['outcome'], got['removed']) == (outcome, check, removed)
    assert message in got['check']['message']
    assert got['error'] is None if error is None else error in got['error']
    assert 'SIMPASS' not in repr(got) and 'LS0tLS1CRUdJTi1DRVJU' not in repr(got)


@pytest.mark.parametrize('removal, note', [
    (REMOVED, None),
    (dict(REMOVED, action='removing'), 'its deprovisioning goes on at Compose'),
    ({'changed': False, 'action': 'absent'}, 'no deployment of that name was left to remove'),
    ({'failed': True, 'msg': 'refused'}, 'not removed: refused'),
])
def test_the_removal_note(removal, note):
    assert drill_row(completed=True, removal=removal)['removal'] == note


def test_no_secret_in_a_failed_tasks_message_however_it_is_quoted():
    failure = {'task': 'Check', 'msg': '["%s"] password=SIMPASS-0123456789ab cert LS0tLS1CRUdJTi1DRVJU' % SECRET.replace('/', '\\/')}
    got = drill_row(failure=failure, removal=REMOVED, secrets=DETAILS)
    assert 'SIMPASS' not in repr(got) and 'LS0tLS1CRUdJTi1DRVJU' not in repr(got)
    # The whole string in another quoting is not found, its password is.
    assert got['check']['message'].startswith('Check: ["postgres:\\/\\/admin:********@sl-aws-us-east-1-portal')


LEFTOVER = {'name': 'fizz-drill-20261129T030000', 'id': '2' * 24, 'type': 'postgresql', 'started_at': '2026-11-29T03:00:00Z',
            'age': 604800, 'removable': True, 'note': None}
RECENT = dict(LEFTOVER, name='fizz-drill-20261206T025959', id='3' * 24, removable=False, note='started 1 s ago; left alone')


@pytest.mark.parametrize('wanted, results, check_mode, expected', [
    (False, {}, False, [(False, 'not removed: compose_restore_drill_remove_leftovers is false'), (False, RECENT['note'])]),
    (True, {'results': [{'item': LEFTOVER, 'action': 'removed', 'changed': True}]}, False, [(True, None), (False, RECENT['note'])]),
    (True, {'results': [{'item': LEFTOVER, 'action': 'removing', 'changed': True}]}, False,
     [(True, 'its deprovisioning goes on at Compose'), (False, RECENT['note'])]),
    (True, {'results': [{'item': LEFTOVER, 'failed': True, 'msg': 'fizz-drill-20261129T030000 was not made by a restore'}]}, False,
     [(False, 'not removed: fizz-drill-20261129T030000 was not made by a restore'), (False, RECENT['note'])]),
    (True, {'results': [{'item': LEFTOVER, 'action': 'absent', 'changed': False}]}, False, [(False, 'already gone'), (False, RECENT['note'])]),
    (True, {'results': [{'item': LEFTOVER, 'action': 'removed', 'changed': True}]}, True,
     [(False, 'check mode: it would be removed'), (False, RECENT['note'])]),
    (True, {'skipped': True, 'results': []}, False, [(False, 'not removed'), (False, RECENT['note'])]),
])
def test_the_leftovers_on_the_drills_line(wanted, results, check_mode, expected):
    got = drill_row(completed=True, removal=REMOVED, leftovers=[LEFTOVER, RECENT], leftover_removals=results,
                    remove_leftovers=wanted, check_mode=check_mode)
    assert [(item['removed'], item['note']) for item in got['leftovers']] == expected
    assert [item['name'] for item in got['leftovers']] == [LEFTOVER['name'], RECENT['name']]
    assert sorted(got['leftovers'][0]) == ['age', 'id', 'name', 'note', 'removed', 'started_at']
    # A leftover that stays does not fail the drill.
    assert got['outcome'] == ('planned' if check_mode else 'ok')


def test_the_backup_age_is_unknown_without_a_readable_time():
    got = drill_row(dict(DONE, backup=dict(BACKUP, created_at='yesterday')), completed=True, removal=REMOVED)
    assert got['backup_age'] is None and got['backup_id'] == BACKUP['id']
