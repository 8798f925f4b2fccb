"""Freshness metrics: read back with prometheus_client's own parser across good, failed and smaller runs."""

from __future__ import annotations

import datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.composeio.dbaas.plugins.module_utils._metrics import MetricsError, merge, parse, render

NIGHT1 = 1796515200.0  # 2026-12-06T00:00:00Z
NIGHT2 = NIGHT1 + 86400


def stamp(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.000Z')


def row(name, outcome='ok', kind='postgresql', created=None, size=1024, duration=12.5):
    return {'deployment': name, 'type': kind, 'outcome': outcome, 'size': size, 'duration': duration,
            'backup_created_at': stamp(created) if created is not None else None}


def samples(text):
    """{(metric, deployment or None): value} as Prometheus reads the file."""
    got = {}
    for family in text_string_to_metric_families(text):
        assert family.type == 'gauge'
        for sample in family.samples:
            got[(sample.name, sample.labels.get('deployment'))] = sample.value
    return got


def run(previous_text, rows, run_time):
    return render(merge(parse(previous_text), rows, run_time), run_time)


def test_good_run():
    text = run('', [row('fizz', created=NIGHT1 - 60), row('buzz', kind='redis', size=None, duration=None)], NIGHT1)
    got = samples(text)
    assert got[('compose_backup_last_success_timestamp_seconds', 'fizz')] == NIGHT1 - 60
    # No creation time known: the run's time stands for it.
    assert got[('compose_backup_last_success_timestamp_seconds', 'buzz')] == NIGHT1
    assert got[('compose_backup_last_size_bytes', 'fizz')] == 1024
    assert ('compose_backup_last_size_bytes', 'buzz') not in got
    assert got[('compose_backup_last_duration_seconds', 'fizz')] == 12.5
    assert got[('compose_backup_last_run_success', 'fizz')] == 1
    assert got[('compose_backup_run_timestamp_seconds', None)] == NIGHT1
    assert 'type="redis"' in text


def test_failed_run_keeps_the_last_success():
    first = run('', [row('fizz', created=NIGHT1 - 60, size=2048)], NIGHT1)
    second = run(first, [row('fizz', outcome='failed', size=None, duration=None)], NIGHT2)
    got = samples(second)
    assert got[('compose_backup_last_success_timestamp_seconds', 'fizz')] == NIGHT1 - 60
    assert got[('compose_backup_last_size_bytes', 'fizz')] == 2048
    assert got[('compose_backup_last_run_success', 'fizz')] == 0
    assert got[('compose_backup_run_timestamp_seconds', None)] == NIGHT2


def test_never_succeeded_is_zero_so_the_age_alert_fires():
    got = samples(run('', [row('new', outcome='failed')], NIGHT1))
    assert got[('compose_backup_last_success_timestamp_seconds', 'new')] == 0
    assert got[('compose_backup_last_run_success', 'new')] == 0


def test_run_over_fewer_deployments_keeps_the_others_as_they_were():
    first = run('', [row('fizz', created=NIGHT1 - 60), row('buzz', created=NIGHT1 - 30, size=7)], NIGHT1)
    second = run(first, [row('fizz', created=NIGHT2 - 60)], NIGHT2)
    got = samples(second)
    assert got[('compose_backup_last_success_timestamp_seconds', 'fizz')] == NIGHT2 - 60
    assert got[('compose_backup_last_success_timestamp_seconds', 'buzz')] == NIGHT1 - 30
    assert got[('compose_backup_last_size_bytes', 'buzz')] == 7
    assert got[('compose_backup_last_run_success', 'buzz')] == 1


def test_planned_rows_change_nothing():
    first = run('', [row('fizz', created=NIGHT1)], NIGHT1)
    assert samples(run(first, [row('fizz', outcome='planned', created=NIGHT2)], NIGHT2))[
        ('compose_backup_last_success_timestamp_seconds', 'fizz')] == NIGHT1


def test_names_that_need_escaping_round_trip():
    name = 'odd "name" \\ with\nnewline'
    text = run('', [row(name, created=NIGHT1)], NIGHT1)
    assert ('compose_backup_last_run_success', name) in samples(text)
    assert list(parse(text)) == [name]


def test_one_help_and_type_per_family():
    text = run('', [row('a', created=NIGHT1), row('b', created=NIGHT1)], NIGHT1)
    assert text.count('# TYPE compose_backup_last_run_success gauge') == 1
    assert text.endswith('\n')


@pytest.mark.parametrize('bad', ['compose_backup_last_run_success{deployment="a"', 'just words here and more',
                                 'compose_backup_last_run_success{deployment="a"} yes'])
def test_unreadable_previous_file(bad):
    with pytest.raises(MetricsError):
        parse(bad + '\n')


def test_other_metrics_in_the_file_are_ignored():
    assert parse('node_time_seconds 5\ncompose_backup_last_run_success{foo="x"} 1\n') == {}
