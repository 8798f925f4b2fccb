# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup_metrics filter: the role's report rows merged into the previous metrics file, read back with
prometheus_client's parser; a previous file that cannot be read is an error that says what to do."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.composeio.dbaas.plugins.filter.backup_metrics import FilterModule, backup_metrics

NIGHT1 = 1796515200.0  # 2026-12-06T00:00:00Z
NIGHT2 = NIGHT1 + 86400


def row(name, outcome='ok', created='2026-12-05T23:59:00.000Z', dep_id=None, kind='postgresql', size=1024):
    return {'deployment': name, 'deployment_id': dep_id, 'host': name, 'type': kind, 'outcome': outcome,
            'size': size, 'duration': 3.5, 'backup_created_at': created}


def samples(text):
    return dict(((sample.name, sample.labels.get('deployment')), sample.value)
                for family in text_string_to_metric_families(text) for sample in family.samples)


def test_registered_under_its_name():
    assert FilterModule().filters() == {'backup_metrics': backup_metrics}


def test_a_first_run_a_failed_run_and_a_smaller_run(tmp_path):
    path = tmp_path / 'compose_backup.prom'
    first = backup_metrics([row('fizz'), row('buzz', kind='redis')], path=str(path), run_time=NIGHT1)
    assert (first['updated'], first['kept']) == (['buzz', 'fizz'], [])
    got = samples(first['text'])
    assert got[('compose_backup_last_success_timestamp_seconds', 'fizz')] == NIGHT1 - 60
    assert got[('compose_backup_last_run_success', 'buzz')] == 1
    path.write_text(first['text'])

    second = backup_metrics([row('fizz', outcome='failed', created=None, size=None)], path=str(path), run_time=NIGHT2)
    assert (second['updated'], second['kept']) == (['fizz'], ['buzz'])
    got = samples(second['text'])
    assert got[('compose_backup_last_success_timestamp_seconds', 'fizz')] == NIGHT1 - 60
    assert got[('compose_backup_last_size_bytes', 'fizz')] == 1024
    assert got[('compose_backup_last_run_success', 'fizz')] == 0
    assert got[('compose_backup_last_run_success', 'buzz')] == 1
    assert got[('compose_backup_run_timestamp_seconds', None)] == NIGHT2


def test_check_mode_rows_change_nothing_but_the_run_time(tmp_path):
    path = tmp_path / 'm.prom'
    path.write_text(backup_metrics([row('fizz')], run_time=NIGHT1)['text'])
    planned = backup_metrics([row('fizz', outcome='planned', created='2026-12-06T23:00:00Z')], path=str(path),
                             run_time=NIGHT2)
    assert (planned['updated'], planned['kept']) == ([], ['fizz'])
    assert samples(planned['text'])[('compose_backup_last_success_timestamp_seconds', 'fizz')] == NIGHT1 - 60


def test_deployments_that_share_a_name_are_told_apart_by_their_ids():
    got = backup_metrics([row('fizz', dep_id='a' * 24), row('fizz', dep_id='b' * 24, outcome='failed')], run_time=NIGHT1)
    assert got['updated'] == ['fizz (%s)' % ('a' * 24), 'fizz (%s)' % ('b' * 24)]
    values = samples(got['text'])
    assert values[('compose_backup_last_run_success', 'fizz (%s)' % ('a' * 24))] == 1
    assert values[('compose_backup_last_run_success', 'fizz (%s)' % ('b' * 24))] == 0


@pytest.mark.parametrize('path', ['', None, 'missing.prom'])
def test_no_previous_file_starts_afresh(tmp_path, path):
    got = backup_metrics([row('fizz')], path=str(tmp_path / path) if path else path, run_time=NIGHT1)
    assert got['kept'] == [] and ('compose_backup_last_run_success', 'fizz') in samples(got['text'])


def test_an_unreadable_previous_file_is_an_error_that_says_what_to_do(tmp_path):
    bad = tmp_path / 'bad.prom'
    bad.write_text('compose_backup_last_run_success{deployment="fizz"} yes\n')
    with pytest.raises(AnsibleFilterError, match=r'the previous metrics file .*bad\.prom cannot be read \(line 1 has '
                                                 r'no number.*\); it was left as it was: fix it, or remove it'):
        backup_metrics([row('fizz')], path=str(bad), run_time=NIGHT1)
    assert bad.read_text() == 'compose_backup_last_run_success{deployment="fizz"} yes\n'
    with pytest.raises(AnsibleFilterError, match='cannot read the previous metrics file .*: Is a directory'):
        backup_metrics([row('fizz')], path=str(tmp_path), run_time=NIGHT1)


def test_run_time_is_required():
    with pytest.raises(AnsibleFilterError, match='run_time is required'):
        backup_metrics([row('fizz')])
