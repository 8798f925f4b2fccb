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
  - The archive is handed to the disk as it arrives (every 32 MiB) and does not stay in the page cache, so the
    final sync is short and a large backup does not push the host's working set out of memory.
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
      - Id of the deployment. Exactly one of O(deployment_id) and O(deployment_name) is required.
    type: str
  deployment_name:
    description:
      - Exact name of the deployment.
    type: str
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
  returned: always
  type: str
  choices: [selected, reused, joined, triggered]
  sample: triggered
deployment:
  description: The deployment (id, name, type and creation time; never connection strings).
  returned: always
  type: dict
  sample: {"id": "5854017e89d50f424e000192", "name": "fizz-production", "type": "postgresql"}
backup:
  description: The backup used, without its download link. Null while a backup is not complete yet.
  returned: always
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
  returned: always
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
  returned: always
  type: str
  sample: /srv/backups/fizz-production_20180301T120440Z_5a97f1c2e16c0900188845aa.tar.gz
size:
  description: Size of the archive in bytes. Null without a file.
  returned: always
  type: int
  sample: 1048576
sha256:
  description: SHA-256 of the archive. Null without a file.
  returned: always
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
downloaded:
  description: Whether the archive was (or, in check mode, would be) downloaded by this task.
  returned: always
  type: bool
  sample: true
resumed_bytes:
  description: Bytes that did not have to be fetched again after interrupted transfers, in this run or an earlier one.
  returned: always
  type: int
  sample: 0
elapsed:
  description: Seconds the task took.
  returned: always
  type: float
  sample: 12.5
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.composeio.dbaas.plugins.module_utils._backup_job import BACKUP_ARGS, BackupJob
from ansible_collections.composeio.dbaas.plugins.module_utils._common import (
    COMPOSE_COMMON_ARGS,
    DEPLOYMENT_ARGS,
    DEPLOYMENT_ONE_OF,
    WAIT_ARGS,
    client_from_module,
    merge_args,
)


def main():
    module = AnsibleModule(
        argument_spec=merge_args(COMPOSE_COMMON_ARGS, DEPLOYMENT_ARGS, WAIT_ARGS, BACKUP_ARGS),
        supports_check_mode=True,
        add_file_common_args=True,
        mutually_exclusive=DEPLOYMENT_ONE_OF['mutually_exclusive'] + [
            ('recipe_id', 'backup_id'), ('recipe_id', 'max_age'), ('recipe_id', 'force')],
        required_one_of=DEPLOYMENT_ONE_OF['required_one_of'],
    )
    job = BackupJob(module, client_from_module(module))
    module.exit_json(**job.run())


if __name__ == '__main__':
    main()
