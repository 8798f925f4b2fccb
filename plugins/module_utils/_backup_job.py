# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The compose_backup module's work: decide, act, wait, download. Private to this collection, may change without notice."""

from __future__ import annotations

import datetime
import grp
import os
import pwd
import re
import time
from urllib.parse import urlparse

from ansible_collections.composeio.dbaas.plugins.module_utils import _backup, _download
from ansible_collections.composeio.dbaas.plugins.module_utils._common import (
    OptionError,
    check_id,
    check_wait,
    deployment_summary,
    parse_duration,
    recipe_summary,
    resolve_deployment,
    wait_for,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._job import Job
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import (
    ComposeError,
    ComposeNotFoundError,
    ComposeRecipeFailed,
    ComposeWaitTimeout,
)

BACKUP_ARGS = dict(
    backup_id=dict(type='str'),
    recipe_id=dict(type='str'),
    max_age=dict(type='str'),
    force=dict(type='bool', default=False),
    dest=dict(type='path'),
    checksum=dict(type='str'),
    download_retries=dict(type='int', default=5),
)
_SHA256 = re.compile(r'^(sha256:)?([0-9a-fA-F]{64})$')


class BackupJob(Job):
    """The decision (selected, reused, joined, triggered), the wait and the download."""

    RESULT_KEYS = ('deployment', 'backup', 'recipe', 'dest', 'size', 'sha256')
    TIMEOUT_HINT = 'the backup goes on; run the task again to join it, or raise wait_timeout'
    FAILED_HINT = 'no backup was made; see the recipe in the Compose console, then run the task again to start another'

    def __init__(self, module, client):
        super().__init__(module, client)
        self.started_wall = time.time()
        self.result.update(downloaded=False, resumed_bytes=0)

    # -- inputs ----------------------------------------------------------------------------

    def _validate(self):
        p = self.params
        check_id(p['backup_id'], 'backup_id')
        check_id(p['recipe_id'], 'recipe_id')
        check_wait(p)
        if p['download_retries'] < 0:
            raise OptionError('download_retries must be 0 or more, got %s' % p['download_retries'])
        if p['checksum'] is not None and not _SHA256.match(p['checksum']):
            raise OptionError('checksum must be a SHA-256 of 64 hexadecimal characters, optionally prefixed by '
                              'sha256:, got %r' % p['checksum'])
        self.max_age = parse_duration(p['max_age'], 'max_age') if p['max_age'] is not None else None
        self.dest_dir, self.dest_file = self._dest_parts(p['dest']) if p['dest'] else (None, None)
        if p['dest']:
            self._check_owner_and_group(p.get('owner'), p.get('group'))

    @staticmethod
    def _check_owner_and_group(owner, group):
        """Fail before a backup is started or downloaded when the archive could not be given its owner or group:
        found only after the download, it left the archive in place with the wrong owner."""
        for option, value, lookup in (('owner', owner, pwd.getpwnam), ('group', group, grp.getgrnam)):
            if value is None or str(value).isdigit():
                continue  # a numeric id needs no entry in the user or group database
            try:
                lookup(str(value))
            except (KeyError, UnicodeError, ValueError):
                raise OptionError('%s: %s %r does not exist on this host; use an existing name or a numeric id'
                                  % (option, 'user' if option == 'owner' else 'group', value))

    @staticmethod
    def _dest_parts(dest):
        if os.path.isdir(dest) or dest.endswith(os.sep):
            folder, name = dest, None
        else:
            folder, name = os.path.dirname(dest) or '.', os.path.basename(dest)
        if not os.path.isdir(folder):
            raise OptionError('dest: the folder %s does not exist; create it first' % folder)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise OptionError('dest: cannot write in %s (permission denied)' % folder)
        return folder, name

    # -- the decision ----------------------------------------------------------------------

    def work(self):
        self._validate()
        p = self.params
        deployment = resolve_deployment(self.client, p['deployment_id'], p['deployment_name'])
        self.deployment = deployment
        self.result['deployment'] = deployment_summary(deployment)
        backup = None
        if p['backup_id']:
            backup = self._get_backup(p['backup_id'])
            self.result['action'] = 'selected'
        elif p['recipe_id']:
            self.result['action'] = 'joined'
            backup = self._follow(self._get_recipe(p['recipe_id']))
        else:
            backup = self._trigger_or_join()
        self.result['backup'] = _backup.backup_summary(backup)
        self.diff['after']['backup'] = self.result['backup']
        if p['dest'] and (backup is not None or (p['wait'] and self.check_mode)):
            self._download(backup)
        if self.check_mode:
            # --diff shows this after before and after, which alone read {} -> {"backup": null} for a backup that
            # would be started: say in words what a real run would do.
            self.diff['prepared'] = self._plan(backup)

    def _plan(self, backup):
        """What a real run would do, in a sentence: the decision, then the download or why there is none."""
        name = self.deployment.get('name') or self.deployment.get('id')
        action = self.result['action']
        recipe_id = (self.result.get('recipe') or {}).get('id')
        if action == 'triggered':
            text = 'would trigger an on-demand backup of %s' % name
        elif action == 'joined':
            text = 'would join the backup of %s that recipe %s makes' % (name, recipe_id)
        elif action == 'reused':
            text = 'would reuse backup %s of %s, made %s' % (backup.get('id'), name, backup.get('created_at'))
        else:
            text = 'would take backup %s of %s' % (backup.get('id'), name)
        if self.result['downloaded']:
            text += ' and download it to %s' % self.result['dest']
        elif self.result['dest']:
            text += '; %s is already on disk' % self.result['dest']
        elif self.params['dest'] and not self.params['wait'] and backup is None:
            text += '; not waited for (wait=false), so not downloaded by this task'
        return text + '\n'

    def _get_backup(self, backup_id):
        try:
            return self.client.get_backup(self.deployment['id'], backup_id)
        except ComposeNotFoundError as exc:
            exc.hint = 'deployment %s has no backup %s; check backup_id, or list them with composeio.dbaas.compose_backup_info' % (
                self.deployment.get('name'), backup_id)
            raise

    def _refuse_undownloadable(self, backups):
        """Fail before starting a backup that could not be downloaded anyway.

        Compose offers downloads by deployment type (compose-api.md section 8): for those types no list is needed.
        Should a backup still come without a download link, the download fails with the same advice.
        """
        if backups is None:
            if self.deployment.get('type') in _backup.DOWNLOADABLE_TYPES:
                return
            backups = self.client.list_backups(self.deployment['id'])
        if backups and not any(b.get('is_downloadable') for b in backups):
            raise ComposeError(_backup.not_downloadable_message(self.deployment, backups[0]))

    def _trigger_or_join(self):
        """Reuse a fresh backup, join a running one, or start one: decided under the deployment's lock.

        The recipes are listed before the backups, so a backup recipe that completes in between is seen either
        running in the first list or complete in the second; every fork of one run then makes one backup.
        """
        p = self.params
        dep_id = self.deployment['id']
        with _backup.deployment_lock(self.client.base_url, dep_id) as ledger:
            recipes = self.client.list_recipes(dep_id)
            backups = None
            if self.max_age is not None and not p['force']:
                backups = self.client.list_backups(dep_id)
                fresh = _backup.reusable(backups, self.max_age, need_download=bool(p['dest']))
                if fresh is not None:
                    self.result['action'] = 'reused'
                    return fresh
            recipe = None if p['force'] else self._joinable(recipes, ledger)
            if recipe is not None:
                self.result['action'] = 'joined'
            else:
                if p['dest']:
                    self._refuse_undownloadable(backups)
                self.result['action'] = 'triggered'
                if self.check_mode:
                    self.result['changed'] = True
                    return None
                recipe = _backup.trigger(self.client, dep_id, set(r.get('id') for r in recipes))
                ledger.record(recipe.get('id'))
                self.result['changed'] = True
        return self._follow(recipe, recipes)

    def _follow(self, recipe, recipes=None):
        """Wait for a backup recipe and find the backup it produced.

        None with wait=false unless the recipe is already complete and dest wants the backup, and in check mode
        unless it is complete (a failed one fails, as it would for real: nothing is waited for in check mode).
        recipes: the deployment's recipes as listed before, whose earlier backups say how long this one may take;
        without them they are listed before the first sleep, only when the recipe is not complete at once.
        """
        p = self.params
        self.result['recipe'] = recipe_summary(recipe)
        if not (p['wait'] or (p['dest'] and recipe.get('status') == 'complete')):
            return None
        if self.check_mode and recipe.get('status') in _backup.IN_PROGRESS:
            return None
        try:
            recipe = wait_for(self.client, p, recipe['id'], first=recipe,
                              on_poll=lambda current: self.result.update(recipe=recipe_summary(current)),
                              expect=lambda: self._expected_duration(recipe['id'], recipes))
        except (ComposeRecipeFailed, ComposeWaitTimeout):
            raise
        except ComposeError as exc:
            # The API failed, not the backup: it goes on at Compose whatever happens to this task.
            exc.hint = 'backup recipe %s goes on without this task; run the task again to join it' % recipe['id']
            raise
        self.result['recipe'] = recipe_summary(recipe)
        return _backup.find_produced_backup(self.client, self.deployment['id'], recipe, interval=p['poll_interval'])

    def _expected_duration(self, recipe_id, recipes):
        """How long the deployment's recent backups took (see _backup.expected_duration); None if unknown."""
        if recipes is None:
            try:
                recipes = self.client.list_recipes(self.deployment['id'])
            except ComposeError:
                return None  # it only paces the looks at the recipe; the next look reports a lasting failure
        return _backup.expected_duration(recipes, recipe_id)

    def _get_recipe(self, recipe_id):
        """The recipe given by recipe_id, which must be a backup recipe of this deployment."""
        try:
            recipe = self.client.get_recipe(recipe_id)
        except ComposeNotFoundError as exc:
            exc.hint = 'check recipe_id: it is the recipe.id returned by a compose_backup run with wait=false'
            raise
        if recipe.get('deployment_id') != self.deployment['id'] or not _backup.is_backup_recipe(recipe):
            raise OptionError('recipe_id: %s is not a backup recipe of deployment %s (%s)'
                              % (recipe_id, self.deployment.get('name'), self.deployment['id']))
        return recipe

    def _joinable(self, recipes, ledger):
        """A running backup recipe, or one started from this machine after this task began."""
        recipe_id, started_at = ledger.last()
        if recipe_id and started_at >= self.started_wall:
            started = [r for r in recipes if r.get('id') == recipe_id]
            if started and started[0].get('status') != 'failed':
                return started[0]
        return _backup.running_backup_recipe(recipes)

    # -- the download ----------------------------------------------------------------------

    def _download(self, backup):
        p = self.params
        if backup is None:
            # Check mode: the backup does not exist yet; plan its path.
            now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
            path = os.path.join(self.dest_dir, self.dest_file or _download.archive_name(
                self.deployment.get('name'), 'pending', now))
            self._refuse_folders(path)
            self.result.update(dest=path, downloaded=True, changed=True)
            self.diff['before'] = _download.local_state(path)
            self.diff['after'].update(path=path, backup_id=None)
            return
        path = os.path.join(self.dest_dir, self.dest_file or _download.archive_name(
            self.deployment.get('name'), backup.get('id'), backup.get('created_at')))
        self._refuse_folders(path)
        checksum = _SHA256.match(p['checksum']).group(2).lower() if p['checksum'] else None
        # With a checksum, what is on disk is hashed: the sidecar alone only says what was written there.
        before = _download.local_state(path, hash_file=checksum is not None)
        self.diff['before'] = dict(before)
        self.result['dest'] = path
        # The sidecar must name this deployment too: names of two deployments may give one file-name prefix.
        if (before.get('backup_id') == _download.safe_name(backup.get('id'))
                and before.get('deployment_id') == _download.safe_name(self.deployment.get('id'))
                and checksum in (None, before['sha256'])):
            self.result.update(size=before['size'], sha256=before['sha256'])
        else:
            if not backup.get('is_downloadable'):
                raise ComposeError(_backup.not_downloadable_message(self.deployment, backup))
            # A backup given by backup_id was just fetched with its link; a listed one has none.
            details = backup if backup.get('download_link') else self._get_backup(backup['id'])
            if not details.get('download_link'):
                raise ComposeError('backup %s of deployment %s has no download link although it is marked downloadable'
                                   % (backup['id'], self.deployment.get('name')), hint='try again later')
            if self.check_mode:
                self.result.update(downloaded=True, changed=True)
            else:
                try:
                    self._fetch(details['download_link'], path, backup, checksum)
                except ComposeError:
                    # A failed download wrote nothing at dest: name dest only if a file (an earlier one) is there.
                    if not os.path.lexists(path):
                        self.result['dest'] = None
                    raise
                self.result.update(downloaded=True, changed=True)
        self.diff['after'].update(path=path, backup_id=backup.get('id'), size=self.result['size'],
                                  sha256=self.result['sha256'])
        if not (self.check_mode and self.result['downloaded']):
            # In check mode on a file already in place: would mode, owner or group change? (Nothing is applied.)
            self._apply_file_attributes(path)

    @staticmethod
    def _refuse_folders(path):
        """Fail before any download when a folder (or a link to one) sits where the archive or its sidecar goes."""
        for target, what in ((path, 'archive'), (_download.sidecar_path(path), 'checksum file')):
            if os.path.isdir(target):
                raise OptionError('dest: %s is a folder, where the %s would be written; remove or rename it, or set '
                                  'dest to another file name' % (target, what))

    def _fetch(self, link, path, backup, checksum):
        mode = 0o600
        # A part of this backup that a killed run left is resumed (see _download.Part), not swept.
        self._remove_stale_parts(path, keep=_download.Part(path, backup['id']).path)
        if self.client.verify is False and urlparse(link).scheme == 'https':
            self.module.warn('validate_certs is false: the TLS certificate of the download host %s is not checked'
                             % urlparse(link).hostname)
        downloader = _download.Downloader(timeout=self.params['request_timeout'], attempts=self.params['download_retries'],
                                          sleep=self.client.sleep, verify=self.client.verify)

        def place(tmp, got):
            self._place(path, tmp, backup, got, mode)

        got = downloader.fetch(link, path, refresh=lambda: self._get_backup(backup['id']).get('download_link'),
                               checksum=checksum, mode=mode, place=place, resume_key=backup['id'])
        self.result.update(size=got['size'], sha256=got['sha256'], resumed_bytes=got['resumed_bytes'])

    def _place(self, path, archive_tmp, backup, got, mode):
        """Put the archive and its sidecar in place together, under the deployment's lock.

        The sidecar is written first, beside the destination, so that a full disk fails before anything there
        changes; then the old sidecar, the archive and the new sidecar are renamed under the lock, so that two runs
        into one file cannot pair one's archive with the other's sidecar.
        """
        side = _download.sidecar_path(path)
        try:
            # The deployment's own id, which a re-run compares (see _download): a backup may not carry it.
            sidecar_tmp = _download.write_sidecar_temp(path, dict(backup, deployment_id=self.deployment['id']),
                                                       got['sha256'], got['size'], mode=mode)
        except (IOError, OSError) as exc:
            raise _download.DownloadError(
                'cannot write the checksum file %s: %s' % (side, _download.os_reason(exc)),
                hint='the new archive was discarded and %s left as it was, so the next run downloads again; free '
                     'space in %s (or fix its permissions), then run the task again' % (path, os.path.dirname(path)))
        try:
            with _backup.deployment_lock(self.client.base_url, self.deployment['id']):
                _download.install(path, archive_tmp, sidecar_tmp, move=self._move)
        finally:
            # Gone once renamed; still there if a step failed, or if unsafe_writes copied it into place.
            _download.remove(sidecar_tmp)
            _download.remove(archive_tmp)

    def _move(self, src, dest):
        """Rename src to dest through module.atomic_move, which honours unsafe_writes (a bind-mounted file, say).

        atomic_move gives a file it creates the permissions the umask allows: a new archive stays private until
        mode is applied.
        """
        umask = os.umask(0o077)
        try:
            self.module.atomic_move(src, dest, unsafe_writes=bool(self.params.get('unsafe_writes')))
        finally:
            os.umask(umask)

    def _remove_stale_parts(self, path, keep=None):
        """Remove what killed runs left beside the destination: partial downloads untouched for a day."""
        stale = _download.stale_parts(os.path.dirname(path), self.deployment.get('name'), self.dest_file, keep=keep)
        for part, dummy in stale:
            _download.remove(part)
        if stale:
            self.module.warn('removed %d partial download(s) of %d bytes that an interrupted run left in %s'
                             % (len(stale), sum(size for dummy, size in stale), os.path.dirname(path)))

    def _apply_file_attributes(self, path):
        for target in (path, _download.sidecar_path(path)):
            file_args = self.module.load_file_common_arguments(self.params, path=target)
            if file_args.get('mode') is None:
                file_args['mode'] = '0600'
            self.result['changed'] = self.module.set_fs_attributes_if_different(file_args, self.result['changed'])
