# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: backup_view
short_description: What the backup role's phases found for one deployment, and its report row
version_added: 0.1.0
author:
  - composeio.dbaas maintainers (@composeio)
description:
  - Takes the results that the C(composeio.dbaas.backup) role registered for one deployment (trigger, wait,
    download, check-mode plan, newest-backup look-up) and says which backup the run worked with, which download
    happened (or would happen in check mode), which deployment it was, and the line of the role's JSON report.
  - The role calls it once per deployment instead of templating each field of the report apart; written in Python,
    it costs a few milliseconds where the same rules in Jinja cost tens per host.
  - Results of tasks that were skipped or did not run count as empty.
positional: _input
options:
  _input:
    description:
      - The registered results, by phase. Each is a compose_backup (or for V(newest) compose_backup_info) result;
        any may be missing or empty.
    type: dict
    required: true
    suboptions:
      start:
        description: The trigger phase's result (compose_backup with O(composeio.dbaas.compose_backup#module:wait=false)).
        type: dict
      waited:
        description: The wait phase's result.
        type: dict
      fetched:
        description: The download phase's result.
        type: dict
      planned:
        description: In check mode, the result that plans the download of a backup that would be started.
        type: dict
      newest:
        description: The compose_backup_info result that found the newest downloadable backup.
        type: dict
      pruned:
        description: Paths of the archives removed by retention.
        type: list
        elements: path
  host:
    description: The inventory host, for the row's C(host).
    type: str
    required: true
  name:
    description: The deployment's name as configured, used when no result names the deployment.
    type: str
    required: true
  deployment_id:
    description: The deployment's id as configured, used when no result gives the deployment.
    type: str
    default: ''
  download:
    description: Whether the run downloads backups; only then does the row note a type that cannot be downloaded.
    type: bool
    default: true
  undownloadable:
    description: Deployment types whose backups Compose keeps for restores only.
    type: list
    elements: str
    default: []
  started:
    description: When the deployment's work started, in seconds since the epoch; the row's C(duration) counts from it.
    type: float
'''

EXAMPLES = r'''
- name: Record the outcome of one deployment
  ansible.builtin.set_fact:
    outcome: >-
      {{ {'start': started, 'waited': waited} | composeio.dbaas.backup_view(host=inventory_hostname,
         name=inventory_hostname, started=start_time) }}
'''

RETURN = r'''
_value:
  description: What the run found.
  type: dict
  contains:
    backup:
      description: The backup worked with (waited for, else reused or selected, else the newest found), or null.
      type: dict
    file:
      description: The result of the download that happened (or in check mode would), or an empty dict.
      type: dict
    deployment:
      description: The deployment, from the results; else C(id) and C(name) as configured.
      type: dict
    note:
      description: Why nothing was downloaded when Compose offers no download of the deployment's type, else null.
      type: str
    row:
      description:
        - The report line; its keys are described by the role (C(ansible-doc -t role composeio.dbaas.backup)).
        - C(outcome) and C(error) are null; the role sets them.
      type: dict
'''

import os
import time


def _mapping(value):
    return value if isinstance(value, dict) else {}


def backup_view(results, host, name, deployment_id='', download=True, undownloadable=(), started=None):
    results = _mapping(results)
    start, waited, fetched, planned, newest = (_mapping(results.get(key))
                                               for key in ('start', 'waited', 'fetched', 'planned', 'newest'))
    newest_backups = newest.get('backups') or []
    backup = waited.get('backup') or start.get('backup') or (newest_backups[0] if newest_backups else None)
    backup = backup if isinstance(backup, dict) else None
    file = next((result for result in (fetched, waited, start) if result.get('dest')), planned)
    deployment = (_mapping(start.get('deployment')) or _mapping(file.get('deployment'))
                  or {'id': deployment_id or None, 'name': name})
    kind = deployment.get('type')
    note = None
    if download and ((backup is not None and backup.get('is_downloadable', True) is False)
                     or (backup is None and (kind or '') in (undownloadable or ()))):
        note = 'backups of %s deployments cannot be downloaded; kept at Compose' % kind
    recipe = waited.get('recipe') or start.get('recipe') or {}
    row = {
        'host': host,
        'deployment': deployment.get('name', name),
        'deployment_id': deployment.get('id'),
        'type': kind,
        'action': start['action'] if 'action' in start else file.get('action'),
        'recipe_id': _mapping(recipe).get('id'),
        'backup_id': backup.get('id') if backup else None,
        'backup_created_at': backup.get('created_at') if backup else None,
        'file': file.get('dest'),
        'downloaded': file.get('downloaded', False),
        'size': file.get('size'),
        'sha256': file.get('sha256'),
        'resumed_bytes': file.get('resumed_bytes', 0),
        'pruned': [os.path.basename(path) for path in results.get('pruned') or []],
        'note': note,
        'duration': round(time.time() - float(started), 3) if started not in (None, '') else None,
        'outcome': None,
        'error': None,
    }
    return {'backup': backup, 'file': file, 'deployment': deployment, 'note': note, 'row': row}


class FilterModule:
    def filters(self):
        return {'backup_view': backup_view}
