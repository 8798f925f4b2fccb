# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compose API 2016-07 client: transport, what to retry, endpoints. Private to this collection, may change without
notice."""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import json
import random
import socket
import time
import traceback
from urllib.parse import quote, urlparse

from ansible_collections.composeio.dbaas.plugins.module_utils._backups import newest_first
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import (
    NOT_JSON,
    RATE_LIMITED,
    SERVER_FAILING,
    TLS_FAILED,
    TOO_SLOW,
    UNREACHABLE,
    ComposeAmbiguousError,
    ComposeAuthError,
    ComposeConnectionError,
    ComposeError,
    ComposeNotFoundError,
    ComposeValidationError,
    describe_error_body,
    hint_on,
)

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - reported by ComposeModule.client() and the inventory plugin
    requests = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

try:
    from urllib3.exceptions import DecodeError as _DecodeError
    from urllib3.exceptions import NewConnectionError as _NewConnectionError
    from urllib3.exceptions import ProtocolError as _ProtocolError
    from urllib3.exceptions import ReadTimeoutError as _ReadTimeoutError
    from urllib3.exceptions import SSLError as _Urllib3SSLError
except ImportError:  # pragma: no cover - requests brings urllib3
    _DecodeError = _NewConnectionError = _ProtocolError = _ReadTimeoutError = _Urllib3SSLError = None
try:
    from urllib3.exceptions import NameResolutionError as _NameResolutionError
except ImportError:  # urllib3 < 2: a NewConnectionError caused by socket.gaierror
    _NameResolutionError = None

COLLECTION_VERSION = '0.1.0'
API_VERSION = '2016-07'
DEFAULT_API_URL = 'https://api.compose.io/' + API_VERSION
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 5
USER_AGENT = 'composeio.dbaas/%s (Ansible collection)' % COLLECTION_VERSION

# API answers are small (the largest is a list of deployments); anything bigger is not the Compose API.
MAX_RESPONSE_BYTES = 16 << 20
# The statuses worth another try, API call or download (docs/compose-api.md, "Retries"): the official Go client
# retries these but 500, which is added because the API is known to answer 500 erratically (GOV.UK PaaS).
RETRY_STATUSES = frozenset((408, 429, 500, 502, 503, 504))
# For a POST only these prove the request was not acted upon, so re-sending cannot duplicate it.
POST_SAFE_STATUSES = frozenset((408, 429))
MAX_RETRY_AFTER = 300.0
# The slowest body accepted, API answer or download: this many bytes, or the rest of the body, within every
# request_timeout seconds. requests' timeout bounds each read only, so without it a server sending a byte a second
# would hold a task for ever.
PROGRESS_BYTES = 64 << 10
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
else:  # pragma: no cover - reported by ComposeModule.client() and the inventory plugin
    _Auth = Session = None


class ComposeClient:
    """One session to the Compose API. Takes plain values, never an AnsibleModule."""

    def __init__(self, token, base_url=DEFAULT_API_URL, validate_certs=True, ca_path=None,
                 timeout=DEFAULT_TIMEOUT, retries=DEFAULT_RETRIES, backoff=1.0, backoff_max=30.0,
                 sleep=None, clock=None, session=None, settle=None, gate=None):
        self.base_url = base_url.rstrip('/')
        # Held while a request is sent and its answer read, not while waiting to retry: a batch gives the clients of
        # its threads one semaphore, which caps the requests in flight whatever the code paths do (see _batch).
        self.gate = gate or contextlib.nullcontext()
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
        # A token that cannot be sent fails here, before anything is sent (see clean_token).
        token = None if token is None else clean_token(token)
        self._token_hash = hashlib.sha256(b'composeio.dbaas token\0' + (token or '').encode('utf-8')).hexdigest()
        # As the session's auth, not a header: a header would lose to a netrc entry in a session that reads one.
        self.session.auth = _Auth(token)
        self.session.headers.update({
            'Accept': 'application/json',
            'User-Agent': '%s python-requests/%s' % (USER_AGENT, requests.__version__),
        })
        # validate_certs=false wins over ca_path, as its warning says; requests takes a CA path for True.
        self.verify = (ca_path or True) if validate_certs else False

    def account(self):
        """Whose deployments this client sees: the API URL and a hash of the token (never the token)."""
        return [self.base_url, self._token_hash]

    # -- transport -------------------------------------------------------------------------

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
        """Send one API call, retrying what classify() says may be retried, and return the decoded JSON."""
        path = '/' + '/'.join(quote_part(part) for part in parts)
        attempt = 0
        while True:
            retry_after = None
            try:
                response, content = self._send(method, path, body)
            except (requests.exceptions.RequestException, _TooLarge) as exc:
                error, verdict = _transport_error(exc, method, path), classify(method, exc, expect)
            else:
                data, error = self._check(response, content, method, path, expect)
                if error is None:
                    return data
                verdict = classify(method, response.status_code, expect)
                retry_after = parse_retry_after(response.headers.get('Retry-After'))
            if verdict == AMBIGUOUS:
                raise ComposeAmbiguousError(error.reason, method=method, path=path, status=error.status, hint=error.hint)
            if verdict == FAIL:
                raise error
            self._wait_before_retry(attempt, deadline, error, retry_after)
            attempt += 1

    def _send(self, method, path, body):
        """One attempt: the answer and its body, read within MAX_RESPONSE_BYTES and the pace of Pace."""
        changing = method != 'GET'
        with self.gate:
            # Streamed, so that an oversized answer is refused before it fills the memory.
            response = self.session.request(
                method, self.base_url + path, json=body, timeout=self.timeout, verify=self.verify, stream=True,
                headers={'Content-Type': 'application/json'} if changing else None)
            with response:
                return response, _read_limited(response, timeout=self.timeout, clock=self.clock)

    def _check(self, response, content, method, path, expect):
        """(data, None) on the expected status with a JSON body, else (None, the error it makes)."""
        status = response.status_code
        data, problem = _decode(content)
        if status == expect and problem is None:
            return data, None
        if status == expect:
            return None, ComposeError(problem, method=method, path=path, status=status)
        message = describe_error_body(data, response, content, self.secrets)
        kwargs = dict(method=method, path=path, status=status, api_message=message)
        if status in (401, 403):
            return None, ComposeAuthError(message, **kwargs)
        if status == 404:
            return None, ComposeNotFoundError(message, **kwargs)
        if status == 422:
            return None, ComposeValidationError(message, **kwargs)
        return None, ComposeError(message, **kwargs)

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
        # The first request of most tasks: a 404 here is an api_url that is not the API's.
        with hint_on(ComposeNotFoundError, version_hint(self.base_url)):
            data = self.get('deployments')
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
        # The API promises no order (docs/compose-api.md, "List a deployment's backups").
        return newest_first([expect_link(item, 'GET', path) for item in items])

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


class _TooLarge(Exception):
    def __init__(self, status, detail=''):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _read_limited(response, limit=None, timeout=None, clock=None):
    """The body, or _TooLarge once it passes the limit (announced or counted), or SlowBody when it comes slower than
    PROGRESS_BYTES per timeout seconds (with an answer under 64 KiB: when it is not all there timeout seconds after
    the headers)."""
    limit = MAX_RESPONSE_BYTES if limit is None else limit
    length = response.headers.get('Content-Length', '')
    if length.isdigit() and int(length) > limit:
        raise _TooLarge(response.status_code, ' (Content-Length %s)' % length)
    chunks = []
    size = 0
    pace = Pace(timeout, clock or time.monotonic)
    while True:
        chunk = read_some(response.raw, 1 << 16, decode=True)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise _TooLarge(response.status_code)
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
else:  # pragma: no cover - reported by ComposeModule.client() and the inventory plugin
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
    """(data, None), or (None, the reason it is unusable)."""
    if len(content) == 0:
        return None, 'empty response body'
    try:
        return json.loads(content), None
    except RecursionError:
        return None, 'the JSON in the response body is nested too deeply'
    except ValueError:
        return None, 'invalid JSON in the response body'


RETRY, AMBIGUOUS, FAIL = 'retry', 'ambiguous', 'fail'


def classify(method, outcome, expect=200):
    """What to do after an attempt that did not give the answer expected: RETRY it, FAIL, or call it AMBIGUOUS (a
    changing request that may have been acted upon: what it started is looked for before it is sent again).

    outcome is the status of the answer (expect itself when its body was unusable) or the exception that ended the
    attempt. Pure: it decides from the method, the status and the exception's type alone.
    """
    changing = method != 'GET'
    if isinstance(outcome, BaseException):
        if isinstance(outcome, _TooLarge):
            return AMBIGUOUS if changing else FAIL
        if isinstance(outcome, requests.exceptions.SSLError):
            # A certificate that fails verification fails again: retrying only delays the message.
            return FAIL
        return AMBIGUOUS if changing and not _never_sent(outcome) else RETRY
    if changing and outcome in POST_SAFE_STATUSES:
        return RETRY
    if outcome in RETRY_STATUSES or outcome == expect:
        # A 5xx or an unreadable answer of the expected status (cut short: worth another GET) may hide a POST that
        # was acted upon.
        return AMBIGUOUS if changing else RETRY
    return FAIL


def _transport_error(exc, method, path):
    """The error an attempt ended by exc makes (raised at once, or when the retries are spent)."""
    if isinstance(exc, _TooLarge):
        return ComposeError('the response body is larger than %d MiB%s; refusing to read it'
                            % (MAX_RESPONSE_BYTES >> 20, exc.detail), method=method, path=path, status=exc.status,
                            hint=NOT_JSON)
    hint = TLS_FAILED if isinstance(exc, requests.exceptions.SSLError) else None
    return ComposeConnectionError(connection_reason(exc), method=method, path=path, hint=hint)


def advice_for_status(status):
    """The hint for a status that was retried until the budget ran out, or None."""
    if status == 429:
        return RATE_LIMITED
    if status in RETRY_STATUSES:
        return SERVER_FAILING
    if status in (200, 202):
        return NOT_JSON
    return None


def _give_up(error):
    """The error that ends the retries, with what to do about it unless the caller said already."""
    if error.hint is None:
        if error.status is not None:
            error.hint = advice_for_status(error.status)
        elif isinstance(error, ComposeConnectionError):
            error.hint = TOO_SLOW if 'timed out' in error.reason or 'timeout' in error.reason else UNREACHABLE
    return error


def _causes(exc):
    """exc and every exception behind it: requests wraps urllib3's MaxRetryError, whose reason is the error that
    ended the last try, itself raised from (or while handling) the socket's error."""
    seen, todo = [], [exc]
    while todo:
        current = todo.pop()
        if not isinstance(current, BaseException) or any(current is known for known in seen):
            continue
        seen.append(current)
        todo.extend(current.args)
        todo.extend((getattr(current, 'reason', None), current.__cause__, current.__context__))
    return seen


def _caused_by(exc, *kinds):
    kinds = tuple(kind for kind in kinds if kind is not None)
    return any(isinstance(cause, kinds) for cause in _causes(exc))


def connection_reason(exc, detail=True):
    """Why a request failed on the network, in a few words and the exception's type. detail=False leaves out the
    exception's own text (for a download, whose link carries its signature in the query)."""
    name = type(exc).__name__
    if isinstance(exc, requests.exceptions.SSLError):
        return 'TLS error: %s' % exc if detail else 'TLS error (%s)' % name
    if isinstance(exc, SlowBody):
        return 'the answer came too slowly: %s' % exc.reason
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return 'connection timed out (%s)' % name
    if isinstance(exc, requests.exceptions.Timeout):
        return 'no response within the request timeout (%s)' % name
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return 'the response was cut short (%s)' % name
    if _caused_by(exc, _NameResolutionError, socket.gaierror):
        return 'connection failed: the host name was not found (%s)' % name
    if _caused_by(exc, ConnectionRefusedError):
        return 'connection failed: connection refused (%s)' % name
    return 'connection failed (%s)' % name


def _never_sent(exc):
    """True when the request provably never reached the server, so a POST may be re-sent: the connection timed out
    or was refused, the host name was not found, or the TLS handshake failed."""
    if isinstance(exc, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError)):
        return True
    return _caused_by(exc, _NewConnectionError, ConnectionRefusedError, socket.gaierror)
