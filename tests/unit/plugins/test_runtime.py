# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's metadata agrees with its code."""

from __future__ import annotations

import os

import yaml

from ansible_collections.composeio.dbaas.plugins.module_utils._api import COLLECTION_VERSION

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
