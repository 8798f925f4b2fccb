# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which archives of one deployment to keep. Private to this collection, may change without notice.

The input is the deployment's archives, each a dict with its path and what its .sha256 sidecar says (backup_id,
created_at, ...); the output is one decision per archive, newest first: the archive with keep and the reason. The
policy is keyword arguments, so that rules such as "one a day for a week" can join keep without changing the shape.
"""

from __future__ import annotations

import re

# <deployment>_<UTC time>_<backup id>.tar.gz, as compose_backup names archives; the last such time in the path.
_STAMP = re.compile(r'^.*_([0-9]{8}T[0-9]{6}Z)_[^/]*$')


def archive_stamp(path: str) -> str:
    """The UTC time in an archive's name (20180101T120000Z), or '' when it has none."""
    found = _STAMP.match(path or '')
    return found.group(1) if found else ''


def newest_first(archives: list[dict]) -> list[dict]:
    """The archives by the time in their names, newest first; equal times by path, the greater first."""
    return sorted(archives, key=lambda archive: (archive_stamp(archive['path']), archive['path']), reverse=True)


def decide(archives: list[dict], keep: int = 0) -> list[dict]:
    """One decision per archive, newest first: the archive's fields with keep (bool) and reason (str).

    keep: how many archives to keep, the newest; 0 keeps all. A pending archive (the download a check-mode run
    plans, not on disk yet) is ranked like the others, as the real run would download it before pruning.
    """
    keep = int(keep or 0)
    decisions = []
    for rank, archive in enumerate(newest_first(archives)):
        if keep <= 0:
            verdict, reason = True, 'every archive is kept (keep is 0)'
        elif rank < keep:
            verdict, reason = True, 'one of the %d newest' % keep
        else:
            verdict, reason = False, 'older than the %d newest' % keep
        decisions.append(dict(archive, keep=verdict, reason=reason))
    return decisions
