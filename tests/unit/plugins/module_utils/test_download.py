# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Downloader against ordered HTTP mocks: damage, rate limits and their messages."""

from __future__ import annotations

import hashlib
import os

import pytest
import responses
from responses.registries import OrderedRegistry

from ansible_collections.composeio.dbaas.plugins.module_utils._download import Downloader, DownloadError

LINK = 'http://objects.test/fizz.tar.gz?expires=1&signature=s3cr3tsig'
PAYLOAD = b'\x1f\x8b' + bytes(range(256)) * 64
SHA = hashlib.sha256(PAYLOAD).hexdigest()
DAMAGED = PAYLOAD[:100] + b'\x00' * 16 + PAYLOAD[116:]


@pytest.fixture
def api():
    with responses.RequestsMock(registry=OrderedRegistry, assert_all_requests_are_fired=True) as mock:
        yield mock


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
