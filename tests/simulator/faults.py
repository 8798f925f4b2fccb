"""Fault injection rules: which requests they catch and what they do to them. Callers hold the global lock."""

from __future__ import annotations

import json
import re

BODY_KINDS = ('json', 'html', 'empty', 'invalid_json', 'huge_json', 'deep_json')
HUGE_JSON_BYTES = 32 << 20
DEEP_JSON_LEVELS = 100000
DROP_KINDS = ('before', 'after')
EFFECTS = ('status', 'retry_after', 'location', 'body', 'delay', 'drop', 'truncate_at', 'corrupt', 'trickle')
# A trickling body: after its first `trickle` bytes, one byte every this many seconds (each read of a client succeeds).
TRICKLE_INTERVAL = 0.25
# A hostile answer's JSON, served verbatim as the body (with the fault's status, or the real one). Apart from
# EFFECTS because any JSON value, even a false one, is an effect.
CRAFTED = 'body_json'
FIELDS = ('method', 'path', 'after', 'times') + EFFECTS + (CRAFTED,)

HTML_PAGE = ('<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}</h1></center>\r\n'
             '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n')
INVALID_JSON = b'{"_embedded": {"deplo'


class FaultError(ValueError):
    """A fault description that cannot be used."""


def _int(spec, key, default, low, high=None):
    value = spec.get(key, default)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < low or (high is not None and value > high):
        raise FaultError(f'{key}: must be an integer from {low}{f" to {high}" if high else " up"}, got {value!r}')
    return value


class Fault:
    def __init__(self, fault_id, spec):
        if not isinstance(spec, dict):
            raise FaultError('a fault is a JSON object')
        unknown = sorted(set(spec) - set(FIELDS))
        if unknown:
            raise FaultError(f'unknown field(s) {", ".join(unknown)} (known: {", ".join(FIELDS)})')
        if not any(spec.get(key) not in (None, False) for key in EFFECTS) and spec.get(CRAFTED) is None:
            raise FaultError(f'a fault needs at least one effect: {", ".join(EFFECTS)}')
        self.id = fault_id
        method = spec.get('method')
        if method is not None and not isinstance(method, str):
            raise FaultError('method: must be a string')
        self.method = None if method in (None, '', '*', 'ANY', 'any') else method.upper()
        self.path = spec.get('path')
        try:
            self.regex = re.compile(self.path) if self.path is not None else None
        except (re.error, TypeError) as exc:
            raise FaultError(f'path: not a regular expression: {exc}') from exc
        self.after = _int(spec, 'after', 0, 0)
        self.times = _int(spec, 'times', 1, 0)
        self.status = _int(spec, 'status', None, 100, 599)
        self.truncate_at = _int(spec, 'truncate_at', None, 0)
        self.trickle = _int(spec, 'trickle', None, 0)
        self.retry_after = spec.get('retry_after')
        if self.retry_after is not None and not isinstance(self.retry_after, str):
            raise FaultError('retry_after: must be a string (sent verbatim as the Retry-After header)')
        self.location = spec.get('location')
        if self.location is not None and not isinstance(self.location, str):
            raise FaultError('location: must be a string (sent verbatim as the Location header)')
        self.body = spec.get('body')
        if self.body is not None and self.body not in BODY_KINDS:
            raise FaultError(f'body: must be one of {", ".join(BODY_KINDS)}')
        self.delay = spec.get('delay') or 0
        if not isinstance(self.delay, (int, float)) or isinstance(self.delay, bool) or not 0 <= self.delay <= 600:
            raise FaultError('delay: must be a number of seconds from 0 to 600')
        self.drop = spec.get('drop')
        if self.drop is not None and self.drop not in DROP_KINDS:
            raise FaultError('drop: must be "before" or "after"')
        self.corrupt = spec.get('corrupt', False)
        if not isinstance(self.corrupt, bool):
            raise FaultError('corrupt: must be true or false')
        self.body_json = spec.get(CRAFTED)
        self.matched = 0
        self.fired = 0

    def catches(self, method, path):
        return (self.method is None or self.method == method) and (self.regex is None or self.regex.search(path) is not None)

    def exhausted(self):
        return self.times != 0 and self.fired >= self.times

    def to_json(self):
        return {
            'id': self.id, 'method': self.method, 'path': self.path, 'after': self.after, 'times': self.times,
            'status': self.status, 'retry_after': self.retry_after, 'location': self.location, 'body': self.body, 'delay': self.delay,
            'drop': self.drop, 'truncate_at': self.truncate_at, 'corrupt': self.corrupt,
            'trickle': self.trickle, 'body_json': self.body_json,
            'matched': self.matched, 'fired': self.fired,
            'remaining': None if self.times == 0 else self.times - self.fired,
        }


class FaultBook:
    def __init__(self):
        self.faults = []
        self._next_id = 1

    def add(self, spec):
        fault = Fault(self._next_id, spec)
        self._next_id += 1
        self.faults.append(fault)
        return fault

    def clear(self):
        self.faults = []

    def pick(self, method, path):
        """Count the request against every rule that catches it; the oldest rule that is due fires."""
        chosen = None
        for fault in self.faults:
            if not fault.catches(method, path):
                continue
            fault.matched += 1
            if chosen is None and fault.matched > fault.after and not fault.exhausted():
                chosen = fault
        if chosen is not None:
            chosen.fired += 1
        return chosen


def fault_body(kind, status, reason):
    """(content type, body) for a fault's replacement body."""
    if kind == 'html':
        return 'text/html', HTML_PAGE.format(code=status, reason=reason).encode()
    if kind == 'empty':
        return 'text/plain', b''
    if kind == 'invalid_json':
        return 'application/json', INVALID_JSON
    if kind == 'huge_json':
        # Valid JSON, just too big for any client that reads a whole answer into memory.
        padding = HUGE_JSON_BYTES - len(b'{"errors": ""}')
        return 'application/json', b'{"errors": "' + b'x' * padding + b'"}'
    if kind == 'deep_json':
        return 'application/json', b'[' * DEEP_JSON_LEVELS + b']' * DEEP_JSON_LEVELS
    return 'application/json', json.dumps({'errors': reason}, separators=(',', ':')).encode()
