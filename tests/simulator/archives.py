"""Backup archives: real .tar.gz files, built lazily and cached on disk, perhaps damaged on purpose.

An archive is a pure function of its Spec: the backup id, the size, the content (`random`: pseudo-random bytes
at gzip level 0; `dump`: SQL text at gzip level 6, see dumps.py) and the damage (none, or one of DAMAGES), so a
cache can be reused and every download of it serves the same bytes.
"""

from __future__ import annotations

import collections
import gzip
import hashlib
import os
import random
import re
import tarfile
import threading

from .dumps import DumpBuilder

CHUNK = 1 << 20
# Fixed tar member metadata keeps an archive a pure function of its Spec, so a cache can be reused.
MTIME = 1500000000
FORMAT = 'v1'
DUMP_FORMAT = 'd1'
_PLAIN = re.compile(r'^[A-Za-z0-9_-]{1,64}$')
CONTENTS = ('random', 'dump')
# corrupt: 16 bytes in the middle of the compressed data flipped, same length (a bad gzip CRC, or a deflate error);
# short: the file cut in the middle, inside a member's data (the gzip stream ends early);
# short_tar: a complete, valid gzip stream of the first half of the tar (the tar ends inside a member).
DAMAGES = ('corrupt', 'short', 'short_tar')
CORRUPT_BYTES = 16


class Spec(collections.namedtuple('Spec', 'size content damage')):
    """What an archive is made of, besides its backup id; the defaults are today's plain archive."""

    __slots__ = ()

    def __new__(cls, size, content='random', damage=None):
        return super().__new__(cls, size, content, damage)

    def suffix(self):
        return (f'-{FORMAT}' if self.content == 'random' else f'-{DUMP_FORMAT}') + (f'-{self.damage}' if self.damage else '')


class Archive:
    __slots__ = ('path', 'size', 'sha256')

    def __init__(self, path, size, sha256):
        self.path, self.size, self.sha256 = path, size, sha256

    def to_json(self, backup_id):
        return {'id': backup_id, 'size': self.size, 'sha256': self.sha256, 'path': self.path}


class _HashingWriter:
    """Hashes what gzip writes so the sha256 comes for free with the build."""

    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data):
        self.digest.update(data)
        self.size += len(data)
        return self.handle.write(data)

    def flush(self):
        self.handle.flush()


def payload_size(size):
    """How many payload bytes make the archive close to `size` bytes (tar blocks + gzip stored-block framing)."""
    # zlib's level-0 stream puts a 5-byte header before every ~61.6 KiB stored block; a little more is
    # reserved so the archive never exceeds the requested size.
    overhead = 512 + 1024 + 18 + size // 12000 + 16
    return max(0, (size - overhead) // 512 * 512)


def file_key(backup_id):
    """The id itself when it is a plain token, else its sha256: hostile ids (POST /_sim/backups) stay in the folder."""
    return backup_id if _PLAIN.match(backup_id) else hashlib.sha256(backup_id.encode('utf-8', 'surrogatepass')).hexdigest()


def _build_random(handle, backup_id, size):
    """The random-content archive for (backup_id, size), written to handle. Streams: memory stays ~3 MiB."""
    rng = random.Random(int(hashlib.sha256(backup_id.encode('utf-8', 'surrogatepass')).hexdigest(), 16))
    # Windows into a 2 MiB random block at varying offsets, each stamped with a chunk hash: fast to make,
    # and no 1 MiB chunk repeats another, so nothing along the way can shortcut the transfer.
    block = memoryview(rng.getrandbits(16 * CHUNK).to_bytes(2 * CHUNK, "little"))
    offsets = [rng.randrange(CHUNK) for _index in range(251)]
    info = tarfile.TarInfo(f'compose-backup-{file_key(backup_id)}/data.bin')
    info.size = payload_size(size)
    info.mtime, info.mode, info.uname, info.gname = MTIME, 0o644, 'compose', 'compose'
    with gzip.GzipFile(filename='', mode='wb', fileobj=handle, compresslevel=0, mtime=0) as stream:
        stream.write(info.tobuf(format=tarfile.GNU_FORMAT))
        remaining, index = info.size, 0
        while remaining > 0:
            stamp = hashlib.sha256(f'{backup_id}:{index}'.encode('utf-8', 'surrogatepass')).digest()
            start = offsets[index % len(offsets)]
            piece = min(remaining, CHUNK)
            stream.write(stamp[:piece])
            if piece > len(stamp):
                stream.write(block[start:start + piece - len(stamp)])
            remaining -= piece
            index += 1
        stream.write(b'\0' * 1024)


def _damage(path, damage):
    """Damage the archive at path in place, deterministically."""
    size = os.path.getsize(path)
    if damage == 'corrupt':
        with open(path, 'r+b') as handle:
            handle.seek(size // 2)
            data = handle.read(CORRUPT_BYTES)
            handle.seek(size // 2)
            handle.write(bytes(byte ^ 0xFF for byte in data))
    elif damage == 'short':
        os.truncate(path, size // 2)
    elif damage == 'short_tar':
        # The first half of the tar, compressed again as a whole, valid gzip stream.
        whole = path + '.whole'
        os.replace(path, whole)
        with gzip.open(whole, 'rb') as source:
            length = 0
            for data in iter(lambda: source.read(CHUNK), b''):
                length += len(data)
        with gzip.open(whole, 'rb') as source, open(path, 'wb') as handle, \
                gzip.GzipFile(filename='', mode='wb', fileobj=handle, compresslevel=6, mtime=0) as target:
            left = length // 2
            while left:
                data = source.read(min(CHUNK, left))
                target.write(data)
                left -= len(data)
        os.unlink(whole)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for data in iter(lambda: handle.read(CHUNK), b''):
            digest.update(data)
    return digest.hexdigest()


def build(path, backup_id, spec):
    """Write the archive for (backup_id, spec) to path; return the sha256 of what is written, damage included."""
    with open(path, 'wb') as handle:
        writer = _HashingWriter(handle)
        if spec.content == 'dump':
            DumpBuilder(backup_id, f'compose-backup-{file_key(backup_id)}').write(writer, spec.size)
        else:
            _build_random(writer, backup_id, spec.size)
    if not spec.damage:
        return writer.digest.hexdigest()
    _damage(path, spec.damage)
    # The checksum the simulator reports is the one of the bytes it serves: passing it as `checksum` passes.
    return _sha256(path)


class ArchiveStore:
    """Builds each archive once, even when several requests want it at the same moment."""

    def __init__(self, directory):
        self.directory = directory
        self._built = {}
        self._locks = {}
        self._guard = threading.Lock()

    def _base(self, backup_id, spec):
        return os.path.join(self.directory, f'{file_key(backup_id)}-{spec.size}{spec.suffix()}')

    def peek(self, backup_id, spec):
        """The archive if it is already built; never builds."""
        with self._guard:
            return self._built.get((backup_id, spec))

    def ensure(self, backup_id, spec):
        key = (backup_id, spec)
        with self._guard:
            if key in self._built:
                return self._built[key]
            lock = self._locks.setdefault(key, threading.Lock())
        # Held per archive only: a multi-GiB build must not stall requests for other archives.
        with lock:
            with self._guard:
                if key in self._built:
                    return self._built[key]
            archive = self._from_disk(backup_id, spec) or self._make(backup_id, spec)
            with self._guard:
                self._built[key] = archive
            return archive

    def _from_disk(self, backup_id, spec):
        """Reuse an archive left by an earlier run with the same --data-dir."""
        base = self._base(backup_id, spec)
        try:
            with open(base + '.sha256', encoding='ascii') as handle:
                sha256 = handle.read().strip()
            actual = os.path.getsize(base + '.tar.gz')
        except OSError:
            return None
        if len(sha256) != 64:
            return None
        return Archive(base + '.tar.gz', actual, sha256)

    def _make(self, backup_id, spec):
        base = self._base(backup_id, spec)
        os.makedirs(self.directory, exist_ok=True)
        sha256 = build(base + '.tar.gz.part', backup_id, spec)
        os.replace(base + '.tar.gz.part', base + '.tar.gz')
        with open(base + '.sha256.part', 'w', encoding='ascii') as handle:
            handle.write(sha256 + '\n')
        # The checksum file lands last: its presence means the archive beside it is complete.
        os.replace(base + '.sha256.part', base + '.sha256')
        return Archive(base + '.tar.gz', os.path.getsize(base + '.tar.gz'), sha256)
