# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: sidecars_of
short_description: The .sha256 sidecar files that name one deployment
version_added: 0.1.0
author:
  - composeio.dbaas maintainers (@composeio)
description:
  - Keeps the sidecar files (written by M(composeio.dbaas.compose_backup) beside each archive) whose first line
    says C(deployment_id=<id>) with exactly the given id. The C(composeio.dbaas.backup) role prunes only the
    archives of these sidecars.
  - The id is compared as text, never used as a pattern, so an id from the API such as C(.*) or C(a|b) selects
    nothing of other deployments.
  - Files that cannot be read, and an empty id, select nothing. The files are read on the controller.
positional: _input
options:
  _input:
    description: The sidecar files, as the C(files) of M(ansible.builtin.find) (each with a C(path)) or as paths.
    type: list
    elements: raw
    required: true
  deployment_id:
    description: The deployment's id.
    type: str
    required: true
'''

EXAMPLES = r'''
- name: Keep the sidecars of this deployment
  ansible.builtin.set_fact:
    ours: "{{ found.files | composeio.dbaas.sidecars_of(deployment.id) }}"
'''

RETURN = r'''
_value:
  description: The items of the input whose sidecar names the deployment, in the input's order.
  type: list
  elements: raw
'''

# The header is one short line; a file whose first line is longer is not a sidecar.
_HEADER_LIMIT = 4096


def _header(path):
    try:
        with open(path, 'rb') as handle:
            line = handle.readline(_HEADER_LIMIT)
    except (OSError, TypeError, ValueError):
        return ''
    return line.decode('utf-8', 'replace')


def sidecar_deployment_id(path):
    """The deployment_id=<value> of a sidecar's first line, or None."""
    values = [token[len('deployment_id='):] for token in _header(path).split() if token.startswith('deployment_id=')]
    return values[0] if len(values) == 1 else None


def sidecars_of(files, deployment_id):
    """The items of files (find results or paths) whose sidecar's deployment_id equals deployment_id."""
    wanted = '' if deployment_id is None else str(deployment_id)
    if not wanted:
        return []
    chosen = []
    for item in files or []:
        path = item.get('path') if isinstance(item, dict) else item
        if isinstance(path, str) and sidecar_deployment_id(path) == wanted:
            chosen.append(item)
    return chosen


class FilterModule:
    def filters(self):
        return {'sidecars_of': sidecars_of}
