# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Deployment types, finding a deployment, and what is shown of one. Private to this collection, may change without
notice."""

from __future__ import annotations

from urllib.parse import urlparse

from ansible_collections.composeio.dbaas.plugins.module_utils._client import API_VERSION, version_hint
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import ComposeError, ComposeNotFoundError, OptionError, hint_on
from ansible_collections.composeio.dbaas.plugins.module_utils._options import check_id

# Every deployment type of the Compose API 2016-07, as the API spells it (docs/compose-api.md, "Deployment types"),
# and whether Compose offers its backups for download (docs/compose-api.md, "What each deployment type offers").
# A backup's own is_downloadable flag is the authority; the type only lets a task decide before it starts a backup.
TYPES = {
    'elastic_search': dict(downloadable=False),
    'etcd': dict(downloadable=True),
    'janusgraph': dict(downloadable=False),
    'mongodb': dict(downloadable=True),
    'mysql': dict(downloadable=True),
    'postgresql': dict(downloadable=True),
    'rabbitmq': dict(downloadable=True),
    'redis': dict(downloadable=True),
    'rethink': dict(downloadable=True),
    'scylla': dict(downloadable=False),
}
DEPLOYMENT_TYPES = tuple(sorted(TYPES))
DOWNLOADABLE_TYPES = tuple(name for name in DEPLOYMENT_TYPES if TYPES[name]['downloadable'])
UNDOWNLOADABLE_TYPES = tuple(name for name in DEPLOYMENT_TYPES if not TYPES[name]['downloadable'])

# The documented, non-secret keys of a deployment (never connection strings).
SUMMARY_KEYS = ('id', 'name', 'type', 'version', 'created_at', 'notes', 'customer_billing_code')


def deployment_summary(deployment):
    """The documented, non-secret keys of a deployment (never connection strings)."""
    return dict((key, deployment.get(key)) for key in SUMMARY_KEYS if key in deployment)


def with_connection_strings(summary, details):
    """summary with the deployment's connection strings and CA certificate from its details: secrets."""
    summary['connection_strings'] = details.get('connection_strings', {})
    summary['ca_certificate_base64'] = details.get('ca_certificate_base64')
    return summary


def resolve_deployment(client, deployment_id=None, deployment_name=None, listed=None):
    """Find one deployment by id or exact name (the way bach's resolveDepID does).

    listed(): the deployments to find a name among, instead of the client's list: a batch lists them once for all its
    names (see compose_backup's deployments option).
    """
    if deployment_id:
        check_id(deployment_id, 'deployment_id')
        hint = 'no deployment has id %s; check deployment_id or use deployment_name' % deployment_id
        if not urlparse(client.base_url).path.rstrip('/').endswith('/' + API_VERSION):
            hint = '%s, and %s' % (hint, version_hint(client.base_url))
        with hint_on(ComposeNotFoundError, hint):
            return client.get_deployment(deployment_id)
    if listed is None:
        matches = client.find_deployments_by_name(deployment_name)
    else:
        matches = [dep for dep in listed() if dep.get('name') == deployment_name]
    if not matches:
        raise ComposeNotFoundError('deployment_name %r matches no deployment visible to this token '
                                   '(names are exact and case-sensitive)' % deployment_name)
    if len(matches) > 1:
        ids = ', '.join(sorted(dep.get('id', '?') for dep in matches))
        raise ComposeError('deployment_name %r matches %d deployments (%s); use deployment_id to pick one'
                           % (deployment_name, len(matches), ids))
    return matches[0]


def not_downloadable_message(deployment, backup):
    return ('backup %s of deployment %s (type %s) cannot be downloaded: Compose offers downloads for %s deployments; '
            'restore it into a new deployment with composeio.dbaas.compose_backup_restore instead, or leave dest unset'
            % (backup.get('id'), deployment.get('name'), deployment.get('type'), ', '.join(DOWNLOADABLE_TYPES)))


def deployment_items(value, option='deployments'):
    """The deployments of a batch, from a list of names or of dicts with exactly one of name and id, checked:
    [(label, {'deployment_name': ..., 'deployment_id': ...})] in the order given. Anything else, and a deployment
    listed twice, raises OptionError naming the option and the entry."""
    if not isinstance(value, list):
        raise OptionError('%s must be a list of deployment names, or of dicts with a name or an id' % option)
    items, seen, twice = [], set(), []
    for index, entry in enumerate(value):
        where = '%s[%d]' % (option, index)
        if isinstance(entry, dict):
            unknown = sorted(str(key) for key in entry if key not in ('name', 'id'))
            given = [key for key in ('name', 'id') if entry.get(key) is not None]
            if unknown or len(given) != 1:
                raise OptionError('%s must have exactly one of the keys name and id%s, got %s'
                                  % (where, ' (unknown: %s)' % ', '.join(unknown) if unknown else '', sorted(map(str, entry))))
            key, text = given[0], entry[given[0]]
        else:
            key, text = 'name', entry
        if not isinstance(text, str) or not text.strip():
            raise OptionError('%s%s must be a deployment %s as a non-empty string, got %r%s'
                              % (where, '.' + key if isinstance(entry, dict) else '', key, text,
                                 '; quote it' if isinstance(text, (int, float)) and not isinstance(text, bool) else ''))
        if key == 'id':
            check_id(text, '%s.id' % where)
        if (key, text) in seen:
            twice.append(('id %s' % text) if key == 'id' else text)
        seen.add((key, text))
        items.append((text, dict(deployment_name=text if key == 'name' else None, deployment_id=text if key == 'id' else None)))
    if twice:
        raise OptionError('%s lists these deployments more than once: %s; list each once'
                          % (option, ', '.join(sorted(set(twice)))))
    return items
