# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write the backup role's JSON report the way compose_backup writes archives: a new temporary file in the report's
folder, then an atomic rename over the report's path.

usage: python write_report.py PATH < CONTENT

A symbolic link at PATH is replaced, never followed: its target is left as it was. A directory at PATH is refused.
The folder part of PATH may be a link (as compose_backup_dest may be). The file is mode 0600. Standard library only,
Python 3.8 or newer."""

from __future__ import annotations

import os
import stat
import sys
import tempfile

MODE = 0o600


class ReportError(Exception):
    pass


def write_report(path, data, mode=MODE):
    """Write data (bytes) to path atomically; returns a note when a symbolic link at path was replaced, else ''."""
    name = os.path.basename(path)
    if name in ('', '.', '..'):
        raise ReportError('the report path %s names a folder, not a file' % path)
    folder = os.path.dirname(os.path.abspath(path))
    target = os.path.join(folder, name)
    note = ''
    try:
        found = os.lstat(target)
    except FileNotFoundError:
        found = None
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise ReportError('the report path %s is a folder; set compose_backup_report to a file path' % target)
    if found is not None and stat.S_ISLNK(found.st_mode):
        note = 'replaced the symbolic link at %s (its target was left as it was)' % target
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.%s.' % name, suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # rename(2) replaces whatever entry is at target, a link included, and never writes through it.
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return note
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
    return note


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write('usage: write_report.py PATH < CONTENT\n')
        return 2
    try:
        note = write_report(argv[0], sys.stdin.buffer.read())
    except (ReportError, OSError) as exc:
        sys.stderr.write('cannot write the report: %s\n' % exc)
        return 1
    if note:
        sys.stdout.write(note + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
