# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compose API 2016-07 client. Private to this collection, may change without notice."""

from __future__ import annotations

import datetime
import email.utils
import random
import time
import traceback
from urllib.parse import quote

from ansible_collections.composeio.dbaas.plugins.module_utils._errors import (
    ComposeAmbiguousError,
    ComposeAuthError,
    ComposeConnectionError,
    ComposeError,
    ComposeNotFoundError,
    ComposeRecipeFailed,
    ComposeValidationError,
    ComposeWaitTimeout,
    describe_error_body,
)

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - reported by client_from_module()
    requests = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

COLLECTION_VERSION = '0.1.0'
DEFAULT_API_URL = 'https://api.compose.io/2016-07'
USER_AGENT = 'composeio.dbaas/%s (Ansible collection)' % COLLECTION_VERSION

# compose-api.md §10: the official Go client retries these; 500 is added because the API is
# known to answer 500 erratically (GOV.UK PaaS).
RETRY_STATUSES = frozenset((408, 429, 500, 502, 503, 504))
# For a POST only these prove the request was not acted upon, so re-sending cannot duplicate it.
POST_SAFE_STATUSES = frozenset((408, 429))
MAX_RETRY_AFTER = 300.0
RECIPE_DONE = ('complete', 'failed')


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


def embedded(data, name, method, path):
    """Unwrap a HAL list: data['_embedded'][name] must be a list."""
    items = data.get('_embedded', {}).get(name) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ComposeError('unexpected response: no _embedded.%s list' % name, method=method, path=path)
    return items


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def parse_time(text):
    """An aware datetime from an RFC 3339 timestamp such as 2018-03-01T12:04:40.000Z, or None."""
    if not isinstance(text, str) or not text:
        return None
    value = text.strip().replace('z', 'Z')
    if value.endswith('Z'):
        value = value[:-1] + '+00:00'
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


def sort_newest_first(items):
    """Sort API objects by created_at, newest first; the API promises no order (compose-api.md §5.2)."""
    return sorted(items, key=lambda item: parse_time(item.get('created_at')) or _EPOCH, reverse=True)


class ComposeClient:
    """One session to the Compose API. Takes plain values, never an AnsibleModule."""

    def __init__(self, token, base_url=DEFAULT_API_URL, validate_certs=True, ca_path=None,
                 timeout=30.0, retries=5, backoff=1.0, backoff_max=30.0,
                 sleep=None, clock=None, session=None):
        self.base_url = base_url.rstrip('/')
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        # Looked up at construction, so tests can replace time.sleep and time.monotonic.
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic
        self.session = session or requests.Session()
        self.session.headers.update({
            'Authorization': 'Bearer %s' % token,
            'Accept': 'application/json',
            'User-Agent': '%s python-requests/%s' % (USER_AGENT, requests.__version__),
        })
        self.verify = ca_path if ca_path else validate_certs
        self.requests_made = 0

    # -- transport -------------------------------------------------------------------------

    def _url(self, *parts):
        return '/'.join([self.base_url] + [quote(str(part), safe='') for part in parts])

    def backoff_delay(self, attempt, retry_after=None):
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER)
        # Exponential backoff with jitter, so that many forks retrying together spread out.
        ceiling = min(self.backoff_max, self.backoff * (2 ** attempt))
        return random.uniform(ceiling / 2, ceiling)

    def _wait_before_retry(self, attempt, deadline, error, retry_after=None):
        if attempt >= self.retries:
            raise error
        delay = self.backoff_delay(attempt, retry_after)
        if deadline is not None and self.clock() + delay > deadline:
            raise error
        self.sleep(delay)

    def request(self, method, *parts, expect=200, body=None, deadline=None):
        """Send one API call, retrying what is safe to retry, and return the decoded JSON."""
        path = '/' + '/'.join(quote(str(part), safe='') for part in parts)
        url = self.base_url + path
        is_post = method != 'GET'
        attempt = 0
        while True:
            try:
                self.requests_made += 1
                response = self.session.request(
                    method, url, json=body, timeout=self.timeout, verify=self.verify,
                    headers={'Content-Type': 'application/json'} if is_post else None)
            except requests.exceptions.ConnectTimeout as exc:
                error = ComposeConnectionError('connection timed out (%s)' % type(exc).__name__, method=method, path=path)
                self._wait_before_retry(attempt, deadline, error)
            except requests.exceptions.RequestException as exc:
                reason = _connection_reason(exc)
                if is_post and not _never_sent(exc):
                    raise ComposeAmbiguousError(reason, method=method, path=path)
                error = ComposeConnectionError(reason, method=method, path=path)
                self._wait_before_retry(attempt, deadline, error)
            else:
                data, error = self._check(response, method, path, expect)
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

    def _check(self, response, method, path, expect):
        """Return (data, None) on the expected status, else (data-or-_INVALID, error)."""
        status = response.status_code
        try:
            data = response.json()
        except ValueError:
            data = _INVALID
        if status == expect and data is not _INVALID:
            return data, None
        if status == expect:
            return data, ComposeError('invalid JSON in the response body', method=method, path=path, status=status)
        message = describe_error_body(data if data is not _INVALID else None, response)
        kwargs = dict(method=method, path=path, status=status, api_message=message)
        if status in (401, 403):
            return data, ComposeAuthError(message, **kwargs)
        if status == 404:
            return data, ComposeNotFoundError(message, **kwargs)
        if status == 422:
            return data, ComposeValidationError(message, **kwargs)
        return data, ComposeError(message, **kwargs)

    def get(self, *parts, deadline=None):
        return self.request('GET', *parts, deadline=deadline)

    # -- deployments -----------------------------------------------------------------------

    def list_deployments(self):
        return embedded(self.get('deployments'), 'deployments', 'GET', '/deployments')

    def get_deployment(self, deployment_id):
        return self.get('deployments', deployment_id)

    def find_deployments_by_name(self, name):
        return [dep for dep in self.list_deployments() if dep.get('name') == name]

    # -- backups and recipes ---------------------------------------------------------------

    def list_backups(self, deployment_id):
        data = self.get('deployments', deployment_id, 'backups')
        return sort_newest_first(embedded(data, 'backups', 'GET', '/deployments/%s/backups' % deployment_id))

    def get_backup(self, deployment_id, backup_id):
        return self.get('deployments', deployment_id, 'backups', backup_id)

    def get_recipe(self, recipe_id, deadline=None):
        return self.get('recipes', recipe_id, deadline=deadline)

    def list_recipes(self, deployment_id):
        data = self.get('deployments', deployment_id, 'recipes')
        return embedded(data, 'recipes', 'GET', '/deployments/%s/recipes' % deployment_id)

    def wait_recipe(self, recipe_id, timeout, poll_start=2.0, poll_cap=30.0, factor=1.5, on_poll=None):
        """Poll a recipe until complete, with one overall deadline and capped backoff.

        Raises ComposeRecipeFailed when it ends failed and ComposeWaitTimeout at the deadline.
        """
        deadline = self.clock() + timeout
        delay = poll_start
        polls = 0
        while True:
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
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise ComposeWaitTimeout(recipe, timeout)
            self.sleep(min(delay, remaining))
            delay = min(poll_cap, delay * factor)


class _Invalid:
    """Marker for a body that is not JSON."""


_INVALID = _Invalid()


def _connection_reason(exc):
    if isinstance(exc, requests.exceptions.SSLError):
        return 'TLS error: %s' % exc
    if isinstance(exc, requests.exceptions.Timeout):
        return 'no response within the request timeout (%s)' % type(exc).__name__
    return 'connection failed (%s)' % type(exc).__name__


def _never_sent(exc):
    """True when the request provably never reached the server, so a POST may be re-sent."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.SSLError):
        return True
    text = repr(exc)
    return 'NewConnectionError' in text or 'Connection refused' in text or 'NameResolutionError' in text
