# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How long a deployment's backups take, from its recipes."""

from __future__ import annotations

from ansible_collections.composeio.dbaas.plugins.module_utils._backups import expected_duration


def done(rid, created, seconds, name='Backup', status='complete'):
    return {'id': rid, 'name': name, 'template': 'Recipes::Deployment::%s' % name, 'status': status,
            'created_at': '2026-11-%02dT01:00:00.000Z' % created,
            'updated_at': '2026-11-%02dT01:%02d:%02d.000Z' % (created, seconds // 60, seconds % 60)}


def test_the_shortest_of_the_last_five_complete_backups():
    recipes = [done('r%d' % day, day, 600 + 10 * day) for day in range(1, 8)]  # days 3 to 7 are the last five
    recipes.append(done('r0', 20, 1200, status='running'))
    assert expected_duration(recipes, 'current') == 630.0


def test_restores_failed_and_the_current_recipe_do_not_count():
    recipes = [done('r1', 1, 300), done('r2', 2, 60, name='Restore'), done('r3', 3, 30, status='failed'),
               done('current', 4, 10)]
    assert expected_duration(recipes, 'current') == 300.0


def test_nothing_to_go_by():
    assert expected_duration([], 'current') is None
    assert expected_duration(None, 'current') is None
    # A recipe whose updated_at is not after its created_at says nothing about the duration.
    assert expected_duration([done('r1', 1, 0), dict(done('r2', 2, 60), updated_at='soon')], 'current') is None
