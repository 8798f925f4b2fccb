"""Pre-signed download links in the style of S3: signing, checking, Range parsing and XML errors."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from urllib.parse import parse_qs, quote, unquote

PREFIX = '/_download/'
_RANGE = re.compile(r'^bytes=(\d*)-(\d*)$')


class Unsatisfiable(ValueError):
    """A Range header that selects no byte of the archive (answered with 416)."""


class Signer:
    def __init__(self):
        # Per process: links from an earlier run of the simulator must not work against this one.
        self._secret = os.urandom(32)

    def _signature(self, path, expires):
        # Signed over the decoded path so clients that re-quote the URL differently still match.
        return hmac.new(self._secret, f'{unquote(path)}\n{expires}'.encode(), hashlib.sha256).hexdigest()

    def link(self, root, backup, now, ttl):
        path = f'{PREFIX}{quote(backup.id, safe="")}/{quote(backup.name, safe="")}.tar.gz'
        expires = int(now + ttl)
        return f'{root}{path}?expires={expires}&signature={self._signature(path, expires)}'

    def check(self, path, query, now):
        """None when the link is good, else (S3 error code, message) for a 403."""
        params = parse_qs(query)
        expires, signature = params.get('expires', [''])[0], params.get('signature', [''])[0]
        if not expires.isdigit() or not signature:
            return 'AccessDenied', 'Query-string authentication requires the expires and signature parameters'
        if not hmac.compare_digest(signature, self._signature(path, int(expires))):
            return 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided'
        if now >= int(expires):
            return 'AccessDenied', 'Request has expired'
        return None


def backup_id_of(path):
    parts = path[len(PREFIX):].split('/')
    return unquote(parts[0]) if len(parts) == 2 and parts[0] and parts[1] else None


def xml_error(code, message, resource):
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
            f'<Resource>{resource}</Resource><RequestId>SIM{os.urandom(8).hex().upper()}</RequestId></Error>\n')
    return body.encode()


def parse_range(header, size):
    """(start, end inclusive) for a single byte range, or None to send the whole archive.

    Several ranges, or a header that is not a byte range, are ignored (RFC 9110 allows that) and the whole
    archive is sent; a range that starts past the end raises Unsatisfiable.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ('', ''):
        return None
    first, last = match.groups()
    if first == '':
        length = int(last)
        if length == 0 or size == 0:
            raise Unsatisfiable(header)
        return max(0, size - length), size - 1
    start = int(first)
    if last != '' and int(last) < start:
        return None
    if start >= size:
        raise Unsatisfiable(header)
    return start, size - 1 if last == '' else min(int(last), size - 1)
