# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: backup_retention
short_description: Which archives of one deployment to keep and which to remove
version_added: 0.1.0
author:
  - composeio.dbaas maintainers (@composeio)
description:
  - Takes the C(.sha256) sidecar files that M(composeio.dbaas.compose_backup) writes beside each archive, keeps
    those whose sidecar names the deployment, and decides for each of its archives whether it is kept or removed,
    and why. The C(composeio.dbaas.backup) role removes the archives it returns in RV(_value.remove).
  - An archive counts only when its sidecar's C(deployment_id) equals O(deployment_id) as text (an id is never a
    pattern, so an id from the API such as C(.*) or C(a|b) selects nothing of other deployments) and the archive
    beside it exists. Files that cannot be read, and an empty id, select nothing. The files are read on the
    controller.
  - An archive is kept when any rule keeps it, as restic's C(forget) does - the O(keep) newest; the newest archive
    of each of the last O(keep_daily) days that have one; of the last O(keep_weekly) ISO weeks (Monday to Sunday,
    so 2020-W53 runs from 2020-12-28 to 2021-01-03); of the last O(keep_monthly) months. With every rule at V(0),
    every archive is kept.
  - Times are each backup's C(created_at) as its sidecar records it, in UTC (a backup made at 00:30 at +05:00
    counts for the day before), never the files' times. An archive whose sidecar gives no readable C(created_at)
    is never removed and takes no place in any rule.
positional: _input, deployment_id
options:
  _input:
    description: The sidecar files, as the C(files) of M(ansible.builtin.find) (each with a C(path)) or as paths.
    type: list
    elements: raw
    required: true
  deployment_id:
    description: The deployment's id.
    type: str
    required: true
  keep:
    description: How many archives to keep, the newest; V(0) turns the rule off.
    type: int
    default: 0
  keep_daily:
    description: For how many of the last days that have an archive to keep the day's newest; V(0) turns the rule off.
    type: int
    default: 0
  keep_weekly:
    description: For how many of the last ISO weeks that have an archive to keep the week's newest; V(0) turns the rule off.
    type: int
    default: 0
  keep_monthly:
    description: For how many of the last months that have an archive to keep the month's newest; V(0) turns the rule off.
    type: int
    default: 0
  pending:
    description:
      - Archives a check-mode run would download, not on disk yet. Each is ranked with the others by the time in
        its name (M(composeio.dbaas.compose_backup) names it by its backup's C(created_at), or by the current time
        for a backup not made yet), as a real run downloads it before pruning; one already on disk or among the
        found ones is not counted twice.
    type: list
    elements: path
    default: []
'''

EXAMPLES = r'''
- name: Remove the archives of this deployment beyond the 7 newest
  ansible.builtin.file:
    path: "{{ item }}"
    state: absent
  loop: "{{ (found.files | composeio.dbaas.backup_retention(deployment.id, keep=7)).remove }}"

- name: Keep the newest of each of the last 7 days, 4 weeks and 6 months, and say why each goes
  ansible.builtin.debug:
    msg: "{{ plan.decisions | rejectattr('keep') | map(attribute='reason') | list }}"
  vars:
    plan: "{{ found.files | composeio.dbaas.backup_retention(deployment.id, keep_daily=7, keep_weekly=4, keep_monthly=6) }}"
'''

RETURN = r'''
_value:
  description: What becomes of the deployment's archives.
  type: dict
  contains:
    keep:
      description: Paths of the archives kept, newest first.
      type: list
      elements: path
    remove:
      description: Paths of the archives to remove, newest first (their sidecars go with them).
      type: list
      elements: path
    decisions:
      description: One per archive of the deployment, newest first.
      type: list
      elements: dict
      contains:
        path:
          description: The archive.
          type: path
        keep:
          description: Whether it is kept.
          type: bool
        reason:
          description:
            - Why, in words. A kept archive names each rule that keeps it (V(newest 3, daily 2026-12-05, weekly
              2026-W49, monthly 2026-12)); a removed one, why each rule does not (V(not one of the newest 3, not the
              newest of day 2026-12-04)); one whose C(created_at) cannot be read says so.
          type: str
        pending:
          description: Whether it is a planned download, not on disk yet.
          type: bool
'''

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.composeio.dbaas.plugins.module_utils._archive import SIDECAR_SUFFIX, read_sidecar
from ansible_collections.composeio.dbaas.plugins.module_utils._retention import decide


def read_sidecars(files):
    """{deployment id: [archive, ...]} for the sidecar files given: each readable sidecar whose archive exists, with
    what its header says. Each file is read once, whatever the number of deployments."""
    found = {}
    for item in files or []:
        path = item.get('path') if isinstance(item, dict) else item
        if not isinstance(path, str) or not path.endswith(SIDECAR_SUFFIX):
            continue
        archive = path[:-len(SIDECAR_SUFFIX)]
        meta = read_sidecar(archive, checksum=False)
        if meta and isinstance(meta.get('deployment_id'), str) and os.path.exists(archive):
            found.setdefault(meta['deployment_id'], []).append(dict(meta, path=archive, pending=False))
    return found


def plan(archives, deployment_id, pending=(), **rules):
    """One deployment's decisions from its archives (read_sidecars) and the planned downloads in pending."""
    wanted = '' if deployment_id is None else str(deployment_id)
    archives = list(archives) if wanted else []
    known = set(archive['path'] for archive in archives)
    for path in pending or ():
        if wanted and isinstance(path, str) and path not in known and not os.path.exists(path):
            archives.append({'path': path, 'pending': True})
            known.add(path)
    try:
        decisions = decide(archives, **rules)
    except ValueError as exc:
        raise AnsibleFilterError('backup_retention: %s' % exc) from None
    return {
        'keep': [decision['path'] for decision in decisions if decision['keep']],
        'remove': [decision['path'] for decision in decisions if not decision['keep']],
        'decisions': [dict((key, decision[key]) for key in ('path', 'keep', 'reason', 'pending')) for decision in decisions],
    }


def backup_retention(files, deployment_id, keep=0, keep_daily=0, keep_weekly=0, keep_monthly=0, pending=()):
    wanted = '' if deployment_id is None else str(deployment_id)
    archives = read_sidecars(files).get(wanted, []) if wanted else []
    return plan(archives, wanted, pending, keep=keep, keep_daily=keep_daily, keep_weekly=keep_weekly,
                keep_monthly=keep_monthly)


class FilterModule:
    def filters(self):
        return {'backup_retention': backup_retention}
