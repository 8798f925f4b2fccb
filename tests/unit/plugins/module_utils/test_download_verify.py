# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Downloader with verify_archive: a damaged archive of the right length is caught, and nothing is left of it."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import random
import re
import tarfile

import pytest

from ansible_collections.composeio.dbaas.plugins.module_utils._download import Downloader, DownloadError, Part

LINK = 'http://objects.test/fizz.tar.gz?expires=1&signature=s3cr3tsig'
BACKUP_ID = 'b00000000000000000000003'


def tar_gz(count=3, size=40000):
    raw = io.BytesIO()
    rng = random.Random(3)
    with tarfile.open(fileobj=raw, mode='w', format=tarfile.GNU_FORMAT) as tar:
        for number in range(count):
            data = rng.randbytes(size)
            info = tarfile.TarInfo('dump/part-%d.bin' % number)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0), len(raw.getvalue())


GOOD, RAW_SIZE = tar_gz()
# The right length, other bytes: what a damaged object at the source looks like.
CORRUPT = GOOD[:60000] + bytes(b ^ 0x5a for b in GOOD[60000:60016]) + GOOD[60016:]
# A gzip that ends early inside a tar member, served whole as what it is (its length matches Content-Length).
SHORT = GOOD[:len(GOOD) // 2]


@pytest.fixture
def sleeps():
    return []


def downloader(sleeps, verify=True):
    return Downloader(attempts=3, sleep=sleeps.append, verify_archive=verify)


def test_a_good_archive_says_what_it_holds(api, sleeps, tmp_path):
    api.get(LINK, body=GOOD)
    result = downloader(sleeps).fetch(LINK, str(tmp_path / 'a.tar.gz'))
    assert result['archive'] == {'format': 'tar.gz', 'members': 3, 'uncompressed_size': RAW_SIZE}
    assert (tmp_path / 'a.tar.gz').read_bytes() == GOOD


def test_without_verify_archive_nothing_is_read_and_damage_passes(api, sleeps, tmp_path):
    api.get(LINK, body=SHORT)
    result = downloader(sleeps, verify=False).fetch(LINK, str(tmp_path / 'a.tar.gz'))
    assert result['archive'] is None and (tmp_path / 'a.tar.gz').read_bytes() == SHORT


@pytest.mark.parametrize('body, words', [(CORRUPT, r'the gzip stream is damaged: bad gzip CRC'),
                                         (SHORT, r'the gzip stream ends early: the archive is truncated')])
def test_damage_without_a_checksum_is_fetched_once_more_then_fails(api, sleeps, tmp_path, body, words):
    """Damage on the way would be gone on a second download; damage at the source is there again: fail, keep nothing."""
    dest = tmp_path / 'a.tar.gz'
    dest.write_bytes(b'an earlier good archive')
    api.get(LINK, body=body)
    api.get(LINK, body=body)
    with pytest.raises(DownloadError) as info:
        downloader(sleeps).fetch(LINK, str(dest), resume_key=BACKUP_ID)
    message = str(info.value)
    assert re.match(r'the archive failed verify_archive: %s from http://objects.test/fizz.tar.gz ' % words, message)
    assert 'the damaged download was removed' in message and 's3cr3tsig' not in message
    assert sorted(os.listdir(str(tmp_path))) == ['a.tar.gz'] and dest.read_bytes() == b'an earlier good archive'


def test_damage_on_the_way_is_repaired_by_the_second_download(api, sleeps, tmp_path):
    api.get(LINK, body=CORRUPT)
    api.get(LINK, body=GOOD)
    assert downloader(sleeps).fetch(LINK, str(tmp_path / 'a.tar.gz'))['archive']['members'] == 3


@pytest.mark.parametrize('kind', ['checksum', 'etag'])
def test_damage_the_checksum_vouches_for_fails_at_once(api, sleeps, tmp_path, kind):
    """The bytes are the ones the checksum (or a SHA-256 ETag) names: a second download would fetch them again."""
    digest = hashlib.sha256(SHORT).hexdigest()
    api.get(LINK, body=SHORT, headers={'ETag': '"%s"' % digest} if kind == 'etag' else {})
    with pytest.raises(DownloadError, match=r'^the archive failed verify_archive: the gzip stream ends early.*\(%d bytes from '
                       % len(SHORT)):
        downloader(sleeps).fetch(LINK, str(tmp_path / 'a.tar.gz'), checksum=digest if kind == 'checksum' else None)
    assert os.listdir(str(tmp_path)) == []


def write_part(tmp_path, data):
    dest = str(tmp_path / 'a.tar.gz')
    part = Part(dest, BACKUP_ID)
    with open(part.path, 'wb') as handle:
        handle.write(data)
    with open(part.state_path, 'w') as handle:
        json.dump({'backup_id': BACKUP_ID, 'size': len(GOOD), 'etag': '"e1"', 'last_modified': None}, handle)
    return dest


def resumed(api, start):
    api.get(LINK, status=206, body=GOOD[start:], headers={
        'Content-Range': 'bytes %d-%d/%d' % (start, len(GOOD) - 1, len(GOOD)), 'ETag': '"e1"'})


def test_a_resumed_download_is_verified_whole(api, sleeps, tmp_path):
    dest = write_part(tmp_path, GOOD[:50000])
    resumed(api, 50000)
    result = downloader(sleeps).fetch(LINK, dest, resume_key=BACKUP_ID)
    assert (result['resumed_bytes'], result['archive']['members']) == (50000, 3)


def test_damage_in_the_bytes_an_earlier_run_left_is_caught(api, sleeps, tmp_path):
    """The part on disk is read through the check too: its damage fails the resumed download, then a whole one."""
    dest = write_part(tmp_path, CORRUPT[:62000])
    resumed(api, 62000)
    api.get(LINK, body=GOOD)
    result = downloader(sleeps).fetch(LINK, dest, resume_key=BACKUP_ID)
    assert (result['resumed_bytes'], result['archive']['members']) == (62000, 3)
    assert open(dest, 'rb').read() == GOOD
    assert api.calls[-1].request.headers.get('Range') is None


def test_not_a_gzip_tar_is_kept_as_unknown(api, sleeps, tmp_path):
    api.get(LINK, body=b'PGDMP' + bytes(1000))
    result = downloader(sleeps).fetch(LINK, str(tmp_path / 'a.dump'))
    assert result['archive'] == {'format': 'unknown', 'members': None, 'uncompressed_size': None}
