"""Command line: start the simulator, announce its URL, stop cleanly on SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import ssl
import sys
import tempfile
import threading

from .seed import SeedError, load_seed
from .server import Server, Simulator


def parse_args(argv):
    parser = argparse.ArgumentParser(prog='simulator', description='Compose API 2016-07 simulator for composeio.dbaas tests.')
    parser.add_argument('--host', default='127.0.0.1', help='address to listen on (default: %(default)s)')
    parser.add_argument('--port', type=int, default=0, help='port to listen on; 0 picks a free one (default: %(default)s)')
    parser.add_argument('--seed', metavar='FILE', help='JSON seed document (default: the demo seed, seeds/demo.json)')
    parser.add_argument('--token', default=os.environ.get('COMPOSE_SIM_TOKEN') or 'simulator-token',
                        help='the API token clients must send as "Authorization: Bearer TOKEN" (default: $COMPOSE_SIM_TOKEN or simulator-token)')
    parser.add_argument('--url-file', metavar='PATH', help='write the API base URL here once the socket listens')
    parser.add_argument('--data-dir', metavar='DIR', help='where archives are built and kept (default: a temporary directory removed at exit)')
    parser.add_argument('--state', metavar='FILE', help='keep the account in this JSON file: loaded at start when it '
                        'exists (instead of the seed), written after every API request and at exit')
    parser.add_argument('--tls-cert', metavar='PEM', help='serve HTTPS with this certificate (chain) file')
    parser.add_argument('--tls-key', metavar='PEM', help='private key for --tls-cert (default: inside the cert file)')
    parser.add_argument('--verbose', action='store_true', help='log every request to stderr')
    return parser.parse_args(argv)


def _write_atomically(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    handle, temp = tempfile.mkstemp(prefix='.url-', dir=directory)
    with os.fdopen(handle, 'w', encoding='utf-8') as stream:
        stream.write(text)
    os.replace(temp, path)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        seed = load_seed(args.seed)
    except SeedError as exc:
        sys.stderr.write(f'simulator: bad seed: {exc}\n')
        return 2
    context = None
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    elif args.tls_key:
        sys.stderr.write('simulator: --tls-key needs --tls-cert\n')
        return 2
    data_dir = args.data_dir or tempfile.mkdtemp(prefix='compose-sim-')
    try:
        sim = Simulator(seed, args.token, data_dir, args.verbose, args.state)
    except (OSError, ValueError, SeedError) as exc:
        sys.stderr.write(f'simulator: cannot load the state file {args.state}: {exc}\n')
        return 2
    try:
        server = Server((args.host, args.port), sim, context)
    except OSError as exc:
        sys.stderr.write(f'simulator: cannot listen on {args.host}:{args.port}: {exc}\n')
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
        return 1
    host = f'[{args.host}]' if ':' in args.host else args.host
    url = f'{server.scheme}://{host}:{server.server_address[1]}/2016-07'
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker = threading.Thread(target=server.serve_forever, name='simulator', daemon=True)
    worker.start()
    # The file first: whoever reads the printed line may rely on the file existing too.
    if args.url_file:
        _write_atomically(args.url_file, url + '\n')
    sys.stdout.write(url + '\n')
    sys.stdout.flush()
    try:
        # A timed wait keeps the main thread returning to the interpreter, where signal handlers run.
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
        with sim.lock:
            sim.save()
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0
