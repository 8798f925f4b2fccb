# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup_outcomes filter: the rows the backup role reports, their labels, and the one host that reports them."""

from __future__ import annotations

from ansible_collections.composeio.dbaas.plugins.filter.backup_outcomes import FilterModule, backup_outcomes


def outcome(host, name, dep_id, finished):
    return {'host': host, 'deployment': name, 'deployment_id': dep_id, 'outcome': 'ok', '_finished': finished}


HOSTS = ['fizz-production', 'buzz-cache_a1', 'buzz-cache_b2', 'fizz-events']
OUTCOMES = [outcome('fizz-production', 'fizz-production', 'a' * 24, 100.5),
            outcome('buzz-cache_a1', 'buzz-cache', 'a1' * 12, 103.0),
            outcome('buzz-cache_b2', 'buzz-cache', 'b2' * 12, 101.0),
            outcome('fizz-events', 'fizz-events', 'c' * 24, 102.0)]


def test_registered_under_its_name():
    assert FilterModule().filters() == {'backup_outcomes': backup_outcomes}


def test_a_name_two_deployments_share_is_labelled_with_each_id():
    got = backup_outcomes(OUTCOMES, HOSTS)
    assert got['labels'] == ['fizz-production', 'buzz-cache (%s)' % ('a1' * 12), 'buzz-cache (%s)' % ('b2' * 12),
                             'fizz-events']


def test_a_repeated_name_without_an_id_is_labelled_with_the_host():
    rows = [outcome('x1', 'buzz-cache', None, 1), outcome('x2', 'buzz-cache', 'b' * 24, 2)]
    assert backup_outcomes(rows, ['x1', 'x2'])['labels'] == ['buzz-cache (host x1)', 'buzz-cache (%s)' % ('b' * 24)]


def test_rows_leave_out_the_finish_time_and_empty_outcomes():
    got = backup_outcomes([{}, OUTCOMES[0], None], ['fizz-production'])
    assert got['rows'] == [{'host': 'fizz-production', 'deployment': 'fizz-production', 'deployment_id': 'a' * 24,
                            'outcome': 'ok'}]
    assert got['complete'] is True and got['missing'] == []


def test_complete_when_every_host_still_in_the_play_has_an_outcome():
    got = backup_outcomes(OUTCOMES[:3], HOSTS)
    assert (got['complete'], got['missing'], got['reporter']) == (False, ['fizz-events'], None)
    # A host that left the play (failed outside the role's rescue) is not waited for.
    assert backup_outcomes(OUTCOMES[:3], HOSTS[:3])['complete'] is True


def test_the_reporter_is_the_host_that_finished_last():
    assert backup_outcomes(OUTCOMES, HOSTS)['reporter'] == 'buzz-cache_a1'


def test_hosts_that_finish_at_the_same_time_name_the_same_reporter_the_later_in_play_order():
    tied = [dict(row, _finished=200.0) for row in OUTCOMES]
    assert backup_outcomes(tied, HOSTS)['reporter'] == 'fizz-events'
    # Whatever the order the outcomes come in, every host that sees them all names the same one.
    assert backup_outcomes(list(reversed(tied)), HOSTS)['reporter'] == 'fizz-events'
