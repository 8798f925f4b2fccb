# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lock that serialises parallel tasks for one deployment: one private folder per user, no links followed."""

from __future__ import annotations

import os
import stat
import tempfile

import pytest

from ansible_collections.composeio.dbaas.plugins.module_utils._lock import deployment_lock
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import ComposeError

API = 'https://api.compose.test/2016-07/'
FOLDER = 'composeio.dbaas-locks-%d' % os.getuid()


@pytest.fixture
def tmpdir_(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path))
    return tmp_path


def test_the_lock_lives_in_a_private_folder_of_this_user(tmpdir_):
    with deployment_lock(API, 'dep1') as ledger:
        ledger.record('recipe1')
    folder = tmpdir_ / FOLDER
    info = folder.stat()
    assert stat.S_IMODE(info.st_mode) == 0o700 and info.st_uid == os.getuid()
    (lock,) = folder.iterdir()
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600
    with deployment_lock(API, 'dep1') as ledger:
        assert ledger.last()[0] == 'recipe1'


def test_a_folder_others_can_enter_is_refused(tmpdir_):
    (tmpdir_ / FOLDER).mkdir(mode=0o700)
    os.chmod(str(tmpdir_ / FOLDER), 0o777)
    with pytest.raises(ComposeError, match=r'lock folder .*%s is not a folder that only this user' % FOLDER) as info:
        with deployment_lock(API, 'dep1'):
            pass
    assert 'TMPDIR' in str(info.value)


def test_a_link_in_place_of_the_folder_is_refused(tmpdir_):
    (tmpdir_ / 'elsewhere').mkdir(mode=0o700)
    (tmpdir_ / FOLDER).symlink_to(tmpdir_ / 'elsewhere')
    with pytest.raises(ComposeError, match='is not a folder that only this user'):
        with deployment_lock(API, 'dep1'):
            pass
    assert list((tmpdir_ / 'elsewhere').iterdir()) == []


def test_a_link_in_place_of_the_lock_file_is_not_followed(tmpdir_):
    with deployment_lock(API, 'dep1'):
        pass
    (lock,) = (tmpdir_ / FOLDER).iterdir()
    lock.unlink()
    victim = tmpdir_ / 'precious.txt'
    victim.write_text('keep me')
    lock.symlink_to(victim)
    with pytest.raises(ComposeError, match='cannot open the lock file'):
        with deployment_lock(API, 'dep1') as ledger:
            ledger.record('recipe1')
    assert victim.read_text() == 'keep me'


@pytest.mark.skipif(os.getuid() != 0, reason='needs root to give the folder to another user')
def test_another_users_folder_is_refused(tmpdir_):
    (tmpdir_ / FOLDER).mkdir(mode=0o700)
    os.chown(str(tmpdir_ / FOLDER), 65534, 65534)
    with pytest.raises(ComposeError, match='is not a folder that only this user'):
        with deployment_lock(API, 'dep1'):
            pass
