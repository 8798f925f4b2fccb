#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: compose_backup_restore
short_description: Restore a Compose backup into a new deployment, idempotently
version_added: 0.1.0
description:
  - Restores a backup of a source deployment into a B(new) deployment called O(name). Compose never restores
    over an existing deployment, so O(name) equal to the source deployment's own name is refused before any
    request that changes something.
  - O(name) is the idempotency key. When a deployment with that name exists and has the source's type, nothing
    is done and it is returned (action V(exists)); when it has another type, the task fails rather than pretend.
  - Without O(backup_id), the newest restorable backup of the source (by creation time) is used; the result says
    which one.
  - A backup whose C(is_restorable) flag is false is refused before any request that changes something.
  - A restore request that Compose refuses (a 4xx answer such as 422) created nothing; the task fails with
    C(changed=false).
  - A restore request whose outcome is unknown (timeout, dropped connection, server error) is followed by
    look-ups of O(name) until the settle time (O(request_timeout) plus 30 seconds) has passed; a deployment of
    that name that appears is the one the request created. It is sent once more only when none appeared, and the
    task fails, saying the deployment may have been created, when the second one is unknown too. Nothing relies
    on the API refusing a name that is taken.
author:
  - composeio.dbaas maintainers (@composeio)
extends_documentation_fragment:
  - composeio.dbaas._common
  - composeio.dbaas._wait
  - composeio.dbaas._attributes
  - composeio.dbaas._attributes.ACTIONGROUP_COMPOSE
attributes:
  check_mode:
    support: full
    details:
      - Makes every read and the same decision; sends no restore request. Reports a change only when O(name)
        does not exist yet.
  diff_mode:
    support: full
    details:
      - Shows the deployment that would appear (name, type, backup, datacenter or cluster, version).
  idempotent:
    support: full
options:
  deployment_id:
    description:
      - Id of the source deployment. Exactly one of O(deployment_id) and O(deployment_name) is required.
    type: str
  deployment_name:
    description:
      - Exact name of the source deployment.
    type: str
  backup_id:
    description:
      - The backup to restore. Without it, the newest restorable backup of the source is used.
    type: str
  name:
    description:
      - Name of the new deployment. It identifies the restore, so a re-run with the same name changes nothing.
    type: str
    required: true
  datacenter:
    description:
      - Datacenter slug for the new deployment, such as V(aws:us-east-1), V(aws:eu-west-1) or V(gce:europe-west1).
      - Exactly one of O(datacenter) and O(cluster_id) is required.
    type: str
  cluster_id:
    description:
      - Id of a dedicated cluster for the new deployment.
    type: str
  version:
    description:
      - Database version of the new deployment. Without it, Compose picks the latest available minor version.
    type: str
  ssl:
    description:
      - Whether the new deployment has TLS enabled. Without it, Compose's default applies.
    type: bool
  include_connection_strings:
    description:
      - Also return the new deployment's C(connection_strings) and C(ca_certificate_base64).
      - Connection strings contain passwords. Set C(no_log=true) on the task, or Ansible prints them at C(-v). A task without it gets a warning.
    type: bool
    default: false
  wait:
    description:
      - Wait until the new deployment's provisioning recipe is complete.
    type: bool
    default: true
seealso:
  - module: composeio.dbaas.compose_backup_info
  - module: composeio.dbaas.compose_backup
  - name: Compose restore API
    description: The restore call this module makes.
    link: https://apidocs.compose.com/reference/2016-07-post-deployments-id-backups-backup-id-restore
'''

EXAMPLES = r'''
- name: Restore the newest restorable backup of fizz-production into fizz-restored
  composeio.dbaas.compose_backup_restore:
    deployment_name: fizz-production
    name: fizz-restored
    datacenter: aws:us-east-1
  delegate_to: localhost
  register: restored

- name: Restore one backup onto a dedicated cluster and get the connection strings without printing them
  composeio.dbaas.compose_backup_restore:
    deployment_id: 5854017e89d50f424e000192
    backup_id: 5a97f1c2e16c0900188845aa
    name: fizz-audit-2018-03
    cluster_id: 57ade1d70b2fa9ce1c7e6162
    include_connection_strings: true
  no_log: true
  register: audit
'''

RETURN = r'''
action:
  description:
    - V(restored) when a new deployment was (or in check mode would be) created, V(exists) when O(name) existed.
    - Null when the task failed before deciding, or when Compose refused the restore request (nothing changed).
  returned: always
  type: str
  sample: restored
deployment:
  description: The new (or existing) deployment. In check mode, only its planned name and type.
  returned: always
  type: dict
  contains:
    id:
      description: Deployment id.
      type: str
      sample: 59a6b3a5f32fb6001001ae6c
    name:
      description: Deployment name.
      type: str
      sample: fizz-restored
    type:
      description: Database type, the source's.
      type: str
      sample: postgresql
    version:
      description: Database version.
      type: str
      sample: 9.6.3
    created_at:
      description: When it was created.
      type: str
      sample: '2017-08-30T12:46:29Z'
    connection_strings:
      description: Connection strings by kind. They contain passwords.
      type: dict
      returned: when O(include_connection_strings=true)
      sample: {"direct": ["postgres://admin:...@host:17000/compose"]}
    ca_certificate_base64:
      description: The deployment's CA certificate, base64-encoded.
      type: str
      returned: when O(include_connection_strings=true)
      sample: LS0tLS1CRUdJTi...
source:
  description: The source deployment (id, name, type, created_at).
  returned: always
  type: dict
  sample: {"id": "5854017e89d50f424e000192", "name": "fizz-production", "type": "postgresql"}
backup:
  description: The backup restored, without download link. Null when O(name) existed.
  returned: always
  type: dict
  sample: {"id": "5a97f1c2e16c0900188845aa", "type": "daily", "is_restorable": true, "created_at": "2018-03-01T12:04:40.000Z"}
recipe:
  description: The provisioning recipe followed (id, status, status_detail, created_at, updated_at). Null if none.
  returned: always
  type: dict
  sample: {"id": "59a6b3a5f32fb6001001ae6b", "status": "complete", "status_detail": "Restore complete"}
elapsed:
  description: Seconds the task took.
  returned: always
  type: float
  sample: 310.2
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.composeio.dbaas.plugins.module_utils._common import (
    COMPOSE_COMMON_ARGS,
    DEPLOYMENT_ARGS,
    WAIT_ARGS,
    client_from_module,
    merge_args,
    warn_if_printed,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._restore import RESTORE_ARGS, RESTORE_ONE_OF, RestoreJob


def main():
    module = AnsibleModule(
        argument_spec=merge_args(COMPOSE_COMMON_ARGS, DEPLOYMENT_ARGS, WAIT_ARGS, RESTORE_ARGS),
        supports_check_mode=True,
        **RESTORE_ONE_OF
    )
    warn_if_printed(module)
    job = RestoreJob(module, client_from_module(module))
    module.exit_json(**job.run())


if __name__ == '__main__':
    main()
