#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: compose_deployment_info
short_description: List Compose database deployments
version_added: 0.1.0
description:
  - Lists the deployments that the API token can see, optionally filtered by id, name or type.
  - Returns each deployment's id, name, type, version, creation time and dedicated cluster.
  - Connection strings, which hold passwords, are returned only on request.
author:
  - composeio.dbaas maintainers (@composeio)
extends_documentation_fragment:
  - composeio.dbaas._common
  - composeio.dbaas._attributes
  - composeio.dbaas._attributes.INFO_MODULE
  - composeio.dbaas._attributes.ACTIONGROUP_COMPOSE
options:
  id:
    description:
      - Only the deployment with this id (24 hexadecimal characters).
    type: str
  name:
    description:
      - Only deployments with exactly this name.
    type: str
  type:
    description:
      - Only deployments of these types.
    type: list
    elements: str
    choices: [elastic_search, etcd, janusgraph, mongodb, mysql, postgresql, rabbitmq, redis, rethink, scylla]
  include_connection_strings:
    description:
      - Also return C(connection_strings) and C(ca_certificate_base64) for each deployment.
      - Connection strings contain passwords. Set C(no_log=true) on the task, or Ansible prints them at C(-v). A task without it gets a warning.
    type: bool
    default: false
seealso:
  - module: composeio.dbaas.compose_backup_info
  - name: Compose API deployments reference
    description: The API call this module uses.
    link: https://apidocs.compose.com/reference/2016-07-get-deployments-id
'''

EXAMPLES = r'''
- name: List every deployment the token can see
  composeio.dbaas.compose_deployment_info:
  register: all_deployments

- name: List the PostgreSQL and Redis deployments
  composeio.dbaas.compose_deployment_info:
    type: [postgresql, redis]
  register: some

- name: Get the connection strings of one deployment without printing them
  composeio.dbaas.compose_deployment_info:
    name: fizz-production
    include_connection_strings: true
  no_log: true
  register: fizz
'''

RETURN = r'''
deployments:
  description: The matching deployments, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Deployment id.
      type: str
      sample: 5854017e89d50f424e000192
    name:
      description: Deployment name.
      type: str
      sample: fizz-production
    type:
      description: Database type.
      type: str
      sample: postgresql
    version:
      description: Database version.
      type: str
      sample: 9.6.3
    created_at:
      description: When the deployment was created (RFC 3339, UTC).
      type: str
      sample: '2016-12-16T15:00:14.922Z'
    notes:
      description: Free-text notes.
      type: str
      sample: the production fizz db
    cluster_id:
      description:
        - The dedicated cluster the deployment runs on, from its details; null when they name none (a deployment in
          one of Compose's datacenters). The API does not say which datacenter a deployment runs in.
      type: str
      sample: 57ade1d70b2fa9ce1c7e6162
    connection_strings:
      description: Connection strings by kind. They contain passwords.
      type: dict
      returned: when O(include_connection_strings=true)
      sample: {"direct": ["postgres://admin:...@host:17000/compose"], "cli": [], "maps": [], "ssh": [], "health": [], "admin": [], "misc": {}}
    ca_certificate_base64:
      description: The deployment's CA certificate, base64-encoded.
      type: str
      returned: when O(include_connection_strings=true)
      sample: LS0tLS1CRUdJTi...
'''

from ansible_collections.composeio.dbaas.plugins.module_utils._deployments import (
    DEPLOYMENT_TYPES,
    deployment_summary,
    with_connection_strings,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._module import ComposeModule
from ansible_collections.composeio.dbaas.plugins.module_utils._options import check_id


def list_deployments(module, client):
    params = module.params
    check_id(params['id'], 'id')
    wanted = []
    for dep in client.list_deployments():
        if params['id'] and dep.get('id') != params['id']:
            continue
        if params['name'] is not None and dep.get('name') != params['name']:
            continue
        if params['type'] and dep.get('type') not in params['type']:
            continue
        wanted.append(dep)
    result = []
    # The list items lack version and connection strings; only the details call has them.
    for dep in sorted(wanted, key=lambda item: item.get('name') or ''):
        details = client.get_deployment(dep['id'])
        item = deployment_summary(details)
        # Where a restore of it can go (the restore_drill role's default target); empty is no cluster.
        item['cluster_id'] = details.get('cluster_id') or None
        if params['include_connection_strings']:
            with_connection_strings(item, details)
        result.append(item)
    return result


def main():
    module = ComposeModule(
        argument_spec=dict(
            id=dict(type='str'),
            name=dict(type='str'),
            type=dict(type='list', elements='str', choices=list(DEPLOYMENT_TYPES)),
            include_connection_strings=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    client = module.client()
    deployments = module.run(lambda: list_deployments(module, client))
    module.exit_json(changed=False, deployments=deployments)


if __name__ == '__main__':
    main()
