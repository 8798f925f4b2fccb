# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Typed errors of the Compose client. Private to this collection, may change without notice."""

from __future__ import annotations

import json

_REASONS = {
    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
    408: 'Request Timeout', 409: 'Conflict', 422: 'Unprocessable Entity', 429: 'Too Many Requests',
    500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
}
_BODY_PREVIEW = 200


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

    def __str__(self):
        text = self.reason
        if self.method and self.path:
            status = ''
            if self.status is not None:
                status = '%s %s: ' % (self.status, _REASONS.get(self.status, 'HTTP error'))
            text = '%s %s failed: %s%s' % (self.method, self.path, status, self.reason)
        if self.hint:
            text = '%s (%s)' % (text, self.hint)
        return text


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
        super().__init__('recipe %s still %s after %ss' % (recipe.get('id'), recipe.get('status'), _fmt(timeout)))
        self.recipe = recipe


def _fmt(number):
    return ('%.1f' % number).rstrip('0').rstrip('.')


def describe_error_body(data, response=None):
    """Turn either Compose error shape (compose-api.md §3), or a non-JSON body, into one line."""
    errors = data.get('errors') if isinstance(data, dict) else None
    if isinstance(errors, str) and errors:
        return errors
    if isinstance(errors, dict) and errors:
        parts = []
        for field in sorted(errors):
            messages = errors[field]
            if isinstance(messages, list):
                messages = ', '.join(str(m) for m in messages)
            parts.append('%s %s' % (field, messages))
        return '; '.join(parts)
    if data is not None:
        return 'unexpected error body: %s' % json.dumps(data, sort_keys=True)[:_BODY_PREVIEW]
    if response is None:
        return 'no details'
    size = len(response.content or b'')
    if not size:
        return 'empty response body'
    kind = response.headers.get('Content-Type', 'unknown type').split(';')[0]
    return 'non-JSON response body (%s, %d bytes)' % (kind, size)
