# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Downloader: a streaming, verified, resumable download from a pre-signed link. Private to this collection, may
change without notice."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import re
import signal
import tempfile
import threading
import time
from urllib.parse import parse_qs, urljoin, urlparse

try:
    import fcntl
except ImportError:  # not POSIX: no lock, as for the deployment lock
    fcntl = None

from ansible_collections.composeio.dbaas.plugins.module_utils._archive import (
    CHUNK,
    fsync_dir,
    part_locked,
    remove,
    safe_name,
    temp_file,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._client import (
    MAX_RETRY_AFTER,
    RETRY_STATUSES,
    USER_AGENT,
    Pace,
    Session,
    SlowBody,
    connection_reason,
    parse_retry_after,
    read_some,
    requests,
    shown_url,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import DownloadError
from ansible_collections.composeio.dbaas.plugins.module_utils._verify import ArchiveDamaged, BackgroundCheck

QUEUE_DEPTH = 8
# Every this many bytes written, the kernel is asked to start writing them to disk (see _write_behind).
WRITE_BEHIND = 32 << 20
# Redirects followed from a download link before giving up (requests allows 30).
MAX_REDIRECTS = 10
_SHA256_HEX = re.compile(r'^[0-9a-f]{64}$')
_END = object()


class LinkExpired(Exception):
    """The pre-signed link answered 403: fetch the backup's details again for a fresh one."""


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
        tmp = temp_file(self.state_path, json.dumps(self.state, sort_keys=True) + '\n', 0o600)
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
                if not part_locked(path):
                    remove(path)

    def discard(self):
        remove(self.path)
        remove(self.state_path)


def _raise_terminated(signum, frame):
    raise _Terminated()


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
_DAMAGED = ('%s and the damaged download was removed; the archive Compose serves for this backup is damaged or '
            'cut short: run the task again later, or take a new backup (force: true)' % _KEEP)


class _Digest:
    """What every byte of the file goes through: its SHA-256 and, with verify_archive, the archive check."""

    def __init__(self, verify):
        self.sha256 = hashlib.sha256()
        self.check = BackgroundCheck() if verify else None

    def update(self, data):
        self.sha256.update(data)
        if self.check is not None:
            self.check.update(data)

    def hexdigest(self):
        return self.sha256.hexdigest()

    def archive(self):
        """{format, members, uncompressed_size}, None when not verified; raises ArchiveDamaged."""
        return None if self.check is None else self.check.result()

    def close(self):
        if self.check is not None:
            self.check.close()


class _Progress:
    """Where a download stands across its attempts: the bytes in the file, their digest, and the counts."""

    def __init__(self, out, verify=False):
        self.out = out
        self.verify = verify
        self.hasher = _Digest(verify)
        self.written = 0
        if out.tell():
            # A part a previous run left: its hash state is not saved, so its bytes are read once to hash (and check)
            # them, which also makes a resumed archive verified whole.
            out.seek(0)
            for data in iter(lambda: out.read(CHUNK), b''):
                self.hasher.update(data)
                self.written += len(data)
        self.resumed = 0
        self.total = None
        self.failures = 0
        self.mismatches = 0
        self.attempt = 0

    def start_over(self):
        """Drop the bytes received: the next attempt fetches the body from its first byte."""
        self.out.seek(0)
        self.out.truncate()
        self.hasher.close()
        self.hasher = _Digest(self.verify)
        self.written = 0

    def range_headers(self, part):
        """The headers that ask for the rest of the body, when some of it is there."""
        if not self.written:
            return {}
        headers = {'Range': 'bytes=%d-' % self.written}
        validator = part.validator() if part is not None else None
        if validator:
            # A 200 instead of 206 says the object is not the one the bytes came from.
            headers['If-Range'] = validator
        return headers

    def result(self, archive=None):
        return dict(size=self.written, sha256=self.hasher.hexdigest(), resumed_bytes=self.resumed, attempts=self.attempt,
                    archive=archive)


class Downloader:
    """Fetch a pre-signed link into a file: no Authorization header, one overall attempt budget."""

    def __init__(self, timeout=60.0, attempts=5, sleep=None, session=None, verify=True, clock=None,
                 verify_archive=False, gate=None):
        # With verify_archive the body is also checked as a .tar.gz while it streams (see _verify).
        self.verify_archive = verify_archive
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
        # Held during each attempt's transfer, not during the waits between attempts: a batch's cap on the
        # downloads in flight (see _batch).
        self.gate = gate or contextlib.nullcontext()

    def fetch(self, url, path, refresh=None, checksum=None, mode=0o600, place=None, resume_key=None):
        """Download url to path atomically; return {size, sha256, resumed_bytes, attempts, archive}.

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
        fsync_dir(os.path.dirname(os.path.abspath(path)))
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
                                      % (shown_url(url), out.tell()), hint=_KEEP))
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def _transfer(self, url, out, refresh, checksum, part=None):
        """Attempts until the body is whole and verified, within the attempt budget; return _Progress.result()."""
        progress = _Progress(out, self.verify_archive)
        try:
            while True:
                progress.attempt += 1
                retry_after = None
                try:
                    archive = self._attempt(url, progress, checksum, part)
                    if archive is not False:
                        return progress.result(archive)
                except LinkExpired:
                    if refresh is None or progress.failures >= self.attempts:
                        raise _kept(DownloadError('the download link %s was refused (403) and no fresh one could be '
                                                  'had' % shown_url(url), hint='%s; run the task again later' % _KEEP))
                    url = refresh()
                except _Retry as exc:
                    retry_after = self._after_retry(url, progress, exc)
                except (requests.exceptions.RequestException, IOError) as exc:
                    self._after_error(url, progress, exc)
                self.sleep(min(30.0, 2.0 ** progress.failures) if retry_after is None else retry_after)
                progress.failures += 1
        finally:
            progress.hasher.close()

    def _attempt(self, url, progress, checksum, part):
        """One GET of the rest of the body (all of it on a fresh start): when the file is whole and verified, what
        the archive check found (None without one); False when it must be fetched again from the first byte."""
        with self.gate:
            response = self._open(url, progress.range_headers(part))
            with response:
                self._take_up(response, progress, part)
                etag = _sha256_etag(response)
                copied, error = self._copy(response, progress.out, progress.hasher, self.timeout, self.clock)
                progress.written += copied
        if isinstance(error, SlowBody):
            raise _Retry('%s after %d bytes in all' % (error.reason, progress.written), slow=True)
        if error is not None:
            raise _Retry('the transfer broke off after %d bytes (%s)' % (progress.written, type(error).__name__))
        if progress.total is not None and progress.written != progress.total:
            raise _Retry('the body ended at %d of %d bytes' % (progress.written, progress.total))
        problem = _mismatch(progress.hasher.hexdigest(), progress.written, checksum, etag)
        if problem is None:
            try:
                return progress.hasher.archive()
            except ArchiveDamaged as exc:
                problem = 'the archive failed verify_archive: %s' % exc
                if checksum or etag:
                    # The bytes are the very ones the checksum names: fetching them again cannot help.
                    raise DownloadError('%s (%d bytes from %s)' % (problem, progress.written, shown_url(url)),
                                        hint=_DAMAGED) from None
        # Damaged on the way, or the wrong object: one fresh download tells which.
        progress.start_over()
        progress.mismatches += 1
        if progress.mismatches > 1 or progress.failures >= self.attempts:
            hint = _DAMAGED if problem.startswith('the archive') else '%s; run the task again%s' % (
                _KEEP, ', and check the checksum option' if checksum else '')
            raise DownloadError('%s from %s' % (problem, shown_url(url)), hint=hint)
        return False

    @staticmethod
    def _take_up(response, progress, part):
        """Check that an answer continues the bytes already there (or start over), and note the size it announces."""
        if progress.written and response.status_code == 200:
            # The server ignored Range, or If-Range failed: start again from the first byte.
            progress.start_over()
        elif progress.written:
            if part is not None and not _same_size(response, part.state.get('size')):
                progress.start_over()
                raise _Retry('the object at the link is not the size the partial download expects')
            progress.resumed += progress.written
        length = response.headers.get('Content-Length')
        if length is not None and length.isdigit():
            progress.total = progress.written + int(length)
        if part is not None and not progress.written:
            part.save(progress.total, response.headers.get('ETag'), response.headers.get('Last-Modified'))

    def _after_retry(self, url, progress, exc):
        """After an attempt another may fix: the delay before it (None: the backoff), or the error that ends it all."""
        if exc.restart and progress.written:
            progress.start_over()
        if progress.failures >= self.attempts:
            raise _kept(DownloadError(
                'download of %s failed after %d attempts: %s' % (shown_url(url), progress.attempt, exc.reason),
                hint='%s; run the task again, or raise download_retries%s' % (
                    _KEEP, ' or, for a link this slow, request_timeout' if exc.slow else '')))
        return exc.retry_after

    def _after_error(self, url, progress, exc):
        """After a network error (retried within the budget) or a write error (the end)."""
        if isinstance(exc, OSError) and not isinstance(exc, requests.exceptions.RequestException):
            raise DownloadError('cannot write the download: %s' % exc, hint=_KEEP)
        if progress.failures >= self.attempts:
            raise _kept(DownloadError('download of %s failed after %d attempts, %d bytes received: %s'
                                      % (shown_url(url), progress.attempt, progress.written,
                                         connection_reason(exc, detail=False)),
                                      hint='%s; run the task again, or raise download_retries' % _KEEP))

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
                                % (shown_url(url), response.headers.get('Content-Range')), hint=_KEEP)
        if status not in (200, 206):
            response.close()
            if status in RETRY_STATUSES:
                wait = parse_retry_after(response.headers.get('Retry-After'))
                raise _Retry('HTTP %d' % status, None if wait is None else min(wait, MAX_RETRY_AFTER))
            raise DownloadError('download from %s failed: HTTP %d' % (shown_url(url), status), hint=_KEEP)
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
