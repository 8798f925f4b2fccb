# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: restore_drill_cleanup
short_description: What a restore drill removes once it is over
version_added: 0.1.0
author:
  - composeio.dbaas maintainers (@composeio)
description:
  - Decides, from the result of the restore task of one drill of the C(composeio.dbaas.restore_drill) role (whether
    it succeeded, failed, timed out or never ran), whether the scratch deployment is removed, and by which id.
  - Only what this drill's restore created - the deployment it restored, by id; after a restore request whose
    outcome is unknown (the task failed with C(changed) and no C(action)), the name alone, which
    M(composeio.dbaas.compose_backup_restore) with C(state=absent) removes only when a restore created it. A name
    that existed before the drill (C(action=exists)) is never removed.
positional: _input
options:
  _input:
    description: The registered result of the M(composeio.dbaas.compose_backup_restore) task; empty when it did not run.
    type: dict
    required: true
  keep:
    description: Keep the scratch deployment (the role's C(compose_restore_drill_keep)).
    type: bool
    default: false
  check_mode:
    description: Whether the run is in check mode (nothing was restored, nothing is removed).
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Decide what to remove
  ansible.builtin.set_fact:
    cleanup: "{{ restored | composeio.dbaas.restore_drill_cleanup(keep=false, check_mode=ansible_check_mode) }}"
'''

RETURN = r'''
_value:
  description: The decision.
  type: dict
  contains:
    remove:
      description: Whether to remove the scratch deployment.
      type: bool
    restored_id:
      description: Its id, when the restore said it; null removes by name.
      type: str
    note:
      description: Why nothing is removed, else null.
      type: str
'''

from ansible_collections.composeio.dbaas.plugins.module_utils._drill import plan_cleanup


def restore_drill_cleanup(restore, keep=False, check_mode=False):
    return plan_cleanup(restore, keep=bool(keep), check_mode=bool(check_mode))


class FilterModule:
    def filters(self):
        return {'restore_drill_cleanup': restore_drill_cleanup}
