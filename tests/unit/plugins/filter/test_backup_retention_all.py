# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup_retention_all filter: for every deployment of the rows, backup_retention's very decisions, each sidecar
read once; failed rows keep their archives."""

from __future__ import annotations

from ansible_collections.composeio.dbaas.plugins.filter import backup_retention as single
from ansible_collections.composeio.dbaas.plugins.filter.backup_retention_all import FilterModule, backup_retention_all
from ansible_collections.composeio.dbaas.plugins.module_utils._archive import sidecar_path, sidecar_text

FIZZ = 'a' * 24
BUZZ = 'b' * 24
ODD = 'a|b'
RULES = {'keep': 1, 'keep_daily': 2}


def archive(folder, dep_id, name, day):
    path = folder / ('%s_201801%02dT120000Z_backup%d.tar.gz' % (name, day, day))
    path.write_bytes(b'archive')
    backup = {'id': 'backup%d' % day, 'deployment_id': dep_id, 'created_at': '2018-01-%02dT12:00:00Z' % day}
    with open(sidecar_path(str(path)), 'w') as handle:
        handle.write(sidecar_text(str(path), backup, 'ab' * 32, 7))
    return str(path)


def setup_folder(tmp_path):
    for day in (1, 2, 3, 4):
        archive(tmp_path, FIZZ, 'fizz', day)
    for day in (5, 6):
        archive(tmp_path, BUZZ, 'buzz', day)
    archive(tmp_path, ODD, 'odd', 7)
    return sorted(str(p) for p in tmp_path.glob('*.sha256'))


def row(dep_id, **extra):
    return dict({'deployment_id': dep_id, 'outcome': 'ok', 'downloaded': False, 'file': None}, **extra)


def test_registered_under_its_name():
    assert FilterModule().filters() == {'backup_retention_all': backup_retention_all}


def test_each_deployment_gets_backup_retentions_decisions(tmp_path):
    files = setup_folder(tmp_path)
    got = backup_retention_all(files, [row(FIZZ), row(BUZZ), row(FIZZ)], **RULES)
    assert list(got['by_id']) == [FIZZ, BUZZ]
    for dep_id in (FIZZ, BUZZ):
        assert got['by_id'][dep_id] == single.backup_retention(files, dep_id, **RULES)
    assert got['remove'] == got['by_id'][FIZZ]['remove'] + got['by_id'][BUZZ]['remove']
    assert len(got['remove']) == 2


def test_each_sidecar_is_read_once(tmp_path, monkeypatch):
    files = setup_folder(tmp_path)
    reads = []
    real = single.read_sidecar

    def counting(path, **kwargs):
        reads.append(path)
        return real(path, **kwargs)

    monkeypatch.setattr(single, 'read_sidecar', counting)
    backup_retention_all(files, [row(FIZZ), row(BUZZ), row(ODD)], **RULES)
    assert len(reads) == len(files) == 7


def test_an_id_is_text_never_a_pattern_and_failed_rows_keep_theirs(tmp_path):
    files = setup_folder(tmp_path)
    got = backup_retention_all(files, [row('.*'), row(ODD), row(FIZZ, outcome='failed'), row(None), row('')], **RULES)
    assert list(got['by_id']) == ['.*', ODD]
    # Neither selects another deployment's archives (the writer records a|b as a-b, so it selects none either).
    assert got['by_id']['.*']['decisions'] == [] and got['by_id'][ODD]['decisions'] == []
    assert got['remove'] == []


def test_in_check_mode_a_planned_download_takes_its_place(tmp_path):
    files = setup_folder(tmp_path)
    planned = str(tmp_path / 'fizz_20300101T000000Z_new.tar.gz')
    rows = [row(FIZZ, downloaded=True, file=planned)]
    got = backup_retention_all(files, rows, check_mode=True, keep=2)
    assert got['by_id'][FIZZ] == single.backup_retention(files, FIZZ, keep=2, pending=[planned])
    assert got['by_id'][FIZZ]['decisions'][0]['pending'] is True
    # Not in a real run's rows: the download is on disk by then.
    assert backup_retention_all(files, rows, keep=2)['by_id'][FIZZ] == single.backup_retention(files, FIZZ, keep=2)
