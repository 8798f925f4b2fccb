# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check a .tar.gz archive while it streams past: the gzip stream and every tar header, in one pass.

Private to this collection, may change without notice. The Compose API gives no checksum of a backup, so the
archive's own structure is the check: gzip's CRC-32 and length of every member, each tar header's checksum, the
member sizes adding up, and the two zero blocks that end a tar archive. Nothing is written and nothing is read
twice: the download feeds each piece it writes through update(), and result() gives the verdict.
"""

from __future__ import annotations

import queue
import threading
import zlib

GZIP_MAGIC = b'\x1f\x8b'
BLOCK = 512
# Output of one inflate step: bounds memory whatever the compression ratio (a 1 KiB piece can inflate to 1 MiB).
STEP = 1 << 20
# Tar entries that are metadata about the next entry (pax and GNU long names), not members of their own.
_META_TYPES = frozenset(b'xgLK')
# Entries without data blocks, whatever their size field says (as tarfile reads them).
_NO_DATA_TYPES = frozenset(b'123456')
_ZLIB_WORDS = (('incorrect data check', 'bad gzip CRC'), ('incorrect length check', 'bad gzip length'))


class ArchiveDamaged(ValueError):
    """The archive is damaged; str() says where and how, for a task's message."""


def _number(field):
    """A tar numeric field: octal text, or base-256 when the first byte has its high bit set."""
    if field[0] & 0x80:
        value = field[0] & 0x7f
        for byte in field[1:]:
            value = (value << 8) | byte
        return value
    text = bytes(field).split(b'\0', 1)[0].strip()
    return int(text, 8) if text else 0


def _checksum_ok(header):
    """Whether the header's checksum field matches its bytes (unsigned, or signed as some old tars wrote it)."""
    try:
        recorded = _number(header[148:156])
    except ValueError:
        return False
    blanked = bytes(header[:148]) + b' ' * 8 + bytes(header[156:])
    unsigned = sum(blanked)
    signed = unsigned - 256 * sum(1 for byte in blanked if byte > 127)
    return recorded in (unsigned, signed)


class _Tar:
    """Tar headers in a stream of bytes: counts members, skips their data, and finds the end-of-archive blocks."""

    def __init__(self):
        self.members = 0
        self.headers = 0
        self.offset = 0
        self.skip = 0
        self.zeros = 0
        self.ended = False
        self.pending = bytearray()
        self.unknown = False

    def feed(self, data):
        """Take the next bytes; raise ArchiveDamaged at the first bad header."""
        view = memoryview(data)
        while view and not self.unknown:
            if self.ended:
                if bytes(view).strip(b'\0'):
                    raise ArchiveDamaged('the tar archive has data after its end-of-archive blocks')
                return
            if self.skip:
                step = min(self.skip, len(view))
                self.skip -= step
                self.offset += step
                view = view[step:]
                continue
            need = BLOCK - len(self.pending)
            self.pending += view[:need]
            view = view[need:]
            if len(self.pending) == BLOCK:
                self._header(bytes(self.pending))
                self.pending.clear()

    def _header(self, header):
        at = self.offset
        self.offset += BLOCK
        if not header.strip(b'\0'):
            self.zeros += 1
            self.ended = self.zeros == 2
            return
        if self.zeros:
            raise ArchiveDamaged('the tar archive has a lone zero block at byte %d of its data' % (at - BLOCK))
        if not _checksum_ok(header):
            if not self.headers:
                # Not a tar at all (a plain .gz of something else): the gzip check still holds, the tar one cannot.
                self.unknown = True
                return
            raise ArchiveDamaged('tar header %d (at byte %d of the uncompressed data) is damaged: its checksum '
                                 'does not match' % (self.headers + 1, at))
        self.headers += 1
        kind = header[156]
        if kind not in _META_TYPES:
            self.members += 1
        size = 0 if kind in _NO_DATA_TYPES else _number(header[124:136])
        self.skip = -(-size // BLOCK) * BLOCK

    def finish(self):
        if self.unknown or self.ended:
            return
        if self.skip or self.pending:
            raise ArchiveDamaged('the tar archive ends inside member %d: it is truncated' % max(self.members, 1))
        raise ArchiveDamaged('the tar archive does not end cleanly: its end-of-archive blocks are missing '
                             '(%d members read)' % self.members)


class ArchiveCheck:
    """Verify a .tar.gz as it streams: feed every piece in order to update(), then call result().

    A stream that does not start like gzip is not checked (format 'unknown'); a gzip whose content is not a tar is
    checked as gzip only (format 'unknown' too). Damage found stops the checking; result() raises it.
    """

    def __init__(self):
        self._start = bytearray()
        self._inflate = None
        self._tar = _Tar()
        self._problem = None
        self._format = None
        self.uncompressed = 0

    def update(self, data):
        if self._format == 'unknown' or self._problem is not None:
            return
        if self._format is None:
            self._start += data
            if len(self._start) < len(GZIP_MAGIC):
                return
            data, self._start = bytes(self._start), None
            if not data.startswith(GZIP_MAGIC):
                self._format = 'unknown'
                return
            self._format = 'tar.gz'
            self._inflate = zlib.decompressobj(31)
        try:
            self._feed(data)
        except ArchiveDamaged as exc:
            self._problem = exc

    def _feed(self, data):
        while data:
            if self._inflate.eof:
                data = self._next_member(data)
                continue
            try:
                out = self._inflate.decompress(data, STEP)
            except zlib.error as exc:
                raise ArchiveDamaged(self._zlib_words(exc)) from None
            self.uncompressed += len(out)
            self._tar.feed(out)
            data = self._inflate.unconsumed_tail
            if self._inflate.eof:
                data = self._inflate.unused_data

    def _next_member(self, data):
        """After one gzip member ends: zero padding, another member (as `cat a.gz b.gz` makes), or damage."""
        rest = bytes(data).lstrip(b'\0')
        if not rest:
            return b''
        if not GZIP_MAGIC.startswith(rest[:2]):
            raise ArchiveDamaged('the gzip stream has data after its end that is not another gzip member')
        self._inflate = zlib.decompressobj(31)
        return rest

    @staticmethod
    def _zlib_words(exc):
        text = str(exc)
        for said, words in _ZLIB_WORDS:
            if said in text:
                return 'the gzip stream is damaged: %s' % words
        return 'the gzip stream is damaged (%s)' % text

    def result(self):
        """What the archive holds: {format, members, uncompressed_size}; raise ArchiveDamaged if it is damaged."""
        if self._problem is not None:
            raise self._problem
        if self._format != 'tar.gz':
            return {'format': 'unknown', 'members': None, 'uncompressed_size': None}
        if not self._inflate.eof:
            raise ArchiveDamaged('the gzip stream ends early: the archive is truncated')
        self._tar.finish()
        if self._tar.unknown:
            return {'format': 'unknown', 'members': None, 'uncompressed_size': self.uncompressed}
        return {'format': 'tar.gz', 'members': self._tar.members, 'uncompressed_size': self.uncompressed}


class BackgroundCheck:
    """An ArchiveCheck on a thread of its own, so inflating overlaps the download's reads, hashing and writes.

    zlib and hashlib release the GIL on large buffers: on two cores the check costs little wall time until it is
    slower than the transfer. update() hands each piece over through a bounded queue (DEPTH pieces: memory stays
    flat; a check slower than the link slows the download to its pace rather than piling pieces up).
    """

    DEPTH = 8

    def __init__(self):
        self._check = ArchiveCheck()
        self._failed = None
        self._pieces = queue.Queue(self.DEPTH)
        self._thread = threading.Thread(target=self._run, name='archive-check', daemon=True)
        self._thread.start()

    def _run(self):
        while True:
            data = self._pieces.get()
            if data is None:
                return
            if self._failed is not None:
                continue  # keep taking pieces: a download never waits on a check that stopped
            try:
                self._check.update(data)
            except Exception as exc:  # pylint: disable=broad-except
                self._failed = exc

    def update(self, data):
        self._pieces.put(bytes(data))

    def close(self):
        """Stop the thread (idempotent); pieces still queued are checked first."""
        if self._thread.is_alive():
            self._pieces.put(None)
            self._thread.join()

    def result(self):
        self.close()
        if self._failed is not None:
            raise ArchiveDamaged('the archive could not be checked (%s: %s); set verify_archive to false to keep it '
                                 'unchecked' % (type(self._failed).__name__, self._failed))
        return self._check.result()
