# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""extensions/awx/credential-type.yml is a well-formed AWX credential type that injects what the collection reads."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import jinja2.meta
import pytest
import yaml

from ansible_collections.composeio.dbaas.plugins.doc_fragments._common import ModuleDocFragment
from ansible_collections.composeio.dbaas.plugins.module_utils import _client, _module

ROOT = Path(__file__).resolve().parents[3]
CREDENTIAL_TYPE = ROOT / 'extensions' / 'awx' / 'credential-type.yml'
# What AWX accepts in a custom credential type (awx/main/fields.py, CredentialInputField): field types, the keys of
# a field (ask_at_runtime is for AWX's own managed types only; it refuses it in a custom one), and string formats.
FIELD_TYPES = {'string', 'boolean'}
FIELD_KEYS = {'id', 'label', 'type', 'secret', 'help_text', 'default', 'multiline', 'format', 'choices'}
FORMATS = {'ssh_private_key', 'url'}
KINDS = {'cloud', 'net'}


@pytest.fixture(scope='module')
def credential_type():
    return yaml.safe_load(CREDENTIAL_TYPE.read_text())


def test_well_formed(credential_type):
    assert set(credential_type) == {'name', 'description', 'kind', 'inputs', 'injectors'}
    assert credential_type['kind'] in KINDS
    fields = credential_type['inputs']['fields']
    ids = [field['id'] for field in fields]
    assert len(ids) == len(set(ids))
    for field in fields:
        assert set(field) <= FIELD_KEYS, field
        assert field['type'] in FIELD_TYPES and field['label'] and re.match(r'^[a-z_]+$', field['id'])
        assert field.get('format', 'url') in FORMATS, field
    assert set(credential_type['inputs']['required']) <= set(ids)
    assert set(credential_type['injectors']) <= {'env', 'extra_vars', 'file'}


def test_the_token_is_secret_and_required(credential_type):
    token = [field for field in credential_type['inputs']['fields'] if field['id'] == 'api_token'][0]
    assert token['secret'] is True
    assert 'api_token' in credential_type['inputs']['required']


def test_injectors_use_only_declared_fields(credential_type):
    ids = {field['id'] for field in credential_type['inputs']['fields']}
    env = jinja2.Environment()
    for value in credential_type['injectors']['env'].values():
        assert jinja2.meta.find_undeclared_variables(env.parse(value)) <= ids, value


def test_injected_variables_are_the_ones_the_collection_reads(credential_type):
    env = credential_type['injectors']['env']
    token_var = [name for name, value in env.items() if 'api_token' in value]
    url_var = [name for name, value in env.items() if 'api_url' in value]
    # The modules (shared argument spec) ...
    assert token_var == [_module.TOKEN_VARS[0]]
    module_url_vars = _module.CONNECTION_ARGS['api_url']['fallback'][1]
    assert url_var == module_url_vars
    # ... the inventory plugin ...
    options = yaml.safe_load(ModuleDocFragment.PLUGIN)['options']
    assert token_var[0] in [item['name'] for item in options['api_token']['env']]
    assert url_var[0] in [item['name'] for item in options['api_url']['env']]
    # ... and the backup role, which reads the controller's environment.
    role_vars = (ROOT / 'roles' / 'backup' / 'defaults' / 'main.yml').read_text()
    assert "lookup('ansible.builtin.env', '%s')" % token_var[0] in role_vars
    assert "lookup('ansible.builtin.env', '%s')" % url_var[0] in role_vars


def test_default_url_is_the_collection_default(credential_type):
    url = [field for field in credential_type['inputs']['fields'] if field['id'] == 'api_url'][0]
    assert url['default'] == _client.DEFAULT_API_URL
    # AWX checks the value when the credential is saved, so a URL without a scheme is refused there, not at run time.
    assert url['format'] == 'url'
