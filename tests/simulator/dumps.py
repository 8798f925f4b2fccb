"""Archives that compress like real database dumps: a .tar.gz of SQL text, gzip level 6, built fast at any size.

The tar holds `schema.sql` (DDL) and `data.sql` (a pg_dump-style `COPY ... FROM stdin` of an events table). The
rows come in PIECES distinct pieces of about PIECE bytes, each generated from the backup id and compressed once,
on its own (a raw deflate stream ended by a sync flush, as pigz makes them): the archive is those compressed
pieces in a seeded order, so a 4 GiB archive costs writing 4 GiB, not compressing 20 GiB. Deflate looks back at
most 32 KiB, so repeating a 256 KiB piece does not change how well it compresses, and a reader still has to
inflate every byte. The gzip CRC-32 of the whole is combined from the pieces' own CRCs (see _Shift).
"""

from __future__ import annotations

import hashlib
import random
import struct
import tarfile
import time
import zlib

LEVEL = 6
PIECE = 256 << 10
PIECES = 32
MTIME = 1500000000
GZIP_HEADER = b'\x1f\x8b\x08\x00' + b'\0\0\0\0' + b'\x00\xff'
# A raw deflate stream's last block: an empty final block with fixed codes.
FINAL_BLOCK = b'\x03\x00'

FIRST = ('alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj',
         'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter', 'yolanda')
LAST = ('smith', 'jones', 'taylor', 'brown', 'williams', 'wilson', 'johnson', 'davies', 'robinson', 'wright',
        'thompson', 'evans', 'walker', 'white', 'roberts', 'green')
DOMAINS = ('example.com', 'example.org', 'mail.example.net', 'corp.example.com')
KINDS = ('login', 'logout', 'purchase', 'refund', 'page_view', 'signup', 'password_reset', 'api_call')
STATUSES = ('ok', 'ok', 'ok', 'ok', 'pending', 'failed')
CITIES = ('Berlin', 'London', 'Paris', 'New York', 'Tokyo', 'Madrid', 'Rome', 'Toronto', 'Sydney', 'Dublin')
AGENTS = ('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0 Safari/537.36',
          'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14) AppleWebKit/605.1.15 (KHTML, like Gecko) Safari/605.1.15',
          'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:63.0) Gecko/20100101 Firefox/63.0', 'curl/7.61.1',
          'python-requests/2.20.0')
PATHS = ('/api/v1/orders', '/api/v1/orders/{n}', '/login', '/account/settings', '/cart', '/search?q={city}',
         '/products/{n}')

SCHEMA = '''--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET lock_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SET check_function_bodies = false;
SET client_min_messages = warning;

CREATE TABLE public.accounts (
    id integer NOT NULL,
    email text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.events (
    id bigint NOT NULL,
    account_id integer NOT NULL,
    kind text NOT NULL,
    email text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    amount numeric(12,2),
    status text NOT NULL,
    details jsonb
);

ALTER TABLE ONLY public.accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.events ADD CONSTRAINT events_pkey PRIMARY KEY (id);
CREATE INDEX events_account_id_idx ON public.events USING btree (account_id);
CREATE INDEX events_created_at_idx ON public.events USING btree (created_at);
'''.encode()
DATA_HEAD = b'--\n-- Data for Name: events; Type: TABLE DATA; Schema: public\n--\n\n' \
            b'COPY public.events (id, account_id, kind, email, created_at, amount, status, details) FROM stdin;\n'
DATA_TAIL = b'\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n'


def _seeded(backup_id, *parts):
    return random.Random(hashlib.sha256(':'.join((backup_id,) + parts).encode('utf-8', 'surrogatepass')).digest())


def rows(rng, size):
    """About `size` bytes of COPY rows (whole lines), from rng."""
    out, total, when = [], 0, 1500000000 + rng.randrange(10 ** 7)
    while total < size:
        when += rng.randrange(1, 90)
        path = rng.choice(PATHS).format(n=rng.randrange(1, 5000), city=rng.choice(CITIES).lower())
        line = '%d\t%d\t%s\t%s.%s@%s\t%s\t%d.%02d\t%s\t{"city": "%s", "path": "%s", "agent": "%s", "session": "%012x"}\n' % (
            rng.randrange(1, 10 ** 9), rng.randrange(1, 2000), rng.choice(KINDS), rng.choice(FIRST), rng.choice(LAST),
            rng.choice(DOMAINS), time.strftime('%Y-%m-%d %H:%M:%S+00', time.gmtime(when)), rng.randrange(10000),
            rng.randrange(100), rng.choice(STATUSES), rng.choice(CITIES), path, rng.choice(AGENTS), rng.getrandbits(48))
        out.append(line)
        total += len(line)
    return ''.join(out).encode()


def deflate(data):
    """data as raw deflate blocks that end on a byte boundary and are not final: pieces like these concatenate."""
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


class _Shift:
    """crc32(B, v) == shift(v) ^ crc32(B) for every B of this length: the CRC of A + B from those of A and B.

    The map is linear in v and depends on len(B) only, so it is found once per length from 32 CRCs of zeros and
    kept as four byte tables.
    """

    def __init__(self, length):
        zeros = bytes(length)
        base = zlib.crc32(zeros)
        columns = [zlib.crc32(zeros, 1 << bit) ^ base for bit in range(32)]
        self.tables = []
        for byte in range(4):
            table = [0] * 256
            for value in range(1, 256):
                low = value & -value
                table[value] = table[value ^ low] ^ columns[8 * byte + low.bit_length() - 1]
            self.tables.append(table)

    def __call__(self, crc):
        first, second, third, fourth = self.tables
        return first[crc & 0xff] ^ second[(crc >> 8) & 0xff] ^ third[(crc >> 16) & 0xff] ^ fourth[crc >> 24]


class _Piece:
    __slots__ = ('raw', 'packed', 'crc', 'shift')

    def __init__(self, raw):
        self.raw = raw
        self.packed = deflate(raw)
        self.crc = zlib.crc32(raw)
        self.shift = None


def _tar_header(name, size):
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode, info.uname, info.gname = size, MTIME, 0o644, 'compose', 'compose'
    return info.tobuf(format=tarfile.GNU_FORMAT)


def _pad(size):
    return bytes(-size % 512)


class DumpBuilder:
    """Plans and writes the dump archive of (backup_id, size): about `size` bytes of .tar.gz."""

    def __init__(self, backup_id, folder):
        self.backup_id = backup_id
        self.folder = folder
        self._pieces = {}

    def piece(self, index):
        if index not in self._pieces:
            self._pieces[index] = _Piece(rows(_seeded(self.backup_id, 'piece', str(index)), PIECE))
        return self._pieces[index]

    def _head(self, data_size):
        return (_tar_header(self.folder + '/schema.sql', len(SCHEMA)) + SCHEMA + _pad(len(SCHEMA))
                + _tar_header(self.folder + '/data.sql', data_size) + DATA_HEAD)

    def _end(self, data_size):
        return DATA_TAIL + _pad(data_size) + bytes(1024)

    def _tail(self, budget, index):
        """Whole rows from the start of piece `index` whose deflate fits in `budget` bytes (perhaps none)."""
        raw = self.piece(index).raw
        ratio = len(raw) / len(self.piece(index).packed)
        length = int(budget * ratio)
        while length > 0:
            cut = raw.rfind(b'\n', 0, length) + 1
            if len(deflate(raw[:cut])) <= budget:
                return raw[:cut]
            length = int(length * 0.97)
        return b''

    def plan(self, size):
        """(order of full pieces, rows of the last partial piece, data.sql's size)."""
        rng = _seeded(self.backup_id, 'order')
        framing = len(GZIP_HEADER) + len(FINAL_BLOCK) + 8
        fixed = len(deflate(self._head(0))) + len(deflate(self._end(0))) + 16
        budget = size - framing - fixed
        order = []
        while True:
            index = rng.randrange(PIECES)
            packed = len(self.piece(index).packed)
            if packed > budget:
                break
            order.append(index)
            budget -= packed
        tail = self._tail(budget, index)
        data_size = len(DATA_HEAD) + sum(len(self.piece(i).raw) for i in order) + len(tail) + len(DATA_TAIL)
        return order, tail, data_size

    def write(self, writer, size):
        """Write the archive to writer (write(bytes)); the tar's uncompressed bytes and CRC are computed as we go."""
        order, tail, data_size = self.plan(size)
        head = self._head(data_size)
        end = tail + self._end(data_size)
        writer.write(GZIP_HEADER)
        writer.write(deflate(head))
        crc, length = zlib.crc32(head), len(head)
        for index in order:
            piece = self.piece(index)
            if piece.shift is None:
                piece.shift = _Shift(len(piece.raw))
            writer.write(piece.packed)
            crc = piece.shift(crc) ^ piece.crc
            length += len(piece.raw)
        writer.write(deflate(end))
        writer.write(FINAL_BLOCK)
        crc = zlib.crc32(end, crc)
        length += len(end)
        writer.write(struct.pack('<II', crc, length & 0xffffffff))
