# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: backup_retention_all
short_description: Which archives of many deployments to keep and which to remove, in one pass
version_added: 0.1.0
author:
  - composeio.dbaas maintainers (@composeio)
description:
  - P(composeio.dbaas.backup_retention#filter) for every deployment of the C(composeio.dbaas.backup) role's report
    rows at once, as its batch mode uses it - each sidecar file is read once, not once per deployment, and each
    deployment gets the very decisions P(composeio.dbaas.backup_retention#filter) gives it (the same rules, the same
    reasons, an id compared as text, never as a pattern).
  - Rows that failed, and rows without a C(deployment_id), are left out; their archives are kept.
positional: _input, rows
options:
  _input:
    description: The sidecar files, as the C(files) of M(ansible.builtin.find) (each with a C(path)) or as paths.
    type: list
    elements: raw
    required: true
  rows:
    description:
      - The report rows (P(composeio.dbaas.backup_report_row#filter)), for each deployment's C(deployment_id),
        C(outcome) and, with O(check_mode), the C(file) it would download when C(downloaded).
    type: list
    elements: dict
    required: true
  check_mode:
    description: Whether the rows are a check-mode run's, whose downloads are not on disk yet but count as pending.
    type: bool
    default: false
  keep:
    description: As P(composeio.dbaas.backup_retention#filter)'s.
    type: int
    default: 0
  keep_daily:
    description: As P(composeio.dbaas.backup_retention#filter)'s.
    type: int
    default: 0
  keep_weekly:
    description: As P(composeio.dbaas.backup_retention#filter)'s.
    type: int
    default: 0
  keep_monthly:
    description: As P(composeio.dbaas.backup_retention#filter)'s.
    type: int
    default: 0
'''

EXAMPLES = r'''
- name: Choose the archives no rule keeps, for every deployment of the report
  ansible.builtin.set_fact:
    retention: "{{ found.files | composeio.dbaas.backup_retention_all(rows, keep_daily=7) }}"
'''

RETURN = r'''
_value:
  description: What becomes of each deployment's archives.
  type: dict
  contains:
    by_id:
      description: For each deployment id, what P(composeio.dbaas.backup_retention#filter) returns for it (C(keep),
        C(remove), C(decisions)).
      type: dict
    remove:
      description: Every archive to remove, over all the deployments (their sidecars go with them).
      type: list
      elements: path
'''

from ansible_collections.composeio.dbaas.plugins.filter.backup_retention import plan, read_sidecars


def backup_retention_all(files, rows, check_mode=False, keep=0, keep_daily=0, keep_weekly=0, keep_monthly=0):
    found = read_sidecars(files)
    pending, order = {}, []
    for row in rows or ():
        if not isinstance(row, dict) or row.get('outcome') == 'failed' or not row.get('deployment_id'):
            continue
        dep_id = str(row['deployment_id'])
        if dep_id not in pending:
            pending[dep_id] = []
            order.append(dep_id)
        if check_mode and row.get('downloaded') and isinstance(row.get('file'), str):
            pending[dep_id].append(row['file'])
    by_id = dict((dep_id, plan(found.get(dep_id, []), dep_id, pending[dep_id], keep=keep, keep_daily=keep_daily,
                               keep_weekly=keep_weekly, keep_monthly=keep_monthly)) for dep_id in order)
    return {'by_id': by_id, 'remove': [path for dep_id in order for path in by_id[dep_id]['remove']]}


class FilterModule:
    def filters(self):
        return {'backup_retention_all': backup_retention_all}
