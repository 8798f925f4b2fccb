# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: compose
short_description: Compose deployments as inventory hosts
version_added: 0.1.0
author:
  - composeio.dbaas maintainers (@composeio)
description:
  - Makes one inventory host per Compose deployment visible to the API token, named after the deployment.
  - The host variables say which deployment it is (id, name, type, version, created_at, notes); they never hold
    connection strings.
  - The hosts are not machines to connect to. Playbooks such as C(composeio.dbaas.backup) run their API
    work on the controller (C(delegate_to=localhost)) and use these variables to pick the deployment, so Ansible's
    forks work on several deployments at once.
  - Each host has the variable C(ansible_connection=local), so that a play of the user's own on these hosts, for
    example with facts gathering, runs on the controller instead of trying SSH to a deployment name. O(compose) or a
    C(host_vars) file can set C(ansible_connection) otherwise (a C(group_vars) file cannot, as a host's own variables
    win over its groups').
  - Each host is in the group C(type_<type>), for example C(type_postgresql). O(keyed_groups), O(groups) and
    O(compose) add more.
  - The inventory source is a YAML file whose name ends in C(compose.yml) or C(compose.yaml).
extends_documentation_fragment:
  - composeio.dbaas._common.PLUGIN
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: Marks the file as a source for this plugin.
    type: str
    required: true
    choices: [composeio.dbaas.compose]
  fail_on_errors:
    description:
      - What happens when the source cannot be read, for example when the API refuses the token (401, 403), cannot
        be reached or answers with an error, or when no token is set or an option is wrong.
      - With V(true), the command (C(ansible-playbook), C(ansible-inventory), C(ansible)) stops with an error that
        names the API host and says what to do, and exits with status 1. Ansible turns an inventory plugin's error
        into a warning, and a playbook whose hosts come from this source then matches no hosts and ends with status
        0, so a nightly backup job would back up nothing and look fine.
      - With V(false), the failure is the warning Ansible shows for any inventory source it cannot parse, and the
        command carries on without these hosts (unless Ansible's C(unparsed_is_failed) or C(any_unparsed_is_failed)
        setting of the C([inventory]) section, or E(ANSIBLE_INVENTORY_UNPARSED_FAILED), is on).
      - A source file that Ansible cannot read as this plugin's configuration (not valid YAML, or an option of the
        wrong type) is left to Ansible, as with any inventory source.
    type: bool
    default: true
  types:
    description:
      - Only deployments of these types, for example V(postgresql) or V(redis). Empty means all types.
    type: list
    elements: str
    default: []
  names:
    description:
      - Only deployments whose name matches one of these shell-style patterns, such as V(fizz-*). Empty means all.
      - Matching is case-sensitive, as deployment names are.
    type: list
    elements: str
    default: []
  exclude_names:
    description: Leave out deployments whose name matches one of these shell-style patterns.
    type: list
    elements: str
    default: []
  fetch_details:
    description:
      - Read each deployment's details, O(detail_workers) at a time, to fill C(compose_deployment_version), which the
        deployment list does not carry. The versions are kept in the inventory cache when O(cache) is on.
      - With V(false), C(compose_deployment_version) is not set.
    type: bool
    default: true
  detail_workers:
    description: How many deployment details are read at the same time when O(fetch_details) is on.
    type: int
    default: 8
notes:
  - Deployment names are unique in practice, but the API does not enforce it. When two deployments share a name,
    both hosts are named C(<name>_<id>) and a warning says so; C(compose_deployment_id) tells them apart.
  - A host is named after its deployment only when the name is plain (letters, digits, C(_), C(.) and C(-)) and not
    one Ansible reserves (C(localhost), C(127.0.0.1), C(all), C(ungrouped)). Any other name, for example one with
    spaces, non-ASCII letters or template text such as C({{), gives the host C(<safe name>_<id>), where every other
    character of the name is C(_) (C(deployment) if none is left), and a warning names the deployment by id.
    C(compose_deployment_name) always holds the real name, as text that is never templated.
  - With O(cache) on, the cache holds the deployment list (ids, names, types, versions, dates and notes), never the
    token; O(cache_timeout) says for how long. Its key is made of the source's path, the account (O(api_url) and a
    hash of the token) and the filters (O(types), O(names), O(exclude_names), O(fetch_details)), so switching to
    another account, for example with E(COMPOSE_API_URL) or E(COMPOSEAPITOKEN), never shows the hosts cached for
    the previous one.
seealso:
  - module: composeio.dbaas.compose_deployment_info
'''

EXAMPLES = r'''
# compose.yml: every deployment the token sees, by type in the groups type_postgresql, type_redis, ...
plugin: composeio.dbaas.compose

# compose.yml: only the production PostgreSQL and MongoDB deployments, grouped by their notes,
# kept in the inventory cache for an hour.
# plugin: composeio.dbaas.compose
# types: [postgresql, mongodb]
# names: ['*-production']
# keyed_groups:
#   - key: compose_deployment_notes | default('none', true) | regex_replace('[^A-Za-z0-9]+', '_')
#     prefix: notes
# groups:
#   old_versions: compose_deployment_version is version('10', '<')
# cache: true
# cache_plugin: ansible.builtin.jsonfile
# cache_connection: ~/.cache/composeio.dbaas
# cache_timeout: 3600

# Then:
#   ansible-inventory -i compose.yml --graph
#   ansible-playbook -i compose.yml composeio.dbaas.backup --limit type_postgresql
'''

import fnmatch
import hashlib
import json
import re
from concurrent.futures import ThreadPoolExecutor

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.composeio.dbaas.plugins.module_utils._client import HAS_REQUESTS, shown_url
from ansible_collections.composeio.dbaas.plugins.module_utils._deployments import DEPLOYMENT_TYPES
from ansible_collections.composeio.dbaas.plugins.module_utils._errors import ComposeError, OptionError
from ansible_collections.composeio.dbaas.plugins.module_utils._module import build_client, describe

# What a host learns of its deployment; never connection strings.
LISTED_KEYS = ('id', 'name', 'type', 'created_at', 'notes')
VAR_PREFIX = 'compose_deployment_'

# A host name taken from the API as is must be plain: no pattern, range or template syntax, and none of the names
# Ansible gives a meaning (the implicit localhost, the groups every inventory has).
PLAIN_NAME = re.compile(r'[A-Za-z0-9_.-]+')
NOT_PLAIN = re.compile(r'[^A-Za-z0-9_.-]')
RESERVED_NAMES = frozenset(('localhost', '127.0.0.1', 'all', 'ungrouped'))


def is_plain(name):
    """Whether a deployment name can be a host name as it is."""
    return isinstance(name, str) and PLAIN_NAME.fullmatch(name) is not None and name not in RESERVED_NAMES


def safe_part(text, empty):
    """text with every character outside [A-Za-z0-9_.-] replaced by _, or empty if that leaves nothing."""
    return NOT_PLAIN.sub('_', text if isinstance(text, str) else str(text if text is not None else '')) or empty


def host_names(deployments):
    """{index: host name} for the deployments, and the warnings to show: a plain name unique among them is the host
    name; a shared or unsafe name becomes <safe name>_<id>. Host names never collide: a later clash gets _2, _3..."""
    counts = {}
    for dep in deployments:
        counts[dep.get('name')] = counts.get(dep.get('name'), 0) + 1
    warnings = []
    shared = sorted(name for name, count in counts.items() if count > 1 and is_plain(name))
    if shared:
        warnings.append('several deployments are named %s; their hosts are named <name>_<id>' % ', '.join(shared))
    names, taken = {}, set()
    order = sorted(range(len(deployments)),
                   key=lambda i: (str(deployments[i].get('name')), str(deployments[i].get('id'))))
    # Plain unique names first, so that a derived name never takes a name a deployment has.
    for i in order:
        name = deployments[i].get('name')
        if is_plain(name) and counts[name] == 1:
            names[i] = name
            taken.add(name)
    for i in order:
        if i in names:
            continue
        dep = deployments[i]
        dep_id = safe_part(dep.get('id'), 'no-id')
        host = base = '%s_%s' % (safe_part(dep.get('name'), 'deployment'), dep_id)
        suffix = 1
        while host in taken:
            suffix += 1
            host = '%s_%d' % (base, suffix)
        names[i] = host
        taken.add(host)
        if not is_plain(dep.get('name')):
            warnings.append('the name of deployment %s cannot be a host name as it is (it is kept in %sname); its '
                            'host is named %s' % (dep_id, VAR_PREFIX, host))
        elif host != base:
            warnings.append('deployment %s is listed more than once or clashes with another host name; its host is '
                            'named %s' % (dep_id, host))
    return [names[i] for i in range(len(deployments))], warnings


class SourceFailed(SystemExit):
    """Ends the command with status 1 when a source cannot be read and fail_on_errors is on. Ansible's inventory
    manager turns every Exception an inventory plugin raises into a warning; a SystemExit passes through it, as
    Ansible's own command-line checks raise one. The message has been shown with Display.error already."""

    def __init__(self, message):
        super().__init__(1)
        self.message = message


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = 'composeio.dbaas.compose'

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(('compose.yml', 'compose.yaml'))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        try:
            self._parse(path, cache)
        except AnsibleError as exc:
            if not self.get_option('fail_on_errors'):
                raise
            self._stop(path, exc)

    def _stop(self, path, exc):
        """Stop the command: Ansible's inventory manager turns any Exception of a plugin into a warning."""
        message = ('%s\nThe inventory source %s was not read, so the command stops here instead of running without '
                   'its hosts. Set fail_on_errors: false in it to carry on with a warning instead.'
                   % (to_native(getattr(exc, 'message', exc)), path))
        self.display.error(message, wrap_text=False)
        raise SourceFailed(message)

    def _parse(self, path, cache):
        self._check_options()
        if not HAS_REQUESTS:
            raise AnsibleError(missing_required_lib('requests'))
        # Shown only when the API is asked: a source served from the cache checks no certificate.
        warnings = []
        try:
            client = build_client(self._option, warnings.append)
        except (OptionError, ComposeError) as exc:
            raise AnsibleParserError('composeio.dbaas.compose: %s' % describe(exc))
        cache_key = self._account_cache_key(path, client)
        use_cache = self.get_option('cache') and cache
        deployments = None
        if use_cache:
            try:
                deployments = self._cache[cache_key]
            except KeyError:
                deployments = None
        if deployments is None:
            for warning in warnings:
                self.display.warning('composeio.dbaas.compose: %s' % warning)
            deployments = self._fetch(client)
            if self.get_option('cache'):
                self._cache[cache_key] = deployments
        self._populate(deployments)

    # -- options -------------------------------------------------------------------------

    def _option(self, name):
        value = self.get_option(name)
        if isinstance(value, str) and self.templar.is_template(value):
            value = self.templar.template(value)
        return to_native(value) if isinstance(value, str) else value

    def _check_options(self):
        """The plugin's own options; the connection options are build_client's."""
        unknown = sorted(set(self.get_option('types')) - set(DEPLOYMENT_TYPES))
        if unknown:
            raise AnsibleParserError('composeio.dbaas.compose: types has unknown deployment types %s; known types: %s'
                                     % (', '.join(unknown), ', '.join(DEPLOYMENT_TYPES)))
        if self.get_option('detail_workers') < 1:
            raise AnsibleParserError('composeio.dbaas.compose: detail_workers must be 1 or more, got %s'
                                     % self.get_option('detail_workers'))

    def _account_cache_key(self, path, client):
        """The cache key of the source at path for this account and these filters: another API URL or token (another
        account) or other filters never get the deployments cached for the first. It holds a hash of the token,
        never the token."""
        account = json.dumps(client.account() + [self.get_option('types'), self.get_option('names'),
                                                 self.get_option('exclude_names'), self.get_option('fetch_details')],
                             sort_keys=True)
        return '%s_%s' % (self.get_cache_key(path), hashlib.sha256(account.encode('utf-8')).hexdigest()[:16])

    # -- the API -------------------------------------------------------------------------

    def _fetch(self, client):
        """The selected deployments, each reduced to the keys hosts may see."""
        try:
            listed = client.list_deployments()
            chosen = [dict((key, dep.get(key)) for key in LISTED_KEYS) for dep in listed if self._wanted(dep)]
            if self.get_option('fetch_details') and chosen:
                with ThreadPoolExecutor(max_workers=self.get_option('detail_workers')) as pool:
                    versions = list(pool.map(lambda dep: client.get_deployment(dep['id']).get('version'), chosen))
                for dep, version in zip(chosen, versions):
                    dep['version'] = version
        except ComposeError as exc:
            raise AnsibleParserError('composeio.dbaas.compose: cannot list the deployments at %s: %s'
                                     % (shown_url(client.base_url), describe(exc, client.secrets)))
        return chosen

    def _wanted(self, dep):
        name = dep.get('name') or ''
        types = self.get_option('types')
        names = self.get_option('names')
        if types and dep.get('type') not in types:
            return False
        if names and not any(fnmatch.fnmatchcase(name, pattern) for pattern in names):
            return False
        return not any(fnmatch.fnmatchcase(name, pattern) for pattern in self.get_option('exclude_names'))

    # -- the inventory -------------------------------------------------------------------

    def _populate(self, deployments):
        hosts, warnings = host_names(deployments)
        for warning in warnings:
            self.display.warning('composeio.dbaas.compose: %s' % warning)
        strict = self.get_option('strict')
        pairs = sorted(zip(hosts, deployments), key=lambda pair: (str(pair[1].get('name')), str(pair[1].get('id'))))
        for host, dep in pairs:
            self.inventory.add_host(host)
            # API data is never templated: a name or note holding {{ ... }} stays text, in the host's variables and
            # in the compose, groups and keyed_groups expressions (ansible-core < 2.19 templates plain strings there).
            hostvars = dict((VAR_PREFIX + key, wrap_var(value)) for key, value in dep.items())
            for key, value in hostvars.items():
                self.inventory.set_variable(host, key, value)
            # Not a machine: the user's own plays on these hosts run on the controller. compose, applied below, and
            # host_vars files override it.
            self.inventory.set_variable(host, 'ansible_connection', 'local')
            if dep.get('type'):
                # The type comes from the API too: a group name it makes holds only plain characters.
                self.inventory.add_child(self.inventory.add_group('type_%s' % safe_part(dep['type'], '')), host)
            self._set_composite_vars(self.get_option('compose'), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), hostvars, host, strict=strict)
