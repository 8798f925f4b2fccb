#!/usr/bin/env python
"""A Python "interpreter" that records the peak memory of the real one: ansible_python_interpreter for benchmarks.

    ansible_python_interpreter: <checkout>/bench/_peak_rss.py   (with PEAK_RSS_PYTHON=<venv>/bin/python)

It runs $PEAK_RSS_PYTHON (default: the interpreter running this file) as a child with the same arguments,
stdin, stdout and stderr, waits for it, and appends one JSON line to the file named by $PEAK_RSS_FILE:
{"script": <first argument's file name>, "maxrss_kib": <peak RSS of the child>, "seconds": <its wall time>,
"status": <its exit status>, "cpu_seconds": <the child's CPU time, user + system, with whatever it waited for>,
"wrapper_cpu_seconds": <this wrapper's own>}. With $PEAK_RSS_CLOCK set, the child also marks moments in its CPU
time (bench/_clock_site/sitecustomize.py: interpreter started, module code started, first connection, exit), given
as "marks". The child's exit status is passed on. Standard library only.
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

CLOCK_SITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '_clock_site')


def _marks(path):
    try:
        with open(path, encoding='utf-8') as stream:
            return json.load(stream)
    except (OSError, ValueError):
        return None
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


def main():
    python = os.environ.get('PEAK_RSS_PYTHON') or sys.executable
    env = marks = None
    if os.environ.get('PEAK_RSS_CLOCK'):
        handle, marks = tempfile.mkstemp(prefix='bench-clock-', suffix='.json')
        os.close(handle)
        env = dict(os.environ, BENCH_MODULE_CLOCK=marks,
                   PYTHONPATH=os.pathsep.join(p for p in (CLOCK_SITE, os.environ.get('PYTHONPATH')) if p))
    start = time.perf_counter()
    status = subprocess.call([python] + sys.argv[1:], env=env)
    seconds = time.perf_counter() - start
    # ru_maxrss of RUSAGE_CHILDREN: the largest peak RSS among the waited-for descendants, in KiB on Linux.
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    record = os.environ.get('PEAK_RSS_FILE')
    if record:
        line = json.dumps({'script': os.path.basename(sys.argv[1]) if len(sys.argv) > 1 else '-',
                           'maxrss_kib': child.ru_maxrss, 'seconds': round(seconds, 4), 'status': status,
                           'cpu_seconds': round(child.ru_utime + child.ru_stime, 4),
                           'wrapper_cpu_seconds': round(own.ru_utime + own.ru_stime, 4),
                           'marks': _marks(marks) if marks else None})
        with open(record, 'a', encoding='utf-8') as handle:
            handle.write(line + '\n')
    return status


if __name__ == '__main__':
    sys.exit(main())
