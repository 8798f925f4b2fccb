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
  - The archives are ranked newest first by the UTC time in their names; the O(keep) newest are kept.
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
    description: How many archives to keep, the newest; V(0) keeps all.
    type: int
    default: 0
  pending:
    description:
      - Archives a check-mode run would download, not on disk yet. Each is ranked with the others, as a real run
        downloads it before pruning; one already on disk or among the found ones is not counted twice.
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
          description: Why, in words.
          type: str
        pending:
          description: Whether it is a planned download, not on disk yet.
          type: bool
'''

import os

from ansible_collections.composeio.dbaas.plugins.module_utils._archive import SIDECAR_SUFFIX, read_sidecar
from ansible_collections.composeio.dbaas.plugins.module_utils._retention import decide


def _archives_of(files, wanted):
    """The archives whose sidecar names the deployment wanted, with what the sidecar's header says."""
    archives = []
    for item in files or []:
        path = item.get('path') if isinstance(item, dict) else item
        if not isinstance(path, str) or not path.endswith(SIDECAR_SUFFIX):
            continue
        archive = path[:-len(SIDECAR_SUFFIX)]
        meta = read_sidecar(archive, checksum=False)
        if meta and meta.get('deployment_id') == wanted and os.path.exists(archive):
            archives.append(dict(meta, path=archive, pending=False))
    return archives


def backup_retention(files, deployment_id, keep=0, pending=()):
    wanted = '' if deployment_id is None else str(deployment_id)
    archives = _archives_of(files, wanted) if wanted else []
    known = set(archive['path'] for archive in archives)
    for path in pending or ():
        if wanted and isinstance(path, str) and path not in known and not os.path.exists(path):
            archives.append({'path': path, 'pending': True})
            known.add(path)
    decisions = decide(archives, keep=keep)
    return {
        'keep': [decision['path'] for decision in decisions if decision['keep']],
        'remove': [decision['path'] for decision in decisions if not decision['keep']],
        'decisions': [dict((key, decision[key]) for key in ('path', 'keep', 'reason', 'pending')) for decision in decisions],
    }


class FilterModule:
    def filters(self):
        return {'backup_retention': backup_retention}
