"""ansible-playbook in this process, with its CPU accounted for: the main process, each forked worker, optionally a
CPU profile of the main process. For bench/b5_cost.py; standard library only.

    python bench/_ansible_clock.py --out clock.json [--profile main.prof] -- -i inventory playbook.yml ...

Writes `--out` when ansible-playbook ends: {"main": {"cpu_seconds", "user", "system", "maxrss_kib", "seconds"},
"children_cpu_seconds" (everything the main process waited for: workers, and below them the shell commands and the
module processes), "children_maxrss_kib", "status", "workers": [{"task", "action", "host", "cpu_seconds",
"children_cpu_seconds", "maxrss_kib"}, ...]}. A worker is one fork of the main process: one task on one host
(Ansible forks one per task and host, whatever `forks` says; `forks` only caps how many run at once). Each worker
appends its line to a file as it exits (os._exit, which multiprocessing calls in a forked child), so the lines
survive the fork.

With --profile, cProfile measures the main process's threads with their own CPU clock (time.thread_time: CPU, not
time spent waiting) and writes one pstats file for all of them; forked workers turn it off at once, so it measures
the main process only. Profiling slows the main process several times: use it for shares, not totals.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import threading
import time


def _cpu(usage):
    return usage.ru_utime + usage.ru_stime


class Clock:
    """The fork hooks and the record they write."""

    def __init__(self, workers_file, profile):
        self.workers_file = workers_file
        self.profile = profile
        self.profilers = []
        self.lock = threading.Lock()

    def start_profiling(self):
        """A cProfile profiler on this thread and on every thread started later, each on its own CPU clock."""
        import cProfile  # pylint: disable=import-outside-toplevel
        main = cProfile.Profile(time.thread_time)
        self.profilers.append(main)
        original = threading.Thread.run
        clock = self

        def run(thread):
            profiler = cProfile.Profile(time.thread_time)
            with clock.lock:
                clock.profilers.append(profiler)
            profiler.enable()
            try:
                original(thread)
            finally:
                profiler.disable()

        threading.Thread.run = run
        main.enable()
        return main

    def in_child(self):
        """After a fork: stop profiling, and note this worker's CPU when it exits."""
        for profiler in self.profilers:
            profiler.disable()
        self.profilers = []
        real_exit = os._exit  # pylint: disable=protected-access
        path = self.workers_file

        def exit_noting(code):
            try:
                worker = multiprocessing.current_process()
                task = getattr(worker, '_task', None)
                host = getattr(worker, '_host', None)
                own = resource.getrusage(resource.RUSAGE_SELF)
                below = resource.getrusage(resource.RUSAGE_CHILDREN)
                line = json.dumps({'task': task.get_name() if task is not None else None,
                                   'action': getattr(task, 'action', None), 'host': getattr(host, 'name', None),
                                   'cpu_seconds': round(_cpu(own), 4), 'children_cpu_seconds': round(_cpu(below), 4),
                                   'maxrss_kib': own.ru_maxrss})
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, (line + '\n').encode('utf-8'))
                finally:
                    os.close(fd)
            except Exception:  # pylint: disable=broad-except
                pass  # the accounting must never change how a worker ends
            real_exit(code)

        os._exit = exit_noting  # pylint: disable=protected-access

    def dump_profile(self, path):
        import pstats  # pylint: disable=import-outside-toplevel
        for profiler in self.profilers:
            profiler.disable()
        profilers = [p for p in self.profilers if p.getstats()]
        if profilers:
            stats = pstats.Stats(profilers[0])
            for profiler in profilers[1:]:
                stats.add(profiler)
            stats.dump_stats(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('--out', required=True)
    parser.add_argument('--profile')
    parser.add_argument('args', nargs=argparse.REMAINDER)
    args = parser.parse_args()
    argv = args.args[1:] if args.args[:1] == ['--'] else args.args
    workers_file = args.out + '.workers'
    clock = Clock(workers_file, args.profile)
    os.register_at_fork(after_in_child=clock.in_child)
    start = time.perf_counter()
    if args.profile:
        clock.start_profiling()
    from ansible.cli.playbook import main as playbook  # pylint: disable=import-outside-toplevel
    sys.argv = ['ansible-playbook'] + argv
    status = 1
    try:
        status = playbook()
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    finally:
        if args.profile:
            clock.dump_profile(args.profile)
        own = resource.getrusage(resource.RUSAGE_SELF)
        below = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers = []
        if os.path.exists(workers_file):
            with open(workers_file, encoding='utf-8') as stream:
                workers = [json.loads(line) for line in stream if line.strip()]
        record = {'main': {'cpu_seconds': round(_cpu(own), 4), 'user': round(own.ru_utime, 4),
                           'system': round(own.ru_stime, 4), 'maxrss_kib': own.ru_maxrss,
                           'seconds': round(time.perf_counter() - start, 4)},
                  'children_cpu_seconds': round(_cpu(below), 4), 'children_maxrss_kib': below.ru_maxrss,
                  'status': status, 'workers': workers}
        with open(args.out, 'w', encoding='utf-8') as stream:
            json.dump(record, stream)
    return status


if __name__ == '__main__':
    sys.exit(main())
