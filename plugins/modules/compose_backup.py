#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: compose_backup
short_description: Trigger, join or reuse a backup of a Compose deployment, wait for it, and download it verified
version_added: 0.1.0
description:
  - Makes sure a recent backup of a deployment exists and, with O(dest), that a verified copy of it is on disk.
  - 'The decision, in this order: with O(backup_id), use that backup and never trigger (action V(selected)). With
    O(max_age), reuse the newest complete backup of any type created within it (action V(reused)). If an
    on-demand backup of the deployment is already running, join it (action V(joined)), so retries and parallel
    runs never start a second backup. Otherwise start one (action V(triggered)). O(force=true) skips reusing and
    joining.'
  - Parallel tasks for one deployment run by one user on one machine (Ansible forks) are serialised while they
    decide, so they make one backup between them. Tasks of different users, or on different machines, are not
    serialised with each other and can each start one. The lock files are kept in C(composeio.dbaas-locks-<uid>)
    under the temporary directory (C(TMPDIR)), a folder only that user may enter. When that folder cannot be used
    (it is not a folder, another user owns it, or others may enter it), the task fails and names it, rather than
    run without the lock; remove it, or set C(TMPDIR) to a folder of your own.
  - A start request whose outcome is unknown (timeout, dropped connection, server error) is followed by looks
    at the deployment's recipes until the settle time (O(request_timeout) plus 30 seconds) has passed; it is sent
    once more only when no new backup recipe appeared by then, and the task fails, saying a backup may have
    started, when the second one is unknown too. One task never starts two backups unless the API acts on a
    request later than the settle time.
  - The download streams from the backup's pre-signed link, without the API token, into a temporary file beside
    the destination, hashing on the way; the size is checked against C(Content-Length) and, with O(checksum),
    the SHA-256; then the file is synced and renamed into place. A dropped connection resumes from the bytes
    already on disk. On any failure the destination is left exactly as it was.
    Redirects from the link are followed, at most 10, but never from https to plain http, which fails before
    the link is sent unencrypted. The download host's certificate is checked as O(validate_certs) and O(ca_path)
    say, as for the API.
  - The partial file, C(.<name>.<backup id>.part), outlives a run that is stopped (SIGTERM from an async time
    limit, an AWX cancel, systemd or Kubernetes, Ctrl-C, or SIGKILL) or whose transfer fails after its retries.
    Beside it, C(.<name>.<backup id>.part.json) records the backup id, the expected size, the link's expiry and
    the ETag or Last-Modified date of the object (never the link itself). The next run that downloads the same backup to the
    same destination reads the bytes already there once to hash them again (the hash state cannot be saved), then
    asks only for the rest, with C(If-Range) so that a changed object is fetched whole. A server that answers the
    whole object instead is read from the first byte. A partial file of another backup for the same destination
    is removed, and a failure that makes the bytes useless (a checksum mismatch, a write error) removes them. Two
    runs never write one partial file at once (the second waits for its lock). SIGTERM fails the task cleanly,
    saying how many bytes are kept.
    Partial files of that deployment in the same folder untouched for a day are removed by its next download, with
    a warning, unless a run is writing them or is about to resume them.
  - Beside the archive, C(<file>.sha256) holds its checksum in C(sha256sum) format, preceded by a comment line with
    the backup id, deployment id, creation time and size (C(sha256sum -c) ignores comment lines). A re-run for the
    same backup finds it and does not download again when the archive has the size its checksum file records
    and, with O(checksum), when the archive on disk hashes to it. A different backup replaces the file
    atomically; the old checksum file is removed before the new archive takes its name and the new one is renamed
    in after, under the deployment's lock, so an archive is never paired with another backup's checksum file. A
    failure part way (a full disk, say) leaves at most an archive without a checksum file, which the next run
    downloads again.
author:
  - composeio.dbaas maintainers (@composeio)
extends_documentation_fragment:
  - composeio.dbaas._common
  - composeio.dbaas._wait
  - composeio.dbaas._attributes
  - composeio.dbaas._attributes.ACTIONGROUP_COMPOSE
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    details:
      - Makes every read and the same decision as a real run; starts no backup and writes no file.
  diff_mode:
    support: full
    details:
      - Shows the local archive (path, backup id, size, sha256) and the selected backup, before and after.
      - In check mode it also says in words what a real run would do, for example
        C(would trigger an on-demand backup of fizz-production and download it to /srv/backups/<file>).
  idempotent:
    support: partial
    details:
      - With O(max_age) or O(backup_id), a re-run reuses the backup and skips a download already on disk.
      - Without them, every run starts a new backup, which is what an on-demand backup is for.
options:
  deployment_id:
    description:
      - Id of the deployment. Exactly one of O(deployment_id), O(deployment_name) and O(deployments) is required.
    type: str
  deployment_name:
    description:
      - Exact name of the deployment.
    type: str
  deployments:
    description:
      - Back up each of these deployments in this one task, several at once, each exactly as a task with
        O(deployment_name) (or O(deployment_id)) and the other options would; the results are in RV(results), in this
        order. Much cheaper on the controller than one task per deployment.
      - Each item is a deployment's exact name, or a dict with exactly one of the keys C(name) and C(id). A
        deployment listed twice is refused. The names are found in one list of the deployments.
      - Not with O(backup_id), O(recipe_id) or O(checksum), which name one backup. O(dest) must be a folder (an
        existing directory, or a path ending in C(/)).
      - A deployment that fails does not stop the others; when any failed, the task fails once they have all
        finished, naming them, and still returns RV(results).
      - Warnings name the deployment that gave them; one that many gave is given once.
      - SIGTERM ends such a task at once, without a result; partial downloads are kept, and the next run resumes them.
      - O(concurrency), O(api_concurrency) and O(download_concurrency) bound the work in progress.
    type: list
    elements: raw
  concurrency:
    description:
      - With O(deployments), how many deployments are in progress at once (threads). A deployment waiting for its
        backup holds one and costs nothing else.
      - Ignored without O(deployments).
    type: int
    default: 16
  api_concurrency:
    description:
      - With O(deployments), how many Compose API requests are in flight at once over the whole task. Compose
        publishes no rate limit; this keeps one task polite, and a C(Retry-After) is honoured as ever.
      - Ignored without O(deployments).
    type: int
    default: 4
  download_concurrency:
    description:
      - With O(deployments), how many downloads transfer at once over the whole task.
      - Ignored without O(deployments).
    type: int
    default: 2
  backup_id:
    description:
      - Use this existing backup; never start one.
    type: str
  recipe_id:
    description:
      - Follow this backup recipe of the deployment, such as the RV(recipe.id) of an earlier run with
        O(wait=false), instead of deciding; wait for it and find the backup it produced (action V(joined)).
      - Mutually exclusive with O(backup_id), O(max_age) and O(force).
    type: str
  wait:
    description:
      - Wait for the backup to complete and find it.
      - With V(false), return at once with the recipe (RV(recipe.id) can be given to a later run as O(recipe_id)).
        O(dest) then downloads only a backup that is complete already (a reused or selected one, or one whose
        recipe completed at once); otherwise RV(downloaded) is V(false) and nothing is written.
    type: bool
    default: true
  max_age:
    description:
      - Reuse the newest complete backup of any type (daily, weekly, monthly or on-demand) created within this
        duration, such as V(30m), V(6h), V(1d). A plain number is seconds; at most 100 years.
      - With O(dest), only downloadable backups count.
    type: str
  force:
    description:
      - Start a new backup even when a fresh one exists or one is running.
    type: bool
    default: false
  dest:
    description:
      - Download the backup here. An existing directory (or a path ending in C(/)) gets a file named
        C(<deployment>_<UTC creation time>_<backup id>.tar.gz); any other path is the file itself, and its
        directory must exist.
      - The file mode defaults to V(0600). Use O(mode), O(owner) and O(group) to change it.
      - The archive and its checksum file are renamed into place; where that is impossible (a file bind-mounted
        into a container), O(unsafe_writes=true) writes them in place instead.
    type: path
  checksum:
    description:
      - Expected SHA-256 of the archive, as 64 hexadecimal characters, optionally prefixed by V(sha256:).
      - A download that does not match fails and is discarded.
      - An archive already at the destination is hashed before it is taken for the backup; without O(checksum),
        its checksum file and size are trusted.
    type: str
  download_retries:
    description:
      - How many times a failed download is resumed or restarted, or its expired link renewed, before failing.
    type: int
    default: 5
  verify_archive:
    description:
      - While the download streams to disk, also decompress the gzip stream and read every tar header through to the
        end-of-archive blocks, without a second read of the file and without a copy on disk. The Compose API gives
        no checksum of a backup; this is how a truncated or damaged archive is found when O(checksum) is not given.
      - A truncated stream, a bad gzip CRC or length, a damaged tar header or a tar that does not end cleanly fails
        the task with a message saying which, removes the partial download and leaves any earlier archive at the
        destination as it was. A resumed download is verified whole, the bytes of the earlier run included.
      - An archive that is not a gzip'd tar is kept, with a warning, verified by its size and SHA-256 only.
      - What the check found is recorded in the checksum file, so a later run that keeps the file returns it as
        RV(archive) without reading the archive again.
      - Off by default. Inflating runs on one core at a pace a fast link outruns, so there it makes the task
        several times longer; over a link slower than the inflating it adds little. Turn it on wherever a damaged
        archive must fail the task rather than land on disk.
    type: bool
    default: false
seealso:
  - module: composeio.dbaas.compose_backup_info
  - module: composeio.dbaas.compose_backup_restore
  - name: Compose backups via the API
    description: Compose's description of on-demand backups and downloads.
    link: https://help.compose.com/docs/managing-backups-via-the-compose-api
'''

EXAMPLES = r'''
- name: Back up fizz-production unless a backup less than a day old exists, and download it
  composeio.dbaas.compose_backup:
    deployment_name: fizz-production
    max_age: 1d
    dest: /srv/backups/
  delegate_to: localhost
  register: fizz_backup

- name: Start an on-demand backup without waiting for it
  composeio.dbaas.compose_backup:
    deployment_id: 5854017e89d50f424e000192
    force: true
    wait: false

- name: Back up many deployments in one task, at most 4 API requests and 2 downloads at a time
  composeio.dbaas.compose_backup:
    deployments:
      - fizz-production
      - buzz-cache
      - id: 5854017e89d50f424e000192
    max_age: 1d
    dest: /srv/backups/
    api_concurrency: 4
    download_concurrency: 2
  delegate_to: localhost
  register: nightly

- name: Download a known backup to a fixed file, checking its checksum
  composeio.dbaas.compose_backup:
    deployment_name: fizz-production
    backup_id: 5a97f1c2e16c0900188845aa
    dest: /srv/backups/fizz-latest.tar.gz
    checksum: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    mode: '0640'
    group: backup
'''

RETURN = r'''
action:
  description: What the task did or, in check mode, would do.
  returned: always, but with O(deployments) only in each item of RV(results)
  type: str
  choices: [selected, reused, joined, triggered]
  sample: triggered
deployment:
  description: The deployment (id, name, type and creation time; never connection strings).
  returned: always, but with O(deployments) only in each item of RV(results)
  type: dict
  sample: {"id": "5854017e89d50f424e000192", "name": "fizz-production", "type": "postgresql"}
backup:
  description: The backup used, without its download link. Null while a backup is not complete yet.
  returned: always, but with O(deployments) only in each item of RV(results)
  type: dict
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
      description: Backup name.
      type: str
      sample: fizz-production_2018-03-01T12:00:03Z
    type:
      description: V(daily), V(weekly), V(monthly) or V(on_demand).
      type: str
      sample: on_demand
    status:
      description: Backup status.
      type: str
      sample: complete
    is_downloadable:
      description: Whether it can be downloaded.
      type: bool
      sample: true
    is_restorable:
      description: Whether it can be restored into a new deployment.
      type: bool
      sample: true
    created_at:
      description: When it completed.
      type: str
      sample: '2018-03-01T12:04:40.000Z'
recipe:
  description: The recipe of a backup this task started or joined. Null for V(selected) and V(reused).
  returned: always, but with O(deployments) only in each item of RV(results)
  type: dict
  contains:
    id:
      description: Recipe id.
      type: str
      sample: 5a97f1c0e16c0900188845a9
    status:
      description: V(running), V(waiting), V(complete) or V(failed).
      type: str
      sample: complete
    status_detail:
      description: The API's human-readable detail.
      type: str
      sample: Backup complete
    created_at:
      description: When the recipe started.
      type: str
      sample: '2018-03-01T12:00:03.120Z'
    updated_at:
      description: When the recipe last changed.
      type: str
      sample: '2018-03-01T12:04:40.120Z'
dest:
  description:
    - Path of the archive. Null without O(dest), and with O(wait=false) when the backup is not complete yet.
    - In check mode, for a backup that does not exist yet, the file name holds the current time and V(pending).
  returned: always, but with O(deployments) only in each item of RV(results)
  type: str
  sample: /srv/backups/fizz-production_20180301T120440Z_5a97f1c2e16c0900188845aa.tar.gz
size:
  description: Size of the archive in bytes. Null without a file.
  returned: always, but with O(deployments) only in each item of RV(results)
  type: int
  sample: 1048576
sha256:
  description: SHA-256 of the archive. Null without a file.
  returned: always, but with O(deployments) only in each item of RV(results)
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
downloaded:
  description: Whether the archive was (or, in check mode, would be) downloaded by this task.
  returned: always, but with O(deployments) only in each item of RV(results)
  type: bool
  sample: true
resumed_bytes:
  description: Bytes that did not have to be fetched again after interrupted transfers, in this run or an earlier one.
  returned: always, but with O(deployments) only in each item of RV(results)
  type: int
  sample: 0
archive:
  description:
    - What O(verify_archive) found in the archive. Null without a file, in check mode, and for an archive downloaded
      with O(verify_archive=false).
    - For an archive already at the destination, as its checksum file recorded it when it was downloaded.
  returned: always, but with O(deployments) only in each item of RV(results)
  type: dict
  contains:
    format:
      description: V(tar.gz), or V(unknown) for an archive that is not a gzip'd tar.
      type: str
      sample: tar.gz
    members:
      description: Entries in the tar archive (files, folders, links). Null when the format is unknown.
      type: int
      sample: 12
    uncompressed_size:
      description: Bytes of the tar archive once decompressed. Null when the stream is not gzip.
      type: int
      sample: 5368709120
elapsed:
  description: Seconds the task took (with O(deployments), the whole task; in each item of RV(results), that deployment).
  returned: always
  type: float
  sample: 12.5
results:
  description:
    - With O(deployments), one result per deployment, in the order of O(deployments), each with the keys a task with
      O(deployment_name) returns (RV(action), RV(deployment), RV(backup), RV(recipe), RV(dest), RV(size), RV(sha256),
      RV(downloaded), RV(resumed_bytes), RV(archive), RV(elapsed), C(changed)), C(failed) and, for a deployment that
      failed, C(msg).
    - With C(--diff) the task's diff is a list, one per deployment that did not fail, headed by its name or id.
  returned: with O(deployments)
  type: list
  elements: dict
  sample:
    - {"action": "triggered", "changed": true, "failed": false, "dest": "/srv/backups/fizz-production_20180301T120440Z_5a97f1c2e16c0900188845aa.tar.gz"}
    - {"action": null, "changed": false, "failed": true, "msg": "deployment_name 'buzz-cache' matches no deployment visible to this token"}
'''

import datetime
import grp
import os
import pwd
import re
import threading
import time
from urllib.parse import urlparse

from ansible_collections.composeio.dbaas.plugins.module_utils import _archive, _backups, _batch, _download
from ansible_collections.composeio.dbaas.plugins.module_utils._deployments import (
    DOWNLOADABLE_TYPES,
    deployment_items,
    deployment_summary,
    not_downloadable_message,
    resolve_deployment,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import (
    ComposeError,
    ComposeNotFoundError,
    OptionError,
    hint_on,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._lock import deployment_lock
from ansible_collections.composeio.dbaas.plugins.module_utils._module import ComposeModule, Job
from ansible_collections.composeio.dbaas.plugins.module_utils._options import (
    DEPLOYMENT_ARGS,
    DEPLOYMENT_ONE_OF,
    WAIT_ARGS,
    check_id,
    check_wait,
    merge_args,
    parse_duration,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._polling import (
    RECIPE_OUTCOMES,
    Schedule,
    recipe_summary,
    wait_recipe,
)

BACKUP_ARGS = dict(
    deployments=dict(type='list', elements='raw'),
    backup_id=dict(type='str'),
    recipe_id=dict(type='str'),
    max_age=dict(type='str'),
    force=dict(type='bool', default=False),
    dest=dict(type='path'),
    checksum=dict(type='str'),
    download_retries=dict(type='int', default=5),
    verify_archive=dict(type='bool', default=False),
)
_SHA256 = re.compile(r'^(sha256:)?([0-9a-fA-F]{64})$')
UMASK_LOCK = threading.Lock()
# Options that name one backup: refused with deployments.
PER_BACKUP = ('backup_id', 'recipe_id', 'checksum')


class BackupJob(Job):
    """The decision (selected, reused, joined, triggered), the wait and the download."""

    RESULT_KEYS = ('deployment', 'backup', 'recipe', 'dest', 'size', 'sha256')
    TIMEOUT_HINT = 'the backup goes on; run the task again to join it, or raise wait_timeout'
    FAILED_HINT = 'no backup was made; see the recipe in the Compose console, then run the task again to start another'

    def __init__(self, module, client, download_gate=None, listed=None):
        super().__init__(module, client)
        self.started_wall = time.time()
        self.result.update(downloaded=False, resumed_bytes=0, archive=None)
        # In a batch (the deployments option): the cap on its downloads in flight, and its one list of deployments.
        self.download_gate = download_gate
        self.listed = listed

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
        deployment = resolve_deployment(self.client, p['deployment_id'], p['deployment_name'], listed=self.listed)
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
        self.result['backup'] = _backups.backup_summary(backup)
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
        with hint_on(ComposeNotFoundError, 'deployment %s has no backup %s; check backup_id, or list them with '
                                           'composeio.dbaas.compose_backup_info' % (self.deployment.get('name'), backup_id)):
            return self.client.get_backup(self.deployment['id'], backup_id)

    def _refuse_undownloadable(self, backups):
        """Fail before starting a backup that could not be downloaded anyway.

        Compose offers downloads by deployment type (docs/compose-api.md, "What each deployment type offers"): for
        those types no list is needed.
        Should a backup still come without a download link, the download fails with the same advice.
        """
        if backups is None:
            if self.deployment.get('type') in DOWNLOADABLE_TYPES:
                return
            backups = self.client.list_backups(self.deployment['id'])
        if backups and not any(b.get('is_downloadable') for b in backups):
            raise ComposeError(not_downloadable_message(self.deployment, backups[0]))

    def _trigger_or_join(self):
        """Reuse a fresh backup, join a running one, or start one: decided under the deployment's lock.

        The recipes are listed before the backups, so a backup recipe that completes in between is seen either
        running in the first list or complete in the second; every fork of one run then makes one backup.
        """
        p = self.params
        dep_id = self.deployment['id']
        with deployment_lock(self.client.base_url, dep_id) as ledger:
            recipes = self.client.list_recipes(dep_id)
            backups = None
            if self.max_age is not None and not p['force']:
                backups = self.client.list_backups(dep_id)
                fresh = _backups.reusable(backups, self.max_age, need_download=bool(p['dest']))
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
                recipe = _backups.trigger(self.client, dep_id, set(r.get('id') for r in recipes))
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
        if self.check_mode and recipe.get('status') in _backups.IN_PROGRESS:
            return None
        # When the API fails, not the backup, the backup goes on at Compose whatever happens to this task.
        with hint_on(ComposeError, 'backup recipe %s goes on without this task; run the task again to join it' % recipe['id'],
                     unless=RECIPE_OUTCOMES):
            recipe = wait_recipe(self.client, recipe['id'], Schedule.from_params(p), first=recipe,
                                 on_poll=lambda current: self.result.update(recipe=recipe_summary(current)),
                                 expect=lambda: self._expected_duration(recipe['id'], recipes))
        self.result['recipe'] = recipe_summary(recipe)
        return _backups.find_produced_backup(self.client, self.deployment['id'], recipe, interval=p['poll_interval'])

    def _expected_duration(self, recipe_id, recipes):
        """How long the deployment's recent backups took (see _backups.expected_duration); None if unknown."""
        if recipes is None:
            try:
                recipes = self.client.list_recipes(self.deployment['id'])
            except ComposeError:
                return None  # it only paces the looks at the recipe; the next look reports a lasting failure
        return _backups.expected_duration(recipes, recipe_id)

    def _get_recipe(self, recipe_id):
        """The recipe given by recipe_id, which must be a backup recipe of this deployment."""
        with hint_on(ComposeNotFoundError, 'check recipe_id: it is the recipe.id returned by a compose_backup run with '
                                           'wait=false'):
            recipe = self.client.get_recipe(recipe_id)
        if recipe.get('deployment_id') != self.deployment['id'] or not _backups.is_backup_recipe(recipe):
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
        return _backups.running_backup_recipe(recipes)

    # -- the download ----------------------------------------------------------------------

    def _download(self, backup):
        p = self.params
        if backup is None:
            # Check mode: the backup does not exist yet; plan its path.
            now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
            path = os.path.join(self.dest_dir, self.dest_file or _archive.archive_name(
                self.deployment.get('name'), 'pending', now))
            self._refuse_folders(path)
            self.result.update(dest=path, downloaded=True, changed=True)
            self.diff['before'] = _archive.local_state(path)
            self.diff['after'].update(path=path, backup_id=None)
            return
        path = os.path.join(self.dest_dir, self.dest_file or _archive.archive_name(
            self.deployment.get('name'), backup.get('id'), backup.get('created_at')))
        self._refuse_folders(path)
        checksum = _SHA256.match(p['checksum']).group(2).lower() if p['checksum'] else None
        # With a checksum, what is on disk is hashed: the sidecar alone only says what was written there.
        before = _archive.local_state(path, hash_file=checksum is not None)
        self.diff['before'] = dict(before)
        self.result['dest'] = path
        # The sidecar must name this deployment too: names of two deployments may give one file-name prefix.
        if (before.get('backup_id') == _archive.safe_name(backup.get('id'))
                and before.get('deployment_id') == _archive.safe_name(self.deployment.get('id'))
                and checksum in (None, before['sha256'])):
            self.result.update(size=before['size'], sha256=before['sha256'], archive=before['archive'])
        else:
            if not backup.get('is_downloadable'):
                raise ComposeError(not_downloadable_message(self.deployment, backup))
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
        for target, what in ((path, 'archive'), (_archive.sidecar_path(path), 'checksum file')):
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
                                          sleep=self.client.sleep, verify=self.client.verify,
                                          verify_archive=self.params['verify_archive'], gate=self.download_gate)

        def place(tmp, got):
            # The deployment's own id, which a re-run compares (see _archive.local_state): a backup may not carry it.
            _archive.place(path, tmp, dict(backup, deployment_id=self.deployment['id']), got['sha256'], got['size'], mode,
                           lock=deployment_lock(self.client.base_url, self.deployment['id']), move=self._move,
                           archive=got['archive'])

        got = downloader.fetch(link, path, refresh=lambda: self._get_backup(backup['id']).get('download_link'),
                               checksum=checksum, mode=mode, place=place, resume_key=backup['id'])
        self.result.update(size=got['size'], sha256=got['sha256'], resumed_bytes=got['resumed_bytes'],
                           archive=got['archive'])
        if got['archive'] and got['archive']['format'] != 'tar.gz':
            self.module.warn('the archive of backup %s is not a gzip\'d tar; it was kept, verified by its size and '
                             'SHA-256 only' % backup['id'])

    def _move(self, src, dest):
        """Rename src to dest through module.atomic_move, which honours unsafe_writes (a bind-mounted file, say).

        atomic_move gives a file it creates the permissions the umask allows: a new archive stays private until
        mode is applied.
        """
        # The umask is the process's: a batch's threads change it one at a time (atomic_move reads it by changing it).
        with UMASK_LOCK:
            umask = os.umask(0o077)
            try:
                self.module.atomic_move(src, dest, unsafe_writes=bool(self.params.get('unsafe_writes')))
            finally:
                os.umask(umask)

    def _remove_stale_parts(self, path, keep=None):
        """Remove what killed runs left beside the destination: partial downloads untouched for a day."""
        stale = _archive.stale_parts(os.path.dirname(path), self.deployment.get('name'), self.dest_file, keep=keep)
        for part, dummy in stale:
            _archive.remove(part)
        if stale:
            self.module.warn('removed %d partial download(s) of %d bytes that an interrupted run left in %s'
                             % (len(stale), sum(size for dummy, size in stale), os.path.dirname(path)))

    def _apply_file_attributes(self, path):
        for target in (path, _archive.sidecar_path(path)):
            file_args = self.module.load_file_common_arguments(self.params, path=target)
            if file_args.get('mode') is None:
                file_args['mode'] = '0600'
            self.result['changed'] = self.module.set_fs_attributes_if_different(file_args, self.result['changed'])


def run_batch(module):
    """The deployments option: for each deployment, the BackupJob a call with deployment_name (or deployment_id)
    runs, several at once within the caps (see _batch); its names are found in one list of the deployments."""
    p = module.params
    try:
        items = deployment_items(p['deployments'])
        caps = _batch.Caps.from_params(p)
        if p['dest'] and not (p['dest'].endswith(os.sep) or os.path.isdir(p['dest'])):
            raise OptionError('dest: with deployments, dest must be a folder, which each archive is written to under '
                              'its own name; %s is not a folder: end it with %s or create it' % (p['dest'], os.sep))
    except OptionError as exc:
        return module.fail_from(exc)
    listing = _batch.Once()

    def make_job(item, client):
        return BackupJob(item, client, download_gate=caps.downloads,
                         listed=lambda: listing.get(client.list_deployments))

    return _batch.run_jobs(module, items, make_job, caps, noun='deployments')


def main():
    module = ComposeModule(
        argument_spec=merge_args(DEPLOYMENT_ARGS, WAIT_ARGS, BACKUP_ARGS, _batch.BATCH_ARGS),
        supports_check_mode=True,
        add_file_common_args=True,
        mutually_exclusive=DEPLOYMENT_ONE_OF['mutually_exclusive'] + [
            ('recipe_id', 'backup_id'), ('recipe_id', 'max_age'), ('recipe_id', 'force')] + [
            ('deployments', option) for option in DEPLOYMENT_ARGS] + [('deployments', option) for option in PER_BACKUP],
        required_one_of=[DEPLOYMENT_ONE_OF['required_one_of'][0] + ('deployments',)],
    )
    if module.params['deployments'] is not None:
        module.exit_json(**run_batch(module))
    job = BackupJob(module, module.client())
    module.exit_json(**job.run())


if __name__ == '__main__':
    main()
