# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Downloader against ordered HTTP mocks: damage, rate limits and their messages."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os

import pytest

from ansible_collections.composeio.dbaas.plugins.module_utils import _archive, _download
from ansible_collections.composeio.dbaas.plugins.module_utils._download import Downloader, DownloadError

LINK = 'http://objects.test/fizz.tar.gz?expires=1&signature=s3cr3tsig'
PAYLOAD = b'\x1f\x8b' + bytes(range(256)) * 64
SHA = hashlib.sha256(PAYLOAD).hexdigest()
DAMAGED = PAYLOAD[:100] + b'\x00' * 16 + PAYLOAD[116:]


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def downloader(sleeps):
    return Downloader(attempts=3, sleep=sleeps.append)


def test_damage_caught_by_the_checksum_is_downloaded_again(api, downloader, tmp_path):
    api.get(LINK, body=DAMAGED)
    api.get(LINK, body=PAYLOAD)
    result = downloader.fetch(LINK, str(tmp_path / 'a.tar.gz'), checksum=SHA)
    assert result['sha256'] == SHA and (tmp_path / 'a.tar.gz').read_bytes() == PAYLOAD


def test_damage_caught_by_a_sha256_etag_is_downloaded_again(api, downloader, tmp_path):
    api.get(LINK, body=DAMAGED, headers={'ETag': '"%s"' % SHA})
    api.get(LINK, body=PAYLOAD, headers={'ETag': '"%s"' % SHA})
    assert downloader.fetch(LINK, str(tmp_path / 'a.tar.gz'))['sha256'] == SHA


def test_damage_twice_fails_and_leaves_nothing(api, downloader, tmp_path):
    api.get(LINK, body=DAMAGED, headers={'ETag': '"%s"' % SHA})
    api.get(LINK, body=DAMAGED, headers={'ETag': '"%s"' % SHA})
    with pytest.raises(DownloadError, match=r"sha256 mismatch: the server's ETag says .*left as it was") as info:
        downloader.fetch(LINK, str(tmp_path / 'a.tar.gz'))
    assert 's3cr3tsig' not in str(info.value)
    assert os.listdir(str(tmp_path)) == []


def test_a_rate_limited_download_waits_as_told(api, downloader, sleeps, tmp_path):
    api.get(LINK, status=429, headers={'Retry-After': '7'})
    api.get(LINK, body=PAYLOAD)
    downloader.fetch(LINK, str(tmp_path / 'a.tar.gz'))
    assert sleeps == [7.0]


def test_giving_up_names_the_status_and_what_to_do(api, downloader, tmp_path):
    for dummy in range(4):
        api.get(LINK, status=503)
    with pytest.raises(DownloadError, match=r'failed after 4 attempts: HTTP 503 .*raise download_retries'):
        downloader.fetch(LINK, str(tmp_path / 'a.tar.gz'))
    assert os.listdir(str(tmp_path)) == []


@pytest.mark.parametrize('verify', [False, '/etc/compose-ca.pem'])
def test_tls_settings_win_over_requests_ca_bundle(api, sleeps, tmp_path, monkeypatch, verify):
    # requests lets REQUESTS_CA_BUNDLE override a Session's verify, but not one given with the request.
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '/etc/ssl/certs/ca-certificates.crt')
    api.get(LINK, body=PAYLOAD)
    Downloader(attempts=0, sleep=sleeps.append, verify=verify).fetch(LINK, str(tmp_path / 'a.tar.gz'))
    assert api.calls[0].request.req_kwargs['verify'] == verify


class _Body:
    """A response whose body is read in the chunks it was given."""

    def __init__(self, chunks):
        self.raw = self
        self._chunks = list(chunks)

    def read(self, size):
        return self._chunks.pop(0) if self._chunks else b''

    def close(self):
        self._chunks = []


@pytest.fixture
def advice(monkeypatch):
    """Record posix_fadvise calls as (offset, length, advice), with a 4 KiB read size and write-behind window."""
    calls = []
    monkeypatch.setattr(_download, 'CHUNK', 4096)
    monkeypatch.setattr(_download, 'WRITE_BEHIND', 4096)
    monkeypatch.setattr(os, 'posix_fadvise', lambda fd, offset, length, how: calls.append((offset, length, how)),
                        raising=False)
    return calls


def test_written_windows_are_sent_to_disk_and_the_one_before_dropped(api, downloader, advice, tmp_path):
    # 16386 bytes in 4 KiB reads: after each full window, writeback of it starts and the window before is evicted.
    api.get(LINK, body=PAYLOAD)
    downloader.fetch(LINK, str(tmp_path / 'a.tar.gz'))
    dontneed = getattr(os, 'POSIX_FADV_DONTNEED', None)
    assert advice == [(0, 4096, dontneed), (0, 8192, dontneed), (4096, 8192, dontneed), (8192, 8192, dontneed)]
    assert (tmp_path / 'a.tar.gz').read_bytes() == PAYLOAD


def test_a_download_started_again_advises_from_the_first_byte(api, downloader, advice, tmp_path):
    api.get(LINK, body=DAMAGED)
    api.get(LINK, body=PAYLOAD)
    downloader.fetch(LINK, str(tmp_path / 'a.tar.gz'), checksum=SHA)
    assert [call[:2] for call in advice] == [(0, 4096), (0, 8192), (4096, 8192), (8192, 8192)] * 2


def test_a_resumed_copy_advises_from_where_it_resumes(advice, tmp_path):
    with open(str(tmp_path / 'part'), 'wb', buffering=0) as out:
        out.write(PAYLOAD[:6000])
        hasher = hashlib.sha256(PAYLOAD[:6000])
        rest = PAYLOAD[6000:]
        copied, error = Downloader._copy(_Body([rest[:4096], rest[4096:8192], rest[8192:]]), out, hasher)
    assert (copied, error) == (len(rest), None) and hasher.hexdigest() == SHA
    assert [call[:2] for call in advice] == [(6000, 4096), (6000, 8192)]


@pytest.mark.parametrize('missing', [True, False])
def test_without_the_hint_the_download_is_the_same(api, downloader, monkeypatch, tmp_path, missing):
    def refuse(*args):
        raise OSError(22, 'Invalid argument')

    monkeypatch.setattr(_download, 'WRITE_BEHIND', 1024)
    if missing:
        monkeypatch.delattr(os, 'posix_fadvise', raising=False)
    else:
        monkeypatch.setattr(os, 'posix_fadvise', refuse, raising=False)
    api.get(LINK, body=PAYLOAD)
    assert downloader.fetch(LINK, str(tmp_path / 'a.tar.gz'))['sha256'] == SHA
    assert (tmp_path / 'a.tar.gz').read_bytes() == PAYLOAD


@pytest.mark.parametrize('failing', ['archive', 'sidecar'])
def test_install_never_pairs_an_archive_with_another_ones_sidecar(tmp_path, failing):
    dest = str(tmp_path / 'fizz.tar.gz')
    with open(dest, 'wb') as handle:
        handle.write(b'old')
    with open(_archive.sidecar_path(dest), 'w') as handle:
        handle.write(_archive.sidecar_text(dest, {'id': 'old'}, hashlib.sha256(b'old').hexdigest(), 3))
    archive = str(tmp_path / '.new.part')
    with open(archive, 'wb') as handle:
        handle.write(b'new')
    sidecar = _archive.write_sidecar_temp(dest, {'id': 'new'}, hashlib.sha256(b'new').hexdigest(), 3)

    def move(src, dst):
        if dst.endswith('.sha256') == (failing == 'sidecar'):
            raise OSError(28, 'No space left on device')
        os.replace(src, dst)

    with pytest.raises(DownloadError, match=r'No space left on device \(ENOSPC\).*next run downloads'):
        _archive.install(dest, archive, sidecar, move=move)
    assert not os.path.exists(_archive.sidecar_path(dest))
    assert _archive.local_state(dest) == {}


SECURE = 'https://objects.test/fizz.tar.gz?expires=1&signature=s3cr3tsig'


def test_a_redirect_from_https_to_plain_http_is_refused_before_it_is_followed(api, downloader, tmp_path):
    api.get(SECURE, status=302, headers={'Location': 'http://mirror.test/fizz.tar.gz?expires=1&signature=s3cr3tsig'})
    with pytest.raises(DownloadError) as info:
        downloader.fetch(SECURE, str(tmp_path / 'a.tar.gz'))
    message = str(info.value)
    assert message.startswith('the download link at objects.test redirected to plain http at mirror.test: refusing')
    assert 's3cr3tsig' not in message and 'nothing was downloaded' in message
    assert [call.request.url for call in api.calls] == [SECURE]
    assert os.listdir(str(tmp_path)) == []


def test_redirects_to_https_are_followed_in_order(api, downloader, tmp_path):
    mirror = 'https://mirror.test/fizz.tar.gz?expires=1&signature=s3cr3tsig'
    api.get(SECURE, status=301, headers={'Location': mirror})
    api.get(mirror, status=307, headers={'Location': '/b/fizz.tar.gz?signature=other'})
    api.get('https://mirror.test/b/fizz.tar.gz?signature=other', body=PAYLOAD)
    assert downloader.fetch(SECURE, str(tmp_path / 'a.tar.gz'), checksum=SHA)['sha256'] == SHA
    assert (tmp_path / 'a.tar.gz').read_bytes() == PAYLOAD


def test_a_resumed_request_keeps_its_range_through_redirects(api, downloader):
    plain = 'http://objects.test/fizz.tar.gz?expires=1&signature=s3cr3tsig'
    api.get(plain, status=302, headers={'Location': SECURE})
    api.get(SECURE, status=206, body=PAYLOAD[1000:], headers={'Content-Range': 'bytes 1000-16385/16386'})
    downloader._open(plain, {'Range': 'bytes=1000-'}).close()
    assert [call.request.headers.get('Range') for call in api.calls] == ['bytes=1000-', 'bytes=1000-']


def test_endless_redirects_give_up(api, downloader, tmp_path):
    for dummy in range(_download.MAX_REDIRECTS + 1):
        api.get(SECURE, status=302, headers={'Location': SECURE})
    with pytest.raises(DownloadError, match=r'^the download link at objects.test redirected more than 10 times'):
        downloader.fetch(SECURE, str(tmp_path / 'a.tar.gz'))
    assert os.listdir(str(tmp_path)) == []


@pytest.mark.parametrize('name, expected', [
    (u'donn\u00e9es-prod', u'donn\u00e9es-prod'),
    (u'\u6570\u636e\u5e93', u'\u6570\u636e\u5e93'),
    ('fizz production', 'fizz_production'),
    ('fizz-production', 'fizz-production'),
    ('../etc/passwd', 'etc-passwd'),
    ('.hidden', 'hidden'),
    ('a\x00b\nc\x7fd', 'a-b-c-d'),
    (u'e\u0301t\u00e9', u'\u00e9t\u00e9'),  # one form on disk (NFC), whatever form the API sent
    ('', 'unnamed'),
    ('///', 'unnamed'),
])
def test_safe_name_keeps_letters_of_any_script_and_nothing_unsafe(name, expected):
    assert _archive.safe_name(name) == expected


def test_safe_name_is_bounded_in_bytes_and_cut_between_characters():
    name = _archive.safe_name(u'\u6570' * 100)
    assert len(name.encode('utf-8')) <= 80 and name == u'\u6570' * 26
    assert _archive.safe_name('x' * 200) == 'x' * 80


def test_two_deployments_whose_names_give_one_prefix_get_different_archive_names():
    first = _archive.archive_name('fizz/production', 'b00000000000000000000001', '2017-01-01T00:00:00Z')
    second = _archive.archive_name('fizz-production', 'b00000000000000000000002', '2017-01-01T00:00:00Z')
    assert first.split('_', maxsplit=1)[0] == second.split('_', maxsplit=1)[0] and first != second


# -- resuming across runs ---------------------------------------------------------------------------------------

KEY = '5a97f1c2e16c0900188845aa'
OTHER_KEY = '5a97f1c2e16c0900188845bb'
ETAG = '"3858f62230ac3c915f300c664312c63f"'  # an MD5, as S3 sends: not a SHA-256, so only a validator
CUT = 5000


class Stopped(Exception):
    """What SIGTERM raises in these tests when the downloader does not handle it (instead of killing pytest)."""


@pytest.fixture
def sigterm_fallback():
    import signal

    def handler(signum, frame):
        raise Stopped()

    previous = signal.signal(signal.SIGTERM, handler)
    yield
    signal.signal(signal.SIGTERM, previous)


def kill_after(monkeypatch, part, cut):
    """Read the first `cut` bytes, then, once they are on disk, send SIGTERM to this process (as a cancel does)."""
    import signal
    import threading
    real = _download.read_some
    reads = []
    pause = threading.Event()

    def read(raw, amt, decode=False):
        reads.append(amt)
        if len(reads) == 1:
            return real(raw, cut, decode)
        for dummy in range(1000):
            if os.path.exists(part) and os.path.getsize(part) >= cut:
                break
            pause.wait(0.01)
        if len(reads) == 2:
            os.kill(os.getpid(), signal.SIGTERM)
            pause.wait(0.5)
        return real(raw, amt, decode)

    monkeypatch.setattr(_download, 'read_some', read)
    return lambda: monkeypatch.setattr(_download, 'read_some', real)


def test_a_download_stopped_by_sigterm_is_resumed_by_the_next_run(
        api, downloader, tmp_path, monkeypatch, sigterm_fallback):
    dest = tmp_path / 'a.tar.gz'
    part = str(tmp_path / ('.a.tar.gz.%s.part' % KEY))
    restore = kill_after(monkeypatch, part, CUT)
    api.get(LINK, body=PAYLOAD, headers={'ETag': ETAG, 'Content-Length': str(len(PAYLOAD))})
    with pytest.raises(DownloadError, match=r'stopped by SIGTERM after 5000 bytes .*the 5000 bytes received are kept '
                                            r'in .*\.a\.tar\.gz\.%s\.part, and the next run for this backup resumes'
                                            % KEY) as info:
        downloader.fetch(LINK, str(dest), resume_key=KEY)
    assert 's3cr3tsig' not in str(info.value)
    assert sorted(os.listdir(str(tmp_path))) == sorted([os.path.basename(part), os.path.basename(part) + '.json'])
    state = (tmp_path / (os.path.basename(part) + '.json')).read_text()
    assert 's3cr3tsig' not in state and 'objects.test' not in state
    assert json.loads(state) == {'backup_id': KEY, 'size': len(PAYLOAD), 'etag': ETAG, 'last_modified': None,
                                 'link_expires': 1}
    restore()

    # The next run: a fresh link for the same backup; only the rest is fetched.
    fresh = LINK.replace('expires=1', 'expires=2')
    api.get(fresh, status=206, body=PAYLOAD[CUT:],
            headers={'Content-Range': 'bytes %d-%d/%d' % (CUT, len(PAYLOAD) - 1, len(PAYLOAD)), 'ETag': ETAG})
    result = downloader.fetch(fresh, str(dest), checksum=SHA, resume_key=KEY)
    assert api.calls[-1].request.headers['Range'] == 'bytes=%d-' % CUT
    assert api.calls[-1].request.headers['If-Range'] == ETAG
    assert (result['sha256'], result['size'], result['resumed_bytes']) == (SHA, len(PAYLOAD), CUT)
    assert dest.read_bytes() == PAYLOAD
    assert os.listdir(str(tmp_path)) == ['a.tar.gz']


def test_a_download_that_gave_up_keeps_its_bytes_for_the_next_run(api, sleeps, tmp_path):
    import requests
    dest = tmp_path / 'a.tar.gz'
    api.get(LINK, body=PAYLOAD[:CUT],
            headers={'Content-Length': str(len(PAYLOAD)), 'Last-Modified': 'Thu, 01 Mar 2018 12:04:40 GMT'})
    api.get(LINK, body=requests.exceptions.ConnectionError('reset'))
    with pytest.raises(DownloadError, match=r'the 5000 bytes received are kept'):
        Downloader(attempts=1, sleep=sleeps.append).fetch(LINK, str(dest), resume_key=KEY)
    api.get(LINK, status=206, body=PAYLOAD[CUT:],
            headers={'Content-Range': 'bytes %d-%d/%d' % (CUT, len(PAYLOAD) - 1, len(PAYLOAD))})
    result = Downloader(attempts=1, sleep=sleeps.append).fetch(LINK, str(dest), resume_key=KEY)
    assert [call.request.headers.get('Range') for call in api.calls] == [None, 'bytes=5000-', 'bytes=5000-']
    assert api.calls[-1].request.headers['If-Range'] == 'Thu, 01 Mar 2018 12:04:40 GMT'
    assert (result['sha256'], result['resumed_bytes']) == (SHA, CUT) and dest.read_bytes() == PAYLOAD
    assert os.listdir(str(tmp_path)) == ['a.tar.gz']


def leave_part(tmp_path, key, data, size=None, etag=ETAG):
    part = tmp_path / ('.a.tar.gz.%s.part' % key)
    part.write_bytes(data)
    (tmp_path / (part.name + '.json')).write_text(json.dumps(
        {'backup_id': key, 'size': len(PAYLOAD) if size is None else size, 'etag': etag, 'last_modified': None,
         'link_expires': 1}))
    return part


def test_a_part_of_another_backup_is_discarded(api, downloader, tmp_path):
    leave_part(tmp_path, OTHER_KEY, DAMAGED[:CUT])
    api.get(LINK, body=PAYLOAD)
    result = downloader.fetch(LINK, str(tmp_path / 'a.tar.gz'), resume_key=KEY)
    assert 'Range' not in api.calls[0].request.headers
    assert (result['sha256'], result['resumed_bytes']) == (SHA, 0)
    assert os.listdir(str(tmp_path)) == ['a.tar.gz']


def test_a_part_whose_state_names_another_backup_starts_over(api, downloader, tmp_path):
    part = leave_part(tmp_path, KEY, DAMAGED[:CUT])
    state = tmp_path / (part.name + '.json')
    state.write_text(state.read_text().replace(KEY, OTHER_KEY))
    api.get(LINK, body=PAYLOAD)
    result = downloader.fetch(LINK, str(tmp_path / 'a.tar.gz'), resume_key=KEY)
    assert 'Range' not in api.calls[0].request.headers
    assert (result['sha256'], result['resumed_bytes']) == (SHA, 0)


def test_a_server_ignoring_range_starts_over_cleanly(api, downloader, tmp_path):
    leave_part(tmp_path, KEY, DAMAGED[:CUT])
    api.get(LINK, body=PAYLOAD, headers={'ETag': '"another"'})
    result = downloader.fetch(LINK, str(tmp_path / 'a.tar.gz'), checksum=SHA, resume_key=KEY)
    assert api.calls[0].request.headers['Range'] == 'bytes=%d-' % CUT
    assert (result['sha256'], result['size'], result['resumed_bytes']) == (SHA, len(PAYLOAD), 0)
    assert (tmp_path / 'a.tar.gz').read_bytes() == PAYLOAD
    assert os.listdir(str(tmp_path)) == ['a.tar.gz']


def test_a_complete_part_answered_416_starts_over(api, downloader, tmp_path):
    leave_part(tmp_path, KEY, PAYLOAD)
    api.get(LINK, status=416)
    api.get(LINK, body=PAYLOAD)
    result = downloader.fetch(LINK, str(tmp_path / 'a.tar.gz'), resume_key=KEY)
    assert [call.request.headers.get('Range') for call in api.calls] == ['bytes=%d-' % len(PAYLOAD), None]
    assert result['sha256'] == SHA


def test_a_damaged_resume_is_not_kept(api, downloader, tmp_path):
    leave_part(tmp_path, KEY, DAMAGED[:CUT])
    api.get(LINK, status=206, body=PAYLOAD[CUT:],
            headers={'Content-Range': 'bytes %d-%d/%d' % (CUT, len(PAYLOAD) - 1, len(PAYLOAD))})
    api.get(LINK, body=DAMAGED)  # downloaded again from the first byte: damaged twice is given up
    with pytest.raises(DownloadError, match='sha256 mismatch'):
        downloader.fetch(LINK, str(tmp_path / 'a.tar.gz'), checksum=SHA, resume_key=KEY)
    assert os.listdir(str(tmp_path)) == []


def test_the_stale_sweep_spares_the_part_to_resume_and_a_locked_one(tmp_path):
    import fcntl
    old = os.path.getmtime(str(tmp_path)) - 2 * 86400
    parts = []
    for key in (KEY, OTHER_KEY, 'c' * 24):
        part = leave_part(tmp_path, key, b'x' * 10)
        for path in (part, tmp_path / (part.name + '.json')):
            os.utime(str(path), (old, old))
        parts.append(str(part))
    with open(parts[2], 'rb') as busy:
        fcntl.flock(busy.fileno(), fcntl.LOCK_EX)
        stale = _archive.stale_parts(str(tmp_path), 'fizz', 'a.tar.gz', keep=parts[0])
    assert [path for path, dummy in stale] == [parts[1], parts[1] + '.json']


def test_place_leaves_a_fresh_part_that_a_waiting_run_started_under_the_same_name(tmp_path):
    """Once the part is renamed into place, a run that waited for its lock starts a fresh one under that name: the
    cleanup after install must not remove that one (it did, and the other run then failed with ENOENT)."""
    part = tmp_path / '.a.tar.gz.b1.part'
    part.write_bytes(b'archive')
    dest = str(tmp_path / 'a.tar.gz')

    def move_then_another_run_starts(src, target):
        os.replace(src, target)
        if src == str(part):
            part.write_bytes(b'the next run')

    _archive.place(dest, str(part), {'id': 'b1'}, hashlib.sha256(b'archive').hexdigest(), 7, 0o600,
                   lock=contextlib.nullcontext(), move=move_then_another_run_starts)
    assert part.read_bytes() == b'the next run'
    assert (tmp_path / 'a.tar.gz').read_bytes() == b'archive'
