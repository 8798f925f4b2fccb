# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup_merge_reports filter: the reports of the slices of one run merged into one summary - every deployment
once, a re-run slice superseding its earlier report, and every reason the night is not complete said."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.composeio.dbaas.plugins.filter.backup_merge_reports import FilterModule, backup_merge_reports

T1 = '2026-12-06T02:10:00Z'
T2 = '2026-12-06T02:20:00Z'
T3 = '2026-12-06T03:00:00Z'


def row(name, outcome='ok', dep_id=None, action='triggered', downloaded=True):
    return {'host': name, 'deployment': name, 'deployment_id': dep_id if dep_id is not None else name.encode().hex()[:24],
            'type': 'redis', 'outcome': outcome, 'action': action, 'downloaded': downloaded,
            'error': 'Trigger, join or reuse a backup: HTTP 500' if outcome == 'failed' else None}


def report(generated_at, rows, job=None, check_mode=False):
    return {'generated_at': generated_at, 'api_url': 'http://sim/2016-07', 'folder': '/b', 'check_mode': check_mode,
            'awx_job_id': job, 'awx_workflow_job_id': 40 if job else None, 'totals': {}, 'deployments': rows}


SLICE1 = [row('d-00'), row('d-03')]
SLICE2 = [row('d-01'), row('d-04')]
SLICE3 = [row('d-02'), row('d-05')]
ALL = ['d-00', 'd-01', 'd-02', 'd-03', 'd-04', 'd-05']

# name: (reports as {file name: content}, slices, expected, problems (with {dir} for the folder), complete)
CASES = {
    'three slices, every deployment once': (
        {'r-41.json': report(T1, SLICE1, 41), 'r-42.json': report(T1, SLICE2, 42), 'r-43.json': report(T2, SLICE3, 43)},
        3, ALL, [], True),
    'a slice killed before its report': (
        {'r-41.json': report(T1, SLICE1, 41), 'r-42.json': report(T1, SLICE2, 42)},
        3, ALL, ['1 of 3 slices have no report: a slice that stopped before its end (re-run it) or did not run',
                 '2 expected deployments are in no report: d-02, d-05'], False),
    'the killed slice run again': (
        {'r-41.json': report(T1, SLICE1, 41), 'r-42.json': report(T1, SLICE2, 42), 'r-47.json': report(T3, SLICE3, 47)},
        3, ALL, [], True),
    'a slice with a failure, then run again': (
        {'r-41.json': report(T1, SLICE1, 41), 'r-42.json': report(T1, [row('d-01', 'failed'), row('d-04')], 42),
         'r-43.json': report(T1, SLICE3, 43), 'r-48.json': report(T3, SLICE2, 48)},
        3, ALL, [], True),
    'a slice with a failure, not run again': (
        {'r-41.json': report(T1, SLICE1, 41), 'r-42.json': report(T1, [row('d-01', 'failed'), row('d-04')], 42),
         'r-43.json': report(T1, SLICE3, 43)},
        3, [], ['{dir}/r-42.json (job 42) has 1 failed deployment'], False),
    'slices that overlap': (
        {'r-41.json': report(T1, SLICE1 + [row('d-01')], 41), 'r-42.json': report(T2, SLICE2, 42),
         'r-43.json': report(T1, SLICE3, 43)},
        3, ALL, ['d-01 is in 2 reports: {dir}/r-41.json, {dir}/r-42.json'], False),
    'a report that cannot be read, and one of something else': (
        {'r-41.json': report(T1, SLICE1, 41), 'r-42.json': '{"deployments": [', 'r-43.json': {'rows': []}},
        3, [], ['{dir}/r-42.json cannot be read: it is not JSON (Expecting value: line 1 column 18 (char 17))',
                '{dir}/r-43.json cannot be read: it is not a report of the backup role (no list of deployments)',
                '2 of 3 slices have no report: a slice that stopped before its end (re-run it) or did not run'], False),
    'a check-mode run': (
        {'r-41.json': report(T1, [dict(r, outcome='planned') for r in SLICE1], 41, check_mode=True)},
        0, [], ['{dir}/r-41.json (job 41) is of a check-mode run: nothing was backed up'], False),
    'more reports than slices': (
        {'r-41.json': report(T1, SLICE1, 41), 'r-42.json': report(T1, SLICE2, 42), 'r-43.json': report(T1, SLICE3, 43)},
        2, [], ['3 reports for 2 slices: reports of another run are in the folder'], False),
    'one report outside AWX, the number of slices not checked': (
        {'compose-backup-report.json': report(T1, SLICE1 + SLICE2)}, 0, [], [], True),
    'two deployments that share a name, in two slices': (
        {'r-41.json': report(T1, [row('twin', dep_id='a' * 24)], 41), 'r-42.json': report(T1, [row('twin', dep_id='b' * 24)], 42)},
        2, [], [], True),
    'no report at all': ({}, 0, [], [], False),
}


def write(tmp_path, reports):
    paths = []
    for name, content in reports.items():
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        paths.append(str(path))
    return paths


def test_registered_under_its_name():
    assert FilterModule().filters() == {'backup_merge_reports': backup_merge_reports}


@pytest.mark.parametrize('case', sorted(CASES))
def test_the_summary_of_a_night(tmp_path, case):
    reports, slices, expected, problems, complete = CASES[case]
    got = backup_merge_reports(write(tmp_path, reports), slices=slices, expected=expected)
    assert got['problems'] == [problem.format(dir=tmp_path) for problem in problems]
    assert got['complete'] is complete
    # Every deployment once, whatever the reports said.
    labels = [entry['label'] for entry in got['deployments']]
    assert len(labels) == len(set(labels)) == got['totals']['deployments']


def test_a_killed_slice_run_again_makes_the_night_complete(tmp_path):
    paths = write(tmp_path, CASES['the killed slice run again'][0])
    got = backup_merge_reports(paths, slices=3, expected=ALL)
    assert got['totals'] == {'deployments': 6, 'ok': 6, 'failed': 0, 'planned': 0, 'triggered': 6, 'downloaded': 6,
                             'reports': 3, 'superseded': 0, 'unreadable': 0, 'slices': 3}
    assert [entry['label'] for entry in got['deployments']] == ALL
    assert got['deployments'][2]['report'] == str(tmp_path / 'r-47.json')
    assert (got['missing'], got['missing_slices'], got['duplicates'], got['failed']) == ([], 0, [], [])
    assert [(entry['awx_job_id'], entry['status']) for entry in got['reports']] == [(41, 'merged'), (42, 'merged'), (47, 'merged')]


def test_a_slice_run_again_supersedes_its_failed_report(tmp_path):
    paths = write(tmp_path, CASES['a slice with a failure, then run again'][0])
    got = backup_merge_reports(paths, slices=3)
    assert got['totals']['failed'] == 0 and got['totals']['superseded'] == 1 and got['totals']['reports'] == 3
    superseded = [entry for entry in got['reports'] if entry['status'] == 'superseded']
    assert superseded == [{'path': str(tmp_path / 'r-42.json'), 'status': 'superseded', 'generated_at': T1, 'awx_job_id': 42,
                           'awx_workflow_job_id': 40, 'deployments': 2, 'failed': 1, 'check_mode': False,
                           'superseded_by': str(tmp_path / 'r-48.json')}]
    assert [entry['report'] for entry in got['deployments'] if entry['deployment'] in ('d-01', 'd-04')] == [
        str(tmp_path / 'r-48.json')] * 2


def test_failures_and_duplicates_are_listed(tmp_path):
    got = backup_merge_reports(write(tmp_path, CASES['a slice with a failure, not run again'][0]))
    assert got['failed'] == ['d-01'] and got['totals']['failed'] == 1 and got['totals']['ok'] == 5
    got = backup_merge_reports(write(tmp_path, CASES['slices that overlap'][0]), slices=3)
    assert got['duplicates'] == [{'label': 'd-01', 'reports': [str(tmp_path / 'r-41.json'), str(tmp_path / 'r-42.json')]}]
    # The later report's row is the one kept.
    assert [entry['report'] for entry in got['deployments'] if entry['deployment'] == 'd-01'] == [str(tmp_path / 'r-42.json')]


def test_deployments_that_share_a_name_are_labelled_with_their_ids(tmp_path):
    got = backup_merge_reports(write(tmp_path, CASES['two deployments that share a name, in two slices'][0]))
    assert [entry['label'] for entry in got['deployments']] == ['twin (%s)' % ('a' * 24), 'twin (%s)' % ('b' * 24)]
    assert got['duplicates'] == []


def test_a_missing_file_is_a_problem_not_an_error(tmp_path):
    got = backup_merge_reports([str(tmp_path / 'gone.json')])
    assert got['problems'] == ['%s cannot be read: No such file or directory' % (tmp_path / 'gone.json')]
    assert got['reports'] == [{'path': str(tmp_path / 'gone.json'), 'status': 'unreadable', 'error': 'No such file or directory'}]


@pytest.mark.parametrize('paths, options, message', [
    ('/b/r.json', {}, 'the input must be a list of report paths, got str'),
    ([], {'slices': 'four'}, "slices must be a whole number, got 'four'"),
    ([], {'slices': -1}, 'slices must be 0 (not checked) or more, got -1'),
])
def test_bad_input_says_what_is_wrong(paths, options, message):
    with pytest.raises(AnsibleFilterError, match='^backup_merge_reports: ' + message.replace('(', r'\(').replace(')', r'\)')):
        backup_merge_reports(paths, **options)
