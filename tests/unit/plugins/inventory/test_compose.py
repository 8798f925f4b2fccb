# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The compose inventory plugin, loaded by Ansible's own inventory manager, with the HTTP calls listed in order."""

from __future__ import annotations

import json

import pytest
import requests
import responses

from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader

BASE = 'https://api.test/2016-07'
TOKEN = 'inventory-token-0123456789abcdef'
AUTH = {'Authorization': 'Bearer %s' % TOKEN}

DEPLOYMENTS = [
    {'id': 'a' * 24, 'name': 'fizz-production', 'type': 'postgresql', 'created_at': '2016-12-16T15:00:14.922Z',
     'notes': 'prod', 'customer_billing_code': 'fizz', '_links': {}},
    {'id': 'b' * 24, 'name': 'buzz-cache', 'type': 'redis', 'created_at': '2017-01-02T10:00:00.000Z', 'notes': '',
     '_links': {}},
    {'id': 'c' * 24, 'name': 'fizz-staging', 'type': 'postgresql', 'created_at': '2018-03-04T05:06:07.000Z',
     'notes': '', '_links': {}},
]
SECRET = 'postgres://admin:SIMPASS-deadbeef@db.example:17000/compose'


def detail(dep, version):
    return dict(dep, version=version, connection_strings={'direct': [SECRET]})


@pytest.fixture
def source(tmp_path):
    """Write a compose.yml inventory source and return a function that loads it."""

    def load(options, direct=False):
        path = tmp_path / 'compose.yml'
        path.write_text(json.dumps(dict({'plugin': 'composeio.dbaas.compose', 'api_url': BASE, 'api_retries': 0}, **options)))
        if not direct:
            return InventoryManager(loader=DataLoader(), sources=[str(path)])
        # The plugin's own parse(), so a failure reaches the test instead of becoming a warning.
        plugin = inventory_loader.get('composeio.dbaas.compose')
        plugin.parse(InventoryData(), DataLoader(), str(path), cache=False)
        return plugin

    return load


def listed(api, deployments=None):
    api.get(BASE + '/deployments', json={'_embedded': {'deployments': deployments or DEPLOYMENTS}},
            match=[responses.matchers.header_matcher(AUTH)])


def hostvars(inventory, name):
    return inventory.get_host(name).get_vars()


def test_hosts_groups_and_variables(api, source):
    listed(api)
    for dep, version in zip(DEPLOYMENTS, ('9.6.10', '4.0.11', '10.5')):
        api.get(BASE + '/deployments/' + dep['id'], json=detail(dep, version))
    inventory = source({'api_token': TOKEN, 'detail_workers': 1})

    assert sorted(host.name for host in inventory.get_hosts()) == ['buzz-cache', 'fizz-production', 'fizz-staging']
    assert sorted(host.name for host in inventory.groups['type_postgresql'].get_hosts()) == [
        'fizz-production', 'fizz-staging']
    variables = hostvars(inventory, 'fizz-production')
    assert variables['compose_deployment_id'] == 'a' * 24
    assert variables['compose_deployment_name'] == 'fizz-production'
    assert variables['compose_deployment_type'] == 'postgresql'
    assert variables['compose_deployment_version'] == '9.6.10'
    assert variables['compose_deployment_created_at'] == '2016-12-16T15:00:14.922Z'
    assert variables['compose_deployment_notes'] == 'prod'
    assert SECRET not in json.dumps({key: str(value) for key, value in variables.items()})


def test_filters_by_type_and_name_without_details(api, source):
    listed(api)
    inventory = source({'api_token': TOKEN, 'types': ['postgresql'], 'names': ['fizz-*'],
                        'exclude_names': ['*-staging'], 'fetch_details': False})
    assert [host.name for host in inventory.get_hosts()] == ['fizz-production']
    assert 'compose_deployment_version' not in hostvars(inventory, 'fizz-production')
    assert len(api.calls) == 1


def test_constructed_options(api, source):
    listed(api)
    inventory = source({'api_token': TOKEN, 'fetch_details': False,
                        'compose': {'backup_folder': "'/backups/' ~ compose_deployment_name"},
                        'groups': {'production': "compose_deployment_name is search('production')"},
                        'keyed_groups': [{'key': 'compose_deployment_created_at[:4]', 'prefix': 'year'}]})
    assert hostvars(inventory, 'buzz-cache')['backup_folder'] == '/backups/buzz-cache'
    assert [host.name for host in inventory.groups['production'].get_hosts()] == ['fizz-production']
    assert [host.name for host in inventory.groups['year_2018'].get_hosts()] == ['fizz-staging']


def test_token_from_the_environment(api, source, monkeypatch):
    monkeypatch.setenv('COMPOSEAPITOKEN', TOKEN)
    listed(api)
    inventory = source({'fetch_details': False})
    assert len(inventory.get_hosts()) == 3


def test_shared_names_become_name_and_id(api, source):
    twin = dict(DEPLOYMENTS[1], id='d' * 24)
    listed(api, DEPLOYMENTS + [twin])
    inventory = source({'api_token': TOKEN, 'fetch_details': False})
    names = sorted(host.name for host in inventory.get_hosts())
    assert names == ['buzz-cache_' + 'b' * 24, 'buzz-cache_' + 'd' * 24, 'fizz-production', 'fizz-staging']
    assert hostvars(inventory, 'buzz-cache_' + 'd' * 24)['compose_deployment_id'] == 'd' * 24


def test_cache_serves_the_second_parse(api, source, tmp_path):
    listed(api)
    options = {'api_token': TOKEN, 'fetch_details': False, 'cache': True,
               'cache_plugin': 'ansible.builtin.jsonfile', 'cache_connection': str(tmp_path / 'cache')}
    first = source(options)
    second = source(options)
    assert len(api.calls) == 1
    assert sorted(h.name for h in first.get_hosts()) == sorted(h.name for h in second.get_hosts())
    cached = ''.join(path.read_text() for path in (tmp_path / 'cache').iterdir())
    assert 'fizz-production' in cached and TOKEN not in cached


@pytest.mark.parametrize('options, message', [
    ({}, 'No Compose API token'),
    ({'api_token': TOKEN, 'types': ['postgres']}, 'types has unknown deployment types postgres'),
    ({'api_token': TOKEN, 'api_url': 'api.compose.io'}, 'api_url must be an http(s) URL'),
    ({'api_token': TOKEN, 'detail_workers': 0}, 'detail_workers must be 1 or more'),
    ({'api_token': TOKEN, 'request_timeout': 0}, 'request_timeout must be greater than 0'),
])
def test_bad_options_fail_the_source_by_name(api, source, options, message):
    with pytest.raises(SystemExit) as failure:
        source(options, direct=True)
    assert message in failure.value.message
    assert not api.calls
    # With fail_on_errors off, the error goes to Ansible, which shows it as a warning.
    with pytest.raises(AnsibleError) as failure:
        source(dict(options, fail_on_errors=False), direct=True)
    assert message in str(failure.value)


def test_refused_token_names_the_variables(api, source):
    api.get(BASE + '/deployments', status=401, json={'errors': 'invalid_token'})
    with pytest.raises(SystemExit) as failure:
        source({'api_token': TOKEN}, direct=True)
    assert 'COMPOSEAPITOKEN' in failure.value.message and TOKEN not in failure.value.message


@pytest.fixture
def errors(monkeypatch):
    """The errors the plugin shows, as text."""
    from ansible.utils.display import Display
    shown = []
    monkeypatch.setattr(Display, 'error', lambda self, msg, *args, **kwargs: shown.append(str(msg)))
    return shown


@pytest.mark.parametrize('status, what', [(401, '401 Unauthorized'), (403, '403 Forbidden')])
def test_refused_token_stops_the_command(api, source, errors, status, what):
    """Ansible's inventory manager turns a plugin's error into a warning, after which a playbook matches no hosts and
    ends with status 0: a nightly backup job backed up nothing and looked fine. The source stops the command."""
    api.get(BASE + '/deployments', status=status, json={'errors': 'invalid_token'})
    with pytest.raises(SystemExit) as failure:
        source({'api_token': TOKEN})
    assert failure.value.code == 1
    assert len(errors) == 1
    message = errors[0]
    assert message == failure.value.message
    assert 'cannot list the deployments at https://api.test/2016-07: GET /deployments failed: %s' % what in message
    assert 'COMPOSEAPITOKEN' in message and 'fail_on_errors: false' in message and TOKEN not in message


def test_unreachable_api_stops_the_command(api, source, errors):
    api.get(BASE + '/deployments', body=requests.exceptions.ConnectionError('Connection refused'))
    with pytest.raises(SystemExit) as failure:
        source({'api_token': TOKEN})
    assert failure.value.code == 1
    assert 'cannot list the deployments at https://api.test/2016-07: GET /deployments failed' in errors[0]


def test_a_missing_token_stops_the_command(api, source, errors):
    with pytest.raises(SystemExit):
        source({})
    assert 'No Compose API token' in errors[0]


def test_fail_on_errors_off_leaves_a_warning(api, source, errors, monkeypatch):
    from ansible.utils.display import Display
    warned = []
    monkeypatch.setattr(Display, 'error_as_warning', lambda self, msg, exception=None, **kwargs: warned.append(
        '%s %s' % (msg, exception)))
    api.get(BASE + '/deployments', status=401, json={'errors': 'invalid_token'})
    inventory = source({'api_token': TOKEN, 'fail_on_errors': False})
    assert not inventory.get_hosts() and not errors
    assert any('401 Unauthorized' in warning for warning in warned), warned


@pytest.fixture
def warnings(monkeypatch):
    """The warnings the plugin shows, as text."""
    from ansible.utils.display import Display
    shown = []
    monkeypatch.setattr(Display, 'warning', lambda self, msg, *args, **kwargs: shown.append(msg))
    return shown


ODD_ID = 'e' * 24


@pytest.mark.parametrize('name, host', [
    ('localhost', 'localhost_' + ODD_ID),
    ('127.0.0.1', '127.0.0.1_' + ODD_ID),
    ('all', 'all_' + ODD_ID),
    ('ungrouped', 'ungrouped_' + ODD_ID),
    ('{{ 6 * 7 }}', '___6___7____' + ODD_ID),
    ("{{ lookup('pipe', 'id') }}", '___lookup__pipe____id______' + ODD_ID),
    ('{% if true %}x{% endif %}', '___if_true___x___endif____' + ODD_ID),
    ('{# note #}', '___note____' + ODD_ID),
    ('my db', 'my_db_' + ODD_ID),
    ('bäckup-ünicode', 'b_ckup-_nicode_' + ODD_ID),
    ('fizz-*', 'fizz-__' + ODD_ID),
    ('a:b,c', 'a_b_c_' + ODD_ID),
    ('', 'deployment_' + ODD_ID),
])
def test_odd_names_become_safe_name_and_id(api, source, warnings, name, host):
    odd = dict(DEPLOYMENTS[0], id=ODD_ID, name=name)
    listed(api, DEPLOYMENTS + [odd])
    inventory = source({'api_token': TOKEN, 'fetch_details': False})
    names = sorted(h.name for h in inventory.get_hosts())
    assert names == sorted(['buzz-cache', 'fizz-production', 'fizz-staging', host])
    assert hostvars(inventory, host)['compose_deployment_name'] == name
    assert hostvars(inventory, host)['compose_deployment_id'] == ODD_ID
    assert sorted(h.name for h in inventory.groups['type_postgresql'].get_hosts()) == sorted(
        ['fizz-production', 'fizz-staging', host])
    # The host is reachable by its name and is not the implicit localhost or a group.
    assert [h.name for h in inventory.get_hosts(host)] == [host]
    assert len(inventory.get_hosts('all')) == 4
    assert [w for w in warnings if 'composeio.dbaas.compose' in w] == [
        'composeio.dbaas.compose: the name of deployment %s cannot be a host name as it is (it is kept in '
        'compose_deployment_name); its host is named %s' % (ODD_ID, host)]


def test_plain_names_stay_as_they_are(api, source, warnings):
    plain = [dict(DEPLOYMENTS[0], id=str(i) * 24, name=name)
             for i, name in enumerate(['Fizz_2.prod-1', 'localhost2', 'allx', '.x', 'LOCALHOST'])]
    listed(api, plain)
    inventory = source({'api_token': TOKEN, 'fetch_details': False})
    assert sorted(h.name for h in inventory.get_hosts()) == sorted(d['name'] for d in plain)
    assert not warnings


def test_odd_names_never_template(api, source):
    """Template text from the API stays text in compose, groups and keyed_groups too (ansible-core < 2.19 templated
    the plain strings these expressions were given: the label was [42])."""
    odd = dict(DEPLOYMENTS[0], id=ODD_ID, name="{{ 6 * 7 }}", notes="{{ 6 * 7 }}")
    listed(api, [odd])
    inventory = source({'api_token': TOKEN, 'fetch_details': False,
                        'compose': {'label': "'[' ~ compose_deployment_name ~ ']'"},
                        'groups': {'eleven': "compose_deployment_notes | length == 11"},
                        'keyed_groups': [{'key': 'compose_deployment_name | length | string', 'prefix': 'len'}]})
    host = '___6___7____' + ODD_ID
    variables = hostvars(inventory, host)
    assert variables['label'] == '[{{ 6 * 7 }}]'
    assert variables['compose_deployment_notes'] == '{{ 6 * 7 }}'
    assert [h.name for h in inventory.groups['eleven'].get_hosts()] == [host]
    assert [h.name for h in inventory.groups['len_11'].get_hosts()] == [host]


def test_hostile_id_and_type_stay_plain(api, source, warnings):
    odd = dict(DEPLOYMENTS[0], id='.*|{{ x }}', name='all', type='{{ t }}')
    listed(api, [odd])
    inventory = source({'api_token': TOKEN, 'fetch_details': False})
    assert [h.name for h in inventory.get_hosts()] == ['all_._____x___']
    assert hostvars(inventory, 'all_._____x___')['compose_deployment_id'] == '.*|{{ x }}'
    assert 'type____t___' in inventory.groups
    assert not any('{{' in w for w in warnings)


def test_shared_odd_names_and_clashes_get_distinct_hosts(api, source, warnings):
    deps = [dict(DEPLOYMENTS[0], id='1' * 24, name='localhost'),
            dict(DEPLOYMENTS[0], id='2' * 24, name='localhost'),
            # Plain and unique, but what the first would be named: it keeps its name, the derived one moves.
            dict(DEPLOYMENTS[0], id='3' * 24, name='localhost_' + '1' * 24),
            # The same deployment listed twice.
            dict(DEPLOYMENTS[1], name='twin'), dict(DEPLOYMENTS[1], name='twin')]
    listed(api, deps)
    inventory = source({'api_token': TOKEN, 'fetch_details': False})
    hosts = sorted(h.name for h in inventory.get_hosts())
    assert hosts == sorted(['localhost_' + '1' * 24 + '_2', 'localhost_' + '2' * 24, 'localhost_' + '1' * 24,
                            'twin_' + 'b' * 24, 'twin_' + 'b' * 24 + '_2'])
    assert hostvars(inventory, 'localhost_' + '1' * 24)['compose_deployment_id'] == '3' * 24
    assert hostvars(inventory, 'localhost_' + '1' * 24 + '_2')['compose_deployment_id'] == '1' * 24
    assert 'composeio.dbaas.compose: several deployments are named twin; their hosts are named <name>_<id>' in warnings


OTHER = 'https://other.test/2016-07'
OTHER_TOKEN = 'other-account-token-fedcba9876543210'


@pytest.mark.parametrize('switch', [{'api_url': OTHER}, {'api_token': OTHER_TOKEN}])
def test_cache_is_kept_per_account(api, source, tmp_path, switch):
    """Another API URL or token is another account: its hosts are read from the API, never the first one's cache."""
    other = [dict(DEPLOYMENTS[0], id='f' * 24, name='other-account')]
    listed(api)
    other_base = switch.get('api_url', BASE)
    api.get(other_base + '/deployments', json={'_embedded': {'deployments': other}},
            match=[responses.matchers.header_matcher({'Authorization': 'Bearer %s' % switch.get('api_token', TOKEN)})])
    options = {'api_token': TOKEN, 'fetch_details': False, 'cache': True,
               'cache_plugin': 'ansible.builtin.jsonfile', 'cache_connection': str(tmp_path / 'cache')}
    first = source(options)
    second = source(dict(options, **switch))
    again = source(options)
    assert len(api.calls) == 2
    assert [h.name for h in second.get_hosts()] == ['other-account']
    assert sorted(h.name for h in again.get_hosts()) == sorted(h.name for h in first.get_hosts())
    cached = ''.join(path.read_text() for path in (tmp_path / 'cache').iterdir())
    assert TOKEN not in cached and OTHER_TOKEN not in cached
    assert not any(TOKEN in path.name or OTHER_TOKEN in path.name for path in (tmp_path / 'cache').iterdir())


def test_hosts_connect_locally_unless_compose_says_otherwise(api, source):
    """A user's own play on these hosts runs on the controller, not over SSH to a deployment name."""
    listed(api)
    listed(api)
    inventory = source({'api_token': TOKEN, 'fetch_details': False})
    assert {hostvars(inventory, h.name)['ansible_connection'] for h in inventory.get_hosts()} == {'local'}
    choice = "'ssh' if compose_deployment_name == 'buzz-cache' else 'local'"
    overridden = source({'api_token': TOKEN, 'fetch_details': False, 'compose': {'ansible_connection': choice}})
    assert hostvars(overridden, 'buzz-cache')['ansible_connection'] == 'ssh'
    assert hostvars(overridden, 'fizz-production')['ansible_connection'] == 'local'
