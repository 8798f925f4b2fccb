# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: restore_drill_row
short_description: One drill's line of the restore drill's report
version_added: 0.1.0
author:
  - composeio.dbaas maintainers (@composeio)
description:
  - Builds the report line of one drill of the C(composeio.dbaas.restore_drill) role from the results of its tasks,
    each of which may have succeeded, failed, been skipped or not run (then it is empty).
  - The check V(passed) when the restored deployment has the source's type and version and every check task
    passed; it V(failed) when either is not so; it is V(skipped) in check mode and when the restore did not complete.
  - The drill's outcome is V(failed) when the source could not be planned, the restore failed or timed out, the
    check failed, or the scratch deployment was due for removal and was not removed; else V(ok) (V(planned) in check
    mode). A leftover that could not be removed is noted on its line and does not fail the drill.
  - Every message kept from a failed task has the restored deployment's connection strings, their passwords and
    its CA certificate (O(secrets)) masked.
positional: _input
options:
  _input:
    description: The registered result of the M(composeio.dbaas.compose_backup_restore) task that restored the backup.
    type: dict
    required: true
  name:
    description: The source deployment's name, as configured.
    type: str
    required: true
  source:
    description: The P(composeio.dbaas.restore_drill_source#filter) answer.
    type: dict
    required: true
  scratch:
    description: The scratch deployment's name.
    type: str
    required: true
  now:
    description: When the run began (seconds since the epoch, or RFC 3339); the backup's age runs to it.
    type: raw
    required: true
  failure:
    description: The task that failed (its C(task) name and C(msg)), from the drill's rescue; empty when none did.
    type: dict
    default: {}
  completed:
    description: Whether the drill's restore and checks ran to their end.
    type: bool
    default: false
  check_tasks:
    description: Whether there were check tasks to run.
    type: bool
    default: false
  cleanup:
    description: The P(composeio.dbaas.restore_drill_cleanup#filter) answer.
    type: dict
    default: {}
  removal:
    description: The registered result of the removal of the scratch deployment.
    type: dict
    default: {}
  leftovers:
    description: This source's leftovers, from P(composeio.dbaas.restore_drill_leftovers#filter).
    type: list
    elements: dict
    default: []
  leftover_removals:
    description: The registered result of the loop that removed them (each result's C(item) is the leftover).
    type: dict
    default: {}
  remove_leftovers:
    description: Whether leftovers were to be removed.
    type: bool
    default: false
  secrets:
    description: The restored deployment with its C(connection_strings) and C(ca_certificate_base64), to mask them.
    type: dict
    default: {}
  check_mode:
    description: Whether the run is in check mode.
    type: bool
    default: false
  host:
    description: The inventory host that ran the drill.
    type: str
'''

EXAMPLES = r'''
- name: Record the drill's line
  ansible.builtin.set_fact:
    row: >-
      {{ restored | composeio.dbaas.restore_drill_row(name='fizz-production', source=plan, scratch=scratch,
         now=run_started, failure=failure, completed=true, cleanup=cleanup, removal=removal) }}
  no_log: true
'''

RETURN = r'''
_value:
  description: The report line.
  type: dict
  contains:
    host:
      description: O(host).
      type: str
    deployment:
      description: The source's name.
      type: str
    deployment_id:
      description: The source's id, when found.
      type: str
    type:
      description: The source's type.
      type: str
    version:
      description: The source's version.
      type: str
    backup_id:
      description: The backup restored (in check mode, that would be).
      type: str
    backup_created_at:
      description: When that backup was made.
      type: str
    backup_age:
      description: Seconds from the backup's C(created_at) to O(now).
      type: int
    scratch:
      description: The scratch deployment's name.
      type: str
    scratch_id:
      description: Its id, once restored.
      type: str
    action:
      description: The restore's C(action) (V(restored); V(exists) when the name was taken); null when it did not decide.
      type: str
    restore_seconds:
      description: Seconds from the restore request to the end of the wait (the restore time), as the module measured them.
      type: float
    check:
      description: C(outcome) (V(passed), V(failed) or V(skipped)) and C(message).
      type: dict
    removed:
      description: Whether the scratch deployment was removed (or its removal started).
      type: bool
    removal:
      description: Why it was not removed, or how its removal went; null when removed.
      type: str
    leftovers:
      description: Each leftover of an earlier drill (C(name), C(id), C(started_at), C(age)), whether it was removed, and a note.
      type: list
      elements: dict
    outcome:
      description: V(ok), V(planned) (check mode) or V(failed).
      type: str
    error:
      description: What failed, else null.
      type: str
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.composeio.dbaas.plugins.module_utils._drill import DrillError, report_row


def restore_drill_row(restore, name, source, scratch, now, failure=None, completed=False, check_tasks=False, cleanup=None,
                      removal=None, leftovers=(), leftover_removals=None, remove_leftovers=False, secrets=None,
                      check_mode=False, host=None):
    try:
        return report_row(restore, name, source, scratch, now, failure=failure, completed=bool(completed),
                          check_tasks=bool(check_tasks), cleanup=cleanup, removal=removal, leftovers=leftovers,
                          leftover_removals=leftover_removals, remove_leftovers=bool(remove_leftovers),
                          secrets=secrets, check_mode=bool(check_mode), host=host)
    except DrillError as exc:
        raise AnsibleFilterError('restore_drill_row: %s' % exc) from None


class FilterModule:
    def filters(self):
        return {'restore_drill_row': restore_drill_row}
