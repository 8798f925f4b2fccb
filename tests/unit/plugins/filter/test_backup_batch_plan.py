# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup_batch_plan filter: each host's deployment as the role's defaults give it, one item per deployment, and the
deployments whose backups cannot be downloaded apart."""

from __future__ import annotations

from ansible_collections.composeio.dbaas.plugins.filter.backup_batch_plan import FilterModule, backup_batch_plan

FIZZ = 'a' * 24
BUZZ = 'b' * 24
ELASTIC = 'e' * 24


def test_registered_under_its_name():
    assert FilterModule().filters() == {'backup_batch_plan': backup_batch_plan}


def test_inventory_hosts_go_by_id_and_names_by_name():
    hostvars = {
        'fizz-production': {'compose_deployment_id': FIZZ, 'compose_deployment_name': 'fizz-production',
                            'compose_deployment_type': 'postgresql'},
        'given': {'compose_deployment_name': 'buzz-cache'},
        'bare': {},
    }
    plan = backup_batch_plan(['fizz-production', 'given', 'bare'], hostvars)
    assert plan['download'] == [{'id': FIZZ}, {'name': 'buzz-cache'}, {'name': 'bare'}]
    assert plan['keep'] == []
    assert [(h['host'], h['name'], h['id'], h['type'], h['group'], h['index']) for h in plan['hosts']] == [
        ('fizz-production', 'fizz-production', FIZZ, 'postgresql', 'download', 0),
        ('given', 'buzz-cache', '', None, 'download', 1),
        ('bare', 'bare', '', None, 'download', 2)]
    assert plan['untyped'] is True and plan['unnamed'] is True


def test_the_role_variables_win_over_the_inventory_ones():
    hostvars = {'h': {'compose_deployment_id': FIZZ, 'compose_backup_deployment_id': BUZZ,
                      'compose_deployment_name': 'x', 'compose_backup_deployment_name': 'y'}}
    assert backup_batch_plan(['h'], hostvars)['hosts'][0]['id'] == BUZZ
    # An empty compose_backup_deployment_id means: by name, as in the per-host path.
    hostvars = {'h': {'compose_deployment_id': FIZZ, 'compose_backup_deployment_id': '', 'compose_backup_deployment_name': 'y'}}
    plan = backup_batch_plan(['h'], hostvars)
    assert plan['download'] == [{'name': 'y'}] and plan['hosts'][0]['id'] == ''


def test_hosts_naming_one_deployment_share_its_item():
    hostvars = {'a': {'compose_deployment_id': FIZZ}, 'b': {'compose_backup_deployment_id': FIZZ}, 'c': {}}
    plan = backup_batch_plan(['a', 'b', 'c'], hostvars, download=False)
    assert plan['download'] == [{'id': FIZZ}, {'name': 'c'}]
    assert [h['index'] for h in plan['hosts']] == [0, 0, 1]


def test_a_type_kept_for_restores_goes_to_keep_when_downloading():
    hostvars = {'es': {'compose_deployment_id': ELASTIC, 'compose_deployment_type': 'elastic_search'},
                'pg': {'compose_deployment_id': FIZZ, 'compose_deployment_type': 'postgresql'}}
    plan = backup_batch_plan(['es', 'pg'], hostvars)
    assert plan['keep'] == [{'id': ELASTIC}] and plan['download'] == [{'id': FIZZ}]
    assert [(h['group'], h['index']) for h in plan['hosts']] == [('keep', 0), ('download', 0)]
    assert plan['untyped'] is False and plan['unnamed'] is False
    # Without downloads there is nothing to refuse: one call for all.
    plan = backup_batch_plan(['es', 'pg'], hostvars, download=False)
    assert plan['keep'] == [] and plan['download'] == [{'id': ELASTIC}, {'id': FIZZ}]


def test_the_listing_gives_types_and_ids_of_hosts_given_by_name_but_the_items_stay():
    hostvars = {'es': {'compose_deployment_name': 'search'}, 'pg': {'compose_deployment_name': 'fizz'},
                'twin': {'compose_deployment_name': 'twin'}, 'gone': {}}
    listing = [{'id': ELASTIC, 'name': 'search', 'type': 'elastic_search'},
               {'id': FIZZ, 'name': 'fizz', 'type': 'postgresql'},
               {'id': 'c' * 24, 'name': 'twin', 'type': 'redis'}, {'id': 'd' * 24, 'name': 'twin', 'type': 'scylla'}]
    plan = backup_batch_plan(['es', 'pg', 'twin', 'gone'], hostvars, listing=listing)
    assert plan['keep'] == [{'name': 'search'}]
    assert plan['download'] == [{'name': 'fizz'}, {'name': 'twin'}, {'name': 'gone'}]
    assert [(h['id'], h['type']) for h in plan['hosts']] == [(ELASTIC, 'elastic_search'), (FIZZ, 'postgresql'),
                                                             ('', None), ('', None)]
    # A name two deployments share, and one the listing lacks, stay unknown (the module's lookup says why).
    assert plan['untyped'] is True and plan['unnamed'] is True


def test_no_hosts_no_items():
    assert backup_batch_plan([], {}) == {'hosts': [], 'download': [], 'keep': [], 'untyped': False, 'unnamed': False}
