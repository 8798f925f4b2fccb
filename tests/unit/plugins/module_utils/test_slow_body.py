# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A body that trickles (a byte a second: every read succeeds within the timeout) is bounded by request_timeout:
a download resumes, then gives up; an API answer is retried, then fails. Time is a fake clock moved by the reads."""

from __future__ import annotations

import hashlib
import os

import pytest

from ansible_collections.composeio.dbaas.plugins.module_utils._client import ComposeClient, Pace, SlowBody, read_some
from ansible_collections.composeio.dbaas.plugins.module_utils._download import Downloader, DownloadError
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import ComposeConnectionError

LINK = 'http://objects.test/fizz.tar.gz?expires=1&signature=s3cr3tsig'
PAYLOAD = bytes(range(256)) * 1024  # 256 KiB
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class Clock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)


class Raw:
    """A body read with read1: `fast` bytes at once, then `step` bytes per `interval` seconds of the fake clock.

    A download's body is read in a thread of its own, which may run ahead of the copy: there the clock moves when
    the copy takes the piece (see timed_hashes), not when it is read.
    """

    def __init__(self, body, clock, fast=0, step=1, interval=1.0, encoding=None):
        self.body = body
        self.clock = clock
        self.fast = fast
        self.step = step
        self.interval = interval
        self.headers = {'Content-Encoding': encoding} if encoding else {}
        self.reads = 0

    def read1(self, amt, decode_content=None):
        self.reads += 1
        if self.fast:
            size, self.fast = min(amt, self.fast), 0
        else:
            size = min(amt, self.step)
            if self.body and self.clock is not None:
                self.clock.now += self.interval
        data, self.body = self.body[:size], self.body[size:]
        return data


class Response:
    def __init__(self, raw, status=200, headers=None, url=LINK):
        self.raw = raw
        self.status_code = status
        self.headers = dict(headers or {})
        self.url = url
        self.closed = False

    def close(self):
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Session:
    """requests.Session's surface that the clients use: each call takes the next prepared answer."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.headers = {}
        self.auth = None
        self.sent = []

    def _next(self, url, headers):
        self.sent.append((url, dict(headers or {})))
        return self.answers.pop(0)

    def get(self, url, headers=None, **kwargs):
        return self._next(url, headers)

    def request(self, method, url, headers=None, **kwargs):
        return self._next(url, headers)

    @staticmethod
    def get_redirect_target(response):
        return None


class TimedHash:
    """sha256 whose update moves the clock by interval for every piece but the first `fast` ones: the copy hashes
    each piece as it takes it, so the clock shows when the piece arrived, in the copying thread."""

    def __init__(self, clock, interval=1.0, fast=1):
        self.clock = clock
        self.interval = interval
        self.fast = fast
        self.real = REAL_SHA256()

    def update(self, data):
        if self.fast:
            self.fast -= 1
        else:
            self.clock.now += self.interval
        self.real.update(data)

    def hexdigest(self):
        return self.real.hexdigest()


REAL_SHA256 = hashlib.sha256


@pytest.fixture
def timed_hashes(monkeypatch):
    """The downloader's hashers move the returned clock (the first piece of each attempt comes at once)."""
    clock = Clock()
    monkeypatch.setattr(hashlib, 'sha256', lambda *data: TimedHash(clock) if not data else REAL_SHA256(*data))
    return clock


def test_a_trickle_stops_the_copy_after_request_timeout(tmp_path):
    clock = Clock()
    part = tmp_path / 'part'
    with open(str(part), 'wb', buffering=0) as out:
        copied, error = Downloader._copy(Response(Raw(PAYLOAD, None, fast=100)), out, TimedHash(clock), 2.0, clock)
        # Each byte was written as it came: the partial file (and its mtime) moved with the trickle.
        assert os.fstat(out.fileno()).st_size == copied
    assert copied == 103 and isinstance(error, SlowBody)
    assert error.reason == ('objects.test sent 103 bytes in 3.0 s, slower than the 64 KiB per request_timeout (2 s) '
                            'accepted')


def test_a_slow_body_that_keeps_the_pace_is_not_stopped(tmp_path):
    # 16 KiB a second: 64 KiB within every 4 s window, however long the body.
    clock = Clock()
    with open(str(tmp_path / 'part'), 'wb', buffering=0) as out:
        hasher = TimedHash(clock, fast=0)
        copied, error = Downloader._copy(Response(Raw(PAYLOAD, None, step=16 << 10)), out, hasher, 4.0, clock)
    assert (copied, error) == (len(PAYLOAD), None) and hasher.hexdigest() == SHA
    assert clock.now == 1016.0


def test_a_trickling_download_resumes_where_it_stopped(tmp_path, timed_hashes):
    clock = timed_hashes
    session = Session([
        Response(Raw(PAYLOAD, None, fast=5000), headers={'Content-Length': str(len(PAYLOAD))}),
        Response(Raw(PAYLOAD[5002:], None, fast=len(PAYLOAD)), status=206,
                 headers={'Content-Range': 'bytes 5002-%d/%d' % (len(PAYLOAD) - 1, len(PAYLOAD))}),
    ])
    downloader = Downloader(timeout=1.0, attempts=2, sleep=clock.sleep, session=session, clock=clock)
    result = downloader.fetch(LINK, str(tmp_path / 'a.tar.gz'), checksum=SHA)
    assert result['attempts'] == 2 and result['resumed_bytes'] == 5002 and result['sha256'] == SHA
    assert session.sent[1][1] == {'Range': 'bytes=5002-'}
    assert (tmp_path / 'a.tar.gz').read_bytes() == PAYLOAD


def test_a_download_that_always_trickles_fails_and_says_what_to_do(tmp_path, timed_hashes):
    clock = timed_hashes
    session = Session([Response(Raw(PAYLOAD, None, fast=10)),
                       Response(Raw(PAYLOAD[12:], None), status=206,
                                headers={'Content-Range': 'bytes 12-%d/%d' % (len(PAYLOAD) - 1, len(PAYLOAD))})])
    downloader = Downloader(timeout=1.0, attempts=1, sleep=clock.sleep, session=session, clock=clock)
    with pytest.raises(DownloadError) as info:
        downloader.fetch(LINK, str(tmp_path / 'a.tar.gz'))
    text = str(info.value)
    assert 'download of http://objects.test/fizz.tar.gz failed after 2 attempts: objects.test sent 2 bytes in 2.0 s' \
        in text
    assert 'raise download_retries or, for a link this slow, request_timeout' in info.value.hint
    assert 's3cr3tsig' not in text + info.value.hint
    assert os.listdir(str(tmp_path)) == []
    assert clock.now == 1004.0  # two windows of a second and a bit: bounded, whatever the body's length


def _client(clock, answers, retries=1):
    return ComposeClient('tok3n', base_url='http://api.test/2016-07', timeout=2.0, retries=retries,
                         sleep=clock.sleep, clock=clock, session=Session(answers))


def _answer(clock, body=b'{"_embedded": {"deployments": []}}', fast=10):
    return Response(Raw(body, clock, fast=fast), headers={'Content-Length': str(len(body))},
                    url='http://api.test/2016-07/deployments')


def test_an_api_answer_that_trickles_is_retried():
    clock = Clock()
    client = _client(clock, [_answer(clock), _answer(clock, fast=100)])
    assert client.list_deployments() == []
    assert clock.now == 1003.0 and len(clock.sleeps) == 1


def test_an_api_answer_that_always_trickles_fails_within_bounded_time():
    clock = Clock()
    client = _client(clock, [_answer(clock), _answer(clock)])
    with pytest.raises(ComposeConnectionError) as info:
        client.list_deployments()
    text = str(info.value)
    assert 'the answer came too slowly: api.test sent 13 bytes in 3.0 s' in text and 'tok3n' not in text
    assert 'raise request_timeout' in info.value.hint
    assert clock.now == 1006.0


def test_a_read_without_read1_falls_back_to_the_http_client_response():
    class Plain:
        def read1(self, amt):
            return b'ab'

    class Old:
        headers = {}
        _fp = Plain()

        def read(self, amt, decode_content=None):
            raise AssertionError('waits for all amt bytes')

    assert read_some(Old(), 1 << 16, decode=True) == b'ab'


def test_pace_without_a_timeout_accepts_any_pace():
    clock = Clock()
    pace = Pace(None, clock)
    clock.now += 10 ** 6
    assert not pace.add(1) and pace.left() is None
