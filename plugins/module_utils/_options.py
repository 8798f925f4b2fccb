# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The options the modules share (deployment, wait), their defaults, and the checks of durations and ids. Private to
this collection, may change without notice.

Each default is written here once; doc_fragments/_wait.py documents the same values (a unit test compares them)."""

from __future__ import annotations

import math
import re

from ansible_collections.composeio.dbaas.plugins.module_utils._errors import OptionError

DEPLOYMENT_ARGS = dict(
    deployment_id=dict(type='str'),
    deployment_name=dict(type='str'),
)
DEPLOYMENT_ONE_OF = dict(
    mutually_exclusive=[('deployment_id', 'deployment_name')],
    required_one_of=[('deployment_id', 'deployment_name')],
)

WAIT_TIMEOUT = 3600
POLL_INTERVAL = 2.0
POLL_MAX_INTERVAL = 60.0
# Paired one to one with doc_fragments/_wait.py.
WAIT_ARGS = dict(
    wait=dict(type='bool', default=True),
    wait_timeout=dict(type='int', default=WAIT_TIMEOUT),
    poll_interval=dict(type='float', default=POLL_INTERVAL),
    poll_max_interval=dict(type='float', default=POLL_MAX_INTERVAL),
    settle_time=dict(type='float'),
)

ID_RE = re.compile(r'^[0-9a-f]{24}$')
_DURATION_RE = re.compile(r'(\d+(?:\.\d+)?)\s*(w|d|h|m|s)', re.IGNORECASE)
_UNITS = {'w': 604800, 'd': 86400, 'h': 3600, 'm': 60, 's': 1}
MAX_DURATION = 100 * 365 * 86400


def merge_args(*specs):
    """One argument spec from several, so modules extend the common one instead of repeating it."""
    merged = {}
    for spec in specs:
        merged.update(spec)
    return merged


def parse_duration(value, option):
    """Seconds from '90', '90s', '30m', '6h', '7d', '2w' or combinations such as '1h30m'."""
    text = str(value).strip()
    if re.fullmatch(r'\d+(\.\d+)?', text):
        seconds = float(text)
    else:
        parts = _DURATION_RE.findall(text)
        if not parts or _DURATION_RE.sub('', text).strip():
            raise OptionError("%s: cannot read %r as a duration; use a number of seconds or units such as 90s, 30m, 6h, 7d, 2w"
                              % (option, value))
        seconds = sum(float(num) * _UNITS[unit.lower()] for num, unit in parts)
    if seconds <= 0:
        raise OptionError('%s must be a positive duration, got %r' % (option, value))
    if not math.isfinite(seconds) or seconds > MAX_DURATION:  # a 400-digit number is inf
        raise OptionError('%s must be at most 100 years (%d seconds), got %r' % (option, MAX_DURATION, value))
    return seconds


def check_wait(params):
    for option in ('wait_timeout', 'poll_interval', 'poll_max_interval'):
        if params[option] <= 0:
            raise OptionError('%s must be greater than 0, got %s' % (option, params[option]))
    if params['poll_max_interval'] < params['poll_interval']:
        raise OptionError('poll_max_interval (%s) must not be less than poll_interval (%s)'
                          % (params['poll_max_interval'], params['poll_interval']))


def check_id(value, option):
    if value is not None and not ID_RE.match(value):
        raise OptionError('%s must be 24 lowercase hexadecimal characters (a Compose id), got %r' % (option, value))
    return value
