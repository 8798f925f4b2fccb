# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which archives of a deployment retention keeps: the newest N and the newest of each of the last days, ISO weeks
and months that have one (restic's forget), by each backup's created_at in UTC, with tables of dates."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.composeio.dbaas.plugins.module_utils._retention import (
    archive_stamp, archive_time, created_time, decide)

UTC = datetime.timezone.utc


def archives(*times):
    """Archives named by their created_at (RFC 3339 or the sidecar's form), paths in the same order."""
    return [{'path': '/b/%02d' % index, 'created_at': when} for index, when in enumerate(times)]


def kept(decisions):
    return [decision['created_at'] for decision in decisions if decision['keep']]


def removed(decisions):
    return [decision['created_at'] for decision in decisions if not decision['keep']]


def reasons(decisions):
    return dict((decision['created_at'], decision['reason']) for decision in decisions)


@pytest.mark.parametrize('path, stamp', [
    ('/b/fizz_20180101T120000Z_a1.tar.gz', '20180101T120000Z'),
    # A name whose deployment part holds a time too: the last one counts.
    ('/b/x_20300101T000000Z_y_20180102T130000Z_c.tar.gz', '20180102T130000Z'),
    ('/b/fizz_unknown-time_d.tar.gz', ''),
    ('/b_20180101T120000Z_dir/fizz.tar.gz', ''),
    ('', ''),
])
def test_archive_stamp(path, stamp):
    assert archive_stamp(path) == stamp


@pytest.mark.parametrize('text, expected', [
    # As the sidecar writes it (':' became '-'), with and without milliseconds and Z.
    ('2026-12-05T10-00-01.000Z', datetime.datetime(2026, 12, 5, 10, 0, 1, tzinfo=UTC)),
    ('2026-12-05T10-00-01Z', datetime.datetime(2026, 12, 5, 10, 0, 1, tzinfo=UTC)),
    ('2026-12-05T10-00-01', datetime.datetime(2026, 12, 5, 10, 0, 1, tzinfo=UTC)),
    # RFC 3339, offsets turned into UTC: 00:30 at +05:00 is the day before in UTC.
    ('2026-12-05T10:00:01Z', datetime.datetime(2026, 12, 5, 10, 0, 1, tzinfo=UTC)),
    ('2026-12-06T00:30:00+05:00', datetime.datetime(2026, 12, 5, 19, 30, tzinfo=UTC)),
    ('2026-12-05T22:00:00-05:00', datetime.datetime(2026, 12, 6, 3, 0, tzinfo=UTC)),
    ('2024-02-29T12-00-00Z', datetime.datetime(2024, 2, 29, 12, 0, tzinfo=UTC)),
    # A numeric offset in the sidecar's form lost its sign: not read rather than guessed.
    ('2026-12-05T23-30-00-05-00', None),
    ('2023-02-29T12-00-00Z', None),
    ('unnamed', None),
    ('', None),
    (None, None),
    (20261205, None),
])
def test_created_time(text, expected):
    got = created_time(text)
    assert got == expected
    assert got is None or got.tzinfo == UTC


def test_archive_time_of_a_planned_download_is_the_time_in_its_name():
    assert archive_time({'path': '/b/fizz_20261206T231000Z_pending.tar.gz', 'pending': True}) == datetime.datetime(
        2026, 12, 6, 23, 10, tzinfo=UTC)
    assert archive_time({'path': '/b/fizz_unknown-time_x.tar.gz', 'pending': True}) is None
    # On disk, only the sidecar counts, never the name.
    assert archive_time({'path': '/b/fizz_20261206T231000Z_x.tar.gz'}) is None


@pytest.mark.parametrize('keep, expected_kept', [
    (0, ['2018-01-03T12:00:00Z', '2018-01-02T12:00:00Z', '2018-01-01T12:00:00Z']),
    (1, ['2018-01-03T12:00:00Z']),
    (2, ['2018-01-03T12:00:00Z', '2018-01-02T12:00:00Z']),
    (3, ['2018-01-03T12:00:00Z', '2018-01-02T12:00:00Z', '2018-01-01T12:00:00Z']),
    (7, ['2018-01-03T12:00:00Z', '2018-01-02T12:00:00Z', '2018-01-01T12:00:00Z']),
    ('1', ['2018-01-03T12:00:00Z']),
    (None, ['2018-01-03T12:00:00Z', '2018-01-02T12:00:00Z', '2018-01-01T12:00:00Z']),
])
def test_the_newest_n(keep, expected_kept):
    decisions = decide(archives('2018-01-01T12:00:00Z', '2018-01-03T12:00:00Z', '2018-01-02T12:00:00Z'), keep=keep)
    assert [d['created_at'] for d in decisions] == ['2018-01-03T12:00:00Z', '2018-01-02T12:00:00Z',
                                                    '2018-01-01T12:00:00Z']
    assert kept(decisions) == expected_kept


def test_equal_times_rank_by_path_the_greater_first():
    decisions = decide([{'path': '/b/a', 'created_at': '2018-01-03T12-00-00Z'},
                        {'path': '/b/b', 'created_at': '2018-01-03T12-00-00Z'}], keep=1)
    assert [(d['path'], d['keep']) for d in decisions] == [('/b/b', True), ('/b/a', False)]


# Each case: the archives' created_at, the rules, the ones kept (newest first).
CALENDAR = {
    'several in one day: the newest of each day': (
        ['2026-12-05T01:00:00Z', '2026-12-05T13:00:00Z', '2026-12-05T23:59:59Z', '2026-12-04T23:00:00Z',
         '2026-12-04T00:00:00Z', '2026-12-03T12:00:00Z'],
        {'keep_daily': 2},
        ['2026-12-05T23:59:59Z', '2026-12-04T23:00:00Z']),
    'the last days that have one, not the last calendar days': (
        ['2026-12-05T12:00:00Z', '2026-11-20T12:00:00Z', '2026-10-01T12:00:00Z', '2026-09-01T12:00:00Z'],
        {'keep_daily': 3},
        ['2026-12-05T12:00:00Z', '2026-11-20T12:00:00Z', '2026-10-01T12:00:00Z']),
    'month ends': (
        ['2026-01-31T23:59:59Z', '2026-02-01T00:00:00Z', '2026-02-28T23:00:00Z', '2026-03-01T00:00:01Z',
         '2026-04-30T12:00:00Z', '2026-04-01T00:00:00Z'],
        {'keep_monthly': 3},
        ['2026-04-30T12:00:00Z', '2026-03-01T00:00:01Z', '2026-02-28T23:00:00Z']),
    'leap day: 2024-02-29 is a day and part of February': (
        ['2024-02-28T12:00:00Z', '2024-02-29T06:00:00Z', '2024-02-29T18:00:00Z', '2024-03-01T00:00:00Z'],
        {'keep_daily': 3, 'keep_monthly': 2},
        ['2024-03-01T00:00:00Z', '2024-02-29T18:00:00Z', '2024-02-28T12:00:00Z']),
    'leap day, monthly alone: the newest of February is the 29th': (
        ['2024-02-28T12:00:00Z', '2024-02-29T06:00:00Z', '2024-03-01T00:00:00Z', '2024-01-31T00:00:00Z'],
        {'keep_monthly': 2},
        ['2024-03-01T00:00:00Z', '2024-02-29T06:00:00Z']),
    'ISO week 53: 2020-12-28 to 2021-01-03 is one week across the new year': (
        ['2020-12-27T12:00:00Z', '2020-12-28T00:00:00Z', '2020-12-31T12:00:00Z', '2021-01-01T12:00:00Z',
         '2021-01-03T23:59:59Z', '2021-01-04T00:00:00Z'],
        {'keep_weekly': 3},
        ['2021-01-04T00:00:00Z', '2021-01-03T23:59:59Z', '2020-12-27T12:00:00Z']),
    'gaps of weeks: the last weeks that have one': (
        ['2026-12-01T12:00:00Z', '2026-11-03T12:00:00Z', '2026-11-02T12:00:00Z', '2026-09-15T12:00:00Z',
         '2026-06-02T12:00:00Z'],
        {'keep_weekly': 3},
        ['2026-12-01T12:00:00Z', '2026-11-03T12:00:00Z', '2026-09-15T12:00:00Z']),
    'weeks start on Monday': (
        ['2026-12-06T23:00:00Z', '2026-12-07T00:00:00Z', '2026-11-30T00:00:00Z', '2026-11-29T23:59:59Z'],
        {'keep_weekly': 2},
        ['2026-12-07T00:00:00Z', '2026-12-06T23:00:00Z']),
    'offsets: the UTC day counts, not the local one': (
        # 00:30 at +05:00 on the 6th is 19:30 UTC on the 5th; 22:00 at -05:00 on the 5th is 03:00 UTC on the 6th.
        ['2026-12-06T00:30:00+05:00', '2026-12-05T12:00:00Z', '2026-12-05T22:00:00-05:00', '2026-12-04T12:00:00Z'],
        {'keep_daily': 2},
        ['2026-12-05T22:00:00-05:00', '2026-12-06T00:30:00+05:00']),
    'any rule keeps: the newest 2 and the newest of each of 3 months': (
        ['2026-12-05T12:00:00Z', '2026-12-04T12:00:00Z', '2026-12-03T12:00:00Z', '2026-11-30T12:00:00Z',
         '2026-11-01T12:00:00Z', '2026-10-15T12:00:00Z', '2026-09-15T12:00:00Z'],
        {'keep': 2, 'keep_monthly': 3},
        ['2026-12-05T12:00:00Z', '2026-12-04T12:00:00Z', '2026-11-30T12:00:00Z', '2026-10-15T12:00:00Z']),
    'daily, weekly and monthly together, as restic': (
        ['2026-12-06T12:00:00Z', '2026-12-05T12:00:00Z', '2026-12-04T12:00:00Z', '2026-11-29T12:00:00Z',
         '2026-11-28T12:00:00Z', '2026-11-15T12:00:00Z', '2026-10-31T12:00:00Z', '2026-10-01T12:00:00Z',
         '2026-08-01T12:00:00Z'],
        {'keep_daily': 2, 'keep_weekly': 3, 'keep_monthly': 4},
        ['2026-12-06T12:00:00Z', '2026-12-05T12:00:00Z', '2026-11-29T12:00:00Z', '2026-11-15T12:00:00Z',
         '2026-10-31T12:00:00Z', '2026-08-01T12:00:00Z']),
    'more periods asked than there are: all kept': (
        ['2026-12-05T12:00:00Z', '2026-11-05T12:00:00Z'],
        {'keep_daily': 30, 'keep_weekly': 52, 'keep_monthly': 24},
        ['2026-12-05T12:00:00Z', '2026-11-05T12:00:00Z']),
    'the sidecar form reads as RFC 3339 does': (
        ['2026-12-05T10-00-01.000Z', '2026-12-05T09-00-00.000Z', '2026-12-04T10-00-00.000Z'],
        {'keep_daily': 7},
        ['2026-12-05T10-00-01.000Z', '2026-12-04T10-00-00.000Z']),
}


@pytest.mark.parametrize('times, rules, expected', CALENDAR.values(), ids=list(CALENDAR))
def test_calendar_rules(times, rules, expected):
    decisions = decide(archives(*times), **rules)
    assert kept(decisions) == expected
    assert sorted(removed(decisions) + kept(decisions)) == sorted(times)
    # Newest first, by the UTC time.
    order = [created_time(decision['created_at']) for decision in decisions]
    assert order == sorted(order, reverse=True)


def test_reasons_name_the_rules_that_keep_and_why_the_others_go():
    decisions = decide(archives('2026-12-05T23:00:00Z', '2026-12-05T08:00:00Z', '2026-12-01T12:00:00Z',
                                '2026-11-30T12:00:00Z', '2026-11-01T12:00:00Z', '2026-10-01T12:00:00Z'),
                       keep=1, keep_daily=2, keep_weekly=1, keep_monthly=2)
    assert reasons(decisions) == {
        '2026-12-05T23:00:00Z': 'newest 1, daily 2026-12-05, weekly 2026-W49, monthly 2026-12',
        '2026-12-05T08:00:00Z': 'not one of the newest 1, not the newest of day 2026-12-05, '
                                'not the newest of week 2026-W49, not the newest of month 2026-12',
        '2026-12-01T12:00:00Z': 'daily 2026-12-01',
        '2026-11-30T12:00:00Z': 'monthly 2026-11',
        '2026-11-01T12:00:00Z': 'not one of the newest 1, older than the last 2 days with an archive, '
                                'older than the last 1 week with an archive, not the newest of month 2026-11',
        '2026-10-01T12:00:00Z': 'not one of the newest 1, older than the last 2 days with an archive, '
                                'older than the last 1 week with an archive, '
                                'older than the last 2 months with an archive',
    }
    assert [d['keep'] for d in decisions] == [True, False, True, True, False, False]


@pytest.mark.parametrize('rules', [{}, {'keep': 0, 'keep_daily': 0, 'keep_weekly': 0, 'keep_monthly': 0},
                                   {'keep': None, 'keep_daily': '0'}, {'keep_daily': -3}])
def test_every_rule_off_keeps_everything(rules):
    decisions = decide(archives('2026-12-05T12:00:00Z', '2020-01-01T00:00:00Z', 'garbage'), **rules)
    assert [d['keep'] for d in decisions] == [True, True, True]
    assert [d['reason'] for d in decisions][:2] == [
        'no retention rule is set (keep, keep_daily, keep_weekly, keep_monthly are 0)'] * 2


@pytest.mark.parametrize('created_at, reason', [
    ('2026-12-05T23-30-00-05-00', 'its created_at (2026-12-05T23-30-00-05-00) cannot be read, so it is never removed'),
    ('unnamed', 'its created_at (unnamed) cannot be read, so it is never removed'),
    (None, 'its .sha256 file gives no created_at, so it is never removed'),
    ('', 'its .sha256 file gives no created_at, so it is never removed'),
])
def test_an_unreadable_time_is_never_removed_and_takes_no_place(created_at, reason):
    odd = {'path': '/b/fizz_unknown-time_x.tar.gz', 'created_at': created_at}
    if created_at is None:
        del odd['created_at']
    decisions = decide(archives('2026-12-05T12:00:00Z', '2026-12-04T12:00:00Z') + [odd], keep=1, keep_daily=1)
    assert [(d['path'], d['keep']) for d in decisions] == [
        ('/b/00', True), ('/b/01', False), ('/b/fizz_unknown-time_x.tar.gz', True)]
    assert decisions[-1]['reason'] == reason


def test_a_planned_download_takes_its_place_and_the_input_is_not_changed():
    given = archives('2026-12-05T12-00-00.000Z', '2026-12-04T12-00-00.000Z') + [
        {'path': '/b/fizz_20261206T231000Z_pending.tar.gz', 'pending': True}]
    decisions = decide(given, keep_daily=2)
    assert [(d['path'], d['keep'], d['reason']) for d in decisions] == [
        ('/b/fizz_20261206T231000Z_pending.tar.gz', True, 'daily 2026-12-06'),
        ('/b/00', True, 'daily 2026-12-05'),
        ('/b/01', False, 'older than the last 2 days with an archive')]
    assert decisions[0]['pending'] is True
    assert 'keep' not in given[0] and 'reason' not in given[2]


@pytest.mark.parametrize('rules, message', [
    ({'keep_yearly': 1}, 'unknown retention options: keep_yearly'),
    ({'keep_daily': 'seven'}, "keep_daily must be a whole number, got 'seven'"),
])
def test_bad_options_are_refused(rules, message):
    with pytest.raises((TypeError, ValueError), match=message):
        decide([], **rules)


def test_nothing_to_decide():
    assert decide([], keep=3, keep_daily=7) == []
