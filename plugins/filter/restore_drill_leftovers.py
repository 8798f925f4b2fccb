# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: restore_drill_leftovers
short_description: The scratch deployments that earlier restore drills left behind
version_added: 0.1.0
author:
  - composeio.dbaas maintainers (@composeio)
description:
  - Finds, among the deployments, those that an earlier run of the C(composeio.dbaas.restore_drill) role left (a run
    killed midway never removed its scratch deployment), for each of this run's sources.
  - A leftover is named exactly C(<source>-drill-<yyyymmddThhmmss>) (as P(composeio.dbaas.restore_drill_name#filter)
    names it, with a real date and time) and, when both types are known, has its source's type. A name with any
    text before or after, one that ends like a drill name of a deployment that is not among O(sources), and a
    source itself are never leftovers.
  - The role removes leftovers only through M(composeio.dbaas.compose_backup_restore) with C(state=absent), which
    removes a deployment only when a restore created it.
positional: _input, sources
options:
  _input:
    description: Every deployment, as the C(deployments) of M(composeio.dbaas.compose_deployment_info) (each with its C(name), C(id) and C(type)).
    type: list
    elements: dict
    required: true
  sources:
    description: This run's source deployments, by name, or as dicts with their C(name) and C(type).
    type: list
    elements: raw
    required: true
  now:
    description: When this run began, as seconds since the epoch or an RFC 3339 timestamp.
    type: raw
    required: true
  min_age:
    description:
      - A leftover whose name says it was started less than this many seconds before O(now) (or after it) is
        listed but not removable, as a drill still running may be using it.
    type: int
    default: 0
'''

EXAMPLES = r'''
- name: Find what earlier drills of fizz-production left
  ansible.builtin.set_fact:
    leftovers: >-
      {{ (listing.deployments | composeio.dbaas.restore_drill_leftovers(['fizz-production'],
          now=now(utc=true).timestamp(), min_age=3600))['fizz-production'] }}
'''

RETURN = r'''
_value:
  description: For each source's name, its leftovers, oldest first (an empty list when it has none).
  type: dict
  contains:
    name:
      description: The leftover's name.
      type: str
      sample: fizz-production-drill-20261129T030000
    id:
      description: Its id.
      type: str
    type:
      description: Its type.
      type: str
    started_at:
      description: When the drill that made it began, from its name (UTC).
      type: str
      sample: '2026-11-29T03:00:00Z'
    age:
      description: Seconds from RV(_value.started_at) to O(now).
      type: int
    removable:
      description: Whether it is older than O(min_age).
      type: bool
    note:
      description: Why it is not removable, else null.
      type: str
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.composeio.dbaas.plugins.module_utils._drill import DrillError, find_leftovers


def restore_drill_leftovers(deployments, sources, now, min_age=0):
    try:
        return find_leftovers(deployments, sources, now, min_age=int(min_age))
    except (DrillError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('restore_drill_leftovers: %s' % exc) from None


class FilterModule:
    def filters(self):
        return {'restore_drill_leftovers': restore_drill_leftovers}
