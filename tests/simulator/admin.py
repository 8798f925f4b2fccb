"""The control API under /_sim: reset, inspect and steer the simulator. No auth, never logged, never faulted."""

from __future__ import annotations

import re
from urllib.parse import unquote

from .api import Context, backup_json, deployment_detail, recipe_json
from .faults import FaultError
from .respond import Response, error, json_response
from .seed import SeedError, validate_deployment, validate_seed
from .state import iso

PREFIX = '/_sim'
PATCHABLE = {
    'fail_next_recipe': ((str, type(None)), 'a string (the status_detail) or null'),
    'never_appear': ((bool,), 'true or false'),
    'backup_size': ((int,), 'an integer >= 1'),
    'downloadable': ((bool, type(None)), 'true, false or null'),
    'restorable': ((bool, type(None)), 'true, false or null'),
    'link_scheme': ((str, type(None)), 'a URL scheme such as file or ftp, or null'),
    'link_host': ((str, type(None)), 'a host name such as localhost, or null'),
}
BACKUP_KINDS = ('daily', 'weekly', 'monthly', 'on_demand')
MAX_ID = 100000


class BadRequest(ValueError):
    """Answered with 400 and the message."""


def _object(body, allow_empty=False):
    if body is None and allow_empty:
        return {}
    if not isinstance(body, dict):
        raise BadRequest('the body must be a JSON object')
    return body


def _state(sim):
    state = sim.state
    state.tick()
    deployments = []
    for dep in state.deployments.values():
        backups = []
        for backup in state.backups_of(dep.id):
            item = backup_json(dep, backup)
            archive = sim.archives.peek(backup.id, dep.backup_size)
            if archive is not None:
                item.update(size=archive.size, sha256=archive.sha256)
            backups.append(item)
        deployments.append({
            'id': dep.id, 'name': dep.name, 'type': dep.type, 'version': dep.version, 'ready': dep.ready,
            'datacenter': dep.datacenter, 'cluster_id': dep.cluster_id, 'backup_size': dep.backup_size,
            'downloadable': dep.can_download, 'restorable': dep.can_restore,
            'fail_next_recipe': dep.fail_next_recipe, 'never_appear': dep.never_appear,
            'provision_recipe_id': dep.provision_recipe_id, 'restored_from': dep.restored_from,
            'backups': backups,
        })
    recipes = []
    for recipe in sorted(state.recipes.values(), key=lambda r: (r.created, r.id)):
        item = recipe_json(recipe)
        item.update(kind=recipe.kind, polls=recipe.polls, polls_needed=recipe.polls_needed, seconds=recipe.seconds,
                    outcome=recipe.outcome, pinned=recipe.pinned)
        recipes.append(item)
    return {
        'now': iso(state.clock.now()), 'config': dict(state.config), 'deployments': deployments, 'recipes': recipes,
        'faults': [fault.to_json() for fault in sim.faults.faults], 'requests': len(sim.log.entries),
    }


def _patch_deployment(dep, body):
    for key, value in body.items():
        if key not in PATCHABLE:
            raise BadRequest(f'unknown key {key!r} (known: {", ".join(sorted(PATCHABLE))})')
        types, wanted = PATCHABLE[key]
        if not isinstance(value, types) or (key == 'backup_size' and (isinstance(value, bool) or value < 1)):
            raise BadRequest(f'{key}: must be {wanted}, got {value!r}')
    for key, value in body.items():
        setattr(dep, key, value)


def _add_backup(state, body):
    body = _object(body)
    unknown = sorted(set(body) - {'deployment_id', 'id', 'name', 'type', 'age'})
    if unknown:
        raise BadRequest(f'unknown key(s) {", ".join(unknown)} (known: age, deployment_id, id, name, type)')
    dep = state.deployments.get(body.get('deployment_id'))
    if dep is None:
        raise BadRequest('deployment_id: no such deployment')
    for key in ('id', 'name'):
        if not isinstance(body.get(key), str) or not 0 < len(body[key]) <= MAX_ID:
            raise BadRequest(f'{key}: must be a string of 1 to {MAX_ID} characters')
    kind = body.get('type', 'daily')
    if kind not in BACKUP_KINDS:
        raise BadRequest(f'type: must be one of {", ".join(BACKUP_KINDS)}')
    age = body.get('age', 60)
    if not isinstance(age, (int, float)) or isinstance(age, bool) or age < 0:
        raise BadRequest('age: must be a number of seconds >= 0')
    return json_response(201, backup_json(dep, state.add_backup(dep, body['id'], body['name'], kind, age)))


def _locked(sim, method, path, body, root):
    """Every control endpoint except building an archive; runs under the global lock."""
    state = sim.state
    if path == '/health':
        return json_response(200, {'ok': True}) if method == 'GET' else error(405)
    if path == '/reset':
        if method != 'POST':
            return error(405)
        sim.reset(sim.startup_seed if body is None else validate_seed(body))
        return json_response(200, {'ok': True})
    if path == '/state':
        return json_response(200, _state(sim)) if method == 'GET' else error(405)
    if path == '/config':
        if method == 'PATCH':
            state.set_config(_object(body, allow_empty=True))
        elif method != 'GET':
            return error(405)
        return json_response(200, dict(state.config))
    if path == '/deployments':
        if method != 'POST':
            return error(405)
        dep = state.add_deployment(validate_deployment(_object(body)))
        return json_response(201, deployment_detail(Context(state, sim.signer, root, None), dep))
    match = re.match(r'^/deployments/([^/]+)$', path)
    if match:
        dep = state.deployments.get(match.group(1))
        if method != 'PATCH':
            return error(405)
        if dep is None:
            return error(404, 'Not found')
        _patch_deployment(dep, _object(body))
        return json_response(200, next(d for d in _state(sim)['deployments'] if d['id'] == dep.id))
    match = re.match(r'^/recipes/([^/]+)$', path)
    if match:
        recipe = state.recipes.get(match.group(1))
        if method != 'POST':
            return error(405)
        if recipe is None:
            return error(404, 'Not found')
        body = _object(body)
        state.force_recipe(recipe, body.get('status'), body.get('status_detail'))
        return json_response(200, recipe_json(recipe))
    if path == '/backups':
        return _add_backup(state, body) if method == 'POST' else error(405)
    if path == '/faults':
        if method == 'POST':
            return json_response(201, {'id': sim.faults.add(_object(body)).id})
        if method == 'DELETE':
            sim.faults.clear()
        elif method != 'GET':
            return error(405)
        return json_response(200, {'faults': [fault.to_json() for fault in sim.faults.faults]})
    if path == '/requests':
        if method == 'DELETE':
            sim.log.clear()
        elif method != 'GET':
            return error(405)
        return json_response(200, {'requests': [dict(entry) for entry in sim.log.entries]})
    return error(404, 'Not found')


def handle(sim, method, path, body, body_ok, root):
    path = path[len(PREFIX):]
    if not body_ok:
        return error(400, 'the body is not valid JSON')
    if path.startswith('/redirect/') and method in ('GET', 'HEAD'):
        # Where a deployment's link_host sends its download links: on to another host name.
        return Response(302, b'', 'text/plain', [('Location', unquote(path[len('/redirect/'):]))])
    match = re.match(r'^/backups/([^/]+)$', path)
    if match:
        if method != 'GET':
            return error(405)
        with sim.lock:
            backup = sim.state.backups.get(unquote(match.group(1)))
            dep = backup and sim.state.deployments.get(backup.deployment_id)
            size = dep.backup_size if dep else None
        if not backup or not dep:
            return error(404, 'Not found')
        # Built outside the global lock: a big archive takes seconds and the API must keep answering.
        return json_response(200, sim.archives.ensure(backup.id, size).to_json(backup.id))
    try:
        with sim.lock:
            return _locked(sim, method, path, body, root)
    except (BadRequest, SeedError, FaultError) as exc:
        return error(400, str(exc))
