# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One task for many items: the job of a single-item call run for each item, several at once on threads, within caps
on the requests in flight. Private to this collection, may change without notice.

Each item runs the very Job a single call runs, with a module of its own (a shallow copy of the task's, with the
item's parameters, its warnings collected, and a failure that ends the item rather than the task) and a client of its
thread's (a requests.Session is not documented thread-safe). The caps are semaphores held where requests are sent
(ComposeClient and Downloader take them as their gate), so they hold whatever a job does; a job waiting for a recipe
holds a thread and nothing else."""

from __future__ import annotations

import concurrent.futures
import copy
import threading
import time
import traceback

from ansible_collections.composeio.dbaas.plugins.module_utils._errors import OptionError, mask
from ansible_collections.composeio.dbaas.plugins.module_utils._module import build_client

# The batch options' defaults, written once; the module's DOCUMENTATION repeats them (validate-modules compares).
CONCURRENCY = 16
API_CONCURRENCY = 4
DOWNLOAD_CONCURRENCY = 2
BATCH_ARGS = dict(
    concurrency=dict(type='int', default=CONCURRENCY),
    api_concurrency=dict(type='int', default=API_CONCURRENCY),
    download_concurrency=dict(type='int', default=DOWNLOAD_CONCURRENCY),
)
# How many failures the task's message lists one by one; the results list them all.
LISTED_FAILURES = 20


class Caps:
    """The limits of one batch: items in progress (threads), API requests in flight, downloads in flight."""

    def __init__(self, items, api, downloads):
        for option, value in (('concurrency', items), ('api_concurrency', api), ('download_concurrency', downloads)):
            if value is None or value < 1:
                raise OptionError('%s must be 1 or more, got %s' % (option, value))
        self.items = items
        self.api = threading.BoundedSemaphore(api)
        self.downloads = threading.BoundedSemaphore(downloads)

    @classmethod
    def from_params(cls, params):
        return cls(params['concurrency'], params['api_concurrency'], params['download_concurrency'])


class PerThread:
    """One value per thread, made by make() on the thread's first use."""

    def __init__(self, make):
        self.make = make
        self.local = threading.local()

    def get(self):
        value = getattr(self.local, 'value', None)
        if value is None:
            value = self.local.value = self.make()
        return value


class Once:
    """A value computed once for the whole batch, by the first thread that asks; the others wait for it. A failure is
    raised to every caller, each getting a copy, and is not retried: the computation made its own retries."""

    def __init__(self):
        self.lock = threading.Lock()
        self.done = False
        self.value = None
        self.error = None

    def get(self, compute):
        with self.lock:
            if not self.done:
                try:
                    self.value = compute()
                except Exception as exc:  # pylint: disable=broad-except
                    self.error = exc
                self.done = True
        if self.error is not None:
            raise fresh(self.error)
        return self.value


def fresh(exc):
    """A copy of exc to raise again on another thread (a raise sets its traceback), made without calling __init__,
    whose signature differs between the errors."""
    clone = type(exc).__new__(type(exc), *exc.args)
    clone.__dict__.update(exc.__dict__)
    return clone


class ItemFailed(Exception):
    """An item's module failed (fail_json): the message and what it returned. Ends the item, not the task."""

    def __init__(self, msg, result):
        super().__init__(msg)
        self.msg = msg
        self.result = result


def item_module(module, params, label):
    """The module one item's job sees: a shallow copy of the task's module with the item's params, whose warnings are
    collected (in `warnings`, as label and text) and whose fail_json raises ItemFailed, from the job or from
    AnsibleModule's own methods (atomic_move, the file attributes), instead of ending the process."""
    item = copy.copy(module)
    item.params = params
    item.warnings = []

    def warn(text):
        item.warnings.append((label, text))

    def fail_json(msg, **result):
        raise ItemFailed(msg, result)

    item.warn = warn
    item.fail_json = fail_json
    return item


def first_line(text):
    return str(text).strip().splitlines()[0] if str(text).strip() else ''


def run_jobs(module, items, make_job, caps, noun='items'):
    """make_job(item_module, client).run() for each (label, params) of items, caps.items at once; return the task's
    result: `results` (one per item, in the order of items, each with `failed` and, when failed, `msg`), `changed`,
    `elapsed` and, with --diff, `diff` (one per item that ran, headed by its label). The items' warnings are given
    once each, prefixed with the item's label. When an item failed, the task fails through module.fail_json naming
    them, with the same result.

    The task's client is made first, on this thread, so that a wrong connection option fails the task at once and
    its warnings are given once; each worker thread then makes its own, with the same options.
    """
    started = time.monotonic()
    module.client(gate=caps.api)
    secrets = (module.params.get('api_token'),)
    clients = PerThread(lambda: build_client(module.params.get, lambda text: None,
                                             settle=module.params.get('settle_time'), gate=caps.api))

    def one(label, overrides):
        item = item_module(module, dict(module.params, **overrides), label)
        job = None
        try:
            job = make_job(item, clients.get())
            result = dict(job.run(), failed=False)
        except ItemFailed as exc:
            result = dict(job.result if job is not None else {}, **exc.result)
            result.pop('exception', None)
            result.update(failed=True, msg=exc.msg)
        except Exception as exc:  # pylint: disable=broad-except
            # A bug, not a failure the job knows: this item fails with it, the others go on.
            result = dict(job.result if job is not None else {}, failed=True,
                          msg='unexpected error: %s: %s' % (type(exc).__name__, mask(exc, secrets)),
                          exception=mask(traceback.format_exc(), secrets))
        return result, item.warnings

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(caps.items, len(items)))) as pool:
        futures = [pool.submit(one, label, overrides) for label, overrides in items]
        done = [future.result() for future in futures]
    results, diffs, failed, warned = [], [], [], {}
    for (label, dummy), (result, warnings) in zip(items, done):
        for item_label, text in warnings:
            warned.setdefault(text, []).append(item_label)
        diff = result.pop('diff', None)
        if diff is not None:
            diffs.append(dict(diff, before_header=label, after_header=label))
        if result['failed']:
            failed.append('%s (%s)' % (label, first_line(result['msg'])))
        results.append(result)
    outcome = dict(changed=any(result.get('changed') for result in results), results=results,
                   elapsed=round(time.monotonic() - started, 3))
    # Each warning once, prefixed with the item that gave it (and how many others gave it too: a TLS warning of 1000
    # downloads is one warning).
    for text, labels in warned.items():
        module.warn('%s%s: %s' % (labels[0], ' and %d more' % (len(labels) - 1) if len(labels) > 1 else '', text))
    if module._diff:
        outcome['diff'] = diffs
    if failed:
        more = len(failed) - LISTED_FAILURES
        module.fail_json(msg='%d of %d %s failed: %s%s' % (len(failed), len(results), noun, '; '.join(failed[:LISTED_FAILURES]),
                                                           '; and %d more (see results)' % more if more > 0 else ''),
                         **outcome)
    return outcome
