# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: backup_metrics
short_description: The backup role's freshness metrics, in Prometheus' text format, merged into the previous file
version_added: 0.1.0
author:
  - composeio.dbaas maintainers (@composeio)
description:
  - Takes the report rows of a run of the C(composeio.dbaas.backup) role (P(composeio.dbaas.backup_report_row#filter))
    and the path of the metrics file an earlier run wrote, and returns the file's new text, for node_exporter's
    textfile collector. The C(composeio.dbaas.backup) role writes it to its C(compose_backup_metrics_file).
  - Per deployment, C(compose_backup_last_success_timestamp_seconds) (when the backup that the last successful run
    secured was created; V(0) when no run has succeeded), C(compose_backup_last_size_bytes),
    C(compose_backup_last_duration_seconds) and C(compose_backup_last_run_success) (V(1) or V(0)), each labelled
    C(deployment) (the name, followed by the id when two deployments of the run share it) and C(type); and
    C(compose_backup_run_timestamp_seconds), when the file was written.
  - The previous file's values are kept where this run says nothing new - a deployment that failed keeps its last
    success time and size, one this run did not cover keeps its lines - so that the age of the last good backup
    keeps growing and an alert on it fires. Rows of check mode (V(planned)) change nothing.
  - The previous file is read on the controller; a missing or empty one starts afresh, one that cannot be read
    is an error (the file is left to the user, who fixes or removes it).
positional: _input
options:
  _input:
    description: The report rows of this run; rows with an outcome other than V(ok) or V(failed) are ignored.
    type: list
    elements: dict
    required: true
  path:
    description: The metrics file an earlier run wrote; empty or missing starts afresh.
    type: path
    default: ''
  run_time:
    description: When this run writes the file, in seconds since the epoch.
    type: float
    required: true
'''

EXAMPLES = r'''
- name: Write the freshness metrics, merged into the previous ones
  ansible.builtin.copy:
    dest: /var/lib/node_exporter/textfile/compose_backup.prom
    content: "{{ (rows | composeio.dbaas.backup_metrics(path='/var/lib/node_exporter/textfile/compose_backup.prom',
                 run_time=now(utc=true).timestamp())).text }}"
    mode: "0644"
'''

RETURN = r'''
_value:
  description: The new file and what it covers.
  type: dict
  contains:
    text:
      description: The file's text, in Prometheus' text exposition format.
      type: str
    updated:
      description: The deployments whose lines this run's rows set, as labelled.
      type: list
      elements: str
    kept:
      description: The deployments of the previous file that this run did not cover, kept as they were.
      type: list
      elements: str
'''

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.composeio.dbaas.plugins.filter.backup_outcomes import deployment_labels
from ansible_collections.composeio.dbaas.plugins.module_utils._metrics import OUTCOMES, MetricsError, merge, parse, render, row_name

# node_exporter's textfile files are small; a file far larger than this one would write is not read.
LIMIT = 64 << 20


def _previous(path):
    if not path:
        return ''
    try:
        with open(path, 'rb') as handle:
            data = handle.read(LIMIT + 1)
    except FileNotFoundError:
        return ''
    except OSError as exc:
        raise AnsibleFilterError('cannot read the previous metrics file %s: %s; fix its permissions, or remove it to '
                                 'start afresh' % (path, exc.strerror or exc)) from None
    if len(data) > LIMIT:
        raise AnsibleFilterError('the previous metrics file %s is over %d MiB, far more than this role writes; '
                                 'remove it to start afresh' % (path, LIMIT >> 20))
    return data.decode('utf-8', errors='replace')


def backup_metrics(rows, path='', run_time=None):
    if run_time in (None, ''):
        raise AnsibleFilterError('backup_metrics: run_time is required')
    rows = [row for row in rows or () if isinstance(row, dict)]
    rows = [dict(row, deployment=label) for row, label in zip(rows, deployment_labels(rows))]
    path = os.path.expanduser(str(path or ''))
    try:
        previous = parse(_previous(path))
    except MetricsError as exc:
        raise AnsibleFilterError('the previous metrics file %s cannot be read (%s); it was left as it was: fix it, or '
                                 'remove it to start afresh (the deployments it held lose their history)'
                                 % (path, exc)) from None
    run_time = float(run_time)
    updated = sorted(set(row_name(row) for row in rows if row.get('outcome') in OUTCOMES and row_name(row)))
    return {
        'text': render(merge(previous, rows, run_time), run_time),
        'updated': updated,
        'kept': sorted(set(previous) - set(updated)),
    }


class FilterModule:
    def filters(self):
        return {'backup_metrics': backup_metrics}
