# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""parse_time on every RFC 3339 form the API may send, here and under the oldest Python the modules support (3.8),
whose datetime.fromisoformat() took only 0, 3 or 6 fractional digits and no Z."""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Loaded by path: _time.py needs only the standard library, so this file runs without ansible too.
TIME_PY = Path(__file__).resolve().parents[4] / 'plugins' / 'module_utils' / '_time.py'
_spec = importlib.util.spec_from_file_location('compose_time', TIME_PY)
_time = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_time)
parse_time = _time.parse_time

OLDEST_PYTHON = (3, 8)

# text -> isoformat() of the result, or None.
CASES = [
    ('2018-03-01T12:04:40Z', '2018-03-01T12:04:40+00:00'),
    ('2018-03-01T12:04:40.1Z', '2018-03-01T12:04:40.100000+00:00'),
    ('2018-03-01T12:04:40.12Z', '2018-03-01T12:04:40.120000+00:00'),
    ('2018-03-01T12:04:40.123Z', '2018-03-01T12:04:40.123000+00:00'),
    ('2018-03-01T12:04:40.000Z', '2018-03-01T12:04:40+00:00'),
    ('2018-03-01T12:04:40.1234Z', '2018-03-01T12:04:40.123400+00:00'),
    ('2018-03-01T12:04:40.12345Z', '2018-03-01T12:04:40.123450+00:00'),
    ('2018-03-01T12:04:40.123456Z', '2018-03-01T12:04:40.123456+00:00'),
    # More than microseconds: truncated, never rounded into the next second.
    ('2018-03-01T12:04:40.1234567Z', '2018-03-01T12:04:40.123456+00:00'),
    ('2018-03-01T12:04:59.999999999Z', '2018-03-01T12:04:59.999999+00:00'),
    ('2018-03-01t12:04:40.5z', '2018-03-01T12:04:40.500000+00:00'),
    ('2018-03-01 12:04:40.5Z', '2018-03-01T12:04:40.500000+00:00'),
    ('2018-03-01T12:04:40,25Z', '2018-03-01T12:04:40.250000+00:00'),
    ('  2018-03-01T12:04:40Z\n', '2018-03-01T12:04:40+00:00'),
    ('2018-03-01T12:04:40+00:00', '2018-03-01T12:04:40+00:00'),
    ('2018-03-01T12:04:40.12+00:00', '2018-03-01T12:04:40.120000+00:00'),
    ('2018-03-01T12:04:40-00:00', '2018-03-01T12:04:40+00:00'),
    ('2018-03-01T12:04:40.12345+01:00', '2018-03-01T12:04:40.123450+01:00'),
    ('2018-03-01T12:04:40.1-05:30', '2018-03-01T12:04:40.100000-05:30'),
    ('2018-03-01T12:04:40+0100', '2018-03-01T12:04:40+01:00'),
    ('2018-03-01T12:04:40.1+23:59', '2018-03-01T12:04:40.100000+23:59'),
    # Without an offset: UTC, as before.
    ('2018-03-01T12:04:40.12', '2018-03-01T12:04:40.120000+00:00'),
    ('2018-03-01T12:04:40', '2018-03-01T12:04:40+00:00'),
    ('2018-03-01T12:04Z', '2018-03-01T12:04:00+00:00'),
    ('2018-03-01', '2018-03-01T00:00:00+00:00'),
    # A leap second.
    ('2016-12-31T23:59:60Z', '2016-12-31T23:59:59.999999+00:00'),
    # Not timestamps.
    ('2018-02-30T12:04:40Z', None),
    ('2018-03-01T24:00:00Z', None),
    ('2018-03-01T12:04:40.Z', None),
    ('2018-03-01T12:04:40+24:00', None),
    ('2018-03-01T12:04:40+01:60', None),
    ('2018-03-01T12:04:40ZZ', None),
    ('2018-3-1T12:04:40Z', None),
    ('2018-03-01T12:04:40.12Z trailing', None),
    ('20180301T120440Z', None),
    ('not a time', None),
    ('', None),
    (None, None),
    (1519905880, None),
]


def _iso(value):
    return None if value is None else value.isoformat()


@pytest.mark.parametrize('text, expected', CASES)
def test_parse_time(text, expected):
    assert _iso(parse_time(text)) == expected


def test_parse_time_orders_offsets():
    assert parse_time('2018-03-01T13:04:40.5+01:00') == parse_time('2018-03-01T12:04:40.5Z')
    assert parse_time('2018-03-01T12:04:40.12Z') > parse_time('2018-03-01T12:04:40.1Z')


def _oldest_python():
    """A working Python 3.8: COMPOSE_TEST_PYTHON38, else a pyenv one, else python3.8 on PATH (a pyenv shim on PATH
    may not run it)."""
    found = [os.environ.get('COMPOSE_TEST_PYTHON38')]
    found += sorted(glob.glob(os.path.expanduser('~/.pyenv/versions/3.8*/bin/python3.8')))
    found.append(shutil.which('python3.8'))
    for path in found:
        if not path or not os.access(path, os.X_OK):
            continue
        probe = subprocess.run([path, '-I', '-c', 'import sys; print(sys.version_info[:2] == (3, 8))'],
                               capture_output=True, text=True, timeout=60, check=False)
        if probe.returncode == 0 and probe.stdout.strip() == 'True':
            return path
    return None


# Run in the other interpreter: load _time.py by path, print each case's result as JSON.
_SCRIPT = '''
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location('compose_time', sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
results = [module.parse_time(text) for text in json.loads(sys.stdin.read())]
print(json.dumps({'version': list(sys.version_info[:2]), 'results': [r and r.isoformat() for r in results]}))
'''


def test_parse_time_on_the_oldest_python():
    """The same cases under Python 3.8, where fromisoformat() returned None for ...03.12Z."""
    if sys.version_info[:2] == OLDEST_PYTHON:
        pytest.skip('this interpreter is Python 3.8: test_parse_time covers it')
    python = _oldest_python()
    if python is None:
        pytest.skip('no Python 3.8 found (set COMPOSE_TEST_PYTHON38, or put python3.8 on PATH)')
    texts = [text for text, _expected in CASES]
    done = subprocess.run([python, '-I', '-c', _SCRIPT, str(TIME_PY)], input=json.dumps(texts), capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, '%s failed: %s' % (python, done.stderr)
    answer = json.loads(done.stdout)
    assert tuple(answer['version']) == OLDEST_PYTHON
    assert dict(zip(texts, answer['results'])) == dict((text, expected) for text, expected in CASES)
