# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Remove the archives retention chose, with their .sha256 files, in one process: the backup role's batch mode,
where one ansible.builtin.file task per archive would cost a module process each (about 0.2 CPU-second apiece).

usage: python remove_archives.py FOLDER < JSON list of archive paths

Only archives directly in FOLDER (after resolving links in the folder's path, as the role's folder is) whose names
end in .tar.gz are removed; any other path is refused before anything is removed, so a bad list removes nothing.
A file already gone is not an error. Prints a JSON object: {"removed": [paths of the files removed]}. Standard
library only, Python 3.8 or newer."""

from __future__ import annotations

import json
import os
import sys

SIDECAR_SUFFIX = '.sha256'


class RemoveError(Exception):
    pass


def targets(folder, paths):
    """Each archive and its sidecar, after checking every path; raises RemoveError naming the first bad one."""
    folder = os.path.realpath(folder)
    if not isinstance(paths, list):
        raise RemoveError('expected a JSON list of archive paths')
    found = []
    for path in paths:
        if not isinstance(path, str) or not path.endswith('.tar.gz') or os.path.basename(path) in ('', '.tar.gz'):
            raise RemoveError('%r is not an archive path (a .tar.gz file)' % (path,))
        if os.path.realpath(os.path.dirname(os.path.abspath(path))) != folder:
            raise RemoveError('%s is not in the backup folder %s' % (path, folder))
        found.extend([path, path + SIDECAR_SUFFIX])
    return found


def remove(paths):
    removed = []
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write('usage: remove_archives.py FOLDER < JSON list of archive paths\n')
        return 2
    try:
        removed = remove(targets(args[0], json.loads(sys.stdin.read() or '[]')))
    except (RemoveError, ValueError) as exc:
        sys.stderr.write('compose_backup_dest: nothing removed: %s\n' % exc)
        return 1
    except OSError as exc:
        sys.stderr.write('compose_backup_dest: cannot remove an archive: %s\n' % exc)
        return 1
    sys.stdout.write(json.dumps({'removed': removed}) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
