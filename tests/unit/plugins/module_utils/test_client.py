# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ComposeClient against ordered HTTP mocks: every expected call listed, none missing, none extra."""

from __future__ import annotations

import email.utils
import time

import pytest
import requests

from ansible_collections.composeio.dbaas.plugins.module_utils._client import (
    AMBIGUOUS,
    FAIL,
    RETRY,
    ComposeClient,
    classify,
    parse_retry_after,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import (
    ComposeAmbiguousError,
    ComposeAuthError,
    ComposeConnectionError,
    ComposeError,
    ComposeNotFoundError,
    ComposeValidationError,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._time import parse_time
from ansible_collections.composeio.dbaas.tests.unit.plugins.conftest import refused

BASE = 'https://api.test/2016-07'
DEP = '5854017e89d50f424e000192'
TOKEN = 'feedfacecafebeef' * 4


@pytest.fixture
def client(fake_time):
    return ComposeClient(TOKEN, base_url=BASE + '/', retries=3, sleep=fake_time.sleep, clock=fake_time.clock)


def test_list_deployments_unwraps_hal_and_sends_auth(api, client):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': [{'id': DEP, 'name': 'fizz'}]}})
    assert client.list_deployments() == [{'id': DEP, 'name': 'fizz'}]
    sent = api.calls[0].request
    assert sent.headers['Authorization'] == 'Bearer ' + TOKEN
    assert sent.headers['User-Agent'].startswith('composeio.dbaas/0.1.0 ')


def test_path_parts_are_quoted(api, client):
    api.get(BASE + '/deployments/a%2F..%2Fb', json={'id': 'x'})
    client.get_deployment('a/../b')


def test_missing_hal_list_is_an_error(api, client):
    api.get(BASE + '/deployments/%s/backups' % DEP, json={'backups': []})
    with pytest.raises(ComposeError, match='no _embedded.backups list'):
        client.list_backups(DEP)


def test_backups_sorted_newest_first_when_api_lists_oldest_first(api, client):
    items = [
        {'id': 'a', 'created_at': '2018-02-26T19:40:02.000Z'},
        {'id': 'b', 'created_at': '2018-02-27T19:40:02Z'},
        {'id': 'c', 'created_at': '2018-02-28T19:40:02.500Z'},
        {'id': 'd', 'created_at': '2018-02-28T19:40:02Z'},
    ]
    api.get(BASE + '/deployments/%s/backups' % DEP, json={'_embedded': {'backups': items}})
    assert [b['id'] for b in client.list_backups(DEP)] == ['c', 'd', 'b', 'a']


def test_retry_after_seconds_is_honoured(api, client, fake_time):
    api.get(BASE + '/deployments', status=429, headers={'Retry-After': '7'}, json={'errors': 'slow down'})
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': []}})
    assert client.list_deployments() == []
    assert fake_time.sleeps == [7.0]


def test_retry_after_http_date_is_honoured(api, client, fake_time):
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    api.get(BASE + '/deployments', status=503, headers={'Retry-After': when}, body='<html>busy</html>')
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': []}})
    client.list_deployments()
    assert 115 <= fake_time.sleeps[0] <= 121


def test_parse_retry_after_forms():
    assert parse_retry_after('12') == 12.0
    assert parse_retry_after('Wed, 21 Oct 2015 07:28:00 GMT', now=1445412470.0) == 10.0
    assert parse_retry_after('Wed, 21 Oct 2015 07:28:00 GMT', now=1445412490.0) == 0.0
    assert parse_retry_after('soon') is None
    assert parse_retry_after(None) is None


def test_transient_errors_use_exponential_backoff_then_give_up(api, client, fake_time):
    for dummy in range(4):
        api.get(BASE + '/deployments', status=502, body='<html><body>Bad gateway</body></html>',
                content_type='text/html')
    with pytest.raises(ComposeError) as info:
        client.list_deployments()
    assert str(info.value) == ('GET /deployments failed: 502 Bad Gateway: non-JSON response body (text/html, 37 bytes) '
                               '(the Compose API, or a proxy in front of it, is failing; try again later '
                               '(api_retries sets how often a request is retried); API at https://api.test/2016-07)')
    assert len(fake_time.sleeps) == 3
    for attempt, slept in enumerate(fake_time.sleeps):
        assert 2 ** attempt / 2 <= slept <= 2 ** attempt


def test_not_found_is_not_retried(api, client):
    api.get(BASE + '/deployments/%s' % DEP, status=404, json={'errors': 'Not found'})
    with pytest.raises(ComposeNotFoundError) as info:
        client.get_deployment(DEP)
    assert str(info.value) == 'GET /deployments/%s failed: 404 Not Found: Not found (API at %s)' % (DEP, BASE)


def test_invalid_token_is_an_auth_error_without_the_token(api, client):
    api.get(BASE + '/deployments', status=401, json={'errors': 'invalid_token'})
    with pytest.raises(ComposeAuthError) as info:
        client.list_deployments()
    assert 'invalid_token' in str(info.value)
    assert TOKEN not in str(info.value)


def test_validation_error_map_shape(api, client):
    api.post(BASE + '/deployments/%s/backups/b1/restore' % DEP, status=422,
             json={'errors': {'name': ['has already been taken'], 'datacenter': ['is invalid', 'is unknown']}})
    with pytest.raises(ComposeValidationError) as info:
        client.request('POST', 'deployments', DEP, 'backups', 'b1', 'restore', expect=202, body={'deployment': {}})
    assert info.value.api_message == 'datacenter is invalid, is unknown; name has already been taken'


def test_get_retries_connection_errors(api, client, fake_time):
    api.get(BASE + '/recipes/r1', body=requests.exceptions.ConnectionError('Connection reset by peer'))
    api.get(BASE + '/recipes/r1', body=requests.exceptions.ReadTimeout('read timed out'))
    api.get(BASE + '/recipes/r1', json={'id': 'r1', 'status': 'running'})
    assert client.get_recipe('r1')['status'] == 'running'
    assert len(fake_time.sleeps) == 2


def test_get_gives_up_on_connection_errors(api, client):
    for dummy in range(4):
        api.get(BASE + '/recipes/r1', body=requests.exceptions.ConnectionError('Connection reset by peer'))
    with pytest.raises(ComposeConnectionError, match='GET /recipes/r1 failed: connection failed'):
        client.get_recipe('r1')


def test_get_retries_a_truncated_json_body(api, client):
    api.get(BASE + '/deployments', body='{"_embedded": {"deplo')
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': []}})
    assert client.list_deployments() == []


@pytest.mark.parametrize('status', [500, 502, 503, 504])
def test_post_is_never_resent_after_a_server_error(api, client, status):
    api.post(BASE + '/deployments/%s/backups' % DEP, status=status, body='')
    with pytest.raises(ComposeAmbiguousError):
        client.request('POST', 'deployments', DEP, 'backups', expect=202)


def test_post_is_never_resent_after_a_dropped_connection(api, client):
    api.post(BASE + '/deployments/%s/backups' % DEP, body=requests.exceptions.ConnectionError('Connection aborted.'))
    with pytest.raises(ComposeAmbiguousError):
        client.request('POST', 'deployments', DEP, 'backups', expect=202)


def test_post_with_unreadable_accepted_body_is_ambiguous(api, client):
    api.post(BASE + '/deployments/%s/backups' % DEP, status=202, body='{"id": "5a9')
    with pytest.raises(ComposeAmbiguousError):
        client.request('POST', 'deployments', DEP, 'backups', expect=202)


def test_post_is_resent_after_429(api, client, fake_time):
    api.post(BASE + '/deployments/%s/backups' % DEP, status=429, headers={'Retry-After': '3'}, json={'errors': 'rate'})
    api.post(BASE + '/deployments/%s/backups' % DEP, status=202, json={'id': 'r1', 'status': 'running'})
    assert client.request('POST', 'deployments', DEP, 'backups', expect=202)['id'] == 'r1'
    assert fake_time.sleeps == [3.0]


def test_post_is_resent_when_the_connection_was_refused(api, client):
    api.post(BASE + '/deployments/%s/backups' % DEP, body=refused(BASE))
    api.post(BASE + '/deployments/%s/backups' % DEP, status=202, json={'id': 'r1'})
    assert client.request('POST', 'deployments', DEP, 'backups', expect=202) == {'id': 'r1'}


def test_post_is_not_resent_when_only_the_text_says_refused(api, client):
    # Whether a POST may be re-sent is decided from the exception's types, never from its text.
    api.post(BASE + '/deployments/%s/backups' % DEP,
             body=requests.exceptions.ConnectionError('NewConnectionError: [Errno 111] Connection refused'))
    with pytest.raises(ComposeAmbiguousError):
        client.request('POST', 'deployments', DEP, 'backups', expect=202)


@pytest.mark.parametrize('method, outcome, verdict', [
    ('GET', 500, RETRY), ('GET', 429, RETRY), ('GET', 200, RETRY), ('GET', 404, FAIL), ('GET', 401, FAIL),
    ('POST', 429, RETRY), ('POST', 408, RETRY), ('POST', 500, AMBIGUOUS), ('POST', 503, AMBIGUOUS),
    ('POST', 202, AMBIGUOUS), ('POST', 422, FAIL), ('POST', 404, FAIL),
    ('GET', requests.exceptions.ReadTimeout(), RETRY), ('POST', requests.exceptions.ReadTimeout(), AMBIGUOUS),
    ('POST', requests.exceptions.ConnectTimeout(), RETRY), ('POST', refused(), RETRY),
    ('POST', requests.exceptions.ConnectionError('Connection refused'), AMBIGUOUS),
    ('GET', requests.exceptions.SSLError(), FAIL), ('POST', requests.exceptions.SSLError(), FAIL),
])
def test_classify(method, outcome, verdict):
    expect = 202 if method == 'POST' else 200
    assert classify(method, outcome, expect) == verdict


def test_unexpected_success_code_is_an_error(api, client):
    api.post(BASE + '/deployments/%s/backups' % DEP, status=200, json={'id': 'r1'})
    with pytest.raises(ComposeError, match='200'):
        client.request('POST', 'deployments', DEP, 'backups', expect=202)


def test_parse_time_variants():
    assert parse_time('2018-03-01T12:04:40.000Z').isoformat() == '2018-03-01T12:04:40+00:00'
    assert parse_time('2017-08-30T12:46:29Z').isoformat() == '2017-08-30T12:46:29+00:00'
    assert parse_time('not a time') is None
    assert parse_time(None) is None


def test_tls_settings_reach_requests(api, fake_time):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': []}})
    client = ComposeClient(TOKEN, base_url=BASE, ca_path='/etc/ca.pem', sleep=fake_time.sleep)
    client.list_deployments()
    assert client.verify == '/etc/ca.pem'
    assert ComposeClient(TOKEN, validate_certs=False).verify is False
    # validate_certs=false wins over a CA path (COMPOSE_CA_PATH may be set for every task), as its warning says.
    assert ComposeClient(TOKEN, validate_certs=False, ca_path='/etc/ca.pem').verify is False
    assert ComposeClient(TOKEN).verify is True


def test_giving_up_says_what_to_do(api, client, fake_time):
    for dummy in range(4):
        api.get(BASE + '/deployments', status=429, json={'errors': 'Too Many Requests'})
    with pytest.raises(ComposeError, match=r'429 Too Many Requests: .*\(the Compose API is rate-limiting this token; '
                                           r'try again later'):
        client.list_deployments()


def test_giving_up_on_timeouts_names_request_timeout(api, client, fake_time):
    for dummy in range(4):
        api.get(BASE + '/recipes/r1', body=requests.exceptions.ReadTimeout('read timed out'))
    with pytest.raises(ComposeConnectionError,
                       match=r'\(check api_url and the network, or raise request_timeout; API at https://api.test/2016-07\)'):
        client.get_recipe('r1')


def test_a_certificate_that_fails_verification_is_not_retried(api, client, fake_time):
    api.get(BASE + '/deployments', body=requests.exceptions.SSLError('CERTIFICATE_VERIFY_FAILED'))
    with pytest.raises(ComposeConnectionError, match=r'TLS error: .*set ca_path to the CA bundle'):
        client.list_deployments()
    assert fake_time.sleeps == []


def test_deeply_nested_json_fails_cleanly(api, client, fake_time):
    for dummy in range(4):
        api.get(BASE + '/deployments', body='[' * 100000 + ']' * 100000)
    with pytest.raises(ComposeError, match='nested too deeply'):
        client.list_deployments()


def test_an_oversized_answer_is_refused_unread(api, client, fake_time):
    api.get(BASE + '/deployments', body=b'{"pad": "' + b'x' * (17 << 20) + b'"}')
    with pytest.raises(ComposeError, match='larger than 16 MiB'):
        client.list_deployments()
    assert fake_time.sleeps == []


def test_an_invalid_answer_names_the_status(api, client, fake_time):
    for dummy in range(4):
        api.get(BASE + '/deployments', body='{"_embedded": {"deplo')
    with pytest.raises(ComposeError, match=r'GET /deployments failed: 200 OK: invalid JSON .*check api_url'):
        client.list_deployments()


@pytest.mark.parametrize('backup_id', ['..', '.', ''])
def test_ids_that_would_address_another_resource_are_refused(api, client, backup_id):
    with pytest.raises(ComposeError, match='refusing .* as a path segment'):
        client.get_backup(DEP, backup_id)


def test_ids_with_separators_are_quoted(api, client):
    api.get(BASE + '/deployments/%s/backups/..%%2F..%%2Fx' % DEP, json={'id': '../../x'})
    assert client.get_backup(DEP, '../../x') == {'id': '../../x'}


# -- answers of the wrong shape: a ComposeError naming the endpoint and the field, never a KeyError or TypeError --

DEPS = BASE + '/deployments'
BACKUPS = BASE + '/deployments/%s/backups' % DEP
BID = 'b00000000000000000000001'
SIGNED = 'https://objects.test/x.tar.gz?signature=s3cr3tsig'
SHAPES = {
    'deployments without _embedded': (DEPS, {'deployments': []}, 'list_deployments', (),
                                      'GET /deployments failed: unexpected response: no _embedded.deployments list (missing)'),
    'deployments not a list': (DEPS, {'_embedded': {'deployments': {'id': DEP}}}, 'list_deployments', (),
                               'no _embedded.deployments list (an object)'),
    'deployment item not an object': (DEPS, {'_embedded': {'deployments': ['fizz']}}, 'list_deployments', (),
                                      '_embedded.deployments[0] is a string, not a JSON object'),
    'deployment without id': (DEPS, {'_embedded': {'deployments': [{'name': 'fizz'}]}}, 'list_deployments', (),
                              "_embedded.deployments[0] has no usable 'id' (missing)"),
    'deployment detail a list': (DEPS + '/' + DEP, [DEP], 'get_deployment', (DEP,),
                                 'GET /deployments/%s failed: unexpected response: the response body is a list' % DEP),
    'backups not a list': (BACKUPS, {'_embedded': {'backups': 'none'}}, 'list_backups', (DEP,),
                           'GET /deployments/%s/backups failed: unexpected response: no _embedded.backups list (a string)'
                           % DEP),
    'backup without id': (BACKUPS, {'_embedded': {'backups': [{'type': 'daily'}]}}, 'list_backups', (DEP,),
                          "_embedded.backups[0] has no usable 'id' (missing)"),
    'backup id null': (BACKUPS, {'_embedded': {'backups': [{'id': None}]}}, 'list_backups', (DEP,),
                       "_embedded.backups[0] has no usable 'id' (null)"),
    'created_at not a string': (BACKUPS, {'_embedded': {'backups': [{'id': BID, 'created_at': 1519846802}]}},
                                'list_backups', (DEP,), "has a 'created_at' that is a number, not a string"),
    'backup detail without id': (BACKUPS + '/' + BID, {'download_link': SIGNED}, 'get_backup', (DEP, BID),
                                 "GET /deployments/%s/backups/%s failed: unexpected response: the response body has "
                                 "no usable 'id'" % (DEP, BID)),
    'download link not a URL': (BACKUPS + '/' + BID, {'id': BID, 'download_link': 'not a link?signature=s3cr3tsig'},
                                'get_backup', (DEP, BID), "the 'download_link' is not an absolute URL"),
    'download link a number': (BACKUPS + '/' + BID, {'id': BID, 'download_link': 42}, 'get_backup', (DEP, BID),
                               "the 'download_link' is a number, not a string"),
    'listed download link without host': (BACKUPS, {'_embedded': {'backups': [{'id': BID, 'download_link': 'https:///x'}]}},
                                          'list_backups', (DEP,), "the 'download_link' is not an absolute URL"),
    'recipe without status': (BASE + '/recipes/r1', {'id': 'r1'}, 'get_recipe', ('r1',),
                              "GET /recipes/r1 failed: unexpected response: the response body has no usable 'status'"),
    'recipe without id': (BASE + '/recipes/r1', {'status': 'running'}, 'get_recipe', ('r1',), "no usable 'id'"),
    'recipes list item without id': (BASE + '/deployments/%s/recipes' % DEP,
                                     {'_embedded': {'recipes': [{'status': 'running'}]}}, 'list_recipes', (DEP,),
                                     "_embedded.recipes[0] has no usable 'id'"),
}


@pytest.mark.parametrize('url, body, method, args, message', list(SHAPES.values()), ids=list(SHAPES))
def test_an_answer_of_the_wrong_shape_is_a_compose_error_naming_endpoint_and_field(
        api, client, url, body, method, args, message):
    api.get(url, json=body)
    with pytest.raises(ComposeError) as caught:
        getattr(client, method)(*args)
    assert message in str(caught.value)
    assert 'check api_url' in str(caught.value) and 's3cr3tsig' not in str(caught.value)


def test_a_200_that_is_not_json_is_a_compose_error(api, fake_time):
    client = ComposeClient(TOKEN, base_url=BASE, retries=0, sleep=fake_time.sleep, clock=fake_time.clock)
    api.get(DEPS, body='<html>maintenance</html>', status=200, content_type='text/html')
    with pytest.raises(ComposeError, match='GET /deployments failed: 200 OK: invalid JSON in the response body'):
        client.list_deployments()
