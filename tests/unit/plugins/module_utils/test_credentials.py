# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Credentials go only where they belong: no ~/.netrc, the environment's proxies still used."""

from __future__ import annotations

import pytest

from ansible_collections.composeio.dbaas.plugins.module_utils._client import ComposeClient, shown_url
from ansible_collections.composeio.dbaas.plugins.module_utils._download import Downloader, DownloadError
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import ComposeError, mask

BASE = 'https://api.test/2016-07'
TOKEN = 'feedfacecafebeef' * 4
LINK = 'https://objects.test/fizz.tar.gz?expires=1&signature=s3cr3tsig'
MOVED = 'https://elsewhere.test/fizz.tar.gz?expires=1&signature=s3cr3tsig'


@pytest.fixture
def netrc(tmp_path, monkeypatch):
    """A ~/.netrc (and $NETRC) whose `default` entry matches every host, as requests would read it."""
    path = tmp_path / '.netrc'
    path.write_text('default login netrc-user password netrc-password\n')
    path.chmod(0o600)
    monkeypatch.setenv('HOME', str(tmp_path))
    monkeypatch.setenv('NETRC', str(path))
    return path


def client():
    return ComposeClient(TOKEN, base_url=BASE, retries=0)


def test_netrc_does_not_replace_the_bearer_token(api, netrc):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': []}})
    assert client().list_deployments() == []
    assert api.calls[0].request.headers['Authorization'] == 'Bearer ' + TOKEN


def test_netrc_does_not_replace_the_bearer_token_after_a_redirect(api, netrc):
    api.get(BASE + '/deployments', status=301, headers={'Location': BASE + '/deployments/'})
    api.get(BASE + '/deployments/', json={'_embedded': {'deployments': []}})
    client().list_deployments()
    assert [call.request.headers['Authorization'] for call in api.calls] == ['Bearer ' + TOKEN] * 2


def test_netrc_credentials_never_reach_the_download_host(api, netrc, tmp_path):
    api.get(LINK, status=302, headers={'Location': MOVED})
    api.get(MOVED, body=b'archive')
    Downloader(attempts=0).fetch(LINK, str(tmp_path / 'a.tar.gz'))
    assert [call.request.url for call in api.calls] == [LINK, MOVED]
    assert [call.request.headers.get('Authorization') for call in api.calls] == [None, None]


def test_the_token_never_reaches_the_download_host(api, tmp_path):
    api.get(LINK, body=b'archive')
    client()
    Downloader(attempts=0).fetch(LINK, str(tmp_path / 'a.tar.gz'))
    assert 'Authorization' not in api.calls[0].request.headers


def test_a_redirect_to_another_host_drops_the_token(api, netrc):
    api.get(BASE + '/deployments', status=302, headers={'Location': 'https://other.test/deployments'})
    api.get('https://other.test/deployments', json={'_embedded': {'deployments': []}})
    client().list_deployments()
    assert 'Authorization' not in api.calls[1].request.headers


def test_the_environment_proxy_is_used_for_api_and_download(api, monkeypatch, tmp_path):
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxy.test:3128')
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': []}})
    api.get(LINK, body=b'archive')
    client().list_deployments()
    Downloader(attempts=0).fetch(LINK, str(tmp_path / 'a.tar.gz'))
    assert [call.request.req_kwargs['proxies'].get('https') for call in api.calls] == ['http://proxy.test:3128'] * 2


def test_no_proxy_is_honoured(api, monkeypatch, tmp_path):
    monkeypatch.setenv('https_proxy', 'http://proxy.test:3128')
    monkeypatch.setenv('no_proxy', 'objects.test')
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': []}})
    api.get(LINK, body=b'archive')
    client().list_deployments()
    Downloader(attempts=0).fetch(LINK, str(tmp_path / 'a.tar.gz'))
    assert [call.request.req_kwargs['proxies'].get('https') for call in api.calls] == ['http://proxy.test:3128', None]


def test_user_and_password_in_a_download_link_are_still_sent(api, tmp_path):
    api.get('https://user:pass@objects.test/fizz.tar.gz', body=b'archive')
    Downloader(attempts=0).fetch('https://user:pass@objects.test/fizz.tar.gz', str(tmp_path / 'a.tar.gz'))
    assert api.calls[0].request.headers['Authorization'] == 'Basic dXNlcjpwYXNz'


@pytest.mark.parametrize('url, shown', [
    ('https://user:password@objects.test/fizz.tar.gz?signature=s3cr3tsig', 'https://objects.test/fizz.tar.gz'),
    ('https://user:p@ss@objects.test:8443/a/b.tar.gz?sig=x#part', 'https://objects.test:8443/a/b.tar.gz'),
    ('https://user@[2001:db8::1]:8443/b.tar.gz', 'https://[2001:db8::1]:8443/b.tar.gz'),
    ('https://objects.test/fizz.tar.gz?signature=s3cr3tsig', 'https://objects.test/fizz.tar.gz'),
])
def test_redact_drops_userinfo_and_query(url, shown):
    assert shown_url(url) == shown


def test_a_failed_download_shows_no_user_or_password(api, tmp_path):
    link = 'https://user:password@objects.test/fizz.tar.gz?signature=s3cr3tsig'
    api.get(link, status=404)
    with pytest.raises(DownloadError, match='HTTP 404') as info:
        Downloader(attempts=0).fetch(link, str(tmp_path / 'a.tar.gz'))
    assert 'objects.test/fizz.tar.gz' in str(info.value)
    assert not any(secret in str(info.value) for secret in ('user', 'password', 's3cr3tsig'))


def pieces(secret, size=8):
    return [secret[start:start + size] for start in range(len(secret) - size + 1)]


def echo(token, status=400):
    """A JSON error body echoing the token where the 200-character preview of its JSON cuts it in two."""
    body = {'detail': 'x' * 170 + token + ' was seen', 'request': {'Authorization': 'Bearer ' + token}}
    assert 0 < 200 - len('{"detail": "') - 170 < len(token)
    return body


def test_mask_comes_before_the_cut():
    text = 'x' * 190 + TOKEN
    assert mask(text, [TOKEN], 200) == 'x' * 190 + '********'
    assert mask(text, [], 200) == text[:200] + '...'
    assert mask('a "quoted\\" secret', ['quoted\\']) == 'a "********" secret'
    assert mask('no secret', [None, '']) == 'no secret'


@pytest.mark.parametrize('status', [400, 401, 500])
def test_an_echoed_token_is_masked_before_the_preview_is_cut(api, status):
    api.get(BASE + '/deployments', status=status, json=echo(TOKEN))
    with pytest.raises(ComposeError) as info:
        client().list_deployments()
    message = str(info.value)
    assert 'unexpected error body: {"detail": "xxx' in message and '********' in message
    assert not any(piece in message for piece in pieces(TOKEN)), message


def test_an_echoed_token_in_an_errors_string_is_masked(api):
    api.get(BASE + '/deployments', status=401, json={'errors': 'token %s is not valid' % TOKEN})
    with pytest.raises(ComposeError) as info:
        client().list_deployments()
    assert str(info.value).startswith('GET /deployments failed: 401 Unauthorized: token ******** is not valid')
