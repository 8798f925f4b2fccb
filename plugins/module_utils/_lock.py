# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-deployment lock of this user's processes, and its ledger. Private to this collection, may change without
notice."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
import time

from ansible_collections.composeio.dbaas.plugins.module_utils._errors import ComposeError

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: parallel runs are then not serialised locally
    fcntl = None


class _Ledger:
    """What the lock file remembers: the last backup recipe started from this machine, and when."""

    def __init__(self, handle):
        self.handle = handle

    def last(self):
        self.handle.seek(0)
        try:
            data = json.loads(self.handle.read() or '{}')
        except ValueError:
            return None, 0.0
        return data.get('recipe_id'), float(data.get('at', 0.0))

    def record(self, recipe_id):
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(json.dumps(dict(recipe_id=recipe_id, at=time.time())))
        self.handle.flush()


def lock_folder():
    """This user's folder for the lock files: <temporary directory>/composeio.dbaas-locks-<uid>.

    One per user, so that another user's runs neither block nor break these; refused unless it is a real folder
    that only this user can enter, so that nobody else can plant a link where a lock file will be written.
    """
    uid = os.getuid() if hasattr(os, 'getuid') else None
    folder = os.path.join(tempfile.gettempdir(), 'composeio.dbaas-locks' + ('' if uid is None else '-%d' % uid))
    hint = 'remove it, or point TMPDIR at a folder of your own; parallel tasks are serialised through it'
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.lstat(folder)
    except OSError as exc:
        raise ComposeError('cannot create the lock folder %s: %s' % (folder, exc.strerror or exc), hint=hint)
    if not stat.S_ISDIR(info.st_mode) or (uid is not None and info.st_uid != uid) or info.st_mode & 0o077:
        raise ComposeError('the lock folder %s is not a folder that only this user (uid %s) can use' % (folder, uid),
                           hint=hint)
    return folder


@contextlib.contextmanager
def deployment_lock(api_url, deployment_id):
    """Serialise decide-and-trigger for one deployment among this user's processes on this machine (Ansible forks).

    Yields a ledger of the last backup started from here, so that a task which began before that backup was
    started joins it even when it has already completed: parallel tasks make one backup between them.
    """
    key = hashlib.sha256(('%s|%s' % (api_url.rstrip('/'), deployment_id)).encode()).hexdigest()[:32]
    path = os.path.join(lock_folder(), key + '.lock')
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, 'O_NOFOLLOW', 0), 0o600)
    except OSError as exc:
        raise ComposeError('cannot open the lock file %s: %s' % (path, exc.strerror or exc),
                           hint='remove it; parallel tasks for one deployment are serialised through it')
    with os.fdopen(fd, 'r+') as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield _Ledger(handle)
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
