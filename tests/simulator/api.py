"""The Compose API 2016-07 endpoints and their JSON shapes (docs/compose-api.md, *Deployments*, *Backups*, *Recipes*
and, for `GET /datacenters`, *Documented but not used*)."""

from __future__ import annotations

import base64
import re
from urllib.parse import quote, unquote, urlsplit

from .respond import error, json_response, route
from .seed import DATACENTERS, TYPES
from .state import ACCOUNT_ID, iso, make_id

VERSION_PREFIX = '/2016-07'
ACCOUNT_SLUG = 'northwind'
CLI = {
    'postgresql': 'psql "sslmode=require host={host} port={port} dbname=compose user=admin"',
    'redis': 'redis-cli -h {host} -p {port} -a [password]',
    'mongodb': 'mongo --ssl --sslAllowInvalidCertificates {host}:{port}/compose -u admin -p [password] --authenticationDatabase admin',
    'mysql': 'mysql -u admin -p --host {host} --port {port} --ssl-mode=REQUIRED',
}


class Context:
    """One API request as the endpoint functions see it."""

    def __init__(self, state, signer, root, body, body_ok=True):
        self.state = state
        self.signer = signer
        self.root = root
        self.base = root + VERSION_PREFIX
        self.body = body
        self.body_ok = body_ok


def _link(href):
    return {'href': href + '{?embed}', 'templated': True}


def deployment_summary(ctx, dep):
    return {
        'id': dep.id, 'name': dep.name, 'type': dep.type, 'created_at': iso(dep.created), 'notes': dep.notes,
        'customer_billing_code': dep.customer_billing_code,
        '_links': {'compose_web_ui': _link(f'https://app.compose.io/{ACCOUNT_SLUG}/deployments/{dep.name}')},
    }


def connection_strings(dep):
    digest = make_id('host', dep.id)
    region = dep.datacenter.replace(':', '-') if dep.datacenter else 'cluster'
    number = int(digest[12:14], 16) % 20 + 1
    values = {
        'pw': f'SIMPASS-{digest[:12]}', 'host': f'sl-{region}-portal.{number}.dblayer.com',
        'host2': f'sl-{region}-portal.{number + 1}.dblayer.com', 'port': 10000 + int(digest[14:18], 16) % 50000,
        'vhost': dep.name,
    }
    admin = [f'https://{values["host"]}:{values["port"] + 1}'] if dep.type in ('rabbitmq', 'elastic_search') else []
    return {
        'direct': [TYPES[dep.type][2].format(**values)],
        'cli': [CLI[dep.type].format(**values)] if dep.type in CLI else [],
        'maps': [], 'ssh': [], 'health': [], 'admin': admin, 'misc': {},
    }


def deployment_detail(ctx, dep):
    out = deployment_summary(ctx, dep)
    pem = f'-----BEGIN CERTIFICATE-----\nSIMULATED-COMPOSE-CA-{dep.id}\n-----END CERTIFICATE-----\n'
    out.update({
        'account_id': ACCOUNT_ID, 'cluster_id': dep.cluster_id, 'version': dep.version,
        'ca_certificate_base64': base64.b64encode(pem.encode()).decode(),
        'connection_strings': connection_strings(dep),
    })
    links = {name: _link(f'{ctx.base}/deployments/{dep.id}/{name}') for name in ('scalings', 'backups', 'alerts')}
    if dep.cluster_id:
        links['cluster'] = _link(f'{ctx.base}/clusters/{dep.cluster_id}')
    # _links last, as in the captured responses
    out['_links'] = dict(out.pop('_links'), **links)
    return out


def backup_json(dep, backup):
    return {
        'id': backup.id, 'deployment_id': dep.id, 'name': backup.name, 'type': backup.type, 'status': 'complete',
        'is_downloadable': dep.can_download, 'is_restorable': dep.can_restore, 'created_at': iso(backup.created),
        '_links': {'self': {'href': f'deployments/{dep.id}/backups/{backup.id}'}},
    }


def recipe_json(recipe):
    return {
        'id': recipe.id, 'template': recipe.template, 'status': recipe.status, 'status_detail': recipe.status_detail,
        'account_id': ACCOUNT_ID, 'deployment_id': recipe.deployment_id, 'name': recipe.name,
        'created_at': iso(recipe.created), 'updated_at': iso(recipe.updated),
        'operations_complete': recipe.ops_done, 'operations_total': recipe.ops_total,
        '_embedded': {'recipes': []},
    }


def _hal(name, items):
    return json_response(200, {'_embedded': {name: items}})


def _deployment(ctx, dep_id):
    return ctx.state.deployments.get(dep_id)


def _backup(ctx, dep, backup_id):
    backup = ctx.state.backups.get(backup_id)
    return backup if backup is not None and backup.deployment_id == dep.id else None


def list_deployments(ctx):
    return _hal('deployments', [deployment_summary(ctx, dep) for dep in ctx.state.deployments.values()])


def get_deployment(ctx, dep_id):
    dep = _deployment(ctx, dep_id)
    return json_response(200, deployment_detail(ctx, dep)) if dep else error(404, 'Not found')


def delete_deployment(ctx, dep_id):
    dep = _deployment(ctx, dep_id)
    if dep is None:
        return error(404, 'Not found')
    return json_response(202, recipe_json(ctx.state.deprovision(dep)))


def list_backups(ctx, dep_id):
    dep = _deployment(ctx, dep_id)
    if dep is None:
        return error(404, 'Not found')
    return _hal('backups', [backup_json(dep, backup) for backup in ctx.state.listed_backups(dep.id)])


def start_backup(ctx, dep_id):
    dep = _deployment(ctx, dep_id)
    if dep is None:
        return error(404, 'Not found')
    return json_response(202, recipe_json(ctx.state.start_backup(dep)))


def get_backup(ctx, dep_id, backup_id):
    dep = _deployment(ctx, dep_id)
    backup = dep and _backup(ctx, dep, backup_id)
    if not backup:
        return error(404, 'Not found')
    out = backup_json(dep, backup)
    link = None
    if dep.can_download:
        link = ctx.signer.link(ctx.root, backup, ctx.state.clock.now(), ctx.state.config['link_ttl'])
        link = hostile_link(ctx, dep, link)
    out['download_link'] = link
    return json_response(200, out)


def hostile_link(ctx, dep, link):
    """The link as a deployment's opt-in hostile settings (PATCH /_sim/deployments/:id) bend it."""
    if dep.link_host:
        # Through a redirect on this host to the same signed link on another host name.
        parts = urlsplit(link)
        target = parts._replace(netloc=f'{dep.link_host}:{parts.port}').geturl()
        link = f'{ctx.root}/_sim/redirect/{quote(target, safe="")}'
    if dep.link_scheme:
        link = dep.link_scheme + link[link.index(':'):]
    return link


def restore(ctx, dep_id, backup_id):
    dep = _deployment(ctx, dep_id)
    backup = dep and _backup(ctx, dep, backup_id)
    if not backup:
        return error(404, 'Not found')
    if not ctx.body_ok:
        return error(400, 'Request body is not valid JSON')
    params = ctx.body.get('deployment') if isinstance(ctx.body, dict) else None
    errors, new = ctx.state.restore(dep, backup, params)
    if errors:
        return json_response(422, {'errors': errors})
    out = deployment_detail(ctx, new)
    out['provision_recipe_id'] = new.provision_recipe_id
    return json_response(202, out)


def deployment_recipes(ctx, dep_id):
    dep = _deployment(ctx, dep_id)
    if dep is None:
        return error(404, 'Not found')
    return _hal('recipes', [recipe_json(recipe) for recipe in ctx.state.recipes_of(dep.id)])


def get_recipe(ctx, recipe_id):
    recipe = ctx.state.recipes.get(recipe_id)
    if recipe is None:
        return error(404, 'Not found')
    ctx.state.advance(recipe, ctx.state.clock.now(), polled=True)
    return json_response(200, recipe_json(recipe))


def datacenters(ctx):
    del ctx
    return _hal('datacenters', [dict(dc) for dc in DATACENTERS])


ROUTES = [
    (re.compile(r'^/deployments$'), {'GET': list_deployments}),
    (re.compile(r'^/deployments/([^/]+)$'), {'GET': get_deployment, 'DELETE': delete_deployment}),
    (re.compile(r'^/deployments/([^/]+)/backups$'), {'GET': list_backups, 'POST': start_backup}),
    (re.compile(r'^/deployments/([^/]+)/backups/([^/]+)$'), {'GET': get_backup}),
    (re.compile(r'^/deployments/([^/]+)/backups/([^/]+)/restore$'), {'POST': restore}),
    (re.compile(r'^/deployments/([^/]+)/recipes$'), {'GET': deployment_recipes}),
    (re.compile(r'^/recipes/([^/]+)$'), {'GET': get_recipe}),
    (re.compile(r'^/datacenters$'), {'GET': datacenters}),
]


def dispatch(ctx, method, path):
    """Route a path below /2016-07; the caller holds the lock and has checked the token."""
    handler, found = route(ROUTES, method, path)
    if handler is None:
        return found
    ctx.state.tick()
    # Ids arrive quoted (clients quote every path part); hostile ones hold '/', '%' or NUL.
    return handler(ctx, *(unquote(group) for group in found))
