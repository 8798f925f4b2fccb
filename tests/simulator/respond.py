"""What a handler hands back to the HTTP layer: status, headers and a body in memory or a file slice."""

from __future__ import annotations

import json
from http import HTTPStatus


class Response:
    __slots__ = ('status', 'headers', 'body', 'file', 'offset', 'length')

    def __init__(self, status, body=b'', content_type='application/json', headers=None):
        self.status = status
        self.headers = [('Content-Type', content_type)] + list(headers or [])
        self.body = body
        self.file = None
        self.offset = 0
        self.length = len(body)

    def use_file(self, path, offset, length):
        """Serve `length` bytes of `path` from `offset` (sent with sendfile) instead of `body`."""
        self.file, self.offset, self.length, self.body = path, offset, length, b''
        return self

    def set_body(self, content_type, body):
        self.headers = [(k, v) for k, v in self.headers if k.lower() != 'content-type'] + [('Content-Type', content_type)]
        self.body, self.file, self.offset, self.length = body, None, 0, len(body)


def reason(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return 'Unknown'


def json_response(status, payload, headers=None):
    return Response(status, json.dumps(payload, separators=(',', ':')).encode(), 'application/json', headers)


def error(status, message=None, headers=None):
    """The API's single-string error shape, {"errors": "..."}, which every client parses."""
    return json_response(status, {'errors': message or reason(status)}, headers)


def route(routes, method, path):
    """Find the endpoint of a request in a route table [(pattern, {method: handler})]: (handler, the pattern's groups),
    or (None, the error to answer with): 404 for an unknown path, 405 with Allow for a method the path does not take."""
    for pattern, methods in routes:
        match = pattern.match(path)
        if match:
            handler = methods.get(method)
            if handler is None:
                return None, error(405, 'Method Not Allowed', [('Allow', ', '.join(sorted(methods)))])
            return handler, match.groups()
    return None, error(404, 'Not found')
