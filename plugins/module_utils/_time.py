# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""RFC 3339 timestamps of the Compose API. Private to this collection, may change without notice.

Only the standard library, so the tests can load this file under the oldest Python the modules support (3.8):
datetime.fromisoformat() of Python before 3.11 takes only 0, 3 or 6 fractional digits and no Z, so a valid
2018-03-01T12:04:40.12Z was None there."""

from __future__ import annotations

import datetime
import re

_RFC3339 = re.compile(
    r'(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})'
    r'(?:[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?'
    r'(?P<offset>[Zz]|(?P<sign>[+-])(?P<off_hour>\d{2}):?(?P<off_minute>\d{2}))?)?')


def parse_time(text):
    """An aware datetime from an RFC 3339 timestamp such as 2018-03-01T12:04:40.000Z, or None.

    Any number of fractional digits (truncated to microseconds), Z or a numeric offset (+00:00, -05:30, +0100);
    a timestamp without an offset, or a date alone, is taken as UTC. A leap second (:60) is the last microsecond
    of its minute."""
    if not isinstance(text, str):
        return None
    match = _RFC3339.fullmatch(text.strip())
    if match is None:
        return None
    part = match.groupdict()
    tzinfo = datetime.timezone.utc
    if part['sign']:
        off_hour, off_minute = int(part['off_hour']), int(part['off_minute'])
        if off_hour > 23 or off_minute > 59:
            return None
        offset = datetime.timedelta(hours=off_hour, minutes=off_minute)
        if offset:
            tzinfo = datetime.timezone(-offset if part['sign'] == '-' else offset)
    second = int(part['second'] or 0)
    microsecond = int((part['fraction'] or '')[:6].ljust(6, '0'))
    if second == 60:
        second, microsecond = 59, 999999
    try:
        return datetime.datetime(int(part['year']), int(part['month']), int(part['day']), int(part['hour'] or 0),
                                 int(part['minute'] or 0), second, microsecond, tzinfo=tzinfo)
    except ValueError:
        return None
