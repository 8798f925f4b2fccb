#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: compose_backup_restore
short_description: Restore a Compose backup into a new deployment, or remove such a deployment, idempotently
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
  - With O(state=absent), the deployment called O(name) is removed (deprovisioned), but only when a restore created
    it. Its provisioning recipe, the oldest of its recipes that is not a backup's, must be named C(Restore), the only
    sign in the API that a restore made it. A deployment with another provisioning recipe, or none, or whose recipes
    cannot be read, is refused, as is the source deployment (O(deployment_id) or O(deployment_name)), a deployment
    whose id is not O(restored_id), and a name that several deployments share without O(restored_id). A refusal
    fails the task before any request that changes something. No deployment called O(name) is V(absent), with no
    change.
  - The removal is sent by id, once. A removal already running (after a lost answer, a timeout or O(wait=false)) is
    waited for, never sent again; after a removal request whose outcome is unknown, the deployment's recipes are
    looked at for the settle time, and a deprovision recipe that appeared, or a deployment that is gone, is taken
    for what the request did.
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
      - With O(state=absent), makes every read and every refusal, sends no removal, and reports a change when the
        deployment would be removed.
  diff_mode:
    support: full
    details:
      - Shows the deployment that would appear (name, type, backup, datacenter or cluster, version).
      - With O(state=absent), the deployment that goes (id, name, type, version) before, and nothing after.
  idempotent:
    support: full
options:
  state:
    description:
      - V(present) restores a backup into the deployment called O(name) unless it exists.
      - V(absent) removes the deployment called O(name), when a restore created it.
    type: str
    choices: [present, absent]
    default: present
  deployment_id:
    description:
      - Id of the source deployment. With O(state=present), exactly one of O(deployment_id) and O(deployment_name)
        is required.
      - With O(state=absent), optional; when given, the task refuses to remove this deployment.
    type: str
  deployment_name:
    description:
      - Exact name of the source deployment.
      - With O(state=absent), optional; when given, the task refuses to remove the deployment of this name.
    type: str
  backup_id:
    description:
      - The backup to restore. Without it, the newest restorable backup of the source is used.
      - Only with O(state=present), as are O(datacenter), O(cluster_id), O(version), O(ssl) and
        O(include_connection_strings); a task with O(state=absent) that sets any of them fails.
    type: str
  name:
    description:
      - Name of the new deployment. It identifies the restore, so a re-run with the same name changes nothing.
      - With O(state=absent), the name of the deployment to remove.
    type: str
    required: true
  restored_id:
    description:
      - Only with O(state=absent). The id of the deployment to remove, as the restore returned it (RV(deployment.id)).
      - When given, the deployment called O(name) must have this id, else the task refuses; it also picks that one when
        several deployments share O(name).
    type: str
  datacenter:
    description:
      - Datacenter slug for the new deployment, such as V(aws:us-east-1), V(aws:eu-west-1) or V(gce:europe-west1).
      - With O(state=present), exactly one of O(datacenter) and O(cluster_id) is required.
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
      - With O(state=absent), wait until the deprovision recipe is complete and the deployment is gone.
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

- name: Restore into a scratch deployment for a restore drill
  composeio.dbaas.compose_backup_restore:
    deployment_name: fizz-production
    name: fizz-production-drill-20260101T000000
    datacenter: aws:us-east-1
  register: scratch

- name: Remove the scratch deployment again, only if it is the one the restore created
  composeio.dbaas.compose_backup_restore:
    state: absent
    name: "{{ scratch.deployment.name }}"
    restored_id: "{{ scratch.deployment.id }}"
    deployment_name: fizz-production
'''

RETURN = r'''
action:
  description:
    - V(restored) when a new deployment was (or in check mode would be) created, V(exists) when O(name) existed.
    - With O(state=absent), V(removed) when the deployment was (or in check mode would be) removed, V(removing) when
      its removal runs on (O(wait=false), or check mode while a removal runs), V(absent) when there was no deployment
      called O(name).
    - Null when the task failed before deciding, or when Compose refused the restore request (nothing changed).
  returned: always
  type: str
  sample: restored
deployment:
  description:
    - The new (or existing) deployment. In check mode, only its planned name and type.
    - With O(state=absent), the deployment removed (id, name, type, version); null when it was absent.
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
  returned: when O(state=present)
  type: dict
  sample: {"id": "5854017e89d50f424e000192", "name": "fizz-production", "type": "postgresql"}
backup:
  description: The backup restored, without download link. Null when O(name) existed.
  returned: when O(state=present)
  type: dict
  sample: {"id": "5a97f1c2e16c0900188845aa", "type": "daily", "is_restorable": true, "created_at": "2018-03-01T12:04:40.000Z"}
recipe:
  description:
    - The provisioning recipe followed (id, status, status_detail, created_at, updated_at). Null if none.
    - With O(state=absent), the deprovision recipe (template C(Recipes::Deployment::Deprovision), name
      C(Deprovision)); null when nothing was removed, or when the deployment was gone before its recipe could be read.
  returned: always
  type: dict
  sample: {"id": "59a6b3a5f32fb6001001ae6b", "status": "complete", "status_detail": "Restore complete"}
seconds:
  description:
    - Wall seconds from the restore request to the end of the wait for the new deployment's provisioning recipe.
    - Null when the task did not wait (O(wait=false), check mode) or O(name) existed already.
  returned: when O(state=present)
  type: float
  sample: 312.4
elapsed:
  description: Seconds the task took.
  returned: always
  type: float
  sample: 310.2
'''

import re

from ansible_collections.composeio.dbaas.plugins.module_utils._backups import IN_PROGRESS, backup_summary, newest
from ansible_collections.composeio.dbaas.plugins.module_utils._deployments import deployment_summary, with_connection_strings
from ansible_collections.composeio.dbaas.plugins.module_utils._deprovision import (
    NOTHING_REMOVED,
    check_not_source,
    check_restored,
    confirm_gone,
    deprovision,
    is_deprovision_recipe,
    label,
    pick_target,
    provisioning_recipe,
    running_deprovision,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import (
    ComposeAmbiguousError,
    ComposeAuthError,
    ComposeError,
    ComposeNotFoundError,
    ComposeRecipeFailed,
    ComposeValidationError,
    OptionError,
    hint_on,
    seconds_text,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._module import ComposeModule, Job
from ansible_collections.composeio.dbaas.plugins.module_utils._options import (
    DEPLOYMENT_ARGS,
    WAIT_ARGS,
    check_id,
    check_wait,
    merge_args,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._polling import (
    RECIPE_OUTCOMES,
    Schedule,
    recipe_summary,
    wait_recipe,
)

RESTORE_ARGS = dict(
    state=dict(type='str', default='present', choices=['present', 'absent']),
    backup_id=dict(type='str'),
    name=dict(type='str', required=True),
    restored_id=dict(type='str'),
    datacenter=dict(type='str'),
    cluster_id=dict(type='str'),
    version=dict(type='str'),
    ssl=dict(type='bool'),
    include_connection_strings=dict(type='bool', default=False),
)
RESTORE_ONE_OF = dict(
    mutually_exclusive=[('deployment_id', 'deployment_name'), ('datacenter', 'cluster_id')],
    required_if=[('state', 'present', ('deployment_id', 'deployment_name'), True),
                 ('state', 'present', ('datacenter', 'cluster_id'), True)],
)
# The options that say how to restore: a task that removes a deployment has no use for them, and refuses them.
PRESENT_ONLY = ('backup_id', 'datacenter', 'cluster_id', 'version', 'ssl', 'include_connection_strings')
_SLUG = re.compile(r'^[a-z0-9-]+:[a-z0-9-]+$')
_IN_PLACE = ('name: %r is the source deployment itself; Compose restores a backup only into a new deployment, never '
             'in place over an existing one; choose another name for the new deployment')
REFUSED_HINT = 'Compose refused the restore, so nothing was created or changed'


class RestoreJob(Job):
    """The name decides: an existing deployment is the answer, otherwise restore into it."""

    RESULT_KEYS = ('deployment', 'source', 'backup', 'recipe', 'seconds')
    TIMEOUT_HINT = 'the restore goes on; run the task again to wait for it, or raise wait_timeout'
    FAILED_HINT = ('the new deployment did not come up; see it in the Compose console, and remove it or choose '
                   'another name before running the task again')

    def _validate(self):
        p = self.params
        if p['restored_id'] is not None:
            raise OptionError('restored_id applies to state=absent only (the id of the deployment to remove); leave it '
                              'out when restoring')
        check_id(p['deployment_id'], 'deployment_id')
        check_id(p['backup_id'], 'backup_id')
        check_id(p['cluster_id'], 'cluster_id')
        check_wait(p)
        if not p['name'] or not p['name'].strip():
            raise OptionError('name must not be empty: it names the new deployment')
        if p['deployment_name'] is not None and p['name'] == p['deployment_name']:
            raise OptionError(_IN_PLACE % p['name'])
        if p['datacenter'] is not None and not _SLUG.match(p['datacenter']):
            raise OptionError('datacenter must be a slug such as aws:us-east-1 or gce:europe-west1, got %r'
                              % p['datacenter'])

    def work(self):
        self._validate()
        p = self.params
        listed = self.client.list_deployments()
        source = self._source(listed)
        self.result['source'] = deployment_summary(source)
        existing = self._named(listed, p['name'])
        if existing is not None and existing.get('id') == source.get('id'):
            # Found by deployment_id: its name is the one asked for the new deployment.
            raise OptionError(_IN_PLACE % p['name'])
        if existing is not None:
            self._existing(existing, source)
            return
        backup = self._backup(source)
        self.result.update(action='restored', changed=True, backup=backup_summary(backup))
        planned = dict(name=p['name'], type=source.get('type'))
        self.diff['after'] = dict(planned, backup_id=backup['id'], datacenter=p['datacenter'],
                                  cluster_id=p['cluster_id'], version=p['version'] or source.get('version'))
        if self.check_mode:
            self.result['deployment'] = planned
            return
        # By the client's clock (the tests' FakeTime): from the restore request to the end of the wait.
        posted = self.client.clock()
        created = self._post(source, backup)
        if created is None:
            return
        self.result['deployment'] = deployment_summary(created)
        if p['wait']:
            recipe_id = created.get('provision_recipe_id') or self._running_recipe_id(created['id'])
            if recipe_id:
                self._wait(recipe_id)
            self.result['seconds'] = round(self.client.clock() - posted, 3)
        self._finish(created['id'])

    def _running_recipe_id(self, deployment_id):
        running = newest([r for r in self.client.list_recipes(deployment_id) if r.get('status') in IN_PROGRESS])
        return running['id'] if running else None

    def _source(self, listed):
        p = self.params
        if p['deployment_id']:
            with hint_on(ComposeNotFoundError, 'no deployment has id %s; check deployment_id or use deployment_name'
                         % p['deployment_id']):
                return self.client.get_deployment(p['deployment_id'])
        source = self._named(listed, p['deployment_name'])
        if source is None:
            raise ComposeNotFoundError('deployment_name %r matches no deployment visible to this token'
                                       % p['deployment_name'])
        return source

    @staticmethod
    def _named(listed, name):
        matches = [dep for dep in listed if dep.get('name') == name]
        if len(matches) > 1:
            raise ComposeError('%d deployments are named %r (%s); use ids to tell them apart'
                               % (len(matches), name, ', '.join(sorted(d.get('id', '?') for d in matches))))
        return matches[0] if matches else None

    def _existing(self, existing, source):
        """The name is taken: the idempotent answer, or a clear refusal when it is something else."""
        if existing.get('type') != source.get('type'):
            raise ComposeError('name: a deployment named %r already exists with type %s, but the backup is of a %s '
                               'deployment; choose another name'
                               % (existing.get('name'), existing.get('type'), source.get('type')))
        self.result['action'] = 'exists'
        self.diff['before'] = self.diff['after'] = dict(name=existing.get('name'), type=existing.get('type'))
        # A re-run after a timeout or a failure reports how the provisioning of that deployment went: its first
        # recipe. Later ones (a scaling, an upgrade) are not this module's business, failed or not.
        provisioning = provisioning_recipe(self.client.list_recipes(existing['id']))
        if provisioning is not None:
            self.result['recipe'] = recipe_summary(provisioning)
            if provisioning.get('status') == 'failed':
                raise ComposeRecipeFailed(provisioning)
            if provisioning.get('status') in IN_PROGRESS and self.params['wait'] and not self.check_mode:
                self._wait(provisioning['id'])
        self._finish(existing['id'])

    def _backup(self, source):
        p = self.params
        if p['backup_id']:
            with hint_on(ComposeNotFoundError, 'deployment %s has no backup %s; check backup_id, or omit it to use the '
                                               'newest' % (source.get('name'), p['backup_id'])):
                backup = self.client.get_backup(source['id'], p['backup_id'])
        else:
            backups = self.client.list_backups(source['id'])
            backup = next((b for b in backups if b.get('is_restorable')), None)
            if backup is None:
                raise ComposeError('deployment %s (type %s) has no restorable backup among its %d backups; '
                                   'take one with composeio.dbaas.compose_backup first'
                                   % (source.get('name'), source.get('type'), len(backups)))
        if not backup.get('is_restorable'):
            raise ComposeError('backup %s (%s) of deployment %s (type %s) cannot be restored into a new deployment; '
                               'omit backup_id to use the newest restorable backup, or download it with '
                               'composeio.dbaas.compose_backup if it is downloadable'
                               % (backup.get('id'), backup.get('type'), source.get('name'), source.get('type')))
        return backup

    def _post(self, source, backup, attempts=2):
        """POST the restore; after an ambiguous failure, look for the deployment by name before sending again.

        The name was free when the deployments were listed just before, so a deployment of that name that appears
        after an ambiguous POST is taken for the one it created: it is looked for until the client's settle time
        has passed (ComposeClient.look_for), and only when none appeared is the POST sent again. Nothing relies on
        the API refusing a taken name (names need not be unique). Returns the new deployment, or None when another
        client took the name before our first POST (answered as a re-run).
        """
        p = self.params
        body = dict(name=p['name'])
        for key in ('datacenter', 'cluster_id', 'version'):
            if p[key]:
                body[key] = p[key]
        if p['ssl'] is not None:
            body['ssl'] = p['ssl']
        path = '/deployments/%s/backups/%s/restore' % (source['id'], backup['id'])

        def appeared():
            return self._named(self.client.list_deployments(), p['name'])

        error = None
        for dummy in range(max(1, attempts)):
            try:
                created = self.client.request('POST', 'deployments', source['id'], 'backups', backup['id'], 'restore',
                                              expect=202, body=dict(deployment=body))
                if isinstance(created, dict) and isinstance(created.get('id'), (str, int)) and created.get('id') != '':
                    return created
                raise ComposeAmbiguousError('unexpected response: the answer is not a deployment with an id',
                                            method='POST', path=path, status=202)
            except ComposeValidationError as exc:
                if 'taken' not in (exc.api_message or ''):
                    raise self._refused(exc, error)
                taken = appeared()
                if taken is None:
                    raise self._refused(exc, error)
                if error is not None and taken.get('type') == source.get('type'):
                    # Free before our first POST, taken now: by that POST, acted upon after the settle time.
                    return self.client.get_deployment(taken['id'])
                self.result.update(changed=False, backup=None)
                self._existing(taken, source)
                return None
            except ComposeAmbiguousError as exc:
                error = exc
                with hint_on(ComposeError, 'POST %s may have created the deployment %s, and the deployments could not '
                                           'be listed; run the task again later: it finds the deployment by name'
                                           % (path, p['name'])):
                    created = self.client.look_for(appeared)
                if created is not None:
                    if created.get('type') != source.get('type'):
                        self._existing(created, source)
                    return self.client.get_deployment(created['id'])
            except ComposeError as exc:
                raise self._refused(exc, error)
        error.hint = ('the deployment %s may have been created all the same: none of that name appeared within %ss '
                      'after each of %d attempts; check the Compose console (or composeio.dbaas.compose_deployment_info) '
                      'for it, then run the task again'
                      % (p['name'], seconds_text(self.client.settle_time()), attempts))
        raise error

    def _refused(self, exc, ambiguous):
        """A POST answered with a refusal (4xx): nothing was created, unless an earlier POST of this task is
        still unaccounted for (then changed stays true: it may have created the deployment)."""
        if ambiguous is None:
            self.result.update(changed=False, action=None, deployment=None)
            if exc.hint is None and not isinstance(exc, ComposeAuthError):
                exc.hint = REFUSED_HINT
        return exc

    def _wait(self, recipe_id):
        self.result['recipe'] = dict(id=recipe_id)
        # When the API fails, not the restore, the restore goes on at Compose whatever happens to this task.
        with hint_on(ComposeError, 'the restore into %s (recipe %s) goes on without this task; run the task again to '
                                   'wait for it' % (self.params['name'], recipe_id), unless=RECIPE_OUTCOMES):
            recipe = wait_recipe(self.client, recipe_id, Schedule.from_params(self.params),
                                 on_poll=lambda current: self.result.update(recipe=recipe_summary(current)))
        self.result['recipe'] = recipe_summary(recipe)

    def _finish(self, deployment_id):
        details = self.client.get_deployment(deployment_id)
        summary = deployment_summary(details)
        if self.params['include_connection_strings']:
            with_connection_strings(summary, details)
        self.result['deployment'] = summary


class RemoveJob(Job):
    """state=absent: remove the deployment called name, only when a restore created it and it is not the source.

    Every refusal comes before any request that changes something. The DELETE names the deployment by id; a removal
    already running is waited for, never sent again, and a deployment that is gone counts as removed.
    """

    RESULT_KEYS = ('deployment', 'recipe')
    TIMEOUT_HINT = ('the removal goes on at Compose; run the task again to wait for it (it sends no second removal), '
                    'or raise wait_timeout')
    FAILED_HINT = ('the deployment was not removed; see the recipe in the Compose console, then run the task again to '
                   'send the removal again')

    def _validate(self):
        p = self.params
        # include_connection_strings defaults to false; the others are unset (None) unless given.
        given = [option for option in PRESENT_ONLY
                 if p[option] is not None and (option != 'include_connection_strings' or p[option])]
        if given:
            raise OptionError('%s: only for state=present; a task with state=absent removes the deployment called '
                              'name and takes restored_id, and deployment_id or deployment_name for the source, besides '
                              'the wait options' % ', '.join(given))
        check_id(p['deployment_id'], 'deployment_id')
        check_id(p['restored_id'], 'restored_id')
        check_wait(p)
        if not p['name'] or not p['name'].strip():
            raise OptionError('name must not be empty: it names the deployment to remove')
        if p['deployment_name'] is not None and p['name'] == p['deployment_name']:
            raise OptionError('name: %r is the source deployment (deployment_name); state=absent never removes the '
                              'source of a restore; %s' % (p['name'], NOTHING_REMOVED))
        if p['deployment_id'] is not None and p['restored_id'] == p['deployment_id']:
            raise OptionError('restored_id: %s is the source deployment (deployment_id); state=absent never removes the '
                              'source of a restore; %s' % (p['restored_id'], NOTHING_REMOVED))

    def work(self):
        self._validate()
        p = self.params
        target = pick_target(self.client.list_deployments(), p['name'], p['restored_id'])
        if target is None:
            self.result['action'] = 'absent'
            return
        self.result['deployment'] = deployment_summary(target)
        check_not_source(target, p['deployment_id'], p['deployment_name'])
        recipes = self._recipes(target)
        check_restored(target, recipes)
        try:
            details = self.client.get_deployment(target['id'])
        except ComposeNotFoundError:
            # Gone since it was listed: removed by someone else.
            self.result.update(action='absent', deployment=None)
            return
        summary = self.result['deployment'] = self._summary(details)
        self.diff['before'] = summary
        running = running_deprovision(recipes)
        if running is not None:
            # A removal started earlier (a lost answer, a timeout, wait=false): never sent twice, only followed.
            self.result.update(action='removing', recipe=recipe_summary(running))
            if p['wait'] and not self.check_mode:
                self._follow(target, running)
            return
        self.result.update(changed=True, action='removed')
        if self.check_mode:
            return
        known = [recipe.get('id') for recipe in recipes if is_deprovision_recipe(recipe)]
        try:
            recipe, gone = deprovision(self.client, target['id'], known)
        except ComposeNotFoundError:
            self.result.update(changed=False, action='absent', deployment=None)
            self.diff['before'] = {}
            return
        if gone:
            return
        self.result['recipe'] = recipe_summary(recipe)
        if p['wait']:
            self._follow(target, recipe)
        elif recipe.get('status') in IN_PROGRESS:
            self.result['action'] = 'removing'

    def _recipes(self, target):
        """The deployment's recipes; fail closed: without them nothing shows that a restore created it."""
        try:
            return self.client.list_recipes(target['id'])
        except ComposeError as exc:
            raise ComposeError('the recipes of deployment %s could not be read (%s), so nothing shows that a restore '
                               'created it; %s' % (label(target), exc, NOTHING_REMOVED),
                               hint='run the task again later')

    @staticmethod
    def _summary(details):
        return dict((key, details.get(key)) for key in ('id', 'name', 'type', 'version') if key in details)

    def _follow(self, target, recipe):
        """Wait for the deprovision recipe, then confirm the deployment is gone."""
        with hint_on(ComposeError, 'the removal of %s (recipe %s) goes on without this task; run the task again to wait '
                                   'for it' % (target.get('name'), recipe.get('id')), unless=RECIPE_OUTCOMES):
            done = wait_recipe(self.client, recipe['id'], Schedule.from_params(self.params), first=recipe,
                               on_poll=lambda current: self.result.update(recipe=recipe_summary(current)))
        self.result['recipe'] = recipe_summary(done)
        confirm_gone(self.client, target['id'])
        self.result['action'] = 'removed'


def main():
    module = ComposeModule(
        argument_spec=merge_args(DEPLOYMENT_ARGS, WAIT_ARGS, RESTORE_ARGS),
        supports_check_mode=True,
        **RESTORE_ONE_OF
    )
    job_class = RemoveJob if module.params['state'] == 'absent' else RestoreJob
    job = job_class(module, module.client())
    module.exit_json(**job.run())


if __name__ == '__main__':
    main()
