"""Seed documents and run-time config for the Compose API simulator: defaults and validation."""

from __future__ import annotations

import json
import os
import re

from .archives import CONTENTS, DAMAGES

# Per type: default version, whether Compose offers downloads (docs/compose-api.md, *What each deployment type
# offers*), and how its direct connection string looks; {pw} is the deployment's recognisable fake password.
TYPES = {
    'elastic_search': ('6.4.2', False, 'https://admin:{pw}@{host}:{port}/'),
    'etcd': ('3.3.9', True, 'https://root:{pw}@{host}:{port}'),
    'janusgraph': ('0.2.0', False, 'https://admin:{pw}@{host}:{port}/'),
    'mongodb': ('3.6.8', True, 'mongodb://admin:{pw}@{host}:{port},{host2}:{port}/compose?authSource=admin&ssl=true'),
    'mysql': ('5.7.23', True, 'mysql://admin:{pw}@{host}:{port}/compose'),
    'postgresql': ('9.6.10', True, 'postgres://admin:{pw}@{host}:{port}/compose'),
    'rabbitmq': ('3.7.8', True, 'amqps://admin:{pw}@{host}:{port}/{vhost}'),
    'redis': ('4.0.11', True, 'redis://admin:{pw}@{host}:{port}'),
    'rethink': ('2.3.6', True, 'rethinkdb://admin:{pw}@{host}:{port}'),
    'scylla': ('2.1.6', False, 'https://scylla:{pw}@{host}:{port}'),
}

DATACENTERS = [
    {'region': 'us-east-1', 'provider': 'aws', 'slug': 'aws:us-east-1'},
    {'region': 'eu-west-1', 'provider': 'aws', 'slug': 'aws:eu-west-1'},
    {'region': 'eu-central-1', 'provider': 'aws', 'slug': 'aws:eu-central-1'},
    {'region': 'europe-west1', 'provider': 'gce', 'slug': 'gce:europe-west1'},
]
DATACENTER_SLUGS = [dc['slug'] for dc in DATACENTERS]

CONFIG_DEFAULTS = {
    'recipe_polls': 2,
    'recipe_seconds': None,
    'recipe_waiting': False,
    'time_scale': 1.0,
    'link_ttl': 600.0,
    'list_order': 'oldest_first',
}
LIST_ORDERS = ('oldest_first', 'newest_first', 'random')
HISTORY_DEFAULTS = {'daily': 7, 'weekly': 4, 'monthly': 3}
DEFAULT_BACKUP_SIZE = 65536
HEX24 = re.compile(r'^[0-9a-f]{24}$')

DEFAULT_SEED_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'seeds', 'demo.json')


class SeedError(ValueError):
    """A seed document, config update or deployment entry that cannot be used."""


def _is_int(value):
    # bool is an int subclass; `true` must not pass as a count or a size
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _count(where, value, minimum=0):
    if not _is_int(value) or value < minimum:
        raise SeedError(f'{where}: must be an integer >= {minimum}, got {value!r}')
    return value


def _optional_bool(where, value):
    if value is not None and not isinstance(value, bool):
        raise SeedError(f'{where}: must be true, false or null, got {value!r}')
    return value


def _string(where, value, allow_empty=True):
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise SeedError(f'{where}: must be a {"" if allow_empty else "non-empty "}string, got {value!r}')
    return value


def archive_content(where, value):
    if value not in CONTENTS:
        raise SeedError(f'{where}: must be one of {", ".join(CONTENTS)}, got {value!r}')
    return value


def archive_damage(where, value):
    if value is not None and value not in DAMAGES:
        raise SeedError(f'{where}: must be one of {", ".join(DAMAGES)} or null, got {value!r}')
    return value


def validate_config(update, where='config'):
    """Check config keys and return them normalised (floats where floats are meant)."""
    if not isinstance(update, dict):
        raise SeedError(f'{where}: must be an object')
    out = {}
    for key, value in update.items():
        here = f'{where}.{key}'
        if key == 'recipe_polls':
            out[key] = _count(here, value)
        elif key == 'recipe_seconds':
            if value is not None and (not _is_number(value) or value < 0):
                raise SeedError(f'{here}: must be a number >= 0 or null, got {value!r}')
            out[key] = None if value is None else float(value)
        elif key == 'recipe_waiting':
            if not isinstance(value, bool):
                raise SeedError(f'{here}: must be true or false, got {value!r}')
            out[key] = value
        elif key in ('time_scale', 'link_ttl'):
            low_ok = key == 'link_ttl'
            if not _is_number(value) or value < 0 or (value == 0 and not low_ok):
                raise SeedError(f'{here}: must be a number {">=" if low_ok else ">"} 0, got {value!r}')
            out[key] = float(value)
        elif key == 'list_order':
            if value not in LIST_ORDERS:
                raise SeedError(f'{here}: must be one of {", ".join(LIST_ORDERS)}, got {value!r}')
            out[key] = value
        else:
            raise SeedError(f'{where}: unknown key {key!r} (known: {", ".join(sorted(CONFIG_DEFAULTS))})')
    return out


def validate_deployment(entry, where='deployment'):
    """Check one seed deployment entry and return it with every default filled in."""
    if not isinstance(entry, dict):
        raise SeedError(f'{where}: must be an object')
    known = {'name', 'type', 'id', 'version', 'backup_size', 'history', 'on_demand', 'downloadable', 'restorable',
             'notes', 'customer_billing_code', 'datacenter', 'duplicate_name', 'backup_recipes', 'archive_content',
             'archive_damage'}
    unknown = sorted(set(entry) - known)
    if unknown:
        raise SeedError(f'{where}: unknown key(s) {", ".join(unknown)} (known: {", ".join(sorted(known))})')
    name = _string(f'{where}.name', entry.get('name'), allow_empty=False)
    dep_type = entry.get('type')
    if dep_type not in TYPES:
        raise SeedError(f'{where}.type: must be one of {", ".join(sorted(TYPES))}, got {dep_type!r}')
    dep_id = entry.get('id')
    if dep_id is not None and (not isinstance(dep_id, str) or not HEX24.match(dep_id)):
        raise SeedError(f'{where}.id: must be 24 lowercase hex characters, got {dep_id!r}')
    history = dict(HISTORY_DEFAULTS)
    given = entry.get('history', {})
    if not isinstance(given, dict) or set(given) - set(HISTORY_DEFAULTS):
        raise SeedError(f'{where}.history: must be an object with some of daily, weekly, monthly')
    for key, value in given.items():
        history[key] = _count(f'{where}.history.{key}', value)
    datacenter = entry.get('datacenter', 'aws:us-east-1')
    if datacenter not in DATACENTER_SLUGS:
        raise SeedError(f'{where}.datacenter: must be one of {", ".join(DATACENTER_SLUGS)}, got {datacenter!r}')
    on_demand = entry.get('on_demand', True)
    if not isinstance(on_demand, bool):
        raise SeedError(f'{where}.on_demand: must be true or false')
    duplicate_name = entry.get('duplicate_name', False)
    if not isinstance(duplicate_name, bool):
        raise SeedError(f'{where}.duplicate_name: must be true or false')
    backup_recipes = entry.get('backup_recipes', [])
    if not isinstance(backup_recipes, list) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in backup_recipes):
        raise SeedError(f'{where}.backup_recipes: must be a list of durations in seconds, each more than 0')
    return {
        'name': name,
        'type': dep_type,
        'id': dep_id,
        'version': _string(f'{where}.version', entry.get('version', TYPES[dep_type][0]), allow_empty=False),
        'backup_size': _count(f'{where}.backup_size', entry.get('backup_size', DEFAULT_BACKUP_SIZE), 1),
        'history': history,
        'on_demand': on_demand,
        'downloadable': _optional_bool(f'{where}.downloadable', entry.get('downloadable')),
        'restorable': _optional_bool(f'{where}.restorable', entry.get('restorable')),
        'notes': _string(f'{where}.notes', entry.get('notes', '')),
        'customer_billing_code': _string(f'{where}.customer_billing_code', entry.get('customer_billing_code', '')),
        'datacenter': datacenter,
        'duplicate_name': duplicate_name,
        'backup_recipes': [float(v) for v in backup_recipes],
        'archive_content': archive_content(f'{where}.archive_content', entry.get('archive_content', 'random')),
        'archive_damage': archive_damage(f'{where}.archive_damage', entry.get('archive_damage')),
    }


def validate_seed(doc):
    """Return a normalised seed: the full config and a list of complete deployment entries."""
    if not isinstance(doc, dict):
        raise SeedError('seed: must be a JSON object with "config" and/or "deployments"')
    unknown = sorted(set(doc) - {'config', 'deployments'})
    if unknown:
        raise SeedError(f'seed: unknown key(s) {", ".join(unknown)} (known: config, deployments)')
    config = dict(CONFIG_DEFAULTS)
    config.update(validate_config(doc.get('config', {})))
    entries = doc.get('deployments', [])
    if not isinstance(entries, list):
        raise SeedError('deployments: must be a list')
    deployments = []
    names, ids = set(), set()
    for index, entry in enumerate(entries):
        dep = validate_deployment(entry, f'deployments[{index}]')
        if dep['name'] in names:
            raise SeedError(f'deployments[{index}].name: {dep["name"]!r} is used twice')
        if dep['id'] is not None and dep['id'] in ids:
            raise SeedError(f'deployments[{index}].id: {dep["id"]!r} is used twice')
        names.add(dep['name'])
        ids.add(dep['id'])
        deployments.append(dep)
    return {'config': config, 'deployments': deployments}


def load_seed(path=None):
    """Read and validate a seed file; without a path, the demo seed shipped beside this file."""
    path = path or DEFAULT_SEED_FILE
    try:
        with open(path, encoding='utf-8') as handle:
            doc = json.load(handle)
    except OSError as exc:
        raise SeedError(f'cannot read {path}: {exc.strerror}') from exc
    except ValueError as exc:
        raise SeedError(f'{path} is not valid JSON: {exc}') from exc
    return validate_seed(doc)
