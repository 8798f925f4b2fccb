"""The HTTP layer: keep-alive HTTP/1.1, the request log, fault effects and zero-copy downloads."""

from __future__ import annotations

import json
import os
import socket
import ssl
import sys
import threading
import time
import traceback
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from . import admin, api, downloads
from .archives import ArchiveStore
from .faults import TRICKLE_INTERVAL, FaultBook, fault_body
from .respond import Response, error, reason
from .state import State

JSON_TYPES = ('application/json', 'application/hal+json')
MAX_BODY = 16 << 20
SENDFILE_PIECE = 16 << 20


class RequestLog:
    def __init__(self):
        self.entries = []
        self._seq = 0

    def begin(self, **fields):
        # seq never restarts, so entries stay unique across clears and resets. start and end (see end()) are monotonic
        # seconds, for the requests in flight at once (overlap.py).
        self._seq += 1
        entry = {'seq': self._seq, 'time': round(time.time(), 3), 'start': _now(), 'end': None, 'status': None,
                 'fault': None, 'bytes': 0}
        entry.update(fields)
        self.entries.append(entry)
        return entry

    def clear(self):
        self.entries = []

    @staticmethod
    def end(entry):
        """Note the end of a request: called just before the last byte of its answer goes out, so that no client can
        have the whole answer (and send its next request) before it; or when the request ends without one."""
        if entry['end'] is None:
            entry['end'] = _now()


def _now():
    return round(time.monotonic(), 6)


class Simulator:
    """Everything the handlers share; `lock` guards state, faults and the log."""

    def __init__(self, seed, token, data_dir, verbose=False, state_file=None):
        self.lock = threading.Lock()
        self.startup_seed = seed
        self.token = token
        self.verbose = verbose
        self.state = State(seed)
        # With a state file, the account outlives the process, as a real one does (make demo twice).
        self.state_file = state_file
        if state_file and os.path.exists(state_file):
            with open(state_file, encoding='utf-8') as handle:
                self.state.load(json.load(handle))
        self.faults = FaultBook()
        self.log = RequestLog()
        self.archives = ArchiveStore(data_dir)
        self.signer = downloads.Signer()

    def reset(self, seed):
        self.state.reset(seed)
        self.faults.clear()
        self.log.clear()

    def save(self):
        """Write the state file atomically; call with the lock held."""
        if not self.state_file:
            return
        temp = self.state_file + '.part'
        with open(temp, 'w', encoding='utf-8') as handle:
            json.dump(self.state.dump(), handle)
        os.replace(temp, self.state_file)


def _parse_json(raw):
    if not raw.strip():
        return None, True
    try:
        return json.loads(raw), True
    except ValueError:
        return None, False


def _flip(data):
    return bytes(byte ^ 0xFF for byte in data)


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'ComposeSimulator/1.0'
    sys_version = ''
    # Idle keep-alive connections are closed after this long; a stuck client cannot hold a thread forever.
    timeout = 300

    def version_string(self):
        return self.server_version

    def setup(self):
        super().setup()
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()

    def do_GET(self):  # pylint: disable=invalid-name
        self._handle()

    do_HEAD = do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.sim.verbose:
            super().log_message(format, *args)

    def _root(self):
        host = self.headers.get('Host') or '%s:%s' % self.server.server_address[:2]
        return f'{self.server.scheme}://{host}'

    def _read_body(self):
        if 'chunked' in self.headers.get('Transfer-Encoding', '').lower():
            chunks = []
            while True:
                size = int(self.rfile.readline(65537).split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b'\r\n', b'\n', b''):
                        pass
                    return b''.join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
        length = int(self.headers.get('Content-Length') or 0)
        if not 0 <= length <= MAX_BODY:
            raise ValueError(f'bad Content-Length {length}')
        return self.rfile.read(length) if length else b''

    def _handle(self):
        sim = self.server.sim
        parts = urlsplit(self.path)
        try:
            raw = self._read_body()
        except ValueError as exc:
            self.close_connection = True
            self._send(error(400, f'unreadable request body: {exc}'))
            return
        if parts.path == admin.PREFIX or parts.path.startswith(admin.PREFIX + '/'):
            body, body_ok = _parse_json(raw)
            self._send(self._guarded(admin.handle, sim, self.command, parts.path, body, body_ok, self._root()))
            return
        header = self.headers.get('Authorization')
        auth = 'none' if header is None else 'ok' if header == f'Bearer {sim.token}' else 'bad'
        with sim.lock:
            entry = sim.log.begin(method=self.command, path=parts.path, query=parts.query, auth=auth,
                                  range=self.headers.get('Range'), user_agent=self.headers.get('User-Agent'),
                                  kind='download' if parts.path.startswith(downloads.PREFIX) else 'api')
            fault = sim.faults.pick(self.command, parts.path)
            entry['fault'] = fault.id if fault else None
        status, sent = None, 0
        try:
            if fault and fault.delay:
                time.sleep(fault.delay)
            if fault and fault.drop == 'before':
                self.close_connection = True
                return
            if fault and fault.status:
                content_type, body = fault_body(fault.body or 'json', fault.status, reason(fault.status))
                response = Response(fault.status, body, content_type)
            else:
                response = self._guarded(self._process, sim, parts.path, parts.query, raw, auth)
            if fault:
                self._alter(fault, response)
            if fault and fault.drop == 'after':
                self.close_connection = True
                return
            status = response.status
            # Logged before sending: a client may read the log as soon as it has the answer.
            with sim.lock:
                entry['status'] = status
            sent = self._send(response, fault, last=lambda: self._ended(entry))
        finally:
            with sim.lock:
                entry.update(status=status, bytes=sent)
                sim.log.end(entry)

    def _ended(self, entry):
        with self.server.sim.lock:
            self.server.sim.log.end(entry)

    @staticmethod
    def _guarded(function, *args):
        try:
            return function(*args)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # A bug in the simulator must show up as a 500 the test can see, not as a dropped connection.
            traceback.print_exc(file=sys.stderr)
            return error(500, f'simulator error: {exc!r}')

    @staticmethod
    def _alter(fault, response):
        if fault.status is None and fault.body is not None:
            response.set_body(*fault_body(fault.body, response.status, reason(response.status)))
        if fault.body_json is not None:
            response.set_body('application/json', json.dumps(fault.body_json).encode())
        if fault.retry_after is not None:
            response.headers.append(('Retry-After', fault.retry_after))
        if fault.location is not None:
            response.headers.append(('Location', fault.location))

    def _process(self, sim, path, query, raw, auth):
        if path == api.VERSION_PREFIX or path.startswith(api.VERSION_PREFIX + '/'):
            if auth != 'ok':
                return error(401, 'invalid_token')
            content_type = self.headers.get('Content-Type', '').split(';')[0].strip().lower()
            if raw and content_type and content_type not in JSON_TYPES:
                return error(415, 'Unsupported Media Type')
            body, body_ok = _parse_json(raw)
            with sim.lock:
                ctx = api.Context(sim.state, sim.signer, self._root(), body, body_ok)
                response = api.dispatch(ctx, self.command, path[len(api.VERSION_PREFIX):])
                sim.save()
                return response
        if path.startswith(downloads.PREFIX):
            return self._download(sim, path, query)
        return error(404, 'Not found')

    def _download(self, sim, path, query):
        def xml(status, code, message, headers=None):
            return Response(status, downloads.xml_error(code, message, path), 'application/xml', headers)

        if self.command not in ('GET', 'HEAD'):
            return xml(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', [('Allow', 'GET, HEAD')])
        with sim.lock:
            # Time-based recipes may have replaced the on-demand backup this link points to.
            sim.state.tick()
            problem = sim.signer.check(path, query, sim.state.clock.now())
            backup = sim.state.backups.get(downloads.backup_id_of(path) or '')
            dep = backup and sim.state.deployments.get(backup.deployment_id)
            spec, allowed = (dep.archive_spec, dep.can_download) if dep else (None, False)
        if problem:
            return xml(403, *problem)
        if not dep:
            return xml(404, 'NoSuchKey', 'The specified key does not exist.')
        if not allowed:
            return xml(403, 'AccessDenied', 'Access Denied')
        archive = sim.archives.ensure(backup.id, spec)
        etag = f'"{archive.sha256}"'
        modified = formatdate(backup.created, usegmt=True)
        headers = [('Accept-Ranges', 'bytes'), ('ETag', etag), ('Last-Modified', modified)]
        if_range = self.headers.get('If-Range')
        wanted = self.headers.get('Range') if if_range in (None, etag, modified) else None
        try:
            span = downloads.parse_range(wanted, archive.size)
        except downloads.Unsatisfiable:
            return xml(416, 'InvalidRange', 'The requested range is not satisfiable', [('Content-Range', f'bytes */{archive.size}')])
        if span is None:
            return Response(200, content_type='application/gzip', headers=headers).use_file(archive.path, 0, archive.size)
        start, end = span
        headers.append(('Content-Range', f'bytes {start}-{end}/{archive.size}'))
        return Response(206, content_type='application/gzip', headers=headers).use_file(archive.path, start, end - start + 1)

    def _send(self, response, fault=None, last=None):
        """Write the response; return the body bytes that went out. Faults may cut or damage the body. last() is
        called just before the last byte goes out (before the headers, without a body)."""
        last = last or (lambda: None)
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header('Content-Length', str(response.length))
        if self.command == 'HEAD' or response.length == 0:
            last()
            self.end_headers()
            return 0
        self.end_headers()
        limit = response.length
        if fault and fault.truncate_at is not None and fault.truncate_at < limit:
            # Headers promised the full length; closing early is what a dropped transfer looks like.
            limit = fault.truncate_at
            self.close_connection = True
        if fault and fault.trickle is not None:
            return self._trickle(response, min(fault.trickle, limit), limit, last)
        middle = response.length // 2
        spans = [(0, middle, False), (middle, middle + 16, True), (middle + 16, limit, False)] if fault and fault.corrupt else [(0, limit, False)]
        sent = 0
        try:
            for start, end, damaged in spans:
                end = min(end, limit)
                if end > start:
                    if end == limit:
                        # The last byte apart, so that last() comes before it.
                        sent += self._emit(response, start, end - 1 - start, damaged) if end - 1 > start else 0
                        last()
                        start = end - 1
                    sent += self._emit(response, start, end - start, damaged)
        except OSError:
            self.close_connection = True
        return sent

    def _trickle(self, response, fast, limit, last):
        """Send `fast` bytes at once, then one byte every TRICKLE_INTERVAL until the end or the client hangs up."""
        sent = 0
        try:
            if fast:
                if fast == limit:
                    last()
                sent += self._emit(response, 0, fast, False)
            for start in range(fast, limit):
                time.sleep(TRICKLE_INTERVAL)
                if start == limit - 1:
                    last()
                sent += self._emit(response, start, 1, False)
        except OSError:
            self.close_connection = True
        return sent

    def _emit(self, response, start, count, damaged):
        if response.file is None:
            data = response.body[start:start + count]
            self.wfile.write(_flip(data) if damaged else data)
            return len(data)
        with open(response.file, 'rb') as handle:
            if damaged:
                handle.seek(response.offset + start)
                self.wfile.write(_flip(handle.read(count)))
                return count
            done = 0
            # In pieces, so the request log knows roughly how far a broken transfer got.
            while done < count:
                done += self.connection.sendfile(handle, response.offset + start + done, min(SENDFILE_PIECE, count - done))
            return done


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address, sim, ssl_context=None):
        self.sim = sim
        self.ssl_context = ssl_context
        self.scheme = 'https' if ssl_context else 'http'
        if ':' in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)

    def get_request(self):
        sock, address = super().get_request()
        if self.ssl_context is not None:
            # The handshake runs in the handler thread, so one slow client cannot stall accept().
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request, client_address):
        # Clients that hang up mid-response are normal here (fault tests, aborted downloads).
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)
