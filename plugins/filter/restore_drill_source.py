# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: restore_drill_source
short_description: The source deployment of a restore drill, and where to restore it
version_added: 0.1.0
author:
  - composeio.dbaas maintainers (@composeio)
description:
  - Finds the source deployment of one drill of the C(composeio.dbaas.restore_drill) role among the deployments
    M(composeio.dbaas.compose_deployment_info) listed - by O(deployment_id) when given, else by exact O(name) - and says where its
    backup is restored - into O(datacenter) when given, else onto the source's own dedicated cluster.
  - The Compose API says which cluster a deployment runs on (C(cluster_id)), not which datacenter, so a source that
    runs on no dedicated cluster needs O(datacenter).
  - Nothing is raised; a problem is returned in RV(_value.error), which the role turns into that drill's failure.
positional: _input
options:
  _input:
    description: Every deployment, as the C(deployments) of M(composeio.dbaas.compose_deployment_info).
    type: list
    elements: dict
    required: true
  name:
    description: The source's name.
    type: str
    required: true
  deployment_id:
    description: The source's id, when known (the inventory plugin's C(compose_deployment_id)); it wins over O(name).
    type: str
    default: ''
  datacenter:
    description: Datacenter slug to restore into, such as V(aws:us-east-1); empty for the source's dedicated cluster.
    type: str
    default: ''
'''

EXAMPLES = r'''
- name: Plan the drill of fizz-production
  ansible.builtin.set_fact:
    plan: "{{ listing.deployments | composeio.dbaas.restore_drill_source(name='fizz-production', datacenter='aws:us-east-1') }}"
'''

RETURN = r'''
_value:
  description: The source and the restore's target.
  type: dict
  contains:
    deployment:
      description: The source's C(id), C(name), C(type), C(version) and C(cluster_id); null when not found.
      type: dict
    datacenter:
      description: The datacenter to restore into, or null.
      type: str
    cluster_id:
      description: The cluster to restore onto, or null.
      type: str
    error:
      description:
        - Why the drill cannot start, else null - no such deployment; several of its name (their drills would give their
          scratch deployments one name, even when the source is found by O(deployment_id)); nowhere to restore it.
      type: str
'''

from ansible_collections.composeio.dbaas.plugins.module_utils._drill import plan_source


def restore_drill_source(deployments, name, deployment_id='', datacenter=''):
    return plan_source(deployments, name=name, deployment_id=deployment_id or None, datacenter=datacenter or None)


class FilterModule:
    def filters(self):
        return {'restore_drill_source': restore_drill_source}
