# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write the backup role's JSON report, or its metrics file, the way compose_backup writes archives: a new temporary
file in the same folder, then an atomic rename over the path. The restore_drill role writes its report with it too
(--option compose_restore_drill_report).

usage: python write_report.py [--mode OCTAL] [--option VARIABLE] PATH < CONTENT

A symbolic link at PATH is replaced, never followed: its target is left as it was. A directory at PATH is refused.
The folder part of PATH may be a link (as compose_backup_dest may be). The file is mode 0600 unless --mode says
otherwise (the metrics file is 0644, for node_exporter). --option names the role variable that gives PATH, for the
messages (compose_backup_report unless given). Standard library only, Python 3.8 or newer."""

from __future__ import annotations

import argparse
import os
import stat
import sys
import tempfile

MODE = 0o600


class ReportError(Exception):
    pass


def write_report(path, data, mode=MODE, option='compose_backup_report'):
    """Write data (bytes) to path atomically; returns a note when a symbolic link at path was replaced, else ''."""
    name = os.path.basename(path)
    if name in ('', '.', '..'):
        raise ReportError('the path %s names a folder, not a file; set %s to a file path' % (path, option))
    folder = os.path.dirname(os.path.abspath(path))
    target = os.path.join(folder, name)
    note = ''
    try:
        found = os.lstat(target)
    except FileNotFoundError:
        found = None
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise ReportError('the path %s is a folder; set %s to a file path' % (target, option))
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
    parser = argparse.ArgumentParser(prog='write_report.py', usage='%(prog)s [--mode OCTAL] [--option VARIABLE] PATH < CONTENT')
    parser.add_argument('--mode', type=lambda text: int(text, 8), default=MODE)
    parser.add_argument('--option', default='compose_backup_report')
    parser.add_argument('path')
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return run(args.option, args.path, lambda: write_report(args.path, sys.stdin.buffer.read(), mode=args.mode,
                                                            option=args.option))


def run(option, path, write):
    """The exit status of write(): 0, printing its note if any; 1, printing what failed, named by option and path."""
    try:
        note = write()
    except (ReportError, OSError) as exc:
        sys.stderr.write('%s: cannot write %s: %s\n' % (option, path, exc))
        return 1
    if note:
        sys.stdout.write(note + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
