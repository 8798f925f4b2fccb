# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: downloadable_type
short_description: Whether Compose offers downloads of the backups of a deployment type
version_added: 0.1.0
author:
  - composeio.dbaas maintainers (@composeio)
description:
  - Compose offers downloads of backups by deployment type (C(docs/compose-api.md), section "What each deployment
    type offers"); the backups of the other types are kept at Compose for restores only.
    M(composeio.dbaas.compose_backup) refuses to start a backup of such a type when it is asked to download it,
    so the C(composeio.dbaas.backup) role asks this filter first.
  - A type this collection does not know counts as downloadable (the module then asks the API); an empty type
    (not known yet) does not.
positional: _input
options:
  _input:
    description: The deployment's type, such as V(postgresql).
    type: str
    required: true
'''

EXAMPLES = r'''
- name: Download only what Compose offers for download
  composeio.dbaas.compose_backup:
    deployment_id: "{{ deployment.id }}"
    dest: "{{ '/srv/backups/' if deployment.type | composeio.dbaas.downloadable_type else omit }}"
'''

RETURN = r'''
_value:
  description: V(false) for a type whose backups cannot be downloaded, and for an empty type; else V(true).
  type: bool
'''

from ansible_collections.composeio.dbaas.plugins.module_utils._deployments import UNDOWNLOADABLE_TYPES

_KEPT_FOR_RESTORES = frozenset(UNDOWNLOADABLE_TYPES)


def downloadable_type(kind):
    return bool(kind) and str(kind) not in _KEPT_FOR_RESTORES


class FilterModule:
    def filters(self):
        return {'downloadable_type': downloadable_type}
