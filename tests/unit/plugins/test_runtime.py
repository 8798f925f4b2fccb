# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's metadata agrees with its code."""

from __future__ import annotations

import os

import yaml

from ansible_collections.composeio.dbaas.plugins.module_utils._client import COLLECTION_VERSION

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))


def load(path):
    with open(os.path.join(ROOT, path)) as handle:
        return yaml.safe_load(handle)


def test_action_group_lists_every_module_alphabetically():
    modules = sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, 'plugins', 'modules'))
                     if name.endswith('.py') and not name.startswith('_'))
    assert load('meta/runtime.yml')['action_groups']['compose'] == modules


def test_user_agent_version_matches_galaxy():
    assert load('galaxy.yml')['version'] == COLLECTION_VERSION


def claimed_lines():
    """The (python, ansible-core) lines of locks/lines.txt, the ones make test runs."""
    with open(os.path.join(ROOT, 'locks', 'lines.txt')) as handle:
        return [line.split() for line in handle if line.strip() and not line.startswith('#')]


def test_requires_ansible_is_the_oldest_tested_line():
    oldest = min((line[1] for line in claimed_lines()), key=lambda core: tuple(map(int, core.split('.'))))
    assert load('meta/runtime.yml')['requires_ansible'] == '>=%s.0' % oldest
    assert load('roles/backup/meta/main.yml')['galaxy_info']['min_ansible_version'] == oldest
    assert load('execution-environment.yml')['dependencies']['ansible_core']['package_pip'].startswith(
        'ansible-core>=%s,' % oldest)


def test_every_claimed_line_has_a_lock():
    for python, core in claimed_lines():
        with open(os.path.join(ROOT, 'locks', 'py%s.txt' % python)) as handle:
            assert any(line.startswith('ansible-core==%s.' % core) for line in handle), (python, core)
