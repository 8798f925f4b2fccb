# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: backup_batch_outcomes
short_description: Every host's row of the backup role's report from its batch mode's results
version_added: 0.1.0
author:
  - composeio.dbaas maintainers (@composeio)
description:
  - In the C(composeio.dbaas.backup) role's batch mode, one M(composeio.dbaas.compose_backup) call (two when some
    deployments cannot be downloaded) backs up every host's deployment. This filter gives each host of the plan
    (P(composeio.dbaas.backup_batch_plan#filter)) its report row, built by P(composeio.dbaas.backup_report_row#filter)
    from its deployment's item of the call's C(results), as the per-host path builds it from the host's own calls,
    and returns what P(composeio.dbaas.backup_outcomes#filter) returns, with O(reporter) as the host that reports.
  - A deployment whose item failed has outcome V(failed) and its C(msg) as the error, after O(task). When a call
    failed without C(results) (a bad option, say), each of its deployments failed with the call's C(msg). A call
    that did not run (its phase's tag not selected) leaves its deployments' rows as the per-host path's are then.
  - The row's C(duration) is the deployment's own C(elapsed) in the call. A deployment whose result names no
    deployment (it failed first, or its call did not run) gets the id and type the plan knows.
positional: _input
options:
  _input:
    description: The plan, from P(composeio.dbaas.backup_batch_plan#filter).
    type: dict
    required: true
  download_result:
    description: The registered result of the call for the plan's C(download) items; empty when it did not run.
    type: dict
    default: {}
  keep_result:
    description: The registered result of the call for the plan's C(keep) items; empty when it did not run.
    type: dict
    default: {}
  retention:
    description: The C(by_id) of P(composeio.dbaas.backup_retention_all#filter); empty when no rule is set.
    type: dict
    default: {}
  task:
    description: The name of the call's task, which a failed row's error starts with.
    type: str
    default: Back up every deployment
  download:
    description: Whether the run downloads backups, as for P(composeio.dbaas.backup_report_row#filter).
    type: bool
    default: true
  started:
    description: When the work started, in seconds since the epoch.
    type: float
  check_mode:
    description: Whether this is a check-mode run; its rows that did not fail are V(planned), else V(ok).
    type: bool
    default: false
  reporter:
    description: The host that writes the report (the one that ran the call).
    type: str
    required: true
'''

EXAMPLES = r'''
- name: Record every deployment's outcome
  ansible.builtin.set_fact:
    gathered: >-
      {{ plan | composeio.dbaas.backup_batch_outcomes(download_result=batch, started=start_time,
         check_mode=ansible_check_mode, reporter=inventory_hostname) }}
'''

RETURN = r'''
_value:
  description:
    - What P(composeio.dbaas.backup_outcomes#filter) returns for the rows - C(rows) in the plan's order of hosts,
      C(labels), C(missing) (always empty), C(complete) (always true) - with O(reporter) as C(reporter).
  type: dict
'''

from ansible_collections.composeio.dbaas.plugins.filter.backup_outcomes import backup_outcomes
from ansible_collections.composeio.dbaas.plugins.filter.backup_report_row import backup_report_row


def _mapping(value):
    return value if isinstance(value, dict) else {}


def _item(result, index):
    """(the deployment's result, error or None) from one call's registered result."""
    items = result.get('results')
    if isinstance(items, list) and index < len(items) and isinstance(items[index], dict):
        item = items[index]
        return item, (item.get('msg') or 'failed') if item.get('failed') else None
    if result.get('failed'):
        return {}, result.get('msg') or 'failed'
    return {}, None


def backup_batch_outcomes(plan, reporter, download_result=None, keep_result=None, retention=None, task='Back up every deployment',
                          download=True, started=None, check_mode=False):
    results = {'download': _mapping(download_result), 'keep': _mapping(keep_result)}
    retention = _mapping(retention)
    begun = None if started in (None, '') else float(started)
    outcomes = []
    for entry in _mapping(plan).get('hosts') or ():
        item, error = _item(results.get(entry.get('group'), {}), entry.get('index', 0))
        if not item.get('deployment') and (entry.get('id') or entry.get('type')):
            # A deployment that failed before it was found: what the plan knows of it, for the row and the metrics.
            item = dict(item, deployment={'id': entry.get('id') or None, 'name': entry['name'], 'type': entry.get('type')})
        dep_id = _mapping(item.get('deployment')).get('id') or entry.get('id') or ''
        decided = {} if error else _mapping(retention.get(dep_id))
        elapsed = item.get('elapsed')
        finished = begun + float(elapsed) if begun is not None and isinstance(elapsed, (int, float)) else None
        outcomes.append(backup_report_row(
            item, host=entry['host'], deployment_name=entry['name'], deployment_id=entry.get('id') or '',
            download=download, pruned=decided.get('remove') or [], retention=decided.get('decisions') or [],
            started=begun if finished is not None else None, finished=finished,
            outcome='failed' if error else 'planned' if check_mode else 'ok', error='%s: %s' % (task, error) if error else None))
    gathered = backup_outcomes(outcomes, [row['host'] for row in outcomes])
    gathered['reporter'] = reporter
    return gathered


class FilterModule:
    def filters(self):
        return {'backup_batch_outcomes': backup_batch_outcomes}
