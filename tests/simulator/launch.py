"""Start the simulator as a subprocess, wait until it listens, give its URLs and control client, stop it.

The one launcher behind every simulator the suites start: the simulator's own tests, the end-to-end tests, the
reliability harness, the benchmarks and hacking/with-simulator.sh. Standard library only, and loadable three ways:
as `ansible_collections.composeio.dbaas.tests.simulator.launch`, by path (importlib: plain pytest and the benchmarks,
where no collection tree exists), and as a script:

    python -P tests/simulator/launch.py [--seed FILE] [--state FILE] [--] COMMAND [ARGUMENT]...

runs COMMAND with COMPOSE_API_URL, COMPOSEAPITOKEN (random, per run) and COMPOSE_SIM_CONTROL set, and always stops
the simulator afterwards.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SIMULATOR_DIR = os.path.dirname(os.path.abspath(__file__))
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0

if __package__:
    from .control import SimControl, SimControlError
else:
    # Loaded by path: control.py beside this file, the same way, so nothing lands on sys.path.
    _SPEC = importlib.util.spec_from_file_location('compose_simulator_control', os.path.join(SIMULATOR_DIR, 'control.py'))
    _CONTROL = importlib.util.module_from_spec(_SPEC)
    _SPEC.loader.exec_module(_CONTROL)
    SimControl, SimControlError = _CONTROL.SimControl, _CONTROL.SimControlError

__all__ = ['SIMULATOR_DIR', 'SimControl', 'SimControlError', 'Simulator', 'SimulatorError']


class SimulatorError(RuntimeError):
    """The simulator did not start; the message ends with what it wrote."""


class Simulator:
    """One simulator subprocess on a free port: `with Simulator(token='t') as sim: sim.api_url, sim.control`.

    token: what clients must send (default: random). seed: a seed document (dict), a path to one, or None (the
    simulator's demo seed). state, data_dir: the simulator's --state and --data-dir. extra_args: more command line
    (TLS). python: the interpreter that runs it (default: this one). context: the ssl context of the control client.
    """

    def __init__(self, token=None, seed=None, state=None, data_dir=None, extra_args=(), python=None, context=None):
        self.token = token if token is not None else secrets.token_hex(32)
        self.seed = seed
        self.state = state
        self.data_dir = data_dir
        self.extra_args = tuple(extra_args)
        self.python = str(python or sys.executable)
        self.context = context
        self.api_url = self.root = self.control = self.process = None
        self.workdir = None
        self._log = None

    @property
    def control_url(self):
        return self.root + '/_sim'

    def argv(self, url_file):
        argv = [self.python, SIMULATOR_DIR, '--port', '0', '--url-file', url_file, '--token', self.token]
        if isinstance(self.seed, dict):
            seed_file = os.path.join(self.workdir, 'seed.json')
            with open(seed_file, 'w', encoding='utf-8') as handle:
                json.dump(self.seed, handle)
            argv += ['--seed', seed_file]
        elif self.seed is not None:
            argv += ['--seed', os.path.abspath(self.seed)]
        if self.state is not None:
            argv += ['--state', os.path.abspath(self.state)]
        if self.data_dir is not None:
            os.makedirs(self.data_dir, exist_ok=True)
            argv += ['--data-dir', os.path.abspath(self.data_dir)]
        return argv + [str(arg) for arg in self.extra_args]

    def start(self):
        """Start it and wait until it listens (it writes its URL file then); raises SimulatorError if it does not."""
        self.workdir = tempfile.mkdtemp(prefix='compose-sim-launch-')
        url_file = os.path.join(self.workdir, 'url')
        self._log = open(os.path.join(self.workdir, 'simulator.log'), 'w+b')  # pylint: disable=consider-using-with
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            self.argv(url_file), stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, cwd=self.workdir)
        deadline = time.monotonic() + START_TIMEOUT
        while not os.path.exists(url_file):
            if self.process.poll() is not None or time.monotonic() > deadline:
                problem = f'the simulator did not start (exit {self.process.poll()}):\n{self.log(30)}'
                self.stop()
                raise SimulatorError(problem)
            time.sleep(0.02)
        with open(url_file, encoding='utf-8') as handle:
            self.api_url = handle.read().strip()
        self.root = self.api_url.rsplit('/', 1)[0]
        self.control = SimControl(self.api_url, context=self.context)
        return self

    def log(self, lines=None):
        """What the simulator wrote so far (its last `lines` lines)."""
        if self._log is None:
            return ''
        self._log.flush()
        self._log.seek(0)
        text = self._log.read().decode('utf-8', 'replace')
        return '\n'.join(text.splitlines()[-lines:]) if lines else text

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


USAGE = 'usage: with-simulator.sh [--seed FILE] [--state FILE] [--] COMMAND [ARGUMENT]...'


def _parse(argv):
    options = {}
    while argv and argv[0] in ('--seed', '--state') and len(argv) > 1:
        options[argv[0][2:]] = argv[1]
        argv = argv[2:]
    if argv and argv[0] == '--':
        argv = argv[1:]
    return options, argv


def main(argv=None):
    """Run a command against a fresh simulator (hacking/with-simulator.sh); its exit status is the command's."""
    options, command = _parse(list(sys.argv[1:] if argv is None else argv))
    if not command:
        sys.stderr.write(USAGE + '\n')
        return 2
    received = []
    child = []

    def on_signal(signum, _frame):
        # A terminal's Ctrl-C reaches the command too; a TERM sent to us alone is passed on. Either way the
        # simulator stops only after the command has ended.
        received.append(signum)
        if signum == signal.SIGTERM and child and child[0].poll() is None:
            child[0].terminate()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    sim = Simulator(**options)
    try:
        sim.start()
    except SimulatorError as exc:
        sys.stderr.write(f'with-simulator.sh: {exc}\n')
        return 1
    try:
        if received:
            return 130
        env = dict(os.environ, COMPOSE_API_URL=sim.api_url, COMPOSEAPITOKEN=sim.token, COMPOSE_SIM_CONTROL=sim.control_url)
        print(f'Compose API simulator at {sim.api_url}', flush=True)
        try:
            child.append(subprocess.Popen(command, env=env))  # pylint: disable=consider-using-with
        except OSError as exc:
            sys.stderr.write(f'with-simulator.sh: cannot run {command[0]}: {exc}\n')
            return 127
        status = child[0].wait()
        if received:
            return 130
        # A command killed by a signal exits as a shell would report it.
        status = status if status >= 0 else 128 - status
        if status != 0:
            sys.stderr.write(f"with-simulator.sh: the command failed ({status}); the simulator's last log lines:\n"
                             f'{sim.log(20)}\n')
        return status
    finally:
        sim.stop()


if __name__ == '__main__':
    sys.exit(main())
