# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The batch mode's remover (roles/backup/files/remove_archives.py): the archives retention chose and their sidecars,
in one process; a path outside the folder, or not an archive, removes nothing at all."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / 'roles' / 'backup' / 'files' / 'remove_archives.py'
_spec = importlib.util.spec_from_file_location('compose_remove_archives', SCRIPT)
remover = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(remover)


@pytest.fixture
def folder(tmp_path):
    backups = tmp_path / 'backups'
    backups.mkdir()
    for name in ('old', 'new'):
        (backups / (name + '.tar.gz')).write_bytes(b'x')
        (backups / (name + '.tar.gz.sha256')).write_text('y')
    (tmp_path / 'outside.tar.gz').write_bytes(b'precious')
    return backups


def run(folder, paths):
    return subprocess.run([sys.executable, str(SCRIPT), str(folder)], input=json.dumps(paths), capture_output=True,
                          text=True, check=False)


def names(folder):
    return sorted(path.name for path in folder.iterdir())


def test_removes_each_archive_with_its_sidecar(folder):
    done = run(folder, [str(folder / 'old.tar.gz'), str(folder / 'gone.tar.gz')])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {'removed': [str(folder / 'old.tar.gz'), str(folder / 'old.tar.gz.sha256')]}
    assert names(folder) == ['new.tar.gz', 'new.tar.gz.sha256']


@pytest.mark.parametrize('bad', ['../outside.tar.gz', 'new.tar.gz.sha256', '.tar.gz', None])
def test_a_bad_path_removes_nothing(folder, bad):
    paths = [str(folder / 'old.tar.gz'), str(folder / bad) if bad else bad]
    done = run(folder, paths)
    assert done.returncode == 1 and done.stderr.startswith('compose_backup_dest: nothing removed: ')
    assert names(folder) == ['new.tar.gz', 'new.tar.gz.sha256', 'old.tar.gz', 'old.tar.gz.sha256']
    assert (folder.parent / 'outside.tar.gz').read_bytes() == b'precious'


def test_the_folder_may_be_reached_through_a_link(folder, tmp_path):
    link = tmp_path / 'link'
    link.symlink_to(folder)
    old = str(folder / 'old.tar.gz')
    assert remover.targets(str(link), [old]) == [old, old + '.sha256']


def test_not_a_list_is_refused(folder):
    with pytest.raises(remover.RemoveError, match='expected a JSON list'):
        remover.targets(str(folder), {'path': 'x'})
    assert run(folder, 'x').returncode == 1
