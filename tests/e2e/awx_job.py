# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What AWX does around a job, for the end-to-end tests that run jobs the way AWX runs them.

- The credential: each env injector of the credential type rendered with the credential's inputs.
- The inventory: an inventory update runs ansible-inventory --list on the source (here the inventory plugin) and
  stores hosts, groups and variables; each job then gets the stored inventory as an executable script in its private
  data directory (inventory/hosts, printing JSON). A slice k of S gets the hosts sorted by name, from the (k-1)-th,
  every S-th (AWX's Inventory.get_script_data with slice_number and slice_count), and the groups restricted to them.
- The extra variables AWX adds to every job (its awx_meta_vars): awx_job_id, awx_job_launch_type and, for a job run
  by a workflow (each slice of a sliced job is one), awx_workflow_job_id. Nothing says which slice a job is.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import jinja2
import yaml

ROOT = Path(__file__).resolve().parents[2]
CREDENTIAL_TYPE = ROOT / 'extensions' / 'awx' / 'credential-type.yml'


def injected_env(inputs):
    """The environment AWX builds from a credential of our type: each env injector rendered with the inputs."""
    credential_type = yaml.safe_load(CREDENTIAL_TYPE.read_text())
    fields = dict((field['id'], field.get('default', '')) for field in credential_type['inputs']['fields'])
    fields.update(inputs)
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return dict((name, env.from_string(value).render(**fields)) for name, value in credential_type['injectors']['env'].items())


def meta_vars(job_id, workflow_job_id=None, launch_type='workflow'):
    """The awx_* extra variables AWX adds to a job (and their tower_* twins, which it adds too)."""
    found = {'job_id': job_id, 'job_launch_type': launch_type}
    if workflow_job_id is not None:
        found.update(workflow_job_id=workflow_job_id, workflow_job_name='Back up Compose deployments')
    return dict(('%s_%s' % (prefix, name), value) for prefix in ('awx', 'tower') for name, value in found.items())


def slice_inventory(listing, number=1, count=1):
    """The inventory AWX gives slice `number` of `count` (1 and 1: the whole inventory), from ansible-inventory --list
    output: {'all': {'hosts', 'vars'}, group: {'hosts', 'children'}, '_meta': {'hostvars'}}."""
    hostvars = listing.get('_meta', {}).get('hostvars', {})
    hosts = sorted(hostvars)
    if count > 1:
        hosts = hosts[number - 1::count]
    chosen = set(hosts)
    data = {'all': {'hosts': hosts}, '_meta': {'hostvars': {}}}
    if listing.get('all', {}).get('vars'):
        data['all']['vars'] = listing['all']['vars']
    for name, group in listing.items():
        if name in ('all', '_meta', 'ungrouped') or not isinstance(group, dict):
            continue
        data[name] = {'hosts': [host for host in group.get('hosts', []) if host in chosen],
                      'children': list(group.get('children', []))}
    for index, host in enumerate(hosts):
        # What AWX adds with towervars: the host's enabled flag and its id in AWX's database.
        data['_meta']['hostvars'][host] = dict(hostvars[host], remote_tower_enabled='true', remote_tower_id=index + 1)
    return data


def write_inventory(private_data_dir, data):
    """The job's inventory as AWX writes it: an executable script, inventory/hosts, that prints the JSON."""
    folder = Path(private_data_dir) / 'inventory'
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / 'hosts'
    path.write_text('#! /usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(%r)\n' % json.dumps(data))
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR | stat.S_IXUSR)
    return path
