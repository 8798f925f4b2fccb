# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: backup_batch_plan
short_description: The deployments of the backup role's batch mode, from the play's hosts
version_added: 0.1.0
author:
  - composeio.dbaas maintainers (@composeio)
description:
  - With C(compose_backup_batch), the C(composeio.dbaas.backup) role backs up every host's deployment in one
    M(composeio.dbaas.compose_backup) call (its O(composeio.dbaas.compose_backup#module:deployments) option). This
    filter, run once, reads each host's deployment from O(hostvars) and says what to pass.
  - A host's deployment is as the role's defaults give it, which C(hostvars) does not hold - its
    C(compose_backup_deployment_id), else the inventory plugin's C(compose_deployment_id); by that id when there is
    one, else by its C(compose_backup_deployment_name), else C(compose_deployment_name), else the host's name.
  - Hosts that name the same deployment share one item (the module refuses a deployment listed twice).
  - With O(download), a deployment whose type Compose offers no download of (by the host's
    C(compose_deployment_type), else O(listing)) goes into RV(_value.keep), to be backed up without C(dest) - the
    module refuses a C(dest) for such a deployment, where the per-host path reports it as not downloadable.
positional: _input, hostvars
options:
  _input:
    description: The hosts (C(ansible_play_hosts)), in the order of the report.
    type: list
    elements: str
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  download:
    description: Whether the backups are downloaded; without, every deployment is in RV(_value.download).
    type: bool
    default: true
  listing:
    description:
      - The deployments of M(composeio.dbaas.compose_deployment_info) (each with C(id), C(name) and C(type)), for
        the types, and the ids of hosts given by name, that the inventory does not give; a name counts only when
        one deployment has it. The items passed to the module stay as the hosts give them.
    type: list
    elements: dict
    default: []
'''

EXAMPLES = r'''
- name: Plan the batch
  ansible.builtin.set_fact:
    plan: "{{ ansible_play_hosts | composeio.dbaas.backup_batch_plan(hostvars) }}"
  run_once: true
'''

RETURN = r'''
_value:
  description: The plan.
  type: dict
  contains:
    hosts:
      description:
        - One per host, in order - C(host), C(name), C(id) (as given, else from O(listing), else empty), C(type),
          C(group) (V(download) or V(keep)) and C(index), its item's place in that group.
      type: list
      elements: dict
    download:
      description: The items for the call with C(dest), each C({"id" ...}) or C({"name" ...}).
      type: list
      elements: dict
    keep:
      description: The items for the call without C(dest).
      type: list
      elements: dict
    untyped:
      description: Whether O(download) is on and some deployment's type is unknown, so that O(listing) is needed.
      type: bool
    unnamed:
      description: Whether some deployment is known by its name alone (no id from the inventory or O(listing)).
      type: bool
'''

from ansible_collections.composeio.dbaas.plugins.filter.downloadable_type import downloadable_type

# The role's defaults for a host's deployment (defaults/main.yml), read here because hostvars holds no role
# defaults: each variable, then its fallback (tests/unit/roles/test_backup_defaults.py checks that they agree).
ID_VARS = ('compose_backup_deployment_id', 'compose_deployment_id')
NAME_VARS = ('compose_backup_deployment_name', 'compose_deployment_name')
TYPE_VAR = 'compose_deployment_type'


def _first(variables, names, default):
    for name in names:
        if name in variables:
            value = variables[name]
            return default if value is None else str(value)
    return default


def _listed(listing):
    """{('id', id): deployment, ('name', name): deployment} from compose_deployment_info's deployments; a name two
    deployments share is left out."""
    found, names = {}, {}
    for deployment in listing or ():
        if not isinstance(deployment, dict):
            continue
        if deployment.get('id'):
            found[('id', deployment['id'])] = deployment
        if deployment.get('name'):
            names.setdefault(deployment['name'], []).append(deployment)
    found.update((('name', name), deployments[0]) for name, deployments in names.items() if len(deployments) == 1)
    return found


def backup_batch_plan(hosts, hostvars, download=True, listing=()):
    listed = _listed(listing)
    plan = {'hosts': [], 'download': [], 'keep': [], 'untyped': False, 'unnamed': False}
    places = {}
    for host in hosts or ():
        variables = hostvars[host]
        dep_id = _first(variables, ID_VARS, '')
        name = _first(variables, NAME_VARS, host)
        key = ('id', dep_id) if dep_id else ('name', name)
        found = listed.get(key) or {}
        kind = variables.get(TYPE_VAR) or found.get('type')
        plan['untyped'] = plan['untyped'] or bool(download and not kind)
        plan['unnamed'] = plan['unnamed'] or not (dep_id or found.get('id'))
        group = 'keep' if download and kind and not downloadable_type(kind) else 'download'
        if key not in places:
            places[key] = (group, len(plan[group]))
            plan[group].append({key[0]: key[1]})
        group, index = places[key]
        plan['hosts'].append({'host': host, 'name': name, 'id': dep_id or found.get('id') or '', 'type': kind or None,
                              'group': group, 'index': index})
    return plan


class FilterModule:
    def filters(self):
        return {'backup_batch_plan': backup_batch_plan}
