# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the reliability suite: one simulator per pytest worker, reset before each test."""

from __future__ import annotations

import os
import tempfile

import pytest

from ansible_collections.composeio.dbaas.tests.reliability import harness, report

TOKEN = harness.TOKEN


def pytest_configure(config):
    if not hasattr(config, 'workerinput'):
        # The controller makes the results folder; xdist workers inherit the environment it sets.
        os.environ.setdefault(report.RESULTS_ENV, tempfile.mkdtemp(prefix='compose-reliability-'))


def pytest_sessionfinish(session, exitstatus):
    if hasattr(session.config, 'workerinput'):
        return
    problem = report.finish(os.environ[report.RESULTS_ENV])
    if problem:
        session.config.pluginmanager.get_plugin('terminalreporter').write_line('\n' + problem, red=True)
        if exitstatus == 0:
            session.exitstatus = 1


@pytest.fixture(scope='session')
def simulator():
    sim = harness.Simulator(TOKEN)
    yield sim
    sim.stop()


@pytest.fixture
def sim(simulator):  # pylint: disable=redefined-outer-name
    """The worker's simulator, back at the demo seed, with recipes that complete on the first poll."""
    simulator.control.reset()
    simulator.control.config(recipe_polls=1)
    return simulator


@pytest.fixture
def workdir(tmp_path):
    return tmp_path


@pytest.fixture
def module(sim, workdir):  # pylint: disable=redefined-outer-name
    """run(name, args, **kwargs): a module against the simulator, with fast polling."""

    def run(name, args, token=True, where=None, **kwargs):
        full = dict(api_url=sim.api_url)
        if token:
            full['api_token'] = TOKEN
        if name in ('compose_backup', 'compose_backup_restore'):
            full.update(poll_interval=0.1, poll_max_interval=0.2)
        full.update(args)
        return harness.run_module(name, full, where or workdir, **kwargs)

    return run
