# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The frame of a module that changes something. Private to this collection, may change without notice."""

from __future__ import annotations

import time

from ansible_collections.composeio.dbaas.plugins.module_utils._common import OptionError, describe, recipe_summary
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import ComposeError, ComposeRecipeFailed, ComposeWaitTimeout


class Job:
    """Read the current state, decide, act only outside check mode, and say what happened.

    A subclass sets RESULT_KEYS, TIMEOUT_HINT and FAILED_HINT and implements work(). A failure keeps everything already
    learnt (the recipe, the backup, changed) in the result, so a failed task still says what it did.
    """

    RESULT_KEYS = ()
    TIMEOUT_HINT = 'it goes on; run the task again, or raise wait_timeout'
    FAILED_HINT = 'see the recipe in the Compose console, then run the task again'

    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.check_mode = module.check_mode
        self.started = time.monotonic()
        self.result = dict(changed=False, action=None, **dict.fromkeys(self.RESULT_KEYS))
        self.diff = dict(before={}, after={})

    def work(self):
        raise NotImplementedError

    def run(self):
        try:
            self.work()
        except (OptionError, ComposeError) as exc:
            if getattr(exc, 'recipe', None):
                self.result['recipe'] = recipe_summary(exc.recipe)
            if isinstance(exc, ComposeWaitTimeout):
                exc.hint = self.TIMEOUT_HINT
            elif isinstance(exc, ComposeRecipeFailed) and exc.hint is None:
                exc.hint = self.FAILED_HINT
            self.result['elapsed'] = self._elapsed()
            self.module.fail_json(msg=describe(exc, (self.module.params.get('api_token'),)), **self.result)
        self.result['elapsed'] = self._elapsed()
        if self.module._diff:
            self.result['diff'] = self.diff
        return self.result

    def _elapsed(self):
        return round(time.monotonic() - self.started, 3)
