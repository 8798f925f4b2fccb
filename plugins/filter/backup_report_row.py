# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: backup_report_row
short_description: One deployment's line of the backup role's report, from its compose_backup results
version_added: 0.1.0
author:
  - composeio.dbaas maintainers (@composeio)
description:
  - Builds the report line of one deployment from the two M(composeio.dbaas.compose_backup) results of the
    C(composeio.dbaas.backup) role (the trigger, with O(composeio.dbaas.compose_backup#module:wait=false), and the
    finish, which waits and downloads where the trigger did not) and a few named fields.
  - The backup is the finish's, else the trigger's, else the first of O(newest); the file is the result that
    has a C(dest), the finish's first; the action is the trigger's, else the file's. Results of tasks that were skipped or did not run count as empty.
  - The row's keys are listed under RETURN below; the role's JSON report holds one row per deployment.
positional: _input
options:
  _input:
    description: The trigger's result; empty when the trigger did not run.
    type: dict
    required: true
  finish:
    description: The finish's result; empty when it did not run.
    type: dict
    default: {}
  newest:
    description:
      - The M(composeio.dbaas.compose_backup_info) result (C(latest=true)) that found the backup to download when
        the trigger did not run.
    type: dict
    default: {}
  pruned:
    description: Paths of the archives removed by retention.
    type: list
    elements: path
    default: []
  retention:
    description:
      - The C(decisions) of P(composeio.dbaas.backup_retention#filter) (each with a C(path) and a C(reason)), for
        the row's C(retention).
    type: list
    elements: dict
    default: []
  host:
    description: The inventory host, for the row's C(host).
    type: str
    required: true
  deployment_id:
    description: The deployment's id as configured, used when no result gives the deployment.
    type: str
    default: ''
  deployment_name:
    description: The deployment's name as configured, used when no result gives the deployment.
    type: str
    required: true
  download:
    description: Whether the run downloads backups; only then does the row note a type that cannot be downloaded.
    type: bool
    default: true
  started:
    description: When the deployment's work started, in seconds since the epoch.
    type: float
  finished:
    description:
      - When it finished, in seconds since the epoch; the row's C(duration) runs from O(started) to it.
      - Kept in the row as C(_finished), which P(composeio.dbaas.backup_outcomes#filter) uses and leaves out.
    type: float
  outcome:
    description: V(ok), V(planned) (check mode) or V(failed).
    type: str
  error:
    description: What failed, for V(failed).
    type: str
'''

EXAMPLES = r'''
- name: Record the outcome of one deployment
  ansible.builtin.set_fact:
    outcome: >-
      {{ trigger | composeio.dbaas.backup_report_row(finish=finish, host=inventory_hostname,
         deployment_name=inventory_hostname, started=start_time, finished=now().timestamp(), outcome='ok') }}
'''

RETURN = r'''
_value:
  description: The report line, with C(_finished).
  type: dict
  contains:
    host:
      description: The inventory host.
      type: str
    deployment:
      description: The deployment's name.
      type: str
    deployment_id:
      description: The deployment's id, when known.
      type: str
    type:
      description: The deployment's type, when known.
      type: str
    action:
      description: V(selected), V(reused), V(joined) or V(triggered); null when nothing ran.
      type: str
    recipe_id:
      description: The recipe followed, if any.
      type: str
    backup_id:
      description: The backup worked with, if any.
      type: str
    backup_created_at:
      description: When that backup was made.
      type: str
    file:
      description: The archive on disk (or in check mode, the one that would be written).
      type: path
    downloaded:
      description: Whether this run downloaded it (or would).
      type: bool
    size:
      description: Its size in bytes.
      type: int
    sha256:
      description: Its SHA-256.
      type: str
    resumed_bytes:
      description: Bytes not fetched again after interrupted transfers.
      type: int
    archive:
      description:
        - What M(composeio.dbaas.compose_backup)'s C(verify_archive) found in the archive (C(format), C(members),
          C(uncompressed_size)), or null when it was not checked.
      type: dict
    pruned:
      description: Names of the archives removed (in check mode, that would be removed).
      type: list
      elements: str
    retention:
      description:
        - Each archive of the deployment that retention looked at, by name, with the reason it is kept (the rules
          that keep it, such as V(newest 3, daily 2026-12-05)) or removed (why each rule does not keep it, such as
          V(not one of the newest 3, not the newest of day 2026-12-04)); empty when no retention rule is set.
      type: dict
    note:
      description: Why nothing was downloaded when Compose offers no download of the deployment's type, else null.
      type: str
    duration:
      description: Seconds from O(started) to O(finished), or null.
      type: float
    outcome:
      description: O(outcome).
      type: str
    error:
      description: O(error).
      type: str
'''

import os

from ansible_collections.composeio.dbaas.plugins.filter.downloadable_type import downloadable_type


def _mapping(value):
    return value if isinstance(value, dict) else {}


def _seconds(value):
    return None if value in (None, '') else float(value)


def _note(download, backup, kind):
    """Why nothing is downloaded when Compose keeps the deployment's backups for restores only, else None."""
    kept = backup.get('is_downloadable', True) is False if backup is not None else bool(kind) and not downloadable_type(kind)
    return 'backups of %s deployments cannot be downloaded; kept at Compose' % kind if download and kept else None


def _reasons(decisions):
    """{archive name: reason} from backup_retention's decisions, in their order (newest first)."""
    return dict((os.path.basename(decision['path']), decision.get('reason')) for decision in decisions or ()
                if isinstance(decision, dict) and isinstance(decision.get('path'), str))


def backup_report_row(trigger, host, deployment_name, finish=None, newest=None, pruned=(), retention=(),
                      deployment_id='', download=True, started=None, finished=None, outcome=None, error=None):
    trigger, finish, newest = _mapping(trigger), _mapping(finish), _mapping(newest)
    newest_backups = newest.get('backups') or []
    backup = finish.get('backup') or trigger.get('backup') or (newest_backups[0] if newest_backups else None)
    backup = backup if isinstance(backup, dict) else None
    file = next((result for result in (finish, trigger) if result.get('dest')), {})
    deployment = (_mapping(trigger.get('deployment')) or _mapping(finish.get('deployment'))
                  or {'id': deployment_id or None, 'name': deployment_name})
    recipe = _mapping(finish.get('recipe') or trigger.get('recipe'))
    begun, ended = _seconds(started), _seconds(finished)
    return {
        'host': host,
        'deployment': deployment.get('name', deployment_name),
        'deployment_id': deployment.get('id'),
        'type': deployment.get('type'),
        'action': trigger['action'] if 'action' in trigger else file.get('action'),
        'recipe_id': recipe.get('id'),
        'backup_id': backup.get('id') if backup else None,
        'backup_created_at': backup.get('created_at') if backup else None,
        'file': file.get('dest'),
        'downloaded': file.get('downloaded', False),
        'size': file.get('size'),
        'sha256': file.get('sha256'),
        'resumed_bytes': file.get('resumed_bytes', 0),
        'archive': file.get('archive'),
        'pruned': [os.path.basename(path) for path in pruned or []],
        'retention': _reasons(retention),
        'note': _note(download, backup, deployment.get('type')),
        'duration': round(ended - begun, 3) if begun is not None and ended is not None else None,
        'outcome': outcome,
        'error': error,
        '_finished': ended,
    }


class FilterModule:
    def filters(self):
        return {'backup_report_row': backup_report_row}
