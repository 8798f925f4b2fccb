# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The batch machinery on its own: the caps, one value per thread, one computation for all, the item's module, and
run_jobs with jobs that stand in for a module's Job (compose_backup's own batch: tests/unit/plugins/modules)."""

from __future__ import annotations

import threading

import pytest

from ansible_collections.composeio.dbaas.plugins.module_utils import _batch
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import ComposeNotFoundError, ComposeRecipeFailed, OptionError
from ansible_collections.composeio.dbaas.plugins.module_utils._module import build_client

TOKEN = 'feedfacecafebeef' * 4


class Module:
    """What run_jobs uses of a ComposeModule: params, client(), warn(), fail_json() (which ends the task) and _diff."""

    def __init__(self, diff=False):
        self.params = dict(api_token=TOKEN, api_url='https://api.test/2016-07', validate_certs=True, ca_path=None,
                           request_timeout=30.0, api_retries=0, settle_time=None)
        self._diff = diff
        self.warnings = []

    def client(self, gate=None):
        return build_client(self.params.get, self.warn, gate=gate)

    def warn(self, text):
        self.warnings.append(text)

    def fail_json(self, msg, **result):
        raise SystemExit(dict(result, msg=msg, failed=True))


class Job:
    """A job as Job.run() behaves: its result, or fail_json through its module, or a bug."""

    def __init__(self, module, client, outcome):
        self.module = module
        self.client = client
        self.outcome = outcome
        self.result = dict(changed=False, action=None)

    def run(self):
        self.module.warn('looked at %s' % self.module.params['name'])
        self.module.warn('the same for all')
        if self.outcome == 'fail':
            self.result['action'] = 'triggered'
            self.module.fail_json(msg='it broke\nsecond line', recipe={'id': 'r1'}, exception='Traceback...')
        if self.outcome == 'bug':
            raise KeyError('token %s in a bug' % TOKEN)
        self.result.update(changed=self.outcome == 'changed', action='reused', diff={'before': {}, 'after': {}})
        return self.result


def items(*outcomes):
    return [('item-%d' % index, dict(name='item-%d' % index, outcome=outcome)) for index, outcome in enumerate(outcomes)]


def make_job(item, client):
    return Job(item, client, item.params['outcome'])


def test_every_item_runs_in_order_and_the_failures_are_named():
    module = Module(diff=True)
    with pytest.raises(SystemExit) as end:
        _batch.run_jobs(module, items('ok', 'fail', 'changed', 'bug'), make_job, _batch.Caps(2, 1, 1), noun='deployments')
    result = end.value.code
    assert result['msg'] == ("2 of 4 deployments failed: item-1 (it broke); item-3 (unexpected error: KeyError: "
                             "'token ******** in a bug')")
    ok, failed, changed, bug = result['results']
    assert (ok['failed'], ok['action'], changed['changed'], result['changed']) == (False, 'reused', True, True)
    # What the job learnt before it failed, what fail_json said, never the traceback fail_json was given.
    assert failed == dict(changed=False, action='triggered', recipe={'id': 'r1'}, failed=True, msg='it broke\nsecond line')
    assert bug['failed'] is True and 'KeyError' in bug['exception']
    assert TOKEN not in repr(result)
    assert [d['before_header'] for d in result['diff']] == ['item-0', 'item-2']
    assert module.warnings == ['item-0: looked at item-0', 'item-0 and 3 more: the same for all', 'item-1: looked at item-1',
                               'item-2: looked at item-2', 'item-3: looked at item-3']


def test_a_batch_that_succeeds_returns_its_results():
    module = Module()
    result = _batch.run_jobs(module, items('ok', 'ok'), make_job, _batch.Caps(4, 4, 2))
    assert (result['changed'], [r['failed'] for r in result['results']]) == (False, [False, False])
    assert 'diff' not in result and 'diff' not in result['results'][0]


def test_the_failures_listed_in_the_message_are_bounded():
    with pytest.raises(SystemExit) as end:
        _batch.run_jobs(Module(), items(*['fail'] * (_batch.LISTED_FAILURES + 3)), make_job, _batch.Caps(4, 4, 2))
    assert end.value.code['msg'].endswith('item-%d (it broke); and 3 more (see results)' % (_batch.LISTED_FAILURES - 1))
    assert len(end.value.code['results']) == _batch.LISTED_FAILURES + 3


@pytest.mark.parametrize('values, message', [
    ((0, 1, 1), 'concurrency must be 1 or more, got 0'),
    ((1, 0, 1), 'api_concurrency must be 1 or more, got 0'),
    ((1, 1, -2), 'download_concurrency must be 1 or more, got -2'),
])
def test_caps_are_one_or_more(values, message):
    with pytest.raises(OptionError, match=message):
        _batch.Caps(*values)


def test_each_thread_gets_its_own_value():
    made = []
    per_thread = _batch.PerThread(lambda: made.append(threading.current_thread().name) or object())
    seen = {}

    def use():
        first = per_thread.get()
        assert per_thread.get() is first
        seen[threading.current_thread().name] = first

    threads = [threading.Thread(target=use, name='t%d' % index) for index in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(made) == ['t0', 't1', 't2']
    assert len(set(map(id, seen.values()))) == 3


def test_once_computes_once_for_every_thread():
    calls = []
    start = threading.Barrier(4)
    once = _batch.Once()
    got = []

    def compute():
        calls.append(1)
        return ['deployments']

    def use():
        start.wait()
        got.append(once.get(compute))

    threads = [threading.Thread(target=use) for dummy in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1]
    assert got == [['deployments']] * 4


@pytest.mark.parametrize('error', [ComposeNotFoundError('no such thing', status=404), ComposeRecipeFailed({'id': 'r1'})])
def test_once_raises_a_copy_of_its_failure_to_each_caller_and_does_not_retry(error):
    once = _batch.Once()
    calls = []

    def compute():
        calls.append(1)
        raise error

    raised = []
    for dummy in range(2):
        with pytest.raises(type(error)) as caught:
            once.get(compute)
        raised.append(caught.value)
    assert calls == [1]
    assert raised[0] is not raised[1] and raised[0] is not error
    assert [str(exc) for exc in raised] == [str(error)] * 2
    assert raised[0].__dict__ == error.__dict__


def test_the_item_module_keeps_the_task_module_as_it_was():
    module = Module()
    item = _batch.item_module(module, dict(module.params, name='x'), 'x')
    item.warn('careful')
    with pytest.raises(_batch.ItemFailed) as failed:
        item.fail_json(msg='no', status=404)
    assert (failed.value.msg, failed.value.result) == ('no', {'status': 404})
    assert (item.warnings, module.warnings, 'name' in module.params) == ([('x', 'careful')], [], False)
    with pytest.raises(SystemExit):
        module.fail_json(msg='the task itself still ends')
