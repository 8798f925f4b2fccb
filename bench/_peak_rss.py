#!/usr/bin/env python
"""A Python "interpreter" that records the peak memory of the real one: ansible_python_interpreter for benchmarks.

    ansible_python_interpreter: <checkout>/bench/_peak_rss.py   (with PEAK_RSS_PYTHON=<venv>/bin/python)

It runs $PEAK_RSS_PYTHON (default: the interpreter running this file) as a child with the same arguments,
stdin, stdout and stderr, waits for it, and appends one JSON line to the file named by $PEAK_RSS_FILE:
{"script": <first argument's file name>, "maxrss_kib": <peak RSS of the child>, "seconds": <its wall time>,
"status": <its exit status>}. The child's exit status is passed on. Standard library only.
"""

import json
import os
import resource
import subprocess
import sys
import time


def main():
    python = os.environ.get('PEAK_RSS_PYTHON') or sys.executable
    start = time.perf_counter()
    status = subprocess.call([python] + sys.argv[1:])
    seconds = time.perf_counter() - start
    # ru_maxrss of RUSAGE_CHILDREN: the largest peak RSS among the waited-for descendants, in KiB on Linux.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    record = os.environ.get('PEAK_RSS_FILE')
    if record:
        line = json.dumps({'script': os.path.basename(sys.argv[1]) if len(sys.argv) > 1 else '-',
                           'maxrss_kib': peak, 'seconds': round(seconds, 4), 'status': status})
        with open(record, 'a', encoding='utf-8') as handle:
            handle.write(line + '\n')
    return status


if __name__ == '__main__':
    sys.exit(main())
