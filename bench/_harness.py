"""Shared pieces of the benchmarks under bench/: the simulator, a workspace that makes this checkout the
collection composeio.dbaas, A B A B timing, tables, targets and JSON reports. Standard library only.

A benchmark is bench/bN_<name>.py with `def main(argv=None) -> int`; it returns non-zero only when the
benchmark itself breaks. A missed target is a result (met: false in the table and the JSON), not an error.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = (ROOT / os.environ.get('VENV', '.venv')) / 'bin'
RESULTS = ROOT / 'bench' / 'results'
# Smoke runs (make test) write under results/smoke/, so they never overwrite the committed full results.
SMOKE_RESULTS = RESULTS / 'smoke'
SIMULATOR = ROOT / 'tests' / 'simulator'
LOAD_AT_START = os.getloadavg()


def _load_launcher():
    # The simulator's launcher imports only the standard library; load it by path so nothing lands on sys.path.
    spec = importlib.util.spec_from_file_location('_bench_sim_launch', SIMULATOR / 'launch.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_launch = _load_launcher()
SimControl = _launch.SimControl
SimControlError = _launch.SimControlError


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tail(text, lines=30):
    return '\n'.join((text or '').splitlines()[-lines:])


def _descendants(pid):
    """pid and every process below it, from /proc/<pid>/task/<tid>/children (Linux)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            tasks = os.listdir(f'/proc/{current}/task')
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f'/proc/{current}/task/{tid}/children', encoding='ascii') as stream:
                    todo.extend(int(child) for child in stream.read().split())
            except (OSError, ValueError):
                pass
    return found


def _memory_kib(pid):
    """(Rss, Pss) of one process in KiB from /proc/<pid>/smaps_rollup, or None when it is gone."""
    values = {}
    try:
        with open(f'/proc/{pid}/smaps_rollup', encoding='ascii') as stream:
            for line in stream:
                key, dummy, rest = line.partition(':')
                if key in ('Rss', 'Pss'):
                    values[key] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return values.get('Rss', 0), values.get('Pss', 0)


class TreeMemory(threading.Thread):
    """Samples the memory of a process tree (the process and every descendant) every `interval` seconds.

    Two sums per sample: RSS (counts the pages that forked workers share with the main process once per process,
    so it overstates) and PSS (each shared page divided among the processes sharing it: what the tree takes from
    the machine). peak_rss_kib and peak_pss_kib are the largest sums seen, peak_processes the most processes at
    once. A process that lives less than the interval may be missed; the main process and the forks alive at
    the peak are what the sums are made of.
    """

    def __init__(self, pid, interval=0.5):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_rss_kib = self.peak_pss_kib = self.peak_processes = self.samples = 0
        self._stop_event = threading.Event()

    def sample(self):
        rss = pss = count = 0
        for pid in _descendants(self.pid):
            memory = _memory_kib(pid)
            if memory:
                rss, pss, count = rss + memory[0], pss + memory[1], count + 1
        self.samples += 1
        self.peak_rss_kib = max(self.peak_rss_kib, rss)
        self.peak_pss_kib = max(self.peak_pss_kib, pss)
        self.peak_processes = max(self.peak_processes, count)

    def run(self):
        while not self._stop_event.wait(self.interval):
            self.sample()

    def stop(self):
        self._stop_event.set()
        self.join()


class BenchError(Exception):
    """The benchmark itself broke (a command failed, the simulator did not start)."""


class Simulator(_launch.Simulator):
    """The Compose API simulator as a subprocess: `with Simulator(seed={...}) as sim: sim.api_url, sim.control`.

    seed: a seed document (dict), a path to one, or None (the simulator's demo seed).
    data_dir: where archives are built; a persistent folder makes it a cache across runs.
    """

    def __init__(self, seed=None, data_dir=None, extra_args=()):
        super().__init__(seed=seed, data_dir=data_dir, extra_args=extra_args, python=VENV_BIN / 'python')

    def start(self):
        try:
            return super().start()
        except _launch.SimulatorError as exc:
            raise BenchError(str(exc)) from None

    def requests(self, api_only=True):
        """The request log; api_only leaves out the /_download requests."""
        entries = self.control.requests()
        if api_only:
            entries = [e for e in entries if not e['path'].startswith('/_download')]
        return entries

    def clear_requests(self):
        return self.control.clear_requests()

    def cpu_seconds(self):
        """The simulator process's CPU time so far (user + system, every thread), from /proc; None without it. The
        simulator is not the controller: a benchmark reports it apart, to show whether the simulator kept up."""
        try:
            with open(f'/proc/{self.process.pid}/stat', encoding='ascii') as stream:
                fields = stream.read().rsplit(')', 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
        except (OSError, ValueError, IndexError, AttributeError):
            return None

    def reset(self, seed=None):
        """Back to `seed` (a dict or a path), or to the startup seed."""
        if seed is not None and not isinstance(seed, dict):
            seed = json.loads(Path(seed).read_text(encoding='utf-8'))
        return self.control.reset(seed)


class Workspace:
    """A temporary folder where this checkout is the collection composeio.dbaas (as hacking/with-collection.sh).

    root: another checkout to use as the collection instead (e.g. one with a proposed patch applied).
    """

    def __init__(self, root=None):
        self.root = Path(root).resolve() if root else ROOT
        self.path = None

    def __enter__(self):
        self.path = Path(tempfile.mkdtemp(prefix='composeio-bench-ws-'))
        (self.path / 'ansible_collections' / 'composeio').mkdir(parents=True)
        (self.path / 'ansible_collections' / 'composeio' / 'dbaas').symlink_to(self.root)
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)
        return False

    def env(self, sim=None, **extra):
        env = dict(os.environ)
        env.pop('COMPOSE_API_TOKEN', None)
        env.update({
            'PATH': f'{VENV_BIN}{os.pathsep}{env.get("PATH", "")}',
            'ANSIBLE_COLLECTIONS_PATH': str(self.path),
            'ANSIBLE_HOME': str(ROOT / '.ansible'),
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_LOCALHOST_WARNING': 'false',
            'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
        })
        if sim is not None:
            env['COMPOSE_API_URL'] = sim.api_url
            env['COMPOSEAPITOKEN'] = sim.token
        env.update({key: str(value) for key, value in extra.items()})
        return env

    def playbook(self, name, text):
        path = self.path / name
        path.write_text(text, encoding='utf-8')
        return path

    def run(self, argv, env, check=True, memory=False):
        """Run a command in the workspace: (seconds, CompletedProcess); raises BenchError when it fails.

        The CompletedProcess also gets .cpu_seconds: the user + system CPU time of the command and every
        descendant it waited for, which a busy machine disturbs far less than the wall time. With memory, also
        .peak_rss_mib, .peak_pss_mib and .peak_processes: the process tree's memory, sampled (TreeMemory).
        """
        argv = [str(arg) for arg in argv]
        before = _children_cpu()
        start = time.perf_counter()
        with subprocess.Popen(argv, env=env, cwd=self.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, text=True) as popen:
            sampler = TreeMemory(popen.pid) if memory else None
            if sampler:
                sampler.start()
            try:
                stdout, stderr = popen.communicate()
            finally:
                if sampler:
                    sampler.stop()
        seconds = time.perf_counter() - start
        proc = subprocess.CompletedProcess(argv, popen.returncode, stdout, stderr)
        proc.cpu_seconds = _children_cpu() - before
        if sampler:
            proc.peak_rss_mib = round(sampler.peak_rss_kib / 1024, 1)
            proc.peak_pss_mib = round(sampler.peak_pss_kib / 1024, 1)
            proc.peak_processes = sampler.peak_processes
        if check and proc.returncode != 0:
            raise BenchError(f'{" ".join(argv)} exited {proc.returncode}\n--- stdout\n{_tail(proc.stdout)}'
                             f'\n--- stderr\n{_tail(proc.stderr)}')
        return seconds, proc


def alternate(variants, runs, warmup=0):
    """Run [(name, fn), ...] in A B A B order: `warmup` discarded rounds, then `runs` measured ones.

    fn() returns a dict with at least 'seconds'. Returns {name: [dict, ...]} in run order.
    """
    results = {variant[0]: [] for variant in variants}
    for round_no in range(warmup + runs):
        for name, func in variants:
            result = func()
            measured = round_no >= warmup
            sys.stderr.write(f'  {"run" if measured else "warm-up"} {round_no - warmup + 1 if measured else round_no + 1}'
                             f' {name}: {result["seconds"]:.3f} s\n')
            if measured:
                results[name].append(result)
    return results


def median(values):
    values = list(values)
    return statistics.median(values) if values else None


def ratios(runs_a, runs_b, key='seconds'):
    """How A compares with B over alternated runs: the ratio of the medians (what targets use), the median of
    the per-round ratios (each pair ran back to back, so under load drift it is the steadier one), and the ratio
    of the fastest runs (the least disturbed by other work on the machine)."""
    a = [r[key] for r in runs_a]
    b = [r[key] for r in runs_b]
    return {'of_medians': median(a) / median(b),
            'paired_median': median(x / y for x, y in zip(a, b)),
            'of_minimums': min(a) / min(b)}


def _cell(value):
    if value is None:
        return '-'
    if isinstance(value, bool):
        return 'yes' if value else 'NO'
    if isinstance(value, float):
        return f'{value:.3f}' if abs(value) < 100 else f'{value:.1f}'
    return str(value)


def table(title, columns, rows):
    """Print an aligned text table; rows are sequences of cells (floats, ints, bools, strings, None)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(str(c))] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    print(f'\n{title}')
    print('  '.join(str(c).ljust(w) for c, w in zip(columns, widths)).rstrip())
    print('  '.join('-' * w for w in widths))
    for row in cells:
        print('  '.join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip())
    sys.stdout.flush()


def _cpu_model():
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as stream:
            for line in stream:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_mib():
    try:
        with open('/proc/meminfo', encoding='utf-8') as stream:
            for line in stream:
                if line.startswith('MemTotal:'):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def _ansible_version():
    try:
        out = subprocess.run([str(VENV_BIN / 'python'), '-c', 'from ansible.release import __version__; print(__version__)'],
                             capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return out


def machine():
    """Facts about where the figures come from."""
    return {
        'cpu': _cpu_model(),
        'cores': os.cpu_count(),
        'memory_mib': _memory_mib(),
        'python': platform.python_version(),
        'ansible_core': _ansible_version(),
        'platform': platform.platform(),
        'load_at_start': [round(x, 2) for x in LOAD_AT_START],
        'load_now': [round(x, 2) for x in os.getloadavg()],
        'date_utc': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
    }


_OPS = {'<=': lambda value, limit: value <= limit, '<': lambda value, limit: value < limit,
        '>=': lambda value, limit: value >= limit}


def target(label, value, op, limit):
    """A target and whether the value meets it: {'label', 'value', 'op', 'limit', 'met'}."""
    if op not in _OPS:
        raise ValueError(f'unknown operator {op!r}')
    return {'label': label, 'value': value, 'op': op, 'limit': limit,
            'met': None if value is None else bool(_OPS[op](value, limit))}


def targets_table(title, targets):
    """Print targets (from target()) as a table."""
    table(title, ['target', 'value', 'op', 'limit', 'met'],
          [[t['label'], t['value'], t['op'], t['limit'], t['met']] for t in targets])


def report(name, payload):
    """Write bench/results/<name>.json with the machine and the command line; returns the path.

    After a --smoke command line was parsed (common_args), it goes to bench/results/smoke/<name>.json.
    """
    folder = SMOKE_RESULTS if _STATE['smoke'] else RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f'{name}.json'
    document = {'benchmark': name, 'command': [sys.executable] + sys.argv, 'machine': machine()}
    document.update(payload)
    temp = path.with_suffix('.json.tmp')
    temp.write_text(json.dumps(document, indent=2, sort_keys=False) + '\n', encoding='utf-8')
    os.replace(temp, path)
    print(f'\nwrote {path.relative_to(ROOT)}')
    return path


def finish(name, started, load, payload, plot=None):
    """A benchmark's last words: how long it took (since time.monotonic() was `started`) and the machine's load,
    then report(name, payload) with the plot (a path or None), the seconds and that load added at the end."""
    elapsed = time.monotonic() - started
    print(f'\n{name.split("_")[0].upper()} took {elapsed:.0f} s; machine load (1, 5, 15 min) at the end {load}')
    return report(name, dict(payload, plot=str(plot.relative_to(ROOT)) if plot else None,
                             elapsed_seconds=round(elapsed, 1), load_at_end=load))


_STATE = {'smoke': False}


class BenchParser(argparse.ArgumentParser):
    """An ArgumentParser that remembers the argv it was made for and fills --runs from --smoke."""

    def __init__(self, argv=None, default_runs=5, **kwargs):
        super().__init__(**kwargs)
        self._argv = argv
        self._default_runs = default_runs

    def parse_args(self, args=None, namespace=None):  # pylint: disable=arguments-differ
        parsed = super().parse_args(self._argv if args is None else args, namespace)
        if parsed.runs is None:
            parsed.runs = 1 if parsed.smoke else self._default_runs
        _STATE['smoke'] = parsed.smoke
        return parsed


def common_args(argv=None, description=None, default_runs=5):
    """A parser with --smoke and --runs (default `default_runs`, with --smoke 1) for a benchmark to extend.

    parser = common_args(argv); parser.add_argument(...); args = parser.parse_args()
    """
    parser = BenchParser(argv, default_runs=default_runs, description=description)
    parser.add_argument('--smoke', action='store_true', help='a short run that only checks the benchmark works')
    parser.add_argument('--runs', type=int, default=None,
                        help=f'measured rounds per variant (default {default_runs}; with --smoke 1)')
    return parser


def guarded(name, run, argv=None):
    """run(argv) as a benchmark's main: when the benchmark breaks (BenchError), one line on stderr and status 1."""
    try:
        return run(argv)
    except BenchError as exc:
        print(f'{name}: the benchmark broke: {exc}', file=sys.stderr)
        return 1
