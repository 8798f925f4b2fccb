# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Typed errors and what to do about them. Private to this collection, may change without notice."""

from __future__ import annotations

import contextlib
import http
import json

_BODY_PREVIEW = 200
MASK = '********'


def mask(text, secrets=(), limit=None):
    """text with every secret replaced by MASK, then cut to limit characters (marked with '...').

    Every message built from text a server sent, or from an exception, goes through here: masking comes before
    the cut, so that a cut cannot leave a piece of a secret that no later masking (Ansible's no_log included)
    recognises. A secret is also masked in the form json.dumps gives it.
    """
    text = str(text)
    forms = set()
    for secret in secrets:
        if secret:
            secret = str(secret)
            forms.update((secret, json.dumps(secret)[1:-1]))
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    if limit is not None and len(text) > limit:
        text = text[:limit] + '...'
    return text


def status_phrase(status):
    """'404 Not Found': the status with its standard reason phrase ('HTTP error' for a code without one)."""
    try:
        return '%s %s' % (status, http.HTTPStatus(status).phrase)
    except ValueError:
        return '%s HTTP error' % status


def seconds_text(number):
    """A number of seconds as a message shows it: 3, 2.5, 0.1."""
    return ('%.1f' % number).rstrip('0').rstrip('.')


class OptionError(ValueError):
    """A module option has a value that cannot work; the message names the option."""


class ComposeError(Exception):
    """Any failure talking to the Compose API. `hint` says what the user can do about it."""

    def __init__(self, reason, method=None, path=None, status=None, api_message=None, hint=None):
        super().__init__(reason)
        self.reason = reason
        self.method = method
        self.path = path
        self.status = status
        self.api_message = api_message
        self.hint = hint
        # The API the request went to, as shown to the user (no user:password@, no query): set by the client.
        self.where = None

    def __str__(self):
        text = self.reason
        if self.method and self.path:
            status = '' if self.status is None else '%s: ' % status_phrase(self.status)
            text = '%s %s failed: %s%s' % (self.method, self.path, status, self.reason)
        notes = [note for note in (self.hint, 'API at %s' % self.where if self.where else None) if note]
        if notes:
            text = '%s (%s)' % (text, '; '.join(notes))
        return text


@contextlib.contextmanager
def hint_on(error_class, hint, unless=()):
    """Give an error_class (but none of the classes unless names) raised in the block this hint, what the user can
    do about it, then let it go on."""
    try:
        yield
    except error_class as exc:
        if not isinstance(exc, unless):
            exc.hint = hint
        raise


# What to do when the retry budget is spent, by the kind of failure (the caller may know better and set its own).
RATE_LIMITED = 'the Compose API is rate-limiting this token; try again later, or run fewer tasks at once'
SERVER_FAILING = ('the Compose API, or a proxy in front of it, is failing; try again later (api_retries sets how '
                  'often a request is retried)')
NOT_JSON = 'the answer was cut short or did not come from the Compose API; try again, and check api_url'
UNREACHABLE = 'check api_url and the network, then try again'
TOO_SLOW = 'check api_url and the network, or raise request_timeout'
TLS_FAILED = ('check the server certificate: set ca_path to the CA bundle that signed it, or validate_certs=false '
              'to skip the check (unsafe)')


class ComposeAuthError(ComposeError):
    """The token was missing, wrong or lacks rights (401/403)."""


class ComposeNotFoundError(ComposeError):
    """An id in the path does not exist (404)."""


class ComposeValidationError(ComposeError):
    """The API rejected the request body (422)."""


class ComposeConnectionError(ComposeError):
    """The network failed and the retry budget is spent."""


class ComposeAmbiguousError(ComposeError):
    """A changing request may or may not have been acted upon; look before re-sending."""


class ComposeRecipeFailed(ComposeError):
    """A recipe ended with status failed."""

    def __init__(self, recipe):
        detail = recipe.get('status_detail') or 'no status_detail given'
        super().__init__('recipe %s (%s) failed: %s' % (recipe.get('id'), recipe.get('name') or 'unnamed', detail))
        self.recipe = recipe


class ComposeWaitTimeout(ComposeError):
    """A recipe did not finish before the deadline."""

    def __init__(self, recipe, timeout):
        super().__init__('recipe %s still %s after %ss' % (recipe.get('id'), recipe.get('status'), seconds_text(timeout)))
        self.recipe = recipe


class DownloadError(ComposeError):
    """The archive could not be fetched or verified; nothing was written at the destination.

    keep_part: the bytes received are good and worth resuming (the link or the network failed, not the data).
    """

    keep_part = False


def describe_error_body(data, response=None, content=None, secrets=()):
    """Turn either Compose error shape (docs/compose-api.md, "Errors"), or a non-JSON body, into one line without
    the secrets (the token a server or proxy may echo)."""
    errors = data.get('errors') if isinstance(data, dict) else None
    if isinstance(errors, str) and errors:
        return mask(errors, secrets)
    if isinstance(errors, dict) and errors:
        parts = []
        for field in sorted(errors):
            messages = errors[field]
            if isinstance(messages, list):
                messages = ', '.join(str(m) for m in messages)
            parts.append('%s %s' % (field, messages))
        return mask('; '.join(parts), secrets)
    if data is not None:
        return 'unexpected error body: %s' % mask(json.dumps(data, sort_keys=True), secrets, _BODY_PREVIEW)
    if response is None:
        return 'no details'
    size = len((response.content if content is None else content) or b'')
    if not size:
        return 'empty response body'
    kind = response.headers.get('Content-Type', 'unknown type').split(';')[0]
    return 'non-JSON response body (%s, %d bytes)' % (kind, size)
