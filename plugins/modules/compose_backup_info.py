#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: compose_backup_info
short_description: List and inspect the backups of a Compose deployment
version_added: 0.1.0
description:
  - Lists the backups of one deployment (daily, weekly, monthly and the latest on-demand one), newest first by
    creation time, whatever order the API returns them in.
  - Filters by type, age, and whether a backup can be downloaded or restored; or inspects one backup by id.
  - Never changes anything.
author:
  - composeio.dbaas maintainers (@composeio)
extends_documentation_fragment:
  - composeio.dbaas._common
  - composeio.dbaas._attributes
  - composeio.dbaas._attributes.INFO_MODULE
  - composeio.dbaas._attributes.ACTIONGROUP_COMPOSE
options:
  deployment_id:
    description:
      - Id of the deployment. Exactly one of O(deployment_id) and O(deployment_name) is required.
    type: str
  deployment_name:
    description:
      - Exact name of the deployment. The task fails if no deployment or more than one has this name.
    type: str
  backup_id:
    description:
      - Only this backup.
    type: str
  type:
    description:
      - Only backups of these types.
    type: list
    elements: str
    choices: [daily, weekly, monthly, on_demand]
  downloadable:
    description:
      - Only backups whose C(is_downloadable) flag has this value.
    type: bool
  restorable:
    description:
      - Only backups whose C(is_restorable) flag has this value.
    type: bool
  max_age:
    description:
      - Only backups created within this duration before now, such as V(30m), V(6h), V(7d) or V(1h30m).
      - A plain number is seconds; at most 100 years.
    type: str
  latest:
    description:
      - Return only the newest backup left after the other filters (an empty list if none is left).
    type: bool
    default: false
  include_download_link:
    description:
      - Also return each backup's C(download_link), read from its details.
      - The link is a credential, because anyone holding it can download the backup until it expires. It is returned
        only when asked for. Set C(no_log=true) on the task so Ansible does not print it. A task without it gets a warning.
    type: bool
    default: false
seealso:
  - module: composeio.dbaas.compose_backup
  - module: composeio.dbaas.compose_deployment_info
  - name: Compose backups reference
    description: The API calls this module uses.
    link: https://apidocs.compose.com/reference/2016-07-get-deployments-backups
'''

EXAMPLES = r'''
- name: List the backups of a deployment, newest first
  composeio.dbaas.compose_backup_info:
    deployment_name: fizz-production
  register: fizz_backups

- name: Find the newest restorable backup taken in the last day
  composeio.dbaas.compose_backup_info:
    deployment_name: fizz-production
    restorable: true
    max_age: 1d
    latest: true
  register: newest

- name: Get one backup with its download link, without printing the link
  composeio.dbaas.compose_backup_info:
    deployment_id: 5854017e89d50f424e000192
    backup_id: 5a97f1c2e16c0900188845aa
    include_download_link: true
  no_log: true
  register: one
'''

RETURN = r'''
deployment:
  description: The deployment the backups belong to. Never contains connection strings.
  returned: always
  type: dict
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
    created_at:
      description: When the deployment was created.
      type: str
      sample: '2016-12-16T15:00:14.922Z'
backups:
  description: The matching backups, newest first by C(created_at).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Backup id.
      type: str
      sample: 5a97f1c2e16c0900188845aa
    deployment_id:
      description: The owning deployment.
      type: str
      sample: 5854017e89d50f424e000192
    name:
      description: Backup name, which includes the time the backup started.
      type: str
      sample: fizz-production_2018-03-01T12:00:03Z
    type:
      description: One of V(daily), V(weekly), V(monthly), V(on_demand).
      type: str
      sample: on_demand
    status:
      description: Backup status as the API reports it.
      type: str
      sample: complete
    is_downloadable:
      description: Whether the backup can be downloaded.
      type: bool
      sample: true
    is_restorable:
      description: Whether the backup can be restored into a new deployment.
      type: bool
      sample: true
    created_at:
      description: When the backup completed (RFC 3339, UTC).
      type: str
      sample: '2018-03-01T12:04:40.000Z'
    download_link:
      description: Pre-signed URL of the archive, valid for a limited time; null when not downloadable.
      type: str
      returned: when O(include_download_link=true)
      sample: https://objects.example.com/backups/fizz.tar.gz?signature=...
'''

import datetime

from ansible_collections.composeio.dbaas.plugins.module_utils._backups import backup_summary
from ansible_collections.composeio.dbaas.plugins.module_utils._deployments import deployment_summary, resolve_deployment
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import ComposeNotFoundError, hint_on
from ansible_collections.composeio.dbaas.plugins.module_utils._module import ComposeModule
from ansible_collections.composeio.dbaas.plugins.module_utils._options import (
    DEPLOYMENT_ARGS,
    DEPLOYMENT_ONE_OF,
    check_id,
    merge_args,
    parse_duration,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._time import parse_time


def matches(backup, params, oldest):
    if params['type'] and backup.get('type') not in params['type']:
        return False
    for option, flag in (('downloadable', 'is_downloadable'), ('restorable', 'is_restorable')):
        if params[option] is not None and bool(backup.get(flag)) != params[option]:
            return False
    if oldest is not None:
        created = parse_time(backup.get('created_at'))
        return created is not None and created >= oldest
    return True


def gather(module, client):
    params = module.params
    check_id(params['backup_id'], 'backup_id')
    oldest = None
    if params['max_age'] is not None:
        age = parse_duration(params['max_age'], 'max_age')
        oldest = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=age)
    deployment = resolve_deployment(client, params['deployment_id'], params['deployment_name'])
    if params['backup_id']:
        with hint_on(ComposeNotFoundError, 'deployment %s has no backup %s; list its backups without backup_id'
                     % (deployment.get('name'), params['backup_id'])):
            backups = [client.get_backup(deployment['id'], params['backup_id'])]
    else:
        backups = client.list_backups(deployment['id'])
    backups = [backup for backup in backups if matches(backup, params, oldest)]
    if params['latest']:
        backups = backups[:1]
    if params['include_download_link'] and not params['backup_id']:
        # The list never carries links (docs/compose-api.md, "List a deployment's backups"): read each backup's details.
        backups = [client.get_backup(deployment['id'], backup['id']) for backup in backups]
    return dict(
        deployment=deployment_summary(deployment),
        backups=[backup_summary(backup, params['include_download_link']) for backup in backups],
    )


def main():
    module = ComposeModule(
        argument_spec=merge_args(DEPLOYMENT_ARGS, dict(
            backup_id=dict(type='str'),
            type=dict(type='list', elements='str', choices=['daily', 'weekly', 'monthly', 'on_demand']),
            downloadable=dict(type='bool'),
            restorable=dict(type='bool'),
            max_age=dict(type='str'),
            latest=dict(type='bool', default=False),
            include_download_link=dict(type='bool', default=False),
        )),
        supports_check_mode=True,
        **DEPLOYMENT_ONE_OF
    )
    client = module.client()
    result = module.run(lambda: gather(module, client))
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
