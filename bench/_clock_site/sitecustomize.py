"""Marks in a module process's CPU time, for bench/_peak_rss.py (which puts this folder on the PYTHONPATH of the
module processes it runs, with BENCH_MODULE_CLOCK naming a file). Standard library only.

The file gets one JSON object at exit, each mark the process's CPU seconds (time.process_time) at that moment:
  start    this file runs: the interpreter has started (site, the standard library's first imports)
  module   the module's own code starts (the first `exec` of a file under a modules/ folder other than a package's
           __init__.py: AnsiballZ has unpacked its payload and imported ansible.module_utils.basic)
  connect  the first network connection (the module's imports, its argument checks and its client are done; the
           rest is its work: API requests, the download); absent for a module that connects nowhere
  exit     the interpreter starts to exit (atexit)
and "module_file", the module's file name. Without BENCH_MODULE_CLOCK this file does nothing.
"""

import atexit
import json
import os
import sys
import time

PATH = os.environ.pop('BENCH_MODULE_CLOCK', None)
MARKS = {}


def _hook(event, args):
    if 'connect' in MARKS:
        return
    if event == 'exec' and 'module' not in MARKS:
        code = args[0] if args else None
        filename = (getattr(code, 'co_filename', '') or '').replace(os.sep, '/')
        if '/modules/' in filename and not filename.endswith('/__init__.py'):
            MARKS['module'] = time.process_time()
            MARKS['module_file'] = os.path.basename(filename)
    elif event == 'socket.connect':
        MARKS['connect'] = time.process_time()


def _write():
    MARKS['exit'] = time.process_time()
    try:
        with open(PATH, 'w', encoding='utf-8') as stream:
            json.dump(MARKS, stream)
    except OSError:
        pass


if PATH:
    MARKS['start'] = time.process_time()
    sys.addaudithook(_hook)
    atexit.register(_write)
