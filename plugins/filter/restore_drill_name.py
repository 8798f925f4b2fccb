# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: restore_drill_name
short_description: The name of a restore drill's scratch deployment
version_added: 0.1.0
author:
  - composeio.dbaas maintainers (@composeio)
description:
  - The C(composeio.dbaas.restore_drill) role restores each source deployment into a scratch deployment named
    C(<source>-drill-<UTC yyyymmddThhmmss>), from the time its run began (one time for every deployment of a run).
  - P(composeio.dbaas.restore_drill_leftovers#filter) recognises the scratch deployments of earlier runs by the same
    pattern.
positional: _input, now
options:
  _input:
    description: The source deployment's name.
    type: str
    required: true
  now:
    description:
      - When the run began, as a number of seconds since the epoch or as an RFC 3339 timestamp; the name shows it
        in UTC, to the second.
    type: raw
    required: true
'''

EXAMPLES = r'''
- name: Name the scratch deployment of fizz-production
  ansible.builtin.set_fact:
    scratch: "{{ 'fizz-production' | composeio.dbaas.restore_drill_name(now(utc=true).timestamp()) }}"
    # fizz-production-drill-20261206T030000
'''

RETURN = r'''
_value:
  description: The scratch deployment's name.
  type: str
  sample: fizz-production-drill-20261206T030000
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.composeio.dbaas.plugins.module_utils._drill import DrillError, scratch_name


def restore_drill_name(source, now):
    try:
        return scratch_name(source, now)
    except DrillError as exc:
        raise AnsibleFilterError('restore_drill_name: %s' % exc) from None


class FilterModule:
    def filters(self):
        return {'restore_drill_name': restore_drill_name}
