# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup role's defaults (defaults/main.yml) and their documentation (meta/argument_specs.yml) say the same,
and the defaults that the modules have too are the modules' (the batch mode's caps too)."""

from __future__ import annotations

from pathlib import Path

import yaml

from ansible_collections.composeio.dbaas.plugins.filter import backup_batch_plan as batch_plan
from ansible_collections.composeio.dbaas.plugins.filter import backup_retention as retention_filter
from ansible_collections.composeio.dbaas.plugins.module_utils._batch import BATCH_ARGS
from ansible_collections.composeio.dbaas.plugins.module_utils._client import DEFAULT_API_URL
from ansible_collections.composeio.dbaas.plugins.module_utils._module import TOKEN_VARS
from ansible_collections.composeio.dbaas.plugins.module_utils._options import WAIT_ARGS
from ansible_collections.composeio.dbaas.plugins.module_utils._retention import RULES

ROLE = Path(__file__).resolve().parents[3] / 'roles' / 'backup'
DEFAULTS = yaml.safe_load((ROLE / 'defaults' / 'main.yml').read_text())
OPTIONS = yaml.safe_load((ROLE / 'meta' / 'argument_specs.yml').read_text())['argument_specs']['main']['options']


def test_every_option_has_one_default_and_every_default_is_an_option():
    assert sorted(DEFAULTS) == sorted(OPTIONS)


def test_the_documented_defaults_are_the_defaults():
    documented = dict((name, spec['default']) for name, spec in OPTIONS.items() if 'default' in spec)
    assert documented == dict((name, DEFAULTS[name]) for name in documented)
    # The others are templates (the environment, the inventory, another option), which the descriptions tell.
    assert sorted(set(DEFAULTS) - set(documented)) == [
        'compose_backup_api_token', 'compose_backup_api_url', 'compose_backup_deployment_id',
        'compose_backup_deployment_name', 'compose_backup_report']
    assert all('{{' in DEFAULTS[name] for name in set(DEFAULTS) - set(documented))


def test_the_connection_defaults_are_the_modules():
    assert DEFAULTS['compose_backup_api_token'] == "{{ %s }}" % ' or '.join(
        "lookup('ansible.builtin.env', '%s')" % name for name in TOKEN_VARS)
    assert DEFAULTS['compose_backup_api_url'] == "{{ lookup('ansible.builtin.env', 'COMPOSE_API_URL') or '%s' }}" % (
        DEFAULT_API_URL)


def test_the_wait_defaults_are_the_modules():
    for option in ('wait_timeout', 'poll_interval', 'poll_max_interval'):
        assert DEFAULTS['compose_backup_' + option] == WAIT_ARGS[option]['default']


def test_each_retention_rule_is_a_role_variable_and_off_by_default():
    # The rules are _retention.RULES; the role passes each to the backup_retention filter, whose default is the same.
    documented = yaml.safe_load(retention_filter.DOCUMENTATION)['options']
    for rule in RULES:
        assert DEFAULTS['compose_backup_' + rule] == 0 == documented[rule]['default']
        assert OPTIONS['compose_backup_' + rule]['type'] == 'int'
    assert sorted(name for name in DEFAULTS if name.startswith('compose_backup_keep')) == sorted(
        'compose_backup_' + rule for rule in RULES)


def test_the_metrics_file_is_off_by_default():
    assert DEFAULTS['compose_backup_metrics_file'] == '' == OPTIONS['compose_backup_metrics_file']['default']


def test_the_batch_reads_a_hosts_deployment_as_the_defaults_give_it():
    # hostvars holds no role defaults: backup_batch_plan reads each variable, else the one its default names.
    assert DEFAULTS[batch_plan.ID_VARS[0]] == "{{ %s | default('') }}" % batch_plan.ID_VARS[1]
    assert DEFAULTS[batch_plan.NAME_VARS[0]] == "{{ %s | default(inventory_hostname) }}" % batch_plan.NAME_VARS[1]


def test_the_batch_is_off_by_default():
    assert DEFAULTS['compose_backup_batch'] is False is OPTIONS['compose_backup_batch']['default']


def test_the_batch_caps_are_the_modules():
    for option in BATCH_ARGS:
        assert DEFAULTS['compose_backup_' + option] == BATCH_ARGS[option]['default'] == OPTIONS['compose_backup_' + option]['default']
        assert OPTIONS['compose_backup_' + option]['type'] == BATCH_ARGS[option]['type']
