# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Removing a deployment that a restore created: which deployment, the proof that a restore created it, the DELETE,
and the look after an ambiguous one. Private to this collection, may change without notice.

docs/compose-api.md, *Remove a deployment*, says what of this the API documents and what is assumed."""

from __future__ import annotations

from ansible_collections.composeio.dbaas.plugins.module_utils._backups import (
    IN_PROGRESS,
    is_backup_recipe,
    newest,
    oldest,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import (
    ComposeAmbiguousError,
    ComposeError,
    ComposeNotFoundError,
    hint_on,
    seconds_text,
)

# The name of the provisioning recipe of a deployment a restore created: the only sign in the API that a restore
# created it (the simulator's, and what compose_backup_restore waits for).
RESTORE_RECIPE = 'Restore'
DEPROVISION_TEMPLATE = 'Recipes::Deployment::Deprovision'
DEPROVISION_NAME = 'Deprovision'
NOTHING_REMOVED = 'nothing was removed'


def provisioning_recipe(recipes):
    """The recipe that made the deployment: the oldest one that is not a backup's. Later ones (a scaling, an upgrade,
    a deprovisioning) come after it."""
    return oldest([recipe for recipe in recipes or () if not is_backup_recipe(recipe)])


def is_deprovision_recipe(recipe):
    return recipe.get('template') == DEPROVISION_TEMPLATE or recipe.get('name') == DEPROVISION_NAME


def running_deprovision(recipes):
    """The newest deprovision recipe still running or waiting, or None."""
    return newest([recipe for recipe in recipes or ()
                   if is_deprovision_recipe(recipe) and recipe.get('status') in IN_PROGRESS])


def label(deployment):
    return '%s (%s)' % (deployment.get('name'), deployment.get('id'))


def pick_target(listed, name, restored_id=None):
    """The deployment called name (with id restored_id, when given) among the listed ones, or None when there is
    none. Raises ComposeError, naming the deployments, when the name is shared and restored_id does not say which, or
    when restored_id is not the id of the deployment of that name."""
    named = [dep for dep in listed if dep.get('name') == name]
    if restored_id is not None:
        chosen = [dep for dep in named if dep.get('id') == restored_id]
        if chosen:
            return chosen[0]
        if named:
            raise ComposeError('restored_id: the deployment named %r has id %s, not %s; %s'
                               % (name, ', '.join(sorted(str(dep.get('id')) for dep in named)), restored_id,
                                  NOTHING_REMOVED),
                               hint='pass the name and the id that the same restore returned')
        elsewhere = [dep for dep in listed if dep.get('id') == restored_id]
        if elsewhere:
            raise ComposeError('restored_id: deployment %s is named %r, not %r; %s'
                               % (restored_id, elsewhere[0].get('name'), name, NOTHING_REMOVED),
                               hint='pass the name and the id that the same restore returned')
        return None
    if len(named) > 1:
        raise ComposeError('%d deployments are named %r (%s); %s'
                           % (len(named), name, ', '.join(sorted(str(dep.get('id')) for dep in named)), NOTHING_REMOVED),
                           hint='pass restored_id, the id the restore returned, to say which one to remove')
    return named[0] if named else None


def check_not_source(target, deployment_id=None, deployment_name=None):
    """Refuse the source of the restore: the deployment given as deployment_id or deployment_name."""
    if deployment_id is not None and target.get('id') == deployment_id:
        option = 'deployment_id'
    elif deployment_name is not None and target.get('name') == deployment_name:
        option = 'deployment_name'
    else:
        return
    raise ComposeError('deployment %s is the source deployment (%s); state=absent never removes the source of a '
                       'restore; %s' % (label(target), option, NOTHING_REMOVED),
                       hint='check name and restored_id: they name the deployment the restore created')


def check_restored(target, recipes):
    """Refuse a deployment that a restore did not create: its provisioning recipe must be named Restore."""
    first = provisioning_recipe(recipes)
    if first is None:
        raise ComposeError('deployment %s has no provisioning recipe among its %d recipes, so nothing shows that a '
                           'restore created it; %s' % (label(target), len(recipes or ()), NOTHING_REMOVED),
                           hint='state=absent removes only a deployment whose provisioning recipe is named %s; remove '
                                'any other in the Compose console' % RESTORE_RECIPE)
    if first.get('name') != RESTORE_RECIPE:
        raise ComposeError('deployment %s was not created by a restore: its provisioning recipe %s is named %r, not %r; %s'
                           % (label(target), first.get('id'), first.get('name'), RESTORE_RECIPE, NOTHING_REMOVED),
                           hint='state=absent removes only deployments that a restore created; check name, or remove '
                                'the deployment in the Compose console if it really must go')
    return first


def deprovision(client, deployment_id, known_recipe_ids, attempts=2):
    """DELETE a deployment, by id; after an ambiguous failure, look for what the DELETE did before sending it again.

    Returns (recipe, gone): the deprovision recipe, or (None, True) when the deployment was gone before its recipe
    could be read. After an ambiguous DELETE the deployment's recipes are looked at until the client's settle time has
    passed (ComposeClient.look_for): a new deprovision recipe (one not in known_recipe_ids), or a deployment that is
    gone, is what the DELETE did. A DELETE names one deployment by id, so sending it again can remove no other. A 404
    to the first DELETE (the deployment went before it) is raised as ComposeNotFoundError.
    """
    path = '/deployments/%s' % deployment_id

    def done():
        try:
            recipes = client.list_recipes(deployment_id)
        except ComposeNotFoundError:
            return None, True
        started = newest([recipe for recipe in recipes
                          if is_deprovision_recipe(recipe) and recipe.get('id') not in known_recipe_ids])
        return (started, False) if started is not None else None

    error = None
    for dummy in range(max(1, attempts)):
        try:
            answer = client.request('DELETE', 'deployments', deployment_id, expect=202)
            if isinstance(answer, dict) and isinstance(answer.get('id'), (str, int)) and answer.get('id') != '':
                return answer, False
            raise ComposeAmbiguousError('unexpected response: the answer is not a recipe with an id', method='DELETE',
                                        path=path, status=202)
        except ComposeNotFoundError:
            if error is None:
                raise
            # Gone after an earlier DELETE of this call whose answer was lost: that one removed it.
            return None, True
        except ComposeAmbiguousError as exc:
            error = exc
            with hint_on(ComposeError, 'DELETE %s may have started to remove the deployment, and its recipes could not '
                                       'be read; run the task again later: it waits for a removal that runs and '
                                       'counts a deployment that is gone as removed' % path):
                found = client.look_for(done)
            if found is not None:
                return found
    error.hint = ('the deployment may be being removed all the same: no deprovision recipe appeared and it was still '
                  'there within %ss after each of %d attempts; run the task again: it waits for a removal that runs '
                  'and sends no second one' % (seconds_text(client.settle_time()), attempts))
    raise error


def confirm_gone(client, deployment_id):
    """After a complete deprovision recipe: True once GET /deployments/:id answers 404, looked for until the client's
    settle time has passed (the API may lag behind its recipe); a ComposeError when the deployment is still there."""
    def gone():
        try:
            client.get_deployment(deployment_id)
        except ComposeNotFoundError:
            return True
        return None

    if client.look_for(gone) is None:
        raise ComposeError('the deprovision recipe of deployment %s completed, but the deployment was still there %ss '
                           'later' % (deployment_id, seconds_text(client.settle_time())),
                           hint='check the deployment in the Compose console, then run the task again')
    return True
