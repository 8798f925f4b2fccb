# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which archives of one deployment to keep. Private to this collection, may change without notice.

The input is the deployment's archives, each a dict with its path and what its .sha256 sidecar says (backup_id,
created_at, ...); the output is one decision per archive, newest first: the archive with keep and the reason.

An archive is kept when any rule keeps it, as restic's forget does: the newest keep; the newest archive of each of
the last keep_daily days that have one; of the last keep_weekly ISO weeks that have one; of the last keep_monthly
months that have one. Every rule at 0 keeps every archive. Times come from each archive's created_at (the backup's,
as its sidecar records it), in UTC: an archive made at 23:30 at +05:00 counts for the UTC day, 18:30 that day. File
times are never used. An archive whose created_at cannot be read is never removed and takes no place in any rule.
"""

from __future__ import annotations

import datetime
import re

from ansible_collections.composeio.dbaas.plugins.module_utils._time import parse_time

# <deployment>_<UTC time>_<backup id>.tar.gz, as compose_backup names archives; the last such time in the path.
_STAMP = re.compile(r'^.*_([0-9]{8}T[0-9]{6}Z)_[^/]*$')
# created_at as the sidecar writes it: through _archive.safe_name, which turns each ':' into '-'
# (2026-12-05T10:00:01.000Z becomes 2026-12-05T10-00-01.000Z). A numeric offset loses its sign there (+05:00 and
# -05:00 both become -05-00), so only Z, or no offset (UTC), is read back from that form.
_SIDECAR_TIME = re.compile(r'(\d{4}-\d{2}-\d{2})[Tt](\d{2})-(\d{2})-(\d{2})(\.\d+)?([Zz]?)')

# The calendar rules: option, the noun of its period, and the period's label of a UTC time.
PERIODS = (
    ('keep_daily', 'day', lambda when: '%04d-%02d-%02d' % (when.year, when.month, when.day)),
    ('keep_weekly', 'week', lambda when: '%04d-W%02d' % tuple(when.isocalendar()[:2])),
    ('keep_monthly', 'month', lambda when: '%04d-%02d' % (when.year, when.month)),
)
RULES = ('keep',) + tuple(option for option, dummy, dummy in PERIODS)


def archive_stamp(path: str) -> str:
    """The UTC time in an archive's name (20180101T120000Z), or '' when it has none."""
    found = _STAMP.match(path or '')
    return found.group(1) if found else ''


def created_time(text) -> datetime.datetime | None:
    """A sidecar's created_at as an aware UTC datetime, or None when it cannot be read.

    Takes the sidecar's form (2026-12-05T10-00-01.000Z) and RFC 3339 (2026-12-05T10:00:01Z, +05:00)."""
    if not isinstance(text, str):
        return None
    found = _SIDECAR_TIME.fullmatch(text.strip())
    when = parse_time('%sT%s:%s:%s%s%s' % found.groups('') if found else text)
    return when.astimezone(datetime.timezone.utc) if when else None


def archive_time(archive: dict) -> datetime.datetime | None:
    """When an archive's backup was made, in UTC: its sidecar's created_at; for a planned download (pending, no
    sidecar yet) the time in its name, which compose_backup takes from the backup (or the current time, for a backup
    not made yet)."""
    if 'created_at' in archive or not archive.get('pending'):
        return created_time(archive.get('created_at'))
    stamp = archive_stamp(archive.get('path'))
    return datetime.datetime.strptime(stamp, '%Y%m%dT%H%M%SZ').replace(tzinfo=datetime.timezone.utc) if stamp else None


def _limits(options):
    limits = {}
    for rule in RULES:
        try:
            limits[rule] = max(int(options.get(rule) or 0), 0)
        except (TypeError, ValueError):
            raise ValueError('%s must be a whole number, got %r' % (rule, options.get(rule))) from None
    return limits


def _unreadable(archive):
    if archive.get('created_at') in (None, ''):
        return 'its .sha256 file gives no created_at, so it is never removed'
    return 'its created_at (%s) cannot be read, so it is never removed' % archive['created_at']


def decide(archives: list[dict], **options) -> list[dict]:
    """One decision per archive, newest first: the archive's fields with keep (bool) and reason (str).

    options: keep, keep_daily, keep_weekly, keep_monthly (0 or missing: the rule is off). The reason of a kept
    archive names each rule that keeps it (newest 3, daily 2026-12-05, weekly 2026-W49, monthly 2026-12); that of a
    removed one, why each rule does not. A pending archive (the download a check-mode run plans, not on disk yet)
    is ranked like the others, as the real run would download it before pruning. Archives whose time cannot be read
    come last, in path order, kept.
    """
    unknown = set(options) - set(RULES)
    if unknown:
        raise TypeError('unknown retention options: %s' % ', '.join(sorted(unknown)))
    limits = _limits(options)
    dated, undated = [], []
    for archive in archives:
        when = archive_time(archive)
        if when is None:
            undated.append(archive)
        else:
            dated.append((when, archive['path'], archive))
    dated.sort(key=lambda item: item[:2], reverse=True)
    decisions = []
    if not any(limits.values()):
        reason = 'no retention rule is set (%s are 0)' % ', '.join(RULES)
        decisions = [dict(archive, keep=True, reason=reason) for dummy, dummy, archive in dated]
    periods = dict((option, []) for option, dummy, dummy in PERIODS)
    for rank, (when, dummy, archive) in enumerate(dated if any(limits.values()) else ()):
        kept, refused = [], []
        if limits['keep']:
            if rank < limits['keep']:
                kept.append('newest %d' % limits['keep'])
            else:
                refused.append('not one of the newest %d' % limits['keep'])
        for option, noun, label in PERIODS:
            limit, taken, period = limits[option], periods[option], label(when)
            if not limit:
                continue
            if period in taken:
                refused.append('not the newest of %s %s' % (noun, period))
            elif len(taken) < limit:
                taken.append(period)
                kept.append('%s %s' % (option[len('keep_'):], period))
            else:
                refused.append('older than the last %d %s%s with an archive' % (limit, noun, 's' if limit > 1 else ''))
        decisions.append(dict(archive, keep=bool(kept), reason=', '.join(kept or refused)))
    decisions += [dict(archive, keep=True, reason=_unreadable(archive))
                  for archive in sorted(undated, key=lambda archive: archive['path'])]
    return decisions
