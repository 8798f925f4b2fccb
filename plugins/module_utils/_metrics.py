# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Freshness metrics of the backup role, in Prometheus' text format for node_exporter's textfile collector.

Private to this collection, may change without notice. Each run merges its report rows into what the previous run
wrote: a deployment that fails keeps its last success time, and one that this run did not cover keeps its lines as
they were, so the age of its last good backup keeps growing and an alert on that age fires.
"""

from __future__ import annotations

import re

from ansible_collections.composeio.dbaas.plugins.module_utils._time import parse_time

PREFIX = 'compose_backup_'
# (name, help), per deployment, in the order they are written.
SERIES = (
    ('last_success_timestamp_seconds', 'When the newest backup a successful run secured was created (0: never).'),
    ('last_size_bytes', 'Size of the archive of the last successful run.'),
    ('last_duration_seconds', 'How long the last successful run took for the deployment.'),
    ('last_run_success', 'Whether the last run that covered the deployment succeeded (1) or failed (0).'),
)
RUN_SERIES = ('run_timestamp_seconds', 'When the backup role last wrote this file.')
# The report rows' outcomes that say something of a deployment's backups; check mode's planned says nothing.
OUTCOMES = ('ok', 'failed')
_LINE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)(?:\s+\S+)?$')
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')
_UNESCAPE = {'\\\\': '\\', '\\"': '"', '\\n': '\n'}


class MetricsError(ValueError):
    """The previous metrics file cannot be read as this module writes it."""


def _escape(value):
    return str(value).replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def _labels(text):
    labels = {}
    at = 0
    while at < len(text):
        found = _LABEL.match(text, at)
        if not found:
            raise MetricsError('unreadable labels {%s}' % text)
        labels[found.group(1)] = re.sub(r'\\[\\"n]', lambda m: _UNESCAPE[m.group(0)], found.group(2))
        at = found.end()
    return labels


def parse(text):
    """What an earlier run wrote: {deployment: {'type': ..., series name: value}}."""
    state = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        found = _LINE.match(line)
        if not found:
            raise MetricsError('line %d is not a metric: %r' % (number, line[:80]))
        name = found.group('name')
        if not name.startswith(PREFIX) or name == PREFIX + RUN_SERIES[0]:
            continue
        labels = _labels(found.group('labels') or '')
        if 'deployment' not in labels:
            continue
        entry = state.setdefault(labels['deployment'], {'type': labels.get('type', '')})
        try:
            entry[name[len(PREFIX):]] = float(found.group('value'))
        except ValueError:
            raise MetricsError('line %d has no number: %r' % (number, line[:80])) from None
    return state


def _created(row, run_time):
    try:
        return parse_time(row.get('backup_created_at')).timestamp()
    except (TypeError, ValueError, AttributeError):
        return run_time


def row_name(row):
    """The deployment label of a report row: its deployment, else its host."""
    return row.get('deployment') or row.get('host')


def merge(previous, rows, run_time):
    """The state after this run: previous (from parse) updated by the report rows of a real (not check mode) run."""
    state = {name: dict(entry) for name, entry in previous.items()}
    for row in rows:
        name = row_name(row)
        if not name or row.get('outcome') not in OUTCOMES:
            continue
        entry = state.setdefault(name, {'last_success_timestamp_seconds': 0.0})
        entry['type'] = row.get('type') or entry.get('type') or ''
        if row['outcome'] == 'failed':
            entry['last_run_success'] = 0.0
            continue
        entry['last_run_success'] = 1.0
        entry['last_success_timestamp_seconds'] = _created(row, run_time)
        if row.get('size') is not None:
            entry['last_size_bytes'] = float(row['size'])
        if row.get('duration') is not None:
            entry['last_duration_seconds'] = float(row['duration'])
    return state


def _number(value):
    return repr(int(value)) if float(value).is_integer() else repr(float(value))


def render(state, run_time):
    """The file's text: HELP and TYPE once per series, one line per deployment that has a value, sorted by name."""
    lines = []
    for series, text in SERIES:
        lines += ['# HELP %s%s %s' % (PREFIX, series, text), '# TYPE %s%s gauge' % (PREFIX, series)]
        for name in sorted(state):
            entry = state[name]
            if entry.get(series) is None:
                continue
            lines.append('%s%s{deployment="%s",type="%s"} %s'
                         % (PREFIX, series, _escape(name), _escape(entry.get('type', '')), _number(entry[series])))
    lines += ['# HELP %s%s %s' % (PREFIX, RUN_SERIES[0], RUN_SERIES[1]), '# TYPE %s%s gauge' % (PREFIX, RUN_SERIES[0]),
              '%s%s %s' % (PREFIX, RUN_SERIES[0], _number(run_time))]
    return '\n'.join(lines) + '\n'
