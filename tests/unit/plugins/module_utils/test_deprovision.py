# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which deployment state=absent removes, and what shows that a restore created it (the HTTP side is in
tests/unit/plugins/modules/test_compose_backup_restore_absent.py)."""

from __future__ import annotations

import re

import pytest

from ansible_collections.composeio.dbaas.plugins.module_utils._deprovision import (
    check_not_source,
    check_restored,
    pick_target,
    provisioning_recipe,
    running_deprovision,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import ComposeError

A = {'id': 'a' * 24, 'name': 'drill'}
B = {'id': 'b' * 24, 'name': 'drill'}
C = {'id': 'c' * 24, 'name': 'other'}


def recipe(name, created, status='complete', template=None):
    return {'id': name.lower() + created, 'name': name, 'status': status, 'created_at': '2026-01-%sT00:00:00Z' % created,
            'template': template or 'Recipes::Deployment::%s' % name}


def test_pick_target_by_name_and_by_id():
    assert pick_target([A, C], 'drill') is A
    assert pick_target([A, B, C], 'drill', 'b' * 24) is B
    assert pick_target([C], 'drill') is None
    assert pick_target([C], 'drill', 'a' * 24) is None, 'gone: neither the name nor the id is listed'


@pytest.mark.parametrize('listed, restored_id, message', [
    ([A, B], None, "2 deployments are named 'drill' (%s, %s); nothing was removed" % ('a' * 24, 'b' * 24)),
    ([A], 'b' * 24, "restored_id: the deployment named 'drill' has id %s, not %s" % ('a' * 24, 'b' * 24)),
    ([dict(A, name='renamed')], 'a' * 24, "restored_id: deployment %s is named 'renamed', not 'drill'" % ('a' * 24)),
])
def test_pick_target_refuses_what_it_cannot_tell_apart(listed, restored_id, message):
    with pytest.raises(ComposeError, match=re.escape(message)):
        pick_target(listed, 'drill', restored_id)


def test_the_source_is_refused_by_id_or_by_name():
    with pytest.raises(ComposeError, match=r'is the source deployment \(deployment_id\)'):
        check_not_source(A, deployment_id='a' * 24)
    with pytest.raises(ComposeError, match=r'is the source deployment \(deployment_name\)'):
        check_not_source(A, deployment_id='c' * 24, deployment_name='drill')
    check_not_source(A, deployment_id='c' * 24, deployment_name='other')
    check_not_source(A)


def test_the_provisioning_recipe_is_the_oldest_that_is_not_a_backup():
    history = [recipe('Deprovision', '09'), recipe('Backup', '01'), recipe('Restore', '02'), recipe('Scale', '05')]
    assert provisioning_recipe(history)['name'] == 'Restore'
    assert check_restored(A, history)['name'] == 'Restore'


@pytest.mark.parametrize('history', [
    [recipe('Provision', '01', template='Recipes::Deployment::Run')],
    [recipe('restore', '01')],          # the name is compared exactly: fail closed
    [recipe('Backup', '01')],
    [],
])
def test_anything_but_a_restore_named_provisioning_is_refused(history):
    with pytest.raises(ComposeError, match='nothing was removed'):
        check_restored(A, history)


def test_the_running_deprovision_recipe_by_template_or_name():
    assert running_deprovision([recipe('Deprovision', '03', status='failed'), recipe('Restore', '01')]) is None
    running = recipe('Teardown', '04', status='waiting', template='Recipes::Deployment::Deprovision')
    assert running_deprovision([recipe('Deprovision', '03', status='failed'), running]) is running
    named = recipe('Deprovision', '05', status='running', template='Recipes::Other')
    assert running_deprovision([running, named]) is named, 'the newest'
