"""The streaming archive check: good archives pass in any piece size, each kind of damage is named."""

from __future__ import annotations

import gzip
import io
import os
import random
import tarfile

import pytest

from ansible_collections.composeio.dbaas.plugins.module_utils._verify import STEP, ArchiveCheck, ArchiveDamaged, BackgroundCheck


def make_tar(members, fmt=tarfile.GNU_FORMAT, gzipped=True):
    """A tar (gzip'd by default) of {name: bytes}; a name ending in / is a folder."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode='w', format=fmt) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name.rstrip('/'))
            if name.endswith('/'):
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0) if gzipped else raw.getvalue()


DUMP = b''.join(b'INSERT INTO t VALUES (%d, \'row %d\');\n' % (i, i * 7) for i in range(20000))
MEMBERS = {'dump/': b'', 'dump/data.sql': DUMP, 'dump/empty': b'', 'dump/odd.bin': os.urandom(1000)}


def check(data, piece=65536):
    verify = ArchiveCheck()
    for start in range(0, len(data), piece):
        verify.update(data[start:start + piece])
    return verify.result()


@pytest.mark.parametrize('piece', [1, 7, 512, 4096, 1 << 20])
def test_good_archive_in_any_piece_size(piece):
    data = make_tar(MEMBERS)
    if piece == 1:
        data = make_tar({'a': b'x' * 3000, 'b/': b''})
    got = check(data, piece)
    raw = gzip.decompress(data)
    assert got['format'] == 'tar.gz'
    assert got['uncompressed_size'] == len(raw)
    assert got['members'] == (2 if piece == 1 else 4)


def test_pax_long_names_count_as_one_member_each():
    long_name = 'x/' + 'n' * 300
    data = make_tar({long_name: b'data', 'short': b''}, fmt=tarfile.PAX_FORMAT)
    assert check(data)['members'] == 2
    data = make_tar({long_name: b'data', 'short': b''}, fmt=tarfile.GNU_FORMAT)
    assert check(data)['members'] == 2


def test_large_member_size_in_base_256():
    """A member over 8 GiB has its size in base-256; here the field is written by hand for a small member."""
    raw = bytearray(make_tar({'big': b'z' * 1000}, gzipped=False))
    raw[124:136] = b'\x80' + (1000).to_bytes(11, 'big')
    raw[148:156] = b' ' * 8
    raw[148:156] = b'%06o\0 ' % sum(raw[:512])
    assert check(gzip.compress(bytes(raw)))['members'] == 1


def test_two_gzip_members_and_zero_padding():
    raw = make_tar(MEMBERS, gzipped=False)
    data = gzip.compress(raw[:10000]) + gzip.compress(raw[10000:]) + b'\0' * 1024
    got = check(data, 3000)
    assert (got['format'], got['members'], got['uncompressed_size']) == ('tar.gz', 4, len(raw))


@pytest.mark.parametrize('cut', [0.999, 0.5, 0.1])
def test_truncated_stream(cut):
    data = make_tar(MEMBERS)
    with pytest.raises(ArchiveDamaged, match='ends early: the archive is truncated'):
        check(data[:int(len(data) * cut)])


def test_gzip_complete_but_tar_inside_cut_short():
    raw = make_tar(MEMBERS, gzipped=False)
    with pytest.raises(ArchiveDamaged, match='ends inside member'):
        check(gzip.compress(raw[:5000]))


def test_tar_without_end_blocks():
    raw = make_tar({'a': b'abc'}, gzipped=False)
    body = raw[:1024]  # header and one data block, then nothing
    with pytest.raises(ArchiveDamaged, match='does not end cleanly'):
        check(gzip.compress(body))


def test_bad_crc_is_named():
    data = bytearray(make_tar(MEMBERS))
    data[-8] ^= 0xff  # the CRC-32 in the gzip trailer
    with pytest.raises(ArchiveDamaged, match='bad gzip CRC'):
        check(bytes(data))


def test_bad_length_is_named():
    data = bytearray(make_tar(MEMBERS))
    data[-1] ^= 0x01  # the length in the gzip trailer
    with pytest.raises(ArchiveDamaged, match='bad gzip length'):
        check(bytes(data))


@pytest.mark.parametrize('seed', range(8))
def test_corrupt_but_complete_archive(seed):
    """Same length, some bytes changed in the middle: always caught, whatever the bytes."""
    data = bytearray(make_tar(MEMBERS))
    rng = random.Random(seed)
    for dummy in range(4):
        at = rng.randrange(100, len(data) - 100)
        data[at] ^= rng.randrange(1, 256)
    with pytest.raises(ArchiveDamaged, match='damaged'):
        check(bytes(data))


def test_damaged_tar_header_inside_good_gzip():
    raw = bytearray(make_tar({'a': b'1' * 600, 'b': b'2'}, gzipped=False))
    raw[1536 + 10] ^= 0x55  # the second header's name
    with pytest.raises(ArchiveDamaged, match='tar header 2 .* checksum'):
        check(gzip.compress(bytes(raw)))


def test_not_gzip_is_unknown_and_not_judged():
    assert check(b'PGDMP custom format dump' * 100)['format'] == 'unknown'
    assert check(b'')['format'] == 'unknown'


def test_gzip_of_not_a_tar_is_unknown_but_its_gzip_is_checked():
    data = gzip.compress(DUMP)
    got = check(data)
    assert (got['format'], got['uncompressed_size']) == ('unknown', len(DUMP))
    with pytest.raises(ArchiveDamaged, match='truncated'):
        check(data[:-20])


def test_data_after_the_gzip_stream():
    with pytest.raises(ArchiveDamaged, match='not another gzip member'):
        check(make_tar(MEMBERS) + b'garbage')


def test_inflates_in_bounded_steps():
    """A highly compressible archive (64 MiB of zeros inside) is checked without inflating it in one piece."""
    data = make_tar({'zeros': bytes(64 << 20)})
    verify = ArchiveCheck()
    feed = verify._tar.feed
    sizes = []
    verify._tar.feed = lambda out: (sizes.append(len(out)), feed(out))
    verify.update(data)
    assert verify.result()['uncompressed_size'] > 64 << 20
    assert len(data) < 1 << 20 and max(sizes) <= STEP and len(sizes) > 64


def test_background_check_gives_the_same_verdict():
    data = make_tar(MEMBERS)
    check = BackgroundCheck()
    for start in range(0, len(data), 4096):
        check.update(data[start:start + 4096])
    assert check.result() == check_pieces(data)


def check_pieces(data):
    verify = ArchiveCheck()
    verify.update(data)
    return verify.result()


def test_a_check_that_breaks_never_blocks_the_download(monkeypatch):
    """A bug in the check must not hang the transfer: more pieces than the queue holds still go through."""
    def broken(self, data):
        raise RuntimeError('boom')
    monkeypatch.setattr(ArchiveCheck, 'update', broken)
    check = BackgroundCheck()
    for dummy in range(BackgroundCheck.DEPTH * 4):
        check.update(b'x' * 100)
    with pytest.raises(ArchiveDamaged, match=r'could not be checked \(RuntimeError: boom\)'):
        check.result()
