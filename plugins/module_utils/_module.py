# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every module (and, for its client, the inventory plugin) shares: the connection options made into a client,
the one way a failure ends a task, and the frame of a module that changes something. Private to this collection, may
change without notice."""

from __future__ import annotations

import time
from urllib.parse import urlparse

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.composeio.dbaas.plugins.module_utils._client import (
    DEFAULT_API_URL,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    ComposeClient,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import (
    ComposeAuthError,
    ComposeError,
    ComposeRecipeFailed,
    ComposeWaitTimeout,
    OptionError,
    mask,
)
from ansible_collections.composeio.dbaas.plugins.module_utils._options import merge_args
from ansible_collections.composeio.dbaas.plugins.module_utils._polling import recipe_summary

TOKEN_VARS = ('COMPOSEAPITOKEN', 'COMPOSE_API_TOKEN')
URL_VARS = ('COMPOSE_API_URL',)

# The connection options of every module, paired one to one with doc_fragments/_common.py (DOCUMENTATION; PLUGIN
# documents the same options for the inventory plugin). Each default is written once, in _client.py.
CONNECTION_ARGS = dict(
    api_token=dict(type='str', no_log=True, fallback=(env_fallback, list(TOKEN_VARS))),
    api_url=dict(type='str', default=DEFAULT_API_URL, fallback=(env_fallback, list(URL_VARS))),
    validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['COMPOSE_VALIDATE_CERTS'])),
    ca_path=dict(type='path', fallback=(env_fallback, ['COMPOSE_CA_PATH'])),
    request_timeout=dict(type='float', default=DEFAULT_TIMEOUT),
    api_retries=dict(type='int', default=DEFAULT_RETRIES),
)

# Options that make a module return secrets, and what they return.
SECRET_OPTIONS = dict(
    include_download_link='download links (credentials until they expire)',
    include_connection_strings='connection strings (with passwords)',
)


def build_client(get_option, warn, settle=None, gate=None):
    """The ComposeClient of the connection options (CONNECTION_ARGS), read with get_option(name), checked.

    An option that cannot work raises OptionError, a token that cannot be sent ComposeError, both naming the option,
    before anything is sent. warn(text) is told when certificates will not be checked. The modules and the inventory
    plugin build their client here. gate: what the client holds while a request is in flight (see ComposeClient).
    """
    token = get_option('api_token')
    # Surrounding whitespace is no part of a token: a token file or `$(cat tokenfile)` ends with a newline.
    if token is None or not str(token).strip():
        raise OptionError('No Compose API token: set the api_token option or the %s (or %s) environment variable'
                          % TOKEN_VARS)
    # Empty means the default: AWX's credential type injects COMPOSE_API_URL even when its field is left empty.
    api_url = get_option('api_url') or DEFAULT_API_URL
    url = urlparse(api_url)
    if url.scheme not in ('http', 'https') or not url.netloc:
        raise OptionError('api_url must be an http(s) URL such as %s, got %r' % (DEFAULT_API_URL, api_url))
    if get_option('request_timeout') <= 0:
        raise OptionError('request_timeout must be greater than 0, got %s' % get_option('request_timeout'))
    if get_option('api_retries') < 0:
        raise OptionError('api_retries must be 0 or more, got %s' % get_option('api_retries'))
    if settle is not None and settle < 0:
        raise OptionError('settle_time must be 0 or more, got %s' % settle)
    client = ComposeClient(str(token), base_url=api_url, validate_certs=get_option('validate_certs'),
                           ca_path=get_option('ca_path'), timeout=get_option('request_timeout'),
                           retries=get_option('api_retries'), settle=settle, gate=gate)
    if not get_option('validate_certs'):
        warn('validate_certs is false: the TLS certificate of %s is not checked' % url.netloc)
    return client


def describe(exc, secrets=()):
    """The one-line message for a failure, with the hint that says what to do, and the secrets masked."""
    if isinstance(exc, ComposeAuthError) and exc.hint is None:
        exc.hint = ('the API token was refused: check the api_token option or the %s / %s environment variables'
                    % TOKEN_VARS)
    return mask(exc, secrets)


class ComposeModule(AnsibleModule):
    """An AnsibleModule with the connection options, its client, and one way to fail."""

    def __init__(self, argument_spec, **kwargs):
        super().__init__(argument_spec=merge_args(CONNECTION_ARGS, argument_spec), **kwargs)
        self._warn_if_printed()

    def _warn_if_printed(self):
        """Warn when an option that returns secrets is set on a task whose output Ansible will print and keep."""
        for option, what in SECRET_OPTIONS.items():
            if self.params.get(option) and not self.no_log:
                self.warn('%s is true on a task without no_log: the %s it returns are printed (at -v) and kept '
                          'wherever the output goes (AWX job events, CI logs); set no_log: true on the task'
                          % (option, what))

    def client(self, gate=None):
        """The one ComposeClient of this task (see build_client); a wrong option fails the task at once."""
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        if self.params['api_token'] is not None:
            self.params['api_token'] = self.params['api_token'].strip()
            if self.params['api_token']:
                # Ansible masks the value as given; the value sent is masked too.
                self.no_log_values.add(self.params['api_token'])
        try:
            return build_client(self.params.get, self.warn, settle=self.params.get('settle_time'), gate=gate)
        except (OptionError, ComposeError) as exc:
            return self.fail_from(exc)

    def fail_from(self, exc, **result):
        """End the task with exc: a message that says what to do, with no secret and no traceback, and result (with
        the recipe the error carries, if any)."""
        if getattr(exc, 'recipe', None):
            result['recipe'] = recipe_summary(exc.recipe)
        self.fail_json(msg=describe(exc, (self.params.get('api_token'),)), **result)

    def run(self, work):
        """work(), whose typed errors end the task through fail_from, with the HTTP status when there is one."""
        try:
            return work()
        except (OptionError, ComposeError) as exc:
            status = getattr(exc, 'status', None)
            return self.fail_from(exc, **({} if status is None else dict(status=status)))


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
            if isinstance(exc, ComposeWaitTimeout):
                exc.hint = self.TIMEOUT_HINT
            elif isinstance(exc, ComposeRecipeFailed) and exc.hint is None:
                exc.hint = self.FAILED_HINT
            self.result['elapsed'] = self._elapsed()
            self.module.fail_from(exc, **self.result)
        self.result['elapsed'] = self._elapsed()
        if self.module._diff:
            self.result['diff'] = self.diff
        return self.result

    def _elapsed(self):
        return round(time.monotonic() - self.started, 3)
