# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compose API 2016-07 client. Private to this collection, may change without notice."""

from __future__ import annotations

import datetime
import email.utils
import json
import random
import time
import traceback
from urllib.parse import quote, urlparse

from ansible_collections.composeio.dbaas.plugins.module_utils._errors import (
    ComposeAmbiguousError,
    ComposeAuthError,
    ComposeConnectionError,
    ComposeError,
    ComposeNotFoundError,
    ComposeRecipeFailed,
    ComposeValidationError,
    ComposeWaitTimeout,
    NOT_JSON,
    TLS_FAILED,
    TOO_SLOW,
    UNREACHABLE,
    advice_for_status,
    describe_error_body,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._time import parse_time

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - reported by client_from_module()
    requests = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

try:
    from urllib3.exceptions import DecodeError as _DecodeError
    from urllib3.exceptions import ProtocolError as _ProtocolError
    from urllib3.exceptions import ReadTimeoutError as _ReadTimeoutError
    from urllib3.exceptions import SSLError as _Urllib3SSLError
except ImportError:  # pragma: no cover - requests brings urllib3
    _DecodeError = _ProtocolError = _ReadTimeoutError = _Urllib3SSLError = None

COLLECTION_VERSION = '0.1.0'
API_VERSION = '2016-07'
DEFAULT_API_URL = 'https://api.compose.io/' + API_VERSION
USER_AGENT = 'composeio.dbaas/%s (Ansible collection)' % COLLECTION_VERSION

# compose-api.md §10: the official Go client retries these; 500 is added because the API is
# known to answer 500 erratically (GOV.UK PaaS).
# API answers are small (the largest is a list of deployments); anything bigger is not the Compose API.
MAX_RESPONSE_BYTES = 16 << 20
RETRY_STATUSES = frozenset((408, 429, 500, 502, 503, 504))
# For a POST only these prove the request was not acted upon, so re-sending cannot duplicate it.
POST_SAFE_STATUSES = frozenset((408, 429))
MAX_RETRY_AFTER = 300.0
# The slowest body accepted, API answer or download: this many bytes, or the rest of the body, within every
# request_timeout seconds. requests' timeout bounds each read only, so without it a server sending a byte a second
# would hold a task for ever.
PROGRESS_BYTES = 64 << 10
RECIPE_DONE = ('complete', 'failed')
# After a changing request that may have been acted upon (a timeout or a reset after it was sent, a 5xx, an
# unreadable 202), what it started is looked for during request_timeout plus this many seconds before the request is
# sent again: a server that took longer than request_timeout to answer may take as long again to act on it, and the
# lists may lag behind by a few seconds more. See look_for().
POST_SETTLE_EXTRA = 30.0
POST_LOOK_CAP = 10.0


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def quote_part(part):
    """One path segment, quoted. An id of '.' or '..' is refused: requests and urllib3 would resolve it (even
    percent-encoded) and so address another resource than the one named."""
    text = quote(str(part), safe='')
    if text in ('.', '..', ''):
        raise ComposeError('refusing %r as a path segment: it would address another resource than the one named'
                           % str(part), hint='the API returned an id that cannot be used; nothing was sent')
    return text


def clean_token(token, option='api_token'):
    """The token without the whitespace around it (a token file or `$(cat tokenfile)` ends with a newline), or a
    ComposeError naming option when what is left holds a character no HTTP header can carry: sent, it would only be
    retried for half a minute and then fail as an unexplained connection error. The message never shows the token."""
    text = str(token).strip()
    if not text:
        raise ComposeError('%s is blank' % option, hint='set %s to a Compose API token; nothing was sent' % option)
    for index, char in enumerate(text):
        code = ord(char)
        if code < 0x20 or 0x7f <= code <= 0x9f:
            what = 'a control character (U+%04X)' % code
        elif code > 0x7e:
            what = 'a character that is not ASCII'
        else:
            continue
        raise ComposeError('%s holds %s at position %d of %d' % (option, what, index + 1, len(text)),
                           hint='a Compose API token is one line of ASCII letters and digits; set %s to the token '
                                'alone; nothing was sent' % option)
    return text


def shown_url(url):
    """A URL as a message may show it: scheme, host, port and path; no user:password@, no query, no fragment."""
    try:
        parts = urlparse(url or '')
        return '%s://%s%s' % (parts.scheme, parts.netloc.rpartition('@')[2], parts.path.rstrip('/'))
    except ValueError:
        return 'an unreadable api_url'


def version_hint(base_url):
    """What a 404 on the list of deployments most likely means: an api_url without the API version."""
    try:
        parts = urlparse(base_url)
    except ValueError:
        parts = None
    if parts is not None and parts.path.rstrip('/').rpartition('/')[2] != API_VERSION:
        return ('api_url must end with the API version, as in %s/%s: the Compose API 2016-07 has no %s/deployments'
                % (shown_url(base_url), API_VERSION, shown_url(base_url)))
    return 'check api_url: the Compose API 2016-07 lists the deployments at %s/deployments' % shown_url(base_url)


def _names_the_api(method):
    """Decorate a ComposeClient method so that any ComposeError it raises names the API it talked to."""
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except ComposeError as exc:
            if exc.where is None:
                exc.where = shown_url(self.base_url)
            raise
    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


def _shape_error(what, method, path):
    return ComposeError('unexpected response: %s' % what, method=method, path=path,
                        hint='the answer does not have the shape the Compose API 2016-07 gives; check api_url')


def expect_object(data, method, path, keys=(), what='the response body'):
    """data when it is a JSON object whose `keys` are non-empty strings (or numbers), else a ComposeError that
    names the endpoint and the field: never a KeyError or TypeError later on."""
    if not isinstance(data, dict):
        raise _shape_error('%s is %s, not a JSON object' % (what, _kind(data)), method, path)
    for key in keys:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, (str, int)) or value == '':
            raise _shape_error('%s has no usable %r (%s)' % (what, key, 'missing' if key not in data else _kind(value)),
                               method, path)
    for key in ('created_at', 'updated_at'):
        if data.get(key) is not None and not isinstance(data.get(key), str):
            raise _shape_error('%s has a %r that is %s, not a string' % (what, key, _kind(data[key])), method, path)
    return data


def expect_link(data, method, path, key='download_link'):
    """data whose `key`, when present and not null, is an absolute URL with a host; the value is never shown (a
    signed link is a credential). Its scheme is checked where it is used (only http and https are fetched)."""
    value = data.get(key)
    if value is None:
        return data
    problem = None
    if not isinstance(value, str):
        problem = 'is %s, not a string' % _kind(value)
    else:
        try:
            parts = urlparse(value)
            host = parts.hostname
        except ValueError:
            parts, host = None, None
        if parts is None or not parts.scheme or not host:
            problem = 'is not an absolute URL'
    if problem:
        raise _shape_error('the %r %s' % (key, problem), method, path)
    return data


def embedded(data, name, method, path, keys=('id',)):
    """Unwrap a HAL list: data['_embedded'][name] must be a list of JSON objects that have `keys`."""
    holder = data.get('_embedded') if isinstance(data, dict) else None
    items = holder.get(name) if isinstance(holder, dict) else None
    if not isinstance(items, list):
        found = 'missing' if items is None else _kind(items)
        raise _shape_error('no _embedded.%s list (%s)' % (name, found), method, path)
    for index, item in enumerate(items):
        expect_object(item, method, path, keys, what='_embedded.%s[%d]' % (name, index))
    return items


def _kind(value):
    if value is None:
        return 'null'
    return {bool: 'a boolean', int: 'a number', float: 'a number', str: 'a string', list: 'a list',
            dict: 'an object'}.get(type(value), type(value).__name__)


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def sort_newest_first(items):
    """Sort API objects by created_at, newest first; the API promises no order (compose-api.md §5.2)."""
    return sorted(items, key=lambda item: parse_time(item.get('created_at')) or _EPOCH, reverse=True)


if HAS_REQUESTS:
    class _Auth(requests.auth.AuthBase):
        """The Authorization of every request a Session sends: the bearer token, or with none what the URL itself
        carries (user:password@, which requests would send as Basic anyway). Never ~/.netrc: requests reads it only
        for a request whose session has no auth, and its `default` entry would replace the token, or reach the
        download host."""

        def __init__(self, token=None):
            self.token = token

        def __call__(self, request):
            if self.token is not None:
                request.headers['Authorization'] = 'Bearer %s' % self.token
            else:
                user, password = requests.utils.get_auth_from_url(request.url)
                if user or password:
                    request = requests.auth.HTTPBasicAuth(user, password)(request)
            return request

    class Session(requests.Session):
        """A requests session that never reads ~/.netrc (or $NETRC) and otherwise trusts the environment as
        requests does: HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY (lower case too), and REQUESTS_CA_BUNDLE or
        CURL_CA_BUNDLE when certificates are checked against the default store. Give token for the API."""

        def __init__(self, token=None):
            super().__init__()
            self.auth = _Auth(token)

        def rebuild_auth(self, prepared_request, response):
            """On a redirect to another host drop the Authorization header, as requests does, but look up no
            netrc credentials for the new host."""
            if 'Authorization' in prepared_request.headers and self.should_strip_auth(response.request.url,
                                                                                      prepared_request.url):
                del prepared_request.headers['Authorization']
else:  # pragma: no cover - reported by client_from_module()
    _Auth = Session = None


class ComposeClient:
    """One session to the Compose API. Takes plain values, never an AnsibleModule."""

    def __init__(self, token, base_url=DEFAULT_API_URL, validate_certs=True, ca_path=None,
                 timeout=30.0, retries=5, backoff=1.0, backoff_max=30.0,
                 sleep=None, clock=None, session=None, settle=None):
        self.base_url = base_url.rstrip('/')
        self.timeout = timeout
        self.settle = settle
        self.retries = retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        # Looked up at construction, so tests can replace time.sleep and time.monotonic.
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic
        self.session = session or Session()
        # Masked in every error message built from what a server sent: as given and as sent.
        self.secrets = (token,) if token is None else (token, str(token).strip())
        # A token that cannot be sent fails the first request, before anything is sent (see clean_token): the
        # inventory plugin, which builds its client outside its error handling, reports it like any API error.
        self.token_error = None
        try:
            token = None if token is None else clean_token(token)
        except ComposeError as exc:
            self.token_error, token = exc, None
        # As the session's auth, not a header: a header would lose to a netrc entry in a session that reads one.
        self.session.auth = _Auth(token)
        self.session.headers.update({
            'Accept': 'application/json',
            'User-Agent': '%s python-requests/%s' % (USER_AGENT, requests.__version__),
        })
        # validate_certs=false wins over ca_path, as its warning says; requests takes a CA path for True.
        self.verify = (ca_path or True) if validate_certs else False
        self.requests_made = 0

    # -- transport -------------------------------------------------------------------------

    def _url(self, *parts):
        return '/'.join([self.base_url] + [quote_part(part) for part in parts])

    def backoff_delay(self, attempt, retry_after=None):
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER)
        # Exponential backoff with jitter, so that many forks retrying together spread out.
        ceiling = min(self.backoff_max, self.backoff * (2 ** attempt))
        return random.uniform(ceiling / 2, ceiling)

    def _wait_before_retry(self, attempt, deadline, error, retry_after=None):
        if attempt >= self.retries:
            raise _give_up(error)
        delay = self.backoff_delay(attempt, retry_after)
        if deadline is not None and self.clock() + delay > deadline:
            raise _give_up(error)
        self.sleep(delay)

    @_names_the_api
    def request(self, method, *parts, expect=200, body=None, deadline=None):
        """Send one API call, retrying what is safe to retry, and return the decoded JSON."""
        if self.token_error is not None:
            raise self.token_error
        path = '/' + '/'.join(quote_part(part) for part in parts)
        url = self.base_url + path
        is_post = method != 'GET'
        attempt = 0
        while True:
            try:
                self.requests_made += 1
                # Streamed, so that an oversized answer is refused before it fills the memory.
                response = self.session.request(
                    method, url, json=body, timeout=self.timeout, verify=self.verify, stream=True,
                    headers={'Content-Type': 'application/json'} if is_post else None)
                with response:
                    content = _read_limited(response, timeout=self.timeout, clock=self.clock)
            except requests.exceptions.ConnectTimeout as exc:
                error = ComposeConnectionError('connection timed out (%s)' % type(exc).__name__, method=method, path=path)
                self._wait_before_retry(attempt, deadline, error)
            except requests.exceptions.SSLError as exc:
                # A certificate that fails verification fails again: retrying only delays the message.
                raise ComposeConnectionError(_connection_reason(exc), method=method, path=path, hint=TLS_FAILED)
            except requests.exceptions.RequestException as exc:
                reason = _connection_reason(exc)
                if is_post and not _never_sent(exc):
                    raise ComposeAmbiguousError(reason, method=method, path=path)
                error = ComposeConnectionError(reason, method=method, path=path)
                self._wait_before_retry(attempt, deadline, error)
            except _TooLarge as exc:
                error_class = ComposeAmbiguousError if is_post else ComposeError
                raise error_class('the response body is larger than %d MiB%s; refusing to read it'
                                  % (MAX_RESPONSE_BYTES >> 20, exc.detail), method=method, path=path,
                                  status=response.status_code, hint=NOT_JSON)
            else:
                data, error = self._check(response, content, method, path, expect)
                if error is None:
                    return data
                status = response.status_code
                if is_post:
                    # A 5xx or an unreadable 202 may hide a request that was acted upon.
                    if status not in POST_SAFE_STATUSES and (status in RETRY_STATUSES or status == expect):
                        raise ComposeAmbiguousError(error.reason, method=method, path=path, status=status)
                    retryable = status in POST_SAFE_STATUSES
                else:
                    # An expected status with a broken body is a truncated answer: worth another GET.
                    retryable = status in RETRY_STATUSES or status == expect
                if not retryable:
                    raise error
                self._wait_before_retry(attempt, deadline, error, parse_retry_after(response.headers.get('Retry-After')))
            attempt += 1

    def _check(self, response, content, method, path, expect):
        """Return (data, None) on the expected status, else (data-or-_INVALID, error)."""
        status = response.status_code
        data, problem = _decode(content)
        if status == expect and problem is None:
            return data, None
        if status == expect:
            return data, ComposeError(problem, method=method, path=path, status=status)
        message = describe_error_body(data if problem is None else None, response, content, self.secrets)
        kwargs = dict(method=method, path=path, status=status, api_message=message)
        if status in (401, 403):
            return data, ComposeAuthError(message, **kwargs)
        if status == 404:
            return data, ComposeNotFoundError(message, **kwargs)
        if status == 422:
            return data, ComposeValidationError(message, **kwargs)
        return data, ComposeError(message, **kwargs)

    def settle_time(self):
        """Seconds to look for what an ambiguous POST started before sending it again: the settle_time option, else
        request_timeout + POST_SETTLE_EXTRA."""
        return self.settle if self.settle is not None else self.timeout + POST_SETTLE_EXTRA

    def look_for(self, find, settle=None):
        """After an ambiguous POST: what find() returns once it returns something, or None when nothing has
        appeared by the end of the settle time (settle_time() unless given). find() is called at once, then after
        1, 2, 4 and 8 s and every POST_LOOK_CAP s, and a last time when the settle time is up."""
        deadline = self.clock() + (self.settle_time() if settle is None else settle)
        delay = 1.0
        while True:
            found = find()
            if found is not None:
                return found
            now = self.clock()
            if now >= deadline:
                return None
            self.sleep(min(delay, deadline - now))
            delay = min(delay * 2, POST_LOOK_CAP)

    def get(self, *parts, deadline=None):
        return self.request('GET', *parts, deadline=deadline)

    # -- deployments -----------------------------------------------------------------------

    @_names_the_api
    def list_deployments(self):
        try:
            data = self.get('deployments')
        except ComposeNotFoundError as exc:
            # The first request of most tasks: a 404 here is an api_url that is not the API's.
            exc.hint = version_hint(self.base_url)
            raise
        return embedded(data, 'deployments', 'GET', '/deployments')

    @_names_the_api
    def get_deployment(self, deployment_id):
        return expect_object(self.get('deployments', deployment_id), 'GET', '/deployments/%s' % deployment_id, ('id',))

    def find_deployments_by_name(self, name):
        return [dep for dep in self.list_deployments() if dep.get('name') == name]

    # -- backups and recipes ---------------------------------------------------------------

    @_names_the_api
    def list_backups(self, deployment_id):
        path = '/deployments/%s/backups' % deployment_id
        items = embedded(self.get('deployments', deployment_id, 'backups'), 'backups', 'GET', path)
        return sort_newest_first([expect_link(item, 'GET', path) for item in items])

    @_names_the_api
    def get_backup(self, deployment_id, backup_id):
        path = '/deployments/%s/backups/%s' % (deployment_id, backup_id)
        return expect_link(expect_object(self.get('deployments', deployment_id, 'backups', backup_id), 'GET', path,
                                         ('id',)), 'GET', path)

    @_names_the_api
    def get_recipe(self, recipe_id, deadline=None):
        return expect_object(self.get('recipes', recipe_id, deadline=deadline), 'GET', '/recipes/%s' % recipe_id,
                             ('id', 'status'))

    @_names_the_api
    def list_recipes(self, deployment_id):
        data = self.get('deployments', deployment_id, 'recipes')
        return embedded(data, 'recipes', 'GET', '/deployments/%s/recipes' % deployment_id)

    def wait_recipe(self, recipe_id, timeout, poll_start=2.0, poll_cap=60.0, share=0.1, on_poll=None, first=None,
                    age=0.0, expect=None, lead=0.8):
        """Poll a recipe until complete, within one overall deadline.

        Each sleep is a share of the time the recipe has been running (age: how long it ran before this call),
        at least poll_start and at most poll_cap: a completion is seen within max(poll_start, share of the
        recipe's duration), capped at poll_cap, for short and long recipes alike, at a cost that grows with
        the logarithm of the duration. first is the recipe as the caller already has it (the POST's answer, say):
        it counts as the first look, so an instant recipe costs no request here. Raises ComposeRecipeFailed when
        it ends failed and ComposeWaitTimeout at the deadline.

        expect, when given, returns how long such a recipe is expected to run (or None); it is asked once, before
        the first sleep. Until lead times that duration the delays may be longer than a share of the age (never
        more than poll_cap): a long backup whose earlier runs took about as long costs a dozen looks instead of
        fifty, and one that completes before lead times the expected duration is still seen within poll_cap.
        """
        start = self.clock()
        deadline = start + timeout
        began = start - max(0.0, age)
        polls = 0
        recipe = first
        expected = None
        while True:
            if recipe is None:
                recipe = self.get_recipe(recipe_id, deadline=deadline)
                polls += 1
            if on_poll is not None:
                on_poll(recipe)
            status = recipe.get('status')
            if status == 'complete':
                recipe['_polls'] = polls
                return recipe
            if status == 'failed':
                raise ComposeRecipeFailed(recipe)
            if expect is not None:
                expected, expect = expect(), None
            now = self.clock()
            if deadline - now <= 0:
                raise ComposeWaitTimeout(recipe, timeout)
            running = now - began
            delay = share * running
            if expected and running < lead * expected:
                delay = max(delay, lead * expected - running)
            delay = min(poll_cap, max(poll_start, delay))
            self.sleep(min(delay, deadline - now))
            recipe = None


class _Invalid:
    """Marker for a body that is not JSON."""


_INVALID = _Invalid()


class _TooLarge(Exception):
    def __init__(self, detail=''):
        super().__init__(detail)
        self.detail = detail


def _read_limited(response, limit=None, timeout=None, clock=None):
    """The body, or _TooLarge once it passes the limit (announced or counted), or SlowBody when it comes slower than
    PROGRESS_BYTES per timeout seconds (with an answer under 64 KiB: when it is not all there timeout seconds after
    the headers)."""
    limit = MAX_RESPONSE_BYTES if limit is None else limit
    length = response.headers.get('Content-Length', '')
    if length.isdigit() and int(length) > limit:
        raise _TooLarge(' (Content-Length %s)' % length)
    chunks = []
    size = 0
    pace = Pace(timeout, clock or time.monotonic)
    while True:
        chunk = read_some(response.raw, 1 << 16, decode=True)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise _TooLarge()
        chunks.append(chunk)
        if pace.add(len(chunk)):
            raise pace.error(urlparse(response.url or '').hostname, response=response)
    return b''.join(chunks)


class Pace:
    """Whether a body keeps the slowest pace accepted: PROGRESS_BYTES, or the rest of the body, in every window of
    timeout seconds. A window starts when the previous one brought PROGRESS_BYTES. No timeout: any pace."""

    def __init__(self, timeout, clock):
        self.timeout = timeout
        self.clock = clock
        self.mark = clock()
        self.since = 0

    def add(self, count):
        """Count bytes that arrived; True when the current window ran out before it brought PROGRESS_BYTES."""
        self.since += count
        now = self.clock()
        if self.since >= PROGRESS_BYTES:
            self.mark, self.since = now, 0
            return False
        return self.timeout is not None and now - self.mark > self.timeout

    def left(self):
        """Seconds until the current window runs out (None: no limit)."""
        return None if self.timeout is None else max(0.0, self.mark + self.timeout - self.clock())

    def error(self, host, response=None):
        return SlowBody(host, self.since, self.clock() - self.mark, self.timeout, response=response)


if HAS_REQUESTS:
    class SlowBody(requests.exceptions.ReadTimeout):
        """A body that came slower than PROGRESS_BYTES per request_timeout: a read timeout of the whole body."""

        def __init__(self, host, sent, seconds, timeout, response=None):
            self.reason = ('%s sent %d bytes in %.1f s, slower than the %d KiB per request_timeout (%g s) accepted'
                           % (host or 'the server', sent, seconds, PROGRESS_BYTES >> 10, timeout))
            super().__init__(self.reason, response=response)
else:  # pragma: no cover - reported by client_from_module()
    SlowBody = None


def read_some(raw, amt, decode=False):
    """Up to amt bytes of a streamed body as soon as any have arrived (b'' at its end), so that the caller can look
    at the clock between reads: urllib3's read(amt) waits for all amt bytes, which a trickling server delivers one
    read at a time, each within the timeout. urllib3's own errors are raised as requests raises them."""
    try:
        read1 = getattr(raw, 'read1', None)
        if read1 is not None:
            # urllib3 2.3 and later.
            return read1(amt, decode_content=decode)
        plain = getattr(raw, '_fp', None)
        if hasattr(plain, 'read1') and not (decode and raw.headers.get('Content-Encoding')):
            # Older urllib3: the http.client response under it, when nothing is to be decoded.
            return plain.read1(amt)
        return raw.read(amt, decode_content=True) if decode else raw.read(amt)
    except requests.exceptions.RequestException:
        raise
    except Exception as exc:  # pylint: disable=broad-except
        if _ProtocolError is not None and isinstance(exc, _ProtocolError):
            raise requests.exceptions.ChunkedEncodingError(exc)
        if _DecodeError is not None and isinstance(exc, _DecodeError):
            raise requests.exceptions.ContentDecodingError(exc)
        if _ReadTimeoutError is not None and isinstance(exc, _ReadTimeoutError):
            raise requests.exceptions.ConnectionError(exc)
        if _Urllib3SSLError is not None and isinstance(exc, _Urllib3SSLError):
            raise requests.exceptions.SSLError(exc)
        raise


def _decode(content):
    """(data, None), or (_INVALID, the reason it is unusable)."""
    if len(content) == 0:
        return _INVALID, 'empty response body'
    try:
        return json.loads(content), None
    except RecursionError:
        return _INVALID, 'the JSON in the response body is nested too deeply'
    except ValueError:
        return _INVALID, 'invalid JSON in the response body'


def _give_up(error):
    """The error that ends the retries, with what to do about it unless the caller said already."""
    if error.hint is None:
        if error.status is not None:
            error.hint = advice_for_status(error.status)
        elif isinstance(error, ComposeConnectionError):
            error.hint = TOO_SLOW if 'timed out' in error.reason or 'timeout' in error.reason else UNREACHABLE
    return error


def _connection_reason(exc):
    if isinstance(exc, requests.exceptions.SSLError):
        return 'TLS error: %s' % exc
    if isinstance(exc, SlowBody):
        return 'the answer came too slowly: %s' % exc.reason
    if isinstance(exc, requests.exceptions.Timeout):
        return 'no response within the request timeout (%s)' % type(exc).__name__
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return 'the response was cut short (%s)' % type(exc).__name__
    text = repr(exc)
    if 'NameResolutionError' in text or 'Name or service not known' in text or 'nodename nor servname' in text:
        return 'connection failed: the host name was not found (%s)' % type(exc).__name__
    if 'Connection refused' in text:
        return 'connection failed: connection refused (%s)' % type(exc).__name__
    return 'connection failed (%s)' % type(exc).__name__


def _never_sent(exc):
    """True when the request provably never reached the server, so a POST may be re-sent."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.SSLError):
        return True
    text = repr(exc)
    return 'NewConnectionError' in text or 'Connection refused' in text or 'NameResolutionError' in text
