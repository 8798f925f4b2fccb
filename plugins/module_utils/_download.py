# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Streaming, verified, atomic, resumable download. Private to this collection, may change without notice."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import queue
import re
import signal
import stat
import tempfile
import threading
import time
import unicodedata
from urllib.parse import parse_qs, urljoin, urlparse

try:
    import fcntl
except ImportError:  # not POSIX: no lock, as for the deployment lock
    fcntl = None

from ansible_collections.composeio.dbaas.plugins.module_utils._api import (
    MAX_RETRY_AFTER,
    USER_AGENT,
    Pace,
    Session,
    SlowBody,
    parse_retry_after,
    parse_time,
    read_some,
    requests,
    shown_url,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import ComposeError

CHUNK = 1 << 20
QUEUE_DEPTH = 8
# Every this many bytes written, the kernel is asked to start writing them to disk (see _write_behind).
WRITE_BEHIND = 32 << 20
# A partial download untouched this long belongs to a run that was killed (see stale_parts).
STALE_PART = 86400
SIDECAR_TAG = '# composeio.dbaas'
# Redirects followed from a download link before giving up (requests allows 30).
MAX_REDIRECTS = 10
_UNSAFE = re.compile(r'[^A-Za-z0-9._-]+')
_SHA256_HEX = re.compile(r'^[0-9a-f]{64}$')
_END = object()


class DownloadError(ComposeError):
    """The archive could not be fetched or verified; nothing was written at the destination.

    keep_part: the bytes received are good and worth resuming (the link or the network failed, not the data).
    """

    keep_part = False


class LinkExpired(Exception):
    """The pre-signed link answered 403: fetch the backup's details again for a fresh one."""


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


# A link as a message may show it: without its user:password@ and its query (the signature).
redact = shown_url


def sidecar_path(path):
    return path + '.sha256'


def read_sidecar(path):
    """The metadata kept beside an archive, or None. The file stays valid input to `sha256sum -c`."""
    meta = {}
    try:
        with open(sidecar_path(path)) as handle:
            for line in handle:
                line = line.strip()
                if line.startswith(SIDECAR_TAG):
                    meta.update(field.split('=', 1) for field in line[len(SIDECAR_TAG):].split() if '=' in field)
                elif line and not line.startswith('#'):
                    fields = line.split(None, 1)
                    meta['sha256'] = fields[0]
                    if len(fields) > 1:
                        meta['name'] = fields[1].lstrip('*')
    except (IOError, OSError, ValueError):
        return None
    return meta if 'sha256' in meta and 'backup_id' in meta else None


def _hash_file(handle):
    hasher = hashlib.sha256()
    for data in iter(lambda: handle.read(CHUNK), b''):
        hasher.update(data)
    return hasher.hexdigest()


def local_state(path, hash_file=False):
    """What is at path now: {path, backup_id, size, sha256} when the archive and its sidecar agree, else {}.

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
            if hash_file and _hash_file(handle) != meta['sha256'].lower():
                return {}
    except (IOError, OSError):
        return {}
    return dict(path=path, backup_id=meta['backup_id'], deployment_id=meta.get('deployment_id'), size=size,
                sha256=meta['sha256'])


def _temp_file(path, text, mode):
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


def sidecar_text(path, backup, sha256, size):
    header = '%s backup_id=%s deployment_id=%s created_at=%s size=%d' % (
        SIDECAR_TAG, safe_name(backup.get('id')), safe_name(backup.get('deployment_id')),
        safe_name(backup.get('created_at')), size)
    return '%s\n%s  %s\n' % (header, sha256, os.path.basename(path))


def write_sidecar_temp(path, backup, sha256, size, mode=0o600):
    """The sidecar of path, written to a temporary file beside it (see install); return that file's path."""
    return _temp_file(sidecar_path(path), sidecar_text(path, backup, sha256, size), mode)


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
    _fsync_dir(folder)
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
    _fsync_dir(folder)


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
            if stat.S_ISREG(info.st_mode) and now - info.st_mtime > STALE_PART and not _locked(path):
                found.append((path, info.st_size))
    return sorted(found)


def _locked(path):
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


def _link_expires(url):
    """The expiry a pre-signed link carries in its query (Expires, or X-Amz-Date plus X-Amz-Expires), or None."""
    query = parse_qs(urlparse(url or '').query)
    for key in ('Expires', 'expires'):
        value = query.get(key, [''])[0]
        if value.isdigit():
            return int(value)
    date, seconds = query.get('X-Amz-Date', [''])[0], query.get('X-Amz-Expires', [''])[0]
    return '%s+%ss' % (date, seconds) if re.match(r'^\d{8}T\d{6}Z$', date) and seconds.isdigit() else None


class _Terminated(BaseException):
    """Raised by the SIGTERM handler while a download runs, so that it stops as it does on Ctrl-C."""


class Part:
    """A partial download that outlives its run: .<name>.<backup id>.part and its state, .part.json.

    The state holds the backup id, the expected size, the link's expiry and the validators of the first answer
    (ETag, Last-Modified): never the link, whose query is its signature. The SHA-256 state cannot be saved, so a
    run that resumes reads the bytes already there once to hash them again (a local read of the part, much
    cheaper than fetching it). An flock on the part stops two runs from writing it at once: the second waits, then
    starts on a fresh part when the first has renamed its own into place.
    """

    def __init__(self, path, key, url=None):
        folder, base = os.path.split(path)
        self.key = safe_name(key, 40)
        self.path = os.path.join(folder, '.%s.%s.part' % (base, self.key))
        self.state_path = self.path + '.json'
        self.prefix = '.%s.' % base
        self.folder = folder or '.'
        self.expires = _link_expires(url)
        self.state = {}

    def open(self):
        """Lock the part (creating it) and return it open for writing, with the bytes a previous run left."""
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, 'O_NOFOLLOW', 0), 0o600)
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    same = os.path.samestat(os.fstat(fd), os.stat(self.path))
                except OSError:
                    same = False
            except BaseException:
                os.close(fd)
                raise
            if same:
                break
            os.close(fd)  # renamed into place by the run we waited for: start on a fresh part
        out = os.fdopen(fd, 'r+b', buffering=0)
        self.state = self._read_state()
        size = os.fstat(fd).st_size
        expected = self.state.get('size')
        if self.state.get('backup_id') != self.key or (isinstance(expected, int) and size > expected):
            self.state = {}
            out.truncate(0)
        out.seek(0, os.SEEK_END)
        self._discard_others()
        return out

    def _read_state(self):
        try:
            with open(self.state_path) as handle:
                state = json.load(handle)
        except (IOError, OSError, ValueError):
            return {}
        return state if isinstance(state, dict) else {}

    def save(self, size, etag, last_modified):
        """Record what the part belongs to, as the first answer of a fresh start describes it."""
        self.state = dict(backup_id=self.key, size=size, etag=etag, last_modified=last_modified,
                          link_expires=self.expires)
        tmp = _temp_file(self.state_path, json.dumps(self.state, sort_keys=True) + '\n', 0o600)
        try:
            os.replace(tmp, self.state_path)
        except OSError:
            remove(tmp)
            raise

    def validator(self):
        """What to send in If-Range: a strong ETag, else the Last-Modified date, else None."""
        etag = self.state.get('etag') or ''
        if etag and not etag.startswith('W/'):
            return etag
        return self.state.get('last_modified') or None

    def _discard_others(self):
        """Remove the parts (and states) of other backups for this destination that no run is writing."""
        pattern = re.compile(r'^%s[A-Za-z0-9_-]{9,40}\.part(?:\.json)?$' % re.escape(self.prefix))
        try:
            entries = os.listdir(self.folder)
        except OSError:
            return
        mine = (os.path.basename(self.path), os.path.basename(self.state_path))
        for entry in entries:
            if entry not in mine and pattern.match(entry):
                path = os.path.join(self.folder, entry)
                if not _locked(path):
                    remove(path)

    def discard(self):
        remove(self.path)
        remove(self.state_path)


def _raise_terminated(signum, frame):
    raise _Terminated()


def remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _fsync_dir(path):
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


def _write_behind(fd, start, end):
    """Start writing the file's bytes [start, end) to disk without waiting, and drop the pages already written.

    POSIX_FADV_DONTNEED starts writeback of the range's dirty pages (Linux does not wait for it) and evicts its clean
    ones. Called each WRITE_BEHIND bytes over the last two windows, it keeps the dirty pages of a large archive few:
    the kernel does not throttle the writes, the fsync before the rename has little left to do, and the archive does
    not push the host's own working set out of the page cache. A hint: where it is missing or refused, nothing changes.
    """
    advise = getattr(os, 'posix_fadvise', None)
    if advise is None:
        return
    try:
        advise(fd, start, end - start, os.POSIX_FADV_DONTNEED)
    except OSError:
        pass


def _pump(response, chunks, stop):
    """Read the body in a thread so that the network, hashing and disk writes overlap.

    Each read returns what has arrived (up to CHUNK), so that a trickling body reaches _copy, which judges its pace,
    and the partial file, whose mtime tells a live download from a dead one (see stale_parts).
    """
    try:
        while not stop.is_set():
            data = read_some(response.raw, CHUNK)
            if not data:
                break
            chunks.put(data)
        chunks.put(_END)
    except Exception as exc:  # pylint: disable=broad-except
        chunks.put(exc)


def _sha256_etag(response):
    """The ETag when it is a SHA-256 (as the simulator sends; S3 sends an MD5), else None."""
    etag = response.headers.get('ETag', '').strip().strip('"').lower()
    return etag if _SHA256_HEX.match(etag) else None


def _mismatch(digest, size, checksum, etag):
    if checksum and digest != checksum:
        return 'sha256 mismatch: expected %s, got %s after %d bytes' % (checksum, digest, size)
    if etag and digest != etag:
        return 'sha256 mismatch: the server\'s ETag says %s, got %s after %d bytes' % (etag, digest, size)
    return None


def _reason(exc):
    if isinstance(exc, requests.exceptions.Timeout):
        return 'no response within request_timeout (%s)' % type(exc).__name__
    return 'connection failed (%s)' % type(exc).__name__


def _same_size(response, expected):
    """False when a 206 answer's Content-Range names a total other than the size a part was started with."""
    got = re.match(r'bytes \d+-\d+/(\d+)', response.headers.get('Content-Range', ''))
    return not (got and isinstance(expected, int) and int(got.group(1)) != expected)


def _size(path):
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _starts_at(response, headers):
    """True when a 206 answer starts at the byte our Range header asked for."""
    asked = re.match(r'bytes=(\d+)-', headers.get('Range', ''))
    got = re.match(r'bytes (\d+)-', response.headers.get('Content-Range', ''))
    return bool(asked and got and asked.group(1) == got.group(1))


class _Retry(Exception):
    """A download attempt failed in a way another attempt may fix (restart: from the first byte)."""

    def __init__(self, reason, retry_after=None, slow=False, restart=False):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.slow = slow
        self.restart = restart


def _kept(error):
    error.keep_part = True
    return error


_KEEP = 'the destination was left as it was'


class Downloader:
    """Fetch a pre-signed link into a file: no Authorization header, one overall attempt budget."""

    def __init__(self, timeout=60.0, attempts=5, sleep=None, session=None, verify=True, clock=None):
        # Bounds each read, and the pace of the body: see Pace. A slower transfer is resumed, as an attempt.
        self.timeout = timeout
        self.clock = clock or time.monotonic
        self.attempts = attempts
        # Passed with each request: a Session's own verify loses to REQUESTS_CA_BUNDLE in the environment.
        self.verify = verify
        self.sleep = sleep or time.sleep
        # A session of its own: the API session carries the bearer token, which must not reach the link's host.
        # Nor any from ~/.netrc (see Session).
        self.session = session or Session()
        self.session.headers['User-Agent'] = USER_AGENT

    def fetch(self, url, path, refresh=None, checksum=None, mode=0o600, place=None, resume_key=None):
        """Download url to path atomically; return {size, sha256, resumed_bytes, attempts}.

        refresh() returns a fresh link when the current one has expired.
        place(tmp, result) puts the complete, synced temporary file at path (default: a rename).
        Without resume_key, any failure removes the temporary file. With resume_key (the backup id), the partial
        file is a Part that outlives the run: a run stopped by SIGTERM or Ctrl-C, or whose transfer failed after its
        retries, keeps it for the next fetch of that key, which resumes from its bytes; only a failure that makes them
        useless (a checksum mismatch, a write error) removes it. SIGTERM stops the download as Ctrl-C does, with a
        DownloadError. path is left as it was on any failure (unless place says otherwise).
        """
        checksum = checksum.lower() if checksum else None
        if resume_key is None:
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or '.', prefix='.%s.' % os.path.basename(path),
                                       suffix='.part')
            try:
                with os.fdopen(fd, 'wb', buffering=0) as out:
                    result = self._trapped(url, out, refresh, checksum, None)
                    os.fsync(out.fileno())
                os.chmod(tmp, mode)
                if place is None:
                    os.replace(tmp, path)
                else:
                    place(tmp, result)
            except BaseException:
                remove(tmp)
                raise
        else:
            part = Part(path, resume_key, url)
            try:
                with part.open() as out:
                    result = self._trapped(url, out, refresh, checksum, part)
                    os.fsync(out.fileno())
                    os.chmod(part.path, mode)
                    remove(part.state_path)
                    # Still locked: no other run writes the part while it is put in place.
                    if place is None:
                        os.replace(part.path, path)
                    else:
                        place(part.path, result)
            except DownloadError as exc:
                if exc.keep_part and _size(part.path):
                    exc.hint = '%s; the %d bytes received are kept in %s, and the next run for this backup resumes ' \
                               'from them' % (exc.hint or _KEEP, _size(part.path), part.path)
                else:
                    part.discard()
                raise
            except KeyboardInterrupt:
                raise  # kept, as on SIGTERM
            except BaseException:
                part.discard()
                raise
        _fsync_dir(os.path.dirname(os.path.abspath(path)))
        return result

    def _trapped(self, url, out, refresh, checksum, part):
        """_transfer with SIGTERM turned into an exception, so that the cleanup that follows Ctrl-C runs."""
        previous = None
        if threading.current_thread() is threading.main_thread():
            try:
                previous = signal.signal(signal.SIGTERM, _raise_terminated)
            except (ValueError, OSError):
                previous = None
            else:
                previous = signal.SIG_DFL if previous is None else previous
        try:
            return self._transfer(url, out, refresh, checksum, part)
        except _Terminated:
            raise _kept(DownloadError('the download of %s was stopped by SIGTERM after %d bytes'
                                      % (redact(url), out.tell()), hint=_KEEP))
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def _transfer(self, url, out, refresh, checksum, part=None):
        hasher = hashlib.sha256()
        written = 0
        if out.tell():
            # A part a previous run left: its hash state is not saved, so its bytes are read once to hash them.
            out.seek(0)
            for data in iter(lambda: out.read(CHUNK), b''):
                hasher.update(data)
                written += len(data)
        resumed = 0
        total = None
        failures = 0
        mismatches = 0
        attempt = 0
        while True:
            attempt += 1
            headers = {'Range': 'bytes=%d-' % written} if written else {}
            validator = part.validator() if part is not None else None
            if written and validator:
                # A 200 instead of 206 says the object is not the one the bytes came from.
                headers['If-Range'] = validator
            retry_after = None
            try:
                response = self._open(url, headers)
                with response:
                    if written and response.status_code == 200:
                        # The server ignored Range, or If-Range failed: start again from the first byte.
                        out.seek(0)
                        out.truncate()
                        hasher = hashlib.sha256()
                        written = 0
                    elif written:
                        if part is not None and not _same_size(response, part.state.get('size')):
                            out.seek(0)
                            out.truncate()
                            hasher = hashlib.sha256()
                            written = 0
                            raise _Retry('the object at the link is not the size the partial download expects')
                        resumed += written
                    length = response.headers.get('Content-Length')
                    if length is not None and length.isdigit():
                        total = written + int(length)
                    if part is not None and not written:
                        part.save(total, response.headers.get('ETag'), response.headers.get('Last-Modified'))
                    etag = _sha256_etag(response)
                    copied, error = self._copy(response, out, hasher, self.timeout, self.clock)
                    written += copied
                if isinstance(error, SlowBody):
                    raise _Retry('%s after %d bytes in all' % (error.reason, written), slow=True)
                if error is not None:
                    raise _Retry('the transfer broke off after %d bytes (%s)' % (written, type(error).__name__))
                if total is not None and written != total:
                    raise _Retry('the body ended at %d of %d bytes' % (written, total))
                digest = hasher.hexdigest()
                problem = _mismatch(digest, written, checksum, etag)
                if problem is None:
                    return dict(size=written, sha256=digest, resumed_bytes=resumed, attempts=attempt)
                # Damaged on the way, or the wrong object: one fresh download tells which.
                out.seek(0)
                out.truncate()
                hasher = hashlib.sha256()
                written = 0
                mismatches += 1
                if mismatches > 1 or failures >= self.attempts:
                    raise DownloadError('%s from %s' % (problem, redact(url)), hint='%s; run the task again%s' % (
                        _KEEP, ', and check the checksum option' if checksum else ''))
            except LinkExpired:
                if refresh is None or failures >= self.attempts:
                    raise _kept(DownloadError('the download link %s was refused (403) and no fresh one could be had'
                                              % redact(url), hint='%s; run the task again later' % _KEEP))
                url = refresh()
            except _Retry as exc:
                if exc.restart and written:
                    out.seek(0)
                    out.truncate()
                    hasher = hashlib.sha256()
                    written = 0
                if failures >= self.attempts:
                    raise _kept(DownloadError(
                        'download of %s failed after %d attempts: %s' % (redact(url), attempt, exc.reason),
                        hint='%s; run the task again, or raise download_retries%s' % (
                            _KEEP, ' or, for a link this slow, request_timeout' if exc.slow else '')))
                retry_after = exc.retry_after
            except (requests.exceptions.RequestException, IOError) as exc:
                if isinstance(exc, OSError) and not isinstance(exc, requests.exceptions.RequestException):
                    raise DownloadError('cannot write the download: %s' % exc, hint=_KEEP)
                if failures >= self.attempts:
                    raise _kept(DownloadError('download of %s failed after %d attempts, %d bytes received: %s'
                                              % (redact(url), attempt, written, _reason(exc)),
                                              hint='%s; run the task again, or raise download_retries' % _KEEP))
            if retry_after is None:
                retry_after = min(30.0, 2.0 ** failures)
            self.sleep(retry_after)
            failures += 1

    def _open(self, url, headers):
        scheme = urlparse(url).scheme
        if scheme not in ('http', 'https'):
            raise DownloadError('refusing a download link with scheme %r: only http and https are allowed' % scheme,
                                hint='the API returned an unexpected link; nothing was downloaded')
        response = self._follow(url, headers)
        status = response.status_code
        if status == 403:
            response.close()
            raise LinkExpired()
        if status == 416:
            response.close()
            raise _Retry('416 Range Not Satisfiable', restart=True)
        if status == 206 and not _starts_at(response, headers):
            response.close()
            raise DownloadError('download from %s answered a range that was not asked for: %s'
                                % (redact(url), response.headers.get('Content-Range')), hint=_KEEP)
        if status not in (200, 206):
            response.close()
            if status in (408, 429, 500, 502, 503, 504):
                wait = parse_retry_after(response.headers.get('Retry-After'))
                raise _Retry('HTTP %d' % status, None if wait is None else min(wait, MAX_RETRY_AFTER))
            raise DownloadError('download from %s failed: HTTP %d' % (redact(url), status), hint=_KEEP)
        return response

    def _follow(self, url, headers):
        """GET url, following at most MAX_REDIRECTS redirects, never from https to plain http nor to another scheme.

        The redirects are followed here rather than by requests, so that a downgrade is refused before the signed
        link is sent in clear. Messages name hosts only: a link's query string is its signature.
        """
        first = url
        for dummy in range(MAX_REDIRECTS + 1):
            response = self.session.get(url, headers=headers, stream=True, timeout=self.timeout, allow_redirects=False,
                                        verify=self.verify)
            target = self.session.get_redirect_target(response)
            if target is None:
                return response
            response.close()
            target = requests.utils.requote_uri(urljoin(url, target))
            here, there = urlparse(url), urlparse(target)
            if there.scheme not in ('http', 'https'):
                raise DownloadError('the download link at %s redirected to a link with scheme %r: only http and https '
                                    'are allowed' % (here.hostname, there.scheme),
                                    hint='nothing was downloaded and the destination was left as it was')
            if here.scheme == 'https' and there.scheme == 'http':
                raise DownloadError('the download link at %s redirected to plain http at %s: refusing to fetch the '
                                    'backup unencrypted' % (here.hostname, there.hostname),
                                    hint='nothing was downloaded and the destination was left as it was; the object '
                                         'store, or a proxy in front of it, should redirect to https')
            url = target
        raise DownloadError('the download link at %s redirected more than %d times'
                            % (urlparse(first).hostname, MAX_REDIRECTS),
                            hint='nothing was downloaded and the destination was left as it was; try again later')

    @staticmethod
    def _copy(response, out, hasher, timeout=None, clock=None):
        """Copy the body through a bounded queue; return (bytes written, the error that ended it or None).

        A body slower than Pace allows (timeout seconds without PROGRESS_BYTES) ends with SlowBody. Each piece is
        written as it arrives, so the partial file's mtime moves while bytes do.
        """
        pace = Pace(timeout, clock or time.monotonic)
        host = urlparse(getattr(response, 'url', None) or '').hostname
        chunks = queue.Queue(QUEUE_DEPTH)
        stop = threading.Event()
        reader = threading.Thread(target=_pump, args=(response, chunks, stop), daemon=True)
        reader.start()
        written = 0
        fd = out.fileno()
        start = out.tell()
        behind = start
        try:
            while True:
                try:
                    data = chunks.get(timeout=pace.left())
                except queue.Empty:
                    return written, pace.error(host)
                if data is _END:
                    return written, None
                if isinstance(data, BaseException):
                    return written, data
                hasher.update(data)
                view = memoryview(data)
                while view:
                    view = view[out.write(view):]
                written += len(data)
                if start + written - behind >= WRITE_BEHIND:
                    _write_behind(fd, max(start, behind - WRITE_BEHIND), start + written)
                    behind = start + written
                if pace.add(len(data)):
                    return written, pace.error(host)
        finally:
            stop.set()
            if reader.is_alive():
                response.close()
            while reader.is_alive():
                try:
                    chunks.get_nowait()
                except queue.Empty:
                    reader.join(0.05)
