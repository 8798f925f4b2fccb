# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which archives of a deployment retention keeps: newest first by the time in their names."""

from __future__ import annotations

import pytest

from ansible_collections.composeio.dbaas.plugins.module_utils._retention import archive_stamp, decide, newest_first

A1 = '/b/fizz_20180101T120000Z_a1.tar.gz'
A2 = '/b/fizz_20180102T120000Z_a2.tar.gz'
A3 = '/b/fizz_20180103T120000Z_a3.tar.gz'
# Same time, another backup: the greater path ranks first.
A3B = '/b/fizz_20180103T120000Z_b3.tar.gz'
# A name whose deployment part holds a time too: the last one counts.
ODD = '/b/x_20300101T000000Z_y_20180102T130000Z_c.tar.gz'
NO_TIME = '/b/fizz_unknown-time_d.tar.gz'


@pytest.mark.parametrize('path, stamp', [
    (A1, '20180101T120000Z'),
    (ODD, '20180102T130000Z'),
    (NO_TIME, ''),
    ('/b_20180101T120000Z_dir/fizz.tar.gz', ''),
    ('', ''),
])
def test_archive_stamp(path, stamp):
    assert archive_stamp(path) == stamp


@pytest.mark.parametrize('paths, order', [
    ([A1, A3, A2], [A3, A2, A1]),
    ([A3, A3B, A1], [A3B, A3, A1]),
    ([A2, ODD, A1], [ODD, A2, A1]),
    ([NO_TIME, A1], [A1, NO_TIME]),
    ([], []),
])
def test_newest_first(paths, order):
    assert [archive['path'] for archive in newest_first([{'path': path} for path in paths])] == order


@pytest.mark.parametrize('paths, keep, kept, removed', [
    ([A1, A2, A3], 0, [A3, A2, A1], []),
    ([A1, A2, A3], 1, [A3], [A2, A1]),
    ([A1, A2, A3], 2, [A3, A2], [A1]),
    ([A1, A2, A3], 3, [A3, A2, A1], []),
    ([A1, A2, A3], 7, [A3, A2, A1], []),
    ([A1, NO_TIME, A2], 2, [A2, A1], [NO_TIME]),
    ([], 2, [], []),
    ([A1, A2], '1', [A2], [A1]),
    ([A1, A2], None, [A2, A1], []),
])
def test_decide_keeps_the_newest(paths, keep, kept, removed):
    decisions = decide([{'path': path} for path in paths], keep=keep)
    assert [d['path'] for d in decisions] == kept + removed
    assert [d['path'] for d in decisions if d['keep']] == kept
    assert [d['path'] for d in decisions if not d['keep']] == removed


def test_decide_says_why_and_keeps_what_the_sidecar_said():
    archives = [{'path': A1, 'backup_id': 'a1', 'created_at': '2018-01-01T12-00-00Z'},
                {'path': A2, 'backup_id': 'a2', 'pending': True}]
    assert decide(archives, keep=1) == [
        {'path': A2, 'backup_id': 'a2', 'pending': True, 'keep': True, 'reason': 'one of the 1 newest'},
        {'path': A1, 'backup_id': 'a1', 'created_at': '2018-01-01T12-00-00Z', 'keep': False,
         'reason': 'older than the 1 newest'}]
    assert [d['reason'] for d in decide(archives)] == ['every archive is kept (keep is 0)'] * 2
    # The input is not changed.
    assert 'keep' not in archives[0]
