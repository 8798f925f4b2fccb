# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared options and glue for the modules. Private to this collection, may change without notice."""

from __future__ import annotations

import datetime
import math
import re
from urllib.parse import urlparse

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.composeio.dbaas.plugins.module_utils import _api
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import (
    ComposeAuthError,
    ComposeError,
    ComposeNotFoundError,
    mask,
)

TOKEN_VARS = ('COMPOSEAPITOKEN', 'COMPOSE_API_TOKEN')

# Paired one to one with doc_fragments/_common.py.
COMPOSE_COMMON_ARGS = dict(
    api_token=dict(type='str', no_log=True, fallback=(env_fallback, list(TOKEN_VARS))),
    api_url=dict(type='str', default=_api.DEFAULT_API_URL, fallback=(env_fallback, ['COMPOSE_API_URL'])),
    validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['COMPOSE_VALIDATE_CERTS'])),
    ca_path=dict(type='path', fallback=(env_fallback, ['COMPOSE_CA_PATH'])),
    request_timeout=dict(type='float', default=30.0),
    api_retries=dict(type='int', default=5),
)

DEPLOYMENT_ARGS = dict(
    deployment_id=dict(type='str'),
    deployment_name=dict(type='str'),
)
DEPLOYMENT_ONE_OF = dict(
    mutually_exclusive=[('deployment_id', 'deployment_name')],
    required_one_of=[('deployment_id', 'deployment_name')],
)

# Paired one to one with doc_fragments/_wait.py.
WAIT_ARGS = dict(
    wait=dict(type='bool', default=True),
    wait_timeout=dict(type='int', default=3600),
    poll_interval=dict(type='float', default=2.0),
    poll_max_interval=dict(type='float', default=60.0),
    settle_time=dict(type='float'),
)

DEPLOYMENT_TYPES = ('elastic_search', 'etcd', 'janusgraph', 'mongodb', 'mysql', 'postgresql',
                    'rabbitmq', 'redis', 'rethink', 'scylla')
ID_RE = re.compile(r'^[0-9a-f]{24}$')
_DURATION_RE = re.compile(r'(\d+(?:\.\d+)?)\s*(w|d|h|m|s)', re.IGNORECASE)
_UNITS = {'w': 604800, 'd': 86400, 'h': 3600, 'm': 60, 's': 1}


class OptionError(ValueError):
    """A module option has a value that cannot work; the message names the option."""


def merge_args(*specs):
    """One argument spec from several, so modules extend the common one instead of repeating it."""
    merged = {}
    for spec in specs:
        merged.update(spec)
    return merged


MAX_DURATION = 100 * 365 * 86400


def parse_duration(value, option):
    """Seconds from '90', '90s', '30m', '6h', '7d', '2w' or combinations such as '1h30m'."""
    text = str(value).strip()
    if re.fullmatch(r'\d+(\.\d+)?', text):
        seconds = float(text)
    else:
        parts = _DURATION_RE.findall(text)
        if not parts or _DURATION_RE.sub('', text).strip():
            raise OptionError("%s: cannot read %r as a duration; use a number of seconds or units such as 90s, 30m, 6h, 7d, 2w"
                              % (option, value))
        seconds = sum(float(num) * _UNITS[unit.lower()] for num, unit in parts)
    if seconds <= 0:
        raise OptionError('%s must be a positive duration, got %r' % (option, value))
    if not math.isfinite(seconds) or seconds > MAX_DURATION:  # a 400-digit number is inf
        raise OptionError('%s must be at most 100 years (%d seconds), got %r' % (option, MAX_DURATION, value))
    return seconds


def check_wait(params):
    for option in ('wait_timeout', 'poll_interval', 'poll_max_interval'):
        if params[option] <= 0:
            raise OptionError('%s must be greater than 0, got %s' % (option, params[option]))
    if params['poll_max_interval'] < params['poll_interval']:
        raise OptionError('poll_max_interval (%s) must not be less than poll_interval (%s)'
                          % (params['poll_max_interval'], params['poll_interval']))


def wait_for(client, params, recipe_id, on_poll=None, first=None, expect=None):
    """Follow a recipe with the wait options of a module; first is the recipe as already fetched, if any.

    A recipe that has run for a while (joined, or started by an earlier task) is polled at the pace its age
    calls for, not from poll_interval again. Clock skew only changes the pace, within poll_max_interval.
    expect: see ComposeClient.wait_recipe.
    """
    age = 0.0
    created = _api.parse_time(first.get('created_at')) if first else None
    if created is not None:
        age = max(0.0, (datetime.datetime.now(datetime.timezone.utc) - created).total_seconds())
    return client.wait_recipe(recipe_id, params['wait_timeout'], poll_start=params['poll_interval'],
                              poll_cap=params['poll_max_interval'], on_poll=on_poll, first=first, age=age,
                              expect=expect)


# Options that make a module return secrets, and what they return.
SECRET_OPTIONS = dict(
    include_download_link='download links (credentials until they expire)',
    include_connection_strings='connection strings (with passwords)',
)


def warn_if_printed(module):
    """Warn when an option that returns secrets is set on a task whose output Ansible will print and keep."""
    for option, what in SECRET_OPTIONS.items():
        if module.params.get(option) and not module.no_log:
            module.warn('%s is true on a task without no_log: the %s it returns are printed (at -v) and kept '
                        'wherever the output goes (AWX job events, CI logs); set no_log: true on the task'
                        % (option, what))


def check_id(value, option):
    if value is not None and not ID_RE.match(value):
        raise OptionError('%s must be 24 lowercase hexadecimal characters (a Compose id), got %r' % (option, value))
    return value


def client_from_module(module, **kwargs):
    """Build the one ComposeClient a module uses from the shared connection options."""
    if not _api.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib('requests'), exception=_api.REQUESTS_IMPORT_ERROR)
    params = module.params
    # Surrounding whitespace is no part of a token: a token file or `$(cat tokenfile)` ends with a newline.
    if params['api_token'] is not None:
        params['api_token'] = params['api_token'].strip()
        if params['api_token']:
            # Ansible masks the value as given; the value sent is masked too.
            module.no_log_values.add(params['api_token'])
    if not params['api_token']:
        module.fail_json(msg='No Compose API token: set the api_token option or the %s (or %s) environment variable'
                         % TOKEN_VARS)
    # Empty means the default: AWX's credential type injects COMPOSE_API_URL even when its field is left empty.
    params['api_url'] = params['api_url'] or _api.DEFAULT_API_URL
    url = urlparse(params['api_url'])
    if url.scheme not in ('http', 'https') or not url.netloc:
        module.fail_json(msg='api_url must be an http(s) URL such as %s, got %r' % (_api.DEFAULT_API_URL, params['api_url']))
    if params['request_timeout'] <= 0:
        module.fail_json(msg='request_timeout must be greater than 0, got %s' % params['request_timeout'])
    if params['api_retries'] < 0:
        module.fail_json(msg='api_retries must be 0 or more, got %s' % params['api_retries'])
    if params.get('settle_time') is not None and params['settle_time'] < 0:
        module.fail_json(msg='settle_time must be 0 or more, got %s' % params['settle_time'])
    try:
        _api.clean_token(params['api_token'])
    except ComposeError as exc:
        module.fail_json(msg=describe(exc, (params['api_token'],)))
    if not params['validate_certs']:
        module.warn('validate_certs is false: the TLS certificate of %s is not checked' % url.netloc)
    return _api.ComposeClient(
        params['api_token'], base_url=params['api_url'], validate_certs=params['validate_certs'],
        ca_path=params['ca_path'], timeout=params['request_timeout'], retries=params['api_retries'],
        settle=params.get('settle_time'), **kwargs)


def resolve_deployment(client, deployment_id=None, deployment_name=None):
    """Find one deployment by id or exact name (the way bach's resolveDepID does)."""
    if deployment_id:
        check_id(deployment_id, 'deployment_id')
        try:
            return client.get_deployment(deployment_id)
        except ComposeNotFoundError as exc:
            exc.hint = 'no deployment has id %s; check deployment_id or use deployment_name' % deployment_id
            if not urlparse(client.base_url).path.rstrip('/').endswith('/' + _api.API_VERSION):
                exc.hint = '%s, and %s' % (exc.hint, _api.version_hint(client.base_url))
            raise
    matches = client.find_deployments_by_name(deployment_name)
    if not matches:
        raise ComposeNotFoundError('deployment_name %r matches no deployment visible to this token '
                                   '(names are exact and case-sensitive)' % deployment_name)
    if len(matches) > 1:
        ids = ', '.join(sorted(dep.get('id', '?') for dep in matches))
        raise ComposeError('deployment_name %r matches %d deployments (%s); use deployment_id to pick one'
                           % (deployment_name, len(matches), ids))
    return matches[0]


def deployment_summary(deployment):
    """The documented, non-secret keys of a deployment (never connection strings)."""
    keys = ('id', 'name', 'type', 'version', 'created_at', 'notes', 'customer_billing_code')
    return dict((key, deployment.get(key)) for key in keys if key in deployment)


def describe(exc, secrets=()):
    """The one-line message for a failure, with the hint that says what to do, and the secrets masked."""
    if isinstance(exc, ComposeAuthError) and exc.hint is None:
        exc.hint = ('the API token was refused: check the api_token option or the %s / %s environment variables'
                    % TOKEN_VARS)
    return mask(exc, secrets)


def run(module, work):
    """Call work(); turn our typed errors into one clear fail_json, never a traceback."""
    try:
        return work()
    except (OptionError, ComposeError) as exc:
        extra = {}
        if getattr(exc, 'status', None) is not None:
            extra['status'] = exc.status
        if getattr(exc, 'recipe', None):
            extra['recipe'] = recipe_summary(exc.recipe)
        module.fail_json(msg=describe(exc, (module.params.get('api_token'),)), **extra)


def recipe_summary(recipe):
    keys = ('id', 'name', 'template', 'status', 'status_detail', 'deployment_id', 'created_at', 'updated_at',
            'operations_complete', 'operations_total')
    return dict((key, recipe.get(key)) for key in keys if key in recipe)
