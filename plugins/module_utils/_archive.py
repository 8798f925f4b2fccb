# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The archives on disk: their names, their .sha256 sidecars, what is there now, partial downloads left behind, and
putting a new archive in place atomically. Private to this collection, may change without notice."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import tempfile
import time
import unicodedata

try:
    import fcntl
except ImportError:  # not POSIX: no lock, as for the deployment lock
    fcntl = None

from ansible_collections.composeio.dbaas.plugins.module_utils._errors import DownloadError
from ansible_collections.composeio.dbaas.plugins.module_utils._time import parse_time

CHUNK = 1 << 20
# A partial download untouched this long belongs to a run that was killed (see stale_parts).
STALE_PART = 86400
SIDECAR_TAG = '# composeio.dbaas'
SIDECAR_SUFFIX = '.sha256'
# What the archive check (see _verify) found, as recorded in the sidecar's header.
ARCHIVE_KEYS = ('format', 'members', 'uncompressed_size')
# A sidecar is two short lines; more than this is not one.
SIDECAR_LIMIT = 64 << 10


def safe_name(text, limit=80):
    """A file-name component from API text: letters and digits of any script, '.', '_' and '-'; spaces become '_'
    and any other run of characters (separators, NUL, controls, punctuation) one '-'; no leading dot; at most
    limit bytes in UTF-8, cut between characters.

    Different names may give the same component ('a/b' and 'a-b'): what tells archives apart is the backup id in
    their names and the deployment id in their sidecars, never this prefix.
    """
    kept = []
    for char in unicodedata.normalize('NFC', str(text or '')):
        if char.isalnum() and unicodedata.category(char)[0] in 'LN':
            kept.append(char)
        elif char in '._-':
            kept.append(char)
        elif char == ' ':
            kept.append('_')
        elif not kept or kept[-1] != '-':
            kept.append('-')
    cleaned = ''.join(kept).strip('.-')
    while len(cleaned.encode('utf-8')) > limit:
        cleaned = cleaned[:-1]
    return cleaned.strip('.-') or 'unnamed'


def archive_name(deployment_name, backup_id, created_at):
    """<deployment>_<UTC creation time>_<backup id>.tar.gz"""
    when = parse_time(created_at)
    stamp = when.strftime('%Y%m%dT%H%M%SZ') if when else 'unknown-time'
    return '%s_%s_%s.tar.gz' % (safe_name(deployment_name), stamp, safe_name(backup_id, 40))


def sidecar_path(path):
    return path + SIDECAR_SUFFIX


def read_sidecar(path, checksum=True):
    """The metadata kept beside an archive, or None. The file stays valid input to `sha256sum -c`.

    Valid: a header line with each field once, backup_id among them, and (unless checksum is false: retention goes
    by the header alone) a checksum line. A file far larger than a sidecar is not read through."""
    meta = {}
    try:
        with open(sidecar_path(path), errors='replace') as handle:
            text = handle.read(SIDECAR_LIMIT)
    except (IOError, OSError, ValueError):
        return None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(SIDECAR_TAG):
            fields = [field.split('=', 1) for field in line[len(SIDECAR_TAG):].split() if '=' in field]
            if len(set(key for key, dummy in fields)) != len(fields) or set(meta) & set(key for key, dummy in fields):
                return None
            meta.update(fields)
        elif line and not line.startswith('#'):
            fields = line.split(None, 1)
            meta['sha256'] = fields[0]
            if len(fields) > 1:
                meta['name'] = fields[1].lstrip('*')
    return meta if 'backup_id' in meta and ('sha256' in meta or not checksum) else None


def sha256_of(handle):
    hasher = hashlib.sha256()
    for data in iter(lambda: handle.read(CHUNK), b''):
        hasher.update(data)
    return hasher.hexdigest()


def local_state(path, hash_file=False):
    """What is at path now: {path, backup_id, deployment_id, size, sha256, archive} when the archive and its sidecar agree, else {}.

    They agree when the sidecar names this file and its size and, with hash_file, the file hashes to the sidecar's
    SHA-256. The sidecar is read before and after the archive is opened: a writer removes the old sidecar before it
    renames a new archive into place (see install), so the same sidecar both times means that the opened archive is
    the one it describes, without a lock.
    """
    meta = read_sidecar(path)
    if not meta or meta.get('name', os.path.basename(path)) != os.path.basename(path):
        return {}
    try:
        with open(path, 'rb') as handle:
            size = os.fstat(handle.fileno()).st_size
            if str(size) != meta.get('size') or read_sidecar(path) != meta:
                return {}
            if hash_file and sha256_of(handle) != meta['sha256'].lower():
                return {}
    except (IOError, OSError):
        return {}
    return dict(path=path, backup_id=meta['backup_id'], deployment_id=meta.get('deployment_id'), size=size,
                sha256=meta['sha256'], archive=archive_of(meta))


def temp_file(path, text, mode):
    """Write text to a new temporary file beside path, synced; return its path. Nothing is left on failure."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or '.', prefix='.%s.' % os.path.basename(path),
                               suffix='.tmp')
    try:
        with os.fdopen(fd, 'w') as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        remove(tmp)
        raise
    return tmp


def sidecar_text(path, backup, sha256, size, archive=None):
    """The sidecar's lines: a header of key=value fields (with what the archive check found, when it ran), then the
    checksum line of `sha256sum`."""
    header = '%s backup_id=%s deployment_id=%s created_at=%s size=%d' % (
        SIDECAR_TAG, safe_name(backup.get('id')), safe_name(backup.get('deployment_id')),
        safe_name(backup.get('created_at')), size)
    if archive:
        header += ''.join(' %s=%s' % (key, safe_name(str(archive[key])))
                          for key in ARCHIVE_KEYS if archive.get(key) is not None)
    return '%s\n%s  %s\n' % (header, sha256, os.path.basename(path))


def archive_of(meta):
    """What the archive check recorded in a sidecar, as compose_backup returns it, or None if it did not run."""
    if 'format' not in meta:
        return None
    return dict(format=meta['format'], **{key: int(meta[key]) if meta.get(key, '').isdigit() else None
                                          for key in ARCHIVE_KEYS[1:]})


def write_sidecar_temp(path, backup, sha256, size, mode=0o600, archive=None):
    """The sidecar of path, written to a temporary file beside it (see install); return that file's path."""
    return temp_file(sidecar_path(path), sidecar_text(path, backup, sha256, size, archive), mode)


def os_reason(exc):
    """An OS error as 'No space left on device (ENOSPC)'; module.atomic_move wraps it in a plain Exception."""
    cause = exc if isinstance(exc, OSError) else (getattr(exc, '__cause__', None) or exc)
    if isinstance(cause, OSError) and cause.strerror:
        code = errno.errorcode.get(cause.errno)
        return '%s (%s)' % (cause.strerror, code) if code else cause.strerror
    return str(cause)


def install(path, archive_tmp, sidecar_tmp, move=None):
    """Rename a downloaded archive and its sidecar into place so that no state pairs an archive with another's sidecar.

    The old sidecar goes first: a failure or a crash part way leaves at most an archive without a sidecar, which the
    next run downloads again. Callers serialise this per destination (the deployment lock) so that two runs into one
    file cannot interleave. move(src, dest) renames (the module passes module.atomic_move, for unsafe_writes).
    """
    move = move or os.replace
    folder = os.path.dirname(os.path.abspath(path))
    side = sidecar_path(path)
    try:
        os.unlink(side)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise DownloadError('cannot remove the previous checksum file %s: %s' % (side, os_reason(exc)),
                                hint='the new archive was discarded and %s left as it was; check the permissions '
                                     'of %s, then run the task again' % (path, folder))
    fsync_dir(folder)
    try:
        move(archive_tmp, path)
    except Exception as exc:  # pylint: disable=broad-except
        raise DownloadError('cannot move the download into place at %s: %s' % (path, os_reason(exc)),
                            hint='the new archive was discarded; an archive left at %s has no checksum file now, so '
                                 'the next run downloads again' % path)
    try:
        move(sidecar_tmp, side)
    except Exception as exc:  # pylint: disable=broad-except
        raise DownloadError('cannot move the checksum file into place at %s: %s' % (side, os_reason(exc)),
                            hint='the archive at %s is complete but has no checksum file, so the next run downloads '
                                 'it again' % path)
    fsync_dir(folder)


def _stat(path):
    try:
        return os.stat(path)
    except OSError:
        return None


def _same_file(known, path):
    now = _stat(path)
    return now is not None and os.path.samestat(known, now)


def place(path, archive_tmp, backup, sha256, size, mode, lock, move=None, archive=None):
    """Put a downloaded archive and its sidecar in place together: the sidecar is written first, beside the
    destination, so that a full disk fails before anything there changes; then install() runs under lock (the
    deployment's), so that two runs into one file cannot pair one's archive with the other's sidecar. Once install()
    has run, the temporary files are gone, whatever happened."""
    try:
        sidecar_tmp = write_sidecar_temp(path, backup, sha256, size, mode=mode, archive=archive)
    except (IOError, OSError) as exc:
        raise DownloadError(
            'cannot write the checksum file %s: %s' % (sidecar_path(path), os_reason(exc)),
            hint='the new archive was discarded and %s left as it was, so the next run downloads again; free '
                 'space in %s (or fix its permissions), then run the task again' % (path, os.path.dirname(path)))
    ours = _stat(archive_tmp)
    try:
        with lock:
            install(path, archive_tmp, sidecar_tmp, move=move)
    finally:
        # Gone once renamed; still there if a step failed, or if unsafe_writes copied it into place. The archive's
        # temporary file is removed only while it is still the one written here: once it is renamed, a run that
        # waited for the same backup's partial file may already have started a fresh one under that name.
        remove(sidecar_tmp)
        if ours is not None and _same_file(ours, archive_tmp):
            remove(archive_tmp)


def stale_parts(folder, deployment_name, dest_name=None, keep=None):
    """Partial downloads of this deployment's archives in folder that no download is writing any more.

    A killed run (SIGKILL, an async time limit, a lost host) leaves its partial file behind: a
    .<name>.XXXXXXXX.part of a download that cannot resume, or a .<name>.<backup id>.part and its .part.json
    that the next download of that backup resumes (see Part). One untouched for STALE_PART seconds is dead: a
    live download writes at least once per request_timeout, or gives up; one whose lock a run holds is live
    whatever its age. keep: the part (and its state) the current run is about to resume, never listed.
    """
    names = [re.escape(dest_name)] if dest_name else []
    names.append(re.escape(safe_name(deployment_name)) + r'_(?:\d{8}T\d{6}Z|unknown-time)_[A-Za-z0-9._-]+\.tar\.gz')
    pattern = re.compile(r'^\.(?:%s)\.(?:[A-Za-z0-9_]{8}|[A-Za-z0-9_-]{9,40})\.part(?:\.json)?$' % '|'.join(names))
    keep = set((keep, keep + '.json')) if keep else set()
    now = time.time()
    found = []
    try:
        entries = os.listdir(folder)
    except OSError:
        return found
    for entry in entries:
        if pattern.match(entry):
            path = os.path.join(folder, entry)
            if path in keep:
                continue
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode) and now - info.st_mtime > STALE_PART and not part_locked(path):
                found.append((path, info.st_size))
    return sorted(found)


def part_locked(path):
    """True when a run holds the lock of this part (a state file: of its part), so it is being written."""
    if path.endswith('.json'):
        path = path[:-len('.json')]
    if fcntl is None or not path.endswith('.part'):
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
