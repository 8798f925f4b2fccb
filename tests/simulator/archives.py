"""Backup archives: real .tar.gz files of pseudo-random bytes, built lazily and cached on disk."""

from __future__ import annotations

import gzip
import hashlib
import os
import random
import re
import tarfile
import threading

CHUNK = 1 << 20
# Fixed tar member metadata keeps an archive a pure function of (backup id, size), so a cache can be reused.
MTIME = 1500000000
FORMAT = 'v1'
_PLAIN = re.compile(r'^[A-Za-z0-9_-]{1,64}$')


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


def build(path, backup_id, size):
    """Write the archive for (backup_id, size) to path; return its sha256. Streams: memory stays ~3 MiB."""
    rng = random.Random(int(hashlib.sha256(backup_id.encode('utf-8', 'surrogatepass')).hexdigest(), 16))
    # Windows into a 2 MiB random block at varying offsets, each stamped with a chunk hash: fast to make,
    # and no 1 MiB chunk repeats another, so nothing along the way can shortcut the transfer.
    block = memoryview(rng.getrandbits(16 * CHUNK).to_bytes(2 * CHUNK, "little"))
    offsets = [rng.randrange(CHUNK) for _index in range(251)]
    info = tarfile.TarInfo(f'compose-backup-{file_key(backup_id)}/data.bin')
    info.size = payload_size(size)
    info.mtime, info.mode, info.uname, info.gname = MTIME, 0o644, 'compose', 'compose'
    with open(path, 'wb') as handle:
        writer = _HashingWriter(handle)
        with gzip.GzipFile(filename='', mode='wb', fileobj=writer, compresslevel=0, mtime=0) as stream:
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
    return writer.digest.hexdigest()


class ArchiveStore:
    """Builds each archive once, even when several requests want it at the same moment."""

    def __init__(self, directory):
        self.directory = directory
        self._built = {}
        self._locks = {}
        self._guard = threading.Lock()

    def _base(self, backup_id, size):
        return os.path.join(self.directory, f'{file_key(backup_id)}-{size}-{FORMAT}')

    def peek(self, backup_id, size):
        """The archive if it is already built; never builds."""
        with self._guard:
            return self._built.get((backup_id, size))

    def ensure(self, backup_id, size):
        key = (backup_id, size)
        with self._guard:
            if key in self._built:
                return self._built[key]
            lock = self._locks.setdefault(key, threading.Lock())
        # Held per archive only: a multi-GiB build must not stall requests for other archives.
        with lock:
            with self._guard:
                if key in self._built:
                    return self._built[key]
            archive = self._from_disk(backup_id, size) or self._make(backup_id, size)
            with self._guard:
                self._built[key] = archive
            return archive

    def _from_disk(self, backup_id, size):
        """Reuse an archive left by an earlier run with the same --data-dir."""
        base = self._base(backup_id, size)
        try:
            with open(base + '.sha256', encoding='ascii') as handle:
                sha256 = handle.read().strip()
            actual = os.path.getsize(base + '.tar.gz')
        except OSError:
            return None
        if len(sha256) != 64:
            return None
        return Archive(base + '.tar.gz', actual, sha256)

    def _make(self, backup_id, size):
        base = self._base(backup_id, size)
        os.makedirs(self.directory, exist_ok=True)
        sha256 = build(base + '.tar.gz.part', backup_id, size)
        os.replace(base + '.tar.gz.part', base + '.tar.gz')
        with open(base + '.sha256.part', 'w', encoding='ascii') as handle:
            handle.write(sha256 + '\n')
        # The checksum file lands last: its presence means the archive beside it is complete.
        os.replace(base + '.sha256.part', base + '.sha256')
        return Archive(base + '.tar.gz', os.path.getsize(base + '.tar.gz'), sha256)
