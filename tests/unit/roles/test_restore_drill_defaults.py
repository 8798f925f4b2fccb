# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The restore_drill role's defaults (defaults/main.yml) and their documentation (meta/argument_specs.yml) say the
same; the connection defaults are the modules' and the backup role's, and the wait timeout is the modules'."""

from __future__ import annotations

from pathlib import Path

import yaml

from ansible_collections.composeio.dbaas.plugins.module_utils._options import WAIT_ARGS

ROLES = Path(__file__).resolve().parents[3] / 'roles'
ROLE = ROLES / 'restore_drill'
DEFAULTS = yaml.safe_load((ROLE / 'defaults' / 'main.yml').read_text())
OPTIONS = yaml.safe_load((ROLE / 'meta' / 'argument_specs.yml').read_text())['argument_specs']['main']['options']
BACKUP = yaml.safe_load((ROLES / 'backup' / 'defaults' / 'main.yml').read_text())


def test_every_option_has_one_default_and_every_default_is_an_option():
    assert sorted(DEFAULTS) == sorted(OPTIONS)
    assert all(name.startswith('compose_restore_drill_') for name in DEFAULTS)


def test_the_documented_defaults_are_the_defaults():
    documented = dict((name, spec['default']) for name, spec in OPTIONS.items() if 'default' in spec)
    assert documented == dict((name, DEFAULTS[name]) for name in documented)
    # The others come from the environment, which the descriptions tell.
    assert sorted(set(DEFAULTS) - set(documented)) == ['compose_restore_drill_api_token', 'compose_restore_drill_api_url']


def test_the_connection_defaults_are_the_backup_roles():
    # tests/unit/roles/test_backup_defaults.py checks those against the modules' environment variables and URL.
    for option in ('api_token', 'api_url', 'validate_certs', 'ca_path'):
        assert DEFAULTS['compose_restore_drill_' + option] == BACKUP['compose_backup_' + option]
        assert OPTIONS['compose_restore_drill_' + option].get('no_log', False) == (option == 'api_token')


def test_the_wait_timeout_is_the_modules():
    assert DEFAULTS['compose_restore_drill_wait_timeout'] == WAIT_ARGS['wait_timeout']['default']


def test_nothing_is_kept_or_removed_beyond_the_drill_by_default():
    assert DEFAULTS['compose_restore_drill_keep'] is False
    assert DEFAULTS['compose_restore_drill_remove_leftovers'] is False
    assert DEFAULTS['compose_restore_drill_deployments'] == []
