# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The compose_backup_restore module's work. Private to this collection, may change without notice."""

from __future__ import annotations

import re

from ansible_collections.composeio.dbaas.plugins.module_utils._backup import (
    IN_PROGRESS,
    backup_summary,
    is_backup_recipe,
    newest,
    oldest,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._common import (
    OptionError,
    check_id,
    check_wait,
    deployment_summary,
    recipe_summary,
    wait_for,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._job import Job
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import (
    ComposeAmbiguousError,
    ComposeAuthError,
    ComposeError,
    ComposeNotFoundError,
    ComposeRecipeFailed,
    ComposeValidationError,
    ComposeWaitTimeout,
)

RESTORE_ARGS = dict(
    backup_id=dict(type='str'),
    name=dict(type='str', required=True),
    datacenter=dict(type='str'),
    cluster_id=dict(type='str'),
    version=dict(type='str'),
    ssl=dict(type='bool'),
    include_connection_strings=dict(type='bool', default=False),
)
RESTORE_ONE_OF = dict(
    mutually_exclusive=[('deployment_id', 'deployment_name'), ('datacenter', 'cluster_id')],
    required_one_of=[('deployment_id', 'deployment_name'), ('datacenter', 'cluster_id')],
)
_SLUG = re.compile(r'^[a-z0-9-]+:[a-z0-9-]+$')
_IN_PLACE = ('name: %r is the source deployment itself; Compose restores a backup only into a new deployment, never '
             'in place over an existing one; choose another name for the new deployment')
REFUSED_HINT = 'Compose refused the restore, so nothing was created or changed'


class RestoreJob(Job):
    """The name decides: an existing deployment is the answer, otherwise restore into it."""

    RESULT_KEYS = ('deployment', 'source', 'backup', 'recipe')
    TIMEOUT_HINT = 'the restore goes on; run the task again to wait for it, or raise wait_timeout'
    FAILED_HINT = ('the new deployment did not come up; see it in the Compose console, and remove it or choose '
                   'another name before running the task again')

    def _validate(self):
        p = self.params
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
        created = self._post(source, backup)
        if created is None:
            return
        self.result['deployment'] = deployment_summary(created)
        if p['wait']:
            recipe_id = created.get('provision_recipe_id') or self._running_recipe_id(created['id'])
            if recipe_id:
                self._wait(recipe_id)
        self._finish(created['id'])

    def _running_recipe_id(self, deployment_id):
        running = newest([r for r in self.client.list_recipes(deployment_id) if r.get('status') in IN_PROGRESS])
        return running['id'] if running else None

    def _source(self, listed):
        p = self.params
        if p['deployment_id']:
            try:
                return self.client.get_deployment(p['deployment_id'])
            except ComposeNotFoundError as exc:
                exc.hint = 'no deployment has id %s; check deployment_id or use deployment_name' % p['deployment_id']
                raise
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
        provisioning = oldest([r for r in self.client.list_recipes(existing['id']) if not is_backup_recipe(r)])
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
            try:
                backup = self.client.get_backup(source['id'], p['backup_id'])
            except ComposeNotFoundError as exc:
                exc.hint = 'deployment %s has no backup %s; check backup_id, or omit it to use the newest' % (
                    source.get('name'), p['backup_id'])
                raise
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
                try:
                    created = self.client.look_for(appeared)
                except ComposeError as look_error:
                    look_error.hint = ('POST %s may have created the deployment %s, and the deployments could not be '
                                       'listed; run the task again later: it finds the deployment by name'
                                       % (path, p['name']))
                    raise
                if created is not None:
                    if created.get('type') != source.get('type'):
                        self._existing(created, source)
                    return self.client.get_deployment(created['id'])
            except ComposeError as exc:
                raise self._refused(exc, error)
        error.hint = ('the deployment %s may have been created all the same: none of that name appeared within %ss '
                      'after each of %d attempts; check the Compose console (or composeio.dbaas.compose_deployment_info) '
                      'for it, then run the task again'
                      % (p['name'], ('%.1f' % self.client.settle_time()).rstrip('0').rstrip('.'), attempts))
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
        try:
            recipe = wait_for(self.client, self.params, recipe_id,
                              on_poll=lambda current: self.result.update(recipe=recipe_summary(current)))
        except (ComposeRecipeFailed, ComposeWaitTimeout):
            raise
        except ComposeError as exc:
            # The API failed, not the restore: it goes on at Compose whatever happens to this task.
            exc.hint = ('the restore into %s (recipe %s) goes on without this task; run the task again to wait for it'
                        % (self.params['name'], recipe_id))
            raise
        self.result['recipe'] = recipe_summary(recipe)

    def _finish(self, deployment_id):
        details = self.client.get_deployment(deployment_id)
        summary = deployment_summary(details)
        if self.params['include_connection_strings']:
            summary['connection_strings'] = details.get('connection_strings', {})
            summary['ca_certificate_base64'] = details.get('ca_certificate_base64')
        self.result['deployment'] = summary
