"""The control API under /_sim: reset, inspect and steer the simulator. No auth, never logged, never faulted."""

from __future__ import annotations

import re
from urllib.parse import unquote

from .api import Context, backup_json, deployment_detail, recipe_json
from .archives import CONTENTS, DAMAGES
from .faults import FaultError
from .overlap import overlaps
from .respond import Response, error, json_response, route
from .seed import SeedError, archive_content, archive_damage, validate_deployment, validate_seed
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
    'archive_content': ((str,), 'one of ' + ', '.join(CONTENTS)),
    'archive_damage': ((str, type(None)), 'one of ' + ', '.join(DAMAGES) + ', or null'),
}
# Checked further than their type, by the seed's own rules.
CHECKED = {'archive_content': archive_content, 'archive_damage': archive_damage}
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
            archive = sim.archives.peek(backup.id, dep.archive_spec)
            if archive is not None:
                item.update(size=archive.size, sha256=archive.sha256)
            backups.append(item)
        deployments.append({
            'id': dep.id, 'name': dep.name, 'type': dep.type, 'version': dep.version, 'ready': dep.ready,
            'datacenter': dep.datacenter, 'cluster_id': dep.cluster_id, 'backup_size': dep.backup_size,
            'downloadable': dep.can_download, 'restorable': dep.can_restore,
            'archive_content': dep.archive_content, 'archive_damage': dep.archive_damage,
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
        if key in CHECKED:
            CHECKED[key](key, value)
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


class Call:
    """One control request as the endpoint functions see it."""

    def __init__(self, sim, body, root):
        self.sim = sim
        self.body = body
        self.root = root

    @property
    def state(self):
        # Read at use, under the lock: a reset replaces the simulator's state.
        return self.sim.state


def health(call):
    del call
    return json_response(200, {'ok': True})


def reset(call):
    call.sim.reset(call.sim.startup_seed if call.body is None else validate_seed(call.body))
    return json_response(200, {'ok': True})


def get_state(call):
    return json_response(200, _state(call.sim))


def get_config(call):
    return json_response(200, dict(call.state.config))


def patch_config(call):
    call.state.set_config(_object(call.body, allow_empty=True))
    return get_config(call)


def add_deployment(call):
    dep = call.state.add_deployment(validate_deployment(_object(call.body)))
    return json_response(201, deployment_detail(Context(call.state, call.sim.signer, call.root, None), dep))


def patch_deployment(call, dep_id):
    dep = call.state.deployments.get(dep_id)
    if dep is None:
        return error(404, 'Not found')
    _patch_deployment(dep, _object(call.body))
    return json_response(200, next(d for d in _state(call.sim)['deployments'] if d['id'] == dep.id))


def set_recipe(call, recipe_id):
    recipe = call.state.recipes.get(recipe_id)
    if recipe is None:
        return error(404, 'Not found')
    body = _object(call.body)
    call.state.force_recipe(recipe, body.get('status'), body.get('status_detail'))
    return json_response(200, recipe_json(recipe))


def add_backup(call):
    return _add_backup(call.state, call.body)


def add_fault(call):
    return json_response(201, {'id': call.sim.faults.add(_object(call.body)).id})


def list_faults(call):
    return json_response(200, {'faults': [fault.to_json() for fault in call.sim.faults.faults]})


def clear_faults(call):
    call.sim.faults.clear()
    return list_faults(call)


def list_requests(call):
    return json_response(200, {'requests': [dict(entry) for entry in call.sim.log.entries]})


def get_overlap(call):
    """The most API requests, and downloads, in flight at once in the request log (overlap.py)."""
    return json_response(200, overlaps(call.sim.log.entries))


def clear_requests(call):
    call.sim.log.clear()
    return list_requests(call)


def redirect(call, target):
    """Where a deployment's link_host sends its download links: on to another host name."""
    del call
    return Response(302, b'', 'text/plain', [('Location', unquote(target))])


def backup_file(call, backup_id):
    with call.sim.lock:
        backup = call.state.backups.get(unquote(backup_id))
        dep = backup and call.state.deployments.get(backup.deployment_id)
        spec = dep.archive_spec if dep else None
    if not backup or not dep:
        return error(404, 'Not found')
    # Built outside the global lock: a big archive takes seconds and the API must keep answering.
    return json_response(200, call.sim.archives.ensure(backup.id, spec).to_json(backup.id))


ROUTES = [
    (re.compile(r'^/health$'), {'GET': health}),
    (re.compile(r'^/reset$'), {'POST': reset}),
    (re.compile(r'^/state$'), {'GET': get_state}),
    (re.compile(r'^/config$'), {'GET': get_config, 'PATCH': patch_config}),
    (re.compile(r'^/deployments$'), {'POST': add_deployment}),
    (re.compile(r'^/deployments/([^/]+)$'), {'PATCH': patch_deployment}),
    (re.compile(r'^/recipes/([^/]+)$'), {'POST': set_recipe}),
    (re.compile(r'^/backups$'), {'POST': add_backup}),
    (re.compile(r'^/backups/([^/]+)$'), {'GET': backup_file}),
    (re.compile(r'^/faults$'), {'GET': list_faults, 'POST': add_fault, 'DELETE': clear_faults}),
    (re.compile(r'^/requests$'), {'GET': list_requests, 'DELETE': clear_requests}),
    (re.compile(r'^/overlap$'), {'GET': get_overlap}),
    (re.compile(r'^/redirect/(.*)$'), {'GET': redirect, 'HEAD': redirect}),
]
# The endpoints that run without the global lock: they take it themselves for as long as they need it, if at all.
UNLOCKED = (backup_file, redirect)


def handle(sim, method, path, body, body_ok, root):
    """Route a path below /_sim (no auth, never logged, never faulted)."""
    if not body_ok:
        return error(400, 'the body is not valid JSON')
    handler, found = route(ROUTES, method, path[len(PREFIX):])
    if handler is None:
        return found
    call = Call(sim, body, root)
    if handler in UNLOCKED:
        return handler(call, *found)
    try:
        with sim.lock:
            return handler(call, *found)
    except (BadRequest, SeedError, FaultError) as exc:
        return error(400, str(exc))
