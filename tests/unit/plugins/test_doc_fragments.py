# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The doc fragments document the options as the code defines them: the same names, types, defaults and
environment variables (each default is written once in the code; the fragments repeat it for ansible-doc)."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.composeio.dbaas.plugins.doc_fragments import _common, _wait
from ansible_collections.composeio.dbaas.plugins.module_utils._module import CONNECTION_ARGS
from ansible_collections.composeio.dbaas.plugins.module_utils._options import WAIT_ARGS


def documented(text):
    return yaml.safe_load(text)['options']


@pytest.mark.parametrize('fragment, spec', [
    (_common.ModuleDocFragment.DOCUMENTATION, CONNECTION_ARGS),
    (_common.ModuleDocFragment.PLUGIN, CONNECTION_ARGS),
    (_wait.ModuleDocFragment.DOCUMENTATION, WAIT_ARGS),
], ids=['connection', 'connection (inventory plugin)', 'wait'])
def test_a_fragment_documents_the_code_default_of_each_option(fragment, spec):
    options = documented(fragment)
    assert sorted(options) == sorted(spec)
    for name, arg in spec.items():
        assert options[name]['type'] == arg['type'], name
        assert options[name].get('default') == arg.get('default'), name


def test_the_inventory_plugin_reads_the_environment_variables_the_modules_read():
    options = documented(_common.ModuleDocFragment.PLUGIN)
    for name, arg in CONNECTION_ARGS.items():
        fallback = arg.get('fallback', (None, []))[1]
        assert [item['name'] for item in options[name].get('env', [])] == list(fallback), name
