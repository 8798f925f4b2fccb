"""The simulated Compose account: clock, deployments, backups and recipes. Callers hold the global lock."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import random
import time
from datetime import datetime, timezone

from .archives import Spec
from .seed import DATACENTER_SLUGS, HEX24, TYPES, SeedError, validate_config

ACCOUNT_ID = '52a50cb96230650018000000'
DAY = 86400.0
TERMINAL = ('complete', 'failed')
DONE_DETAIL = 'All operations have completed successfully!'
# A per-process nonce keeps ids of objects made at run time unique across resets of one process.
_NONCE = os.urandom(8).hex()


def make_id(*parts):
    return hashlib.sha1('|'.join(parts).encode()).hexdigest()[:24]


def _spread(*parts):
    """A stable number in [0, 1) so seeded times and ports vary but repeat from run to run."""
    return int(make_id(*parts)[:8], 16) / 0x100000000


def iso(ts):
    moment = datetime.fromtimestamp(ts, timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.') + f'{moment.microsecond // 1000:03d}Z'


def iso_seconds(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


class Clock:
    """Simulated time: runs time_scale simulated seconds per real second, continuous across scale changes."""

    def __init__(self, scale=1.0):
        self._real = time.time()
        self._sim = self._real
        self.scale = scale

    def now(self):
        return self._sim + (time.time() - self._real) * self.scale

    def set_scale(self, scale):
        self._sim = self.now()
        self._real = time.time()
        self.scale = scale


@dataclasses.dataclass
class Deployment:
    id: str
    name: str
    type: str
    version: str
    created: float
    datacenter: str = 'aws:us-east-1'
    cluster_id: str = ''
    notes: str = ''
    customer_billing_code: str = ''
    ssl: bool = True
    backup_size: int = 65536
    downloadable: bool | None = None
    restorable: bool | None = None
    fail_next_recipe: str | None = None
    never_appear: bool = False
    provision_recipe_id: str = ''
    ready: bool = True
    restored_from: str | None = None
    link_scheme: str | None = None
    link_host: str | None = None
    archive_content: str = 'random'
    archive_damage: str | None = None
    # The deprovision recipe of the last DELETE; while it runs, another DELETE answers with it.
    deprovision_recipe_id: str = ''
    # One-shot switches for the next deprovision recipe: end failed with this detail, or stay running (pinned).
    fail_deprovision: str | None = None
    stall_deprovision: bool = False

    @property
    def archive_spec(self):
        """What every archive of this deployment's backups is built from, besides the backup id."""
        return Spec(self.backup_size, self.archive_content, self.archive_damage)

    @property
    def can_download(self):
        return TYPES[self.type][1] if self.downloadable is None else self.downloadable

    @property
    def can_restore(self):
        return True if self.restorable is None else self.restorable


@dataclasses.dataclass
class Backup:
    id: str
    deployment_id: str
    name: str
    type: str
    started: float
    created: float


@dataclasses.dataclass
class Recipe:
    id: str
    deployment_id: str
    kind: str
    template: str
    name: str
    created: float
    updated: float
    ops_total: int
    status: str = 'running'
    status_detail: str = ''
    ops_done: int = 0
    polls_needed: int | None = None
    seconds: float | None = None
    waiting: bool = False
    polls: int = 0
    outcome: str = 'complete'
    fail_detail: str = ''
    pinned: bool = False
    effects_done: bool = False


class State:
    def __init__(self, seed):
        self._counter = 0
        self.reset(seed)

    def reset(self, seed):
        self.config = dict(seed['config'])
        self.clock = Clock(self.config['time_scale'])
        self.deployments = {}
        self.backups = {}
        self.recipes = {}
        for entry in seed['deployments']:
            self.add_deployment(entry)

    def dump(self):
        """Everything needed to carry on after a restart, as JSON-ready data (see load)."""
        self.tick()
        return {
            'format': 1,
            'config': self.config,
            'counter': self._counter,
            'deployments': [dataclasses.asdict(d) for d in self.deployments.values()],
            'backups': [dataclasses.asdict(b) for b in self.backups.values()],
            'recipes': [dataclasses.asdict(r) for r in self.recipes.values()],
        }

    def load(self, doc):
        """Take back what dump() wrote; simulated time carries on from the real time of the restart."""
        if not isinstance(doc, dict) or doc.get('format') != 1:
            raise SeedError('state file: not a simulator state (format 1)')
        try:
            config = validate_config(doc['config'])
            deployments = {d['id']: Deployment(**d) for d in doc['deployments']}
            backups = {b['id']: Backup(**b) for b in doc['backups']}
            recipes = {r['id']: Recipe(**r) for r in doc['recipes']}
            counter = int(doc['counter'])
        except (KeyError, TypeError, ValueError) as exc:
            raise SeedError(f'state file: {exc}') from exc
        self.config = dict(self.config, **config)
        self.clock = Clock(self.config['time_scale'])
        self.deployments, self.backups, self.recipes, self._counter = deployments, backups, recipes, counter

    def new_id(self, kind):
        self._counter += 1
        return make_id(kind, _NONCE, str(self._counter))

    def set_config(self, update):
        update = validate_config(update)
        self.config.update(update)
        if 'time_scale' in update:
            self.clock.set_scale(update['time_scale'])
        return self.config

    def find_by_name(self, name):
        return next((dep for dep in self.deployments.values() if dep.name == name), None)

    def add_deployment(self, entry):
        """Create a deployment from a validated seed entry, with its backup history and provision recipe."""
        if self.find_by_name(entry['name']) and not entry['duplicate_name']:
            raise SeedError(f'deployment name {entry["name"]!r} is already taken')
        dep_id = entry['id'] or (self.new_id('deployment') if entry['duplicate_name'] else make_id('deployment', entry['name']))
        if dep_id in self.deployments:
            raise SeedError(f'deployment id {dep_id!r} is already taken')
        now = self.clock.now()
        dep = Deployment(
            id=dep_id, name=entry['name'], type=entry['type'], version=entry['version'],
            created=now - DAY * (400 + int(200 * _spread(dep_id, 'age'))), datacenter=entry['datacenter'],
            notes=entry['notes'], customer_billing_code=entry['customer_billing_code'],
            backup_size=entry['backup_size'], downloadable=entry['downloadable'], restorable=entry['restorable'],
            archive_content=entry['archive_content'], archive_damage=entry['archive_damage'])
        recipe = Recipe(id=make_id('recipe', dep_id, 'provision'), deployment_id=dep_id, kind='provision',
                        template='Recipes::Deployment::Run', name='Provision', created=dep.created,
                        updated=dep.created + 300, ops_total=14, ops_done=14, status='complete',
                        status_detail=DONE_DETAIL, effects_done=True)
        dep.provision_recipe_id = recipe.id
        self.deployments[dep_id] = dep
        self.recipes[recipe.id] = recipe
        # Schedules are offset from each other so no two backups share a timestamp.
        schedule = [('daily', DAY, 0.0), ('weekly', 7 * DAY, 3600.0), ('monthly', 30 * DAY, 7200.0)]
        for kind, period, offset in schedule:
            for index in range(1, entry['history'][kind] + 1):
                self._seed_backup(dep, kind, now - index * period - offset, index)
        if entry['on_demand']:
            self._seed_backup(dep, 'on_demand', now - 5 * 3600.0, 0)
        # Earlier on-demand backup recipes, complete, one a day back from yesterday: how long they took is all
        # they are for (the backups they made are not kept).
        for index, seconds in enumerate(entry.get('backup_recipes', ())):
            created = now - (index + 1) * DAY
            recipe = Recipe(id=make_id('recipe', dep_id, 'backup', str(index)), deployment_id=dep_id, kind='backup',
                            template='Recipes::Deployment::Backup', name='Backup', created=created,
                            updated=created + seconds, ops_total=3, ops_done=3, status='complete',
                            status_detail=DONE_DETAIL, effects_done=True)
            self.recipes[recipe.id] = recipe
        return dep

    def _seed_backup(self, dep, kind, started, index):
        backup = Backup(id=make_id('backup', dep.id, kind, str(index)), deployment_id=dep.id,
                        name=f'{dep.name}_{iso_seconds(started)}', type=kind, started=started,
                        created=started + 60 + int(540 * _spread(dep.id, kind, str(index))))
        self.backups[backup.id] = backup

    def add_backup(self, dep, backup_id, name, kind, age):
        """A complete backup with any id and name (hostile ones included), created `age` seconds ago."""
        if backup_id in self.backups:
            raise SeedError(f'backup id {backup_id!r} is already taken')
        created = self.clock.now() - age
        backup = Backup(id=backup_id, deployment_id=dep.id, name=name, type=kind, started=created - 60, created=created)
        self.backups[backup_id] = backup
        return backup

    def backups_of(self, dep_id):
        return sorted((b for b in self.backups.values() if b.deployment_id == dep_id), key=lambda b: (b.created, b.id))

    def listed_backups(self, dep_id):
        items = self.backups_of(dep_id)
        order = self.config['list_order']
        if order == 'newest_first':
            items.reverse()
        elif order == 'random':
            random.shuffle(items)
        return items

    def recipes_of(self, dep_id):
        return sorted((r for r in self.recipes.values() if r.deployment_id == dep_id), key=lambda r: (r.created, r.id))

    # Recipes -------------------------------------------------------------------------------------

    def _new_recipe(self, dep, kind, template, name, ops_total, detail):
        now = self.clock.now()
        recipe = Recipe(id=self.new_id('recipe'), deployment_id=dep.id, kind=kind, template=template, name=name,
                        created=now, updated=now, ops_total=ops_total, status_detail=detail,
                        waiting=self.config['recipe_waiting'])
        # The progress mode is fixed at creation so a later config change does not rewrite running recipes.
        if self.config['recipe_seconds'] is not None:
            recipe.seconds = self.config['recipe_seconds']
        else:
            recipe.polls_needed = self.config['recipe_polls']
        self.recipes[recipe.id] = recipe
        return recipe

    def _start(self, recipe):
        if not recipe.pinned and (recipe.seconds == 0 or recipe.polls_needed == 0):
            self._finish(recipe, recipe.created)
        return recipe

    def start_backup(self, dep):
        recipe = self._new_recipe(dep, 'backup', 'Recipes::Deployment::Backup', 'Backup', 3, 'Starting backup')
        # The one-shot failure switches are consumed by the recipe they are meant for.
        if dep.fail_next_recipe is not None:
            recipe.outcome, recipe.fail_detail = 'failed', dep.fail_next_recipe
            dep.fail_next_recipe = None
        elif dep.never_appear:
            recipe.outcome = 'never_appear'
            dep.never_appear = False
        return self._start(recipe)

    def deprovision(self, dep):
        """DELETE /deployments/:id: the running deprovision recipe if there is one (a second DELETE starts nothing),
        else a new one. The deployment goes when the recipe completes; a failed one leaves it in place."""
        running = self.recipes.get(dep.deprovision_recipe_id)
        if running is not None and running.status not in TERMINAL:
            return running
        recipe = self._new_recipe(dep, 'deprovision', 'Recipes::Deployment::Deprovision', 'Deprovision', 4,
                                  'Deprovisioning deployment')
        dep.deprovision_recipe_id = recipe.id
        if dep.fail_deprovision is not None:
            recipe.outcome, recipe.fail_detail = 'failed', dep.fail_deprovision
            dep.fail_deprovision = None
        if dep.stall_deprovision:
            # Running until POST /_sim/recipes/<id> moves it on.
            recipe.pinned = True
            dep.stall_deprovision = False
        return self._start(recipe)

    def tick(self):
        """Bring every time-based recipe up to the simulated now, in the order they were due."""
        now = self.clock.now()
        due = [r for r in self.recipes.values() if r.seconds is not None and r.status not in TERMINAL and not r.pinned]
        for recipe in sorted(due, key=lambda r: r.created + r.seconds):
            self.advance(recipe, now)

    def advance(self, recipe, now, polled=False):
        if recipe.status in TERMINAL or recipe.pinned:
            return
        if recipe.seconds is not None:
            elapsed = now - recipe.created
            if elapsed >= recipe.seconds:
                self._finish(recipe, recipe.created + recipe.seconds)
                return
            fraction = elapsed / recipe.seconds
            status = 'waiting' if recipe.waiting and fraction < 0.5 else 'running'
        else:
            if polled:
                recipe.polls += 1
            if recipe.polls >= recipe.polls_needed:
                self._finish(recipe, now)
                return
            fraction = recipe.polls / recipe.polls_needed
            status = 'waiting' if recipe.waiting and recipe.polls == 1 else 'running'
        done = min(recipe.ops_total - 1, int(fraction * recipe.ops_total))
        if (status, done) != (recipe.status, recipe.ops_done):
            recipe.status, recipe.ops_done, recipe.updated = status, done, now
            recipe.status_detail = 'Waiting for resources' if status == 'waiting' else f'Running step {done + 1} of {recipe.ops_total}'

    def _finish(self, recipe, at):
        recipe.updated = max(at, recipe.created)
        if recipe.outcome == 'failed':
            recipe.status, recipe.status_detail = 'failed', recipe.fail_detail
            recipe.ops_done = max(1, min(recipe.ops_done, recipe.ops_total - 1))
            return
        recipe.status, recipe.status_detail, recipe.ops_done = 'complete', DONE_DETAIL, recipe.ops_total
        if recipe.effects_done:
            return
        recipe.effects_done = True
        dep = self.deployments.get(recipe.deployment_id)
        if dep is None:
            return
        if recipe.kind == 'restore':
            dep.ready = True
        elif recipe.kind == 'deprovision':
            # The deployment and its backups go; its recipes stay (recipes are kept for ever).
            del self.deployments[dep.id]
            for backup_id in [b.id for b in self.backups.values() if b.deployment_id == dep.id]:
                del self.backups[backup_id]
        elif recipe.kind == 'backup' and recipe.outcome == 'complete':
            # Compose keeps one on-demand backup; swapping at completion leaves no moment without one.
            for old in [b for b in self.backups.values() if b.deployment_id == dep.id and b.type == 'on_demand']:
                del self.backups[old.id]
            backup = Backup(id=self.new_id('backup'), deployment_id=dep.id, name=f'{dep.name}_{iso_seconds(recipe.created)}',
                            type='on_demand', started=recipe.created, created=recipe.updated)
            self.backups[backup.id] = backup

    def force_recipe(self, recipe, status, detail=None):
        """Pin a recipe to a status; complete and failed behave as if it had got there by itself."""
        if status not in ('running', 'waiting', 'complete', 'failed'):
            raise SeedError('status: must be one of running, waiting, complete, failed')
        if detail is not None and not isinstance(detail, str):
            raise SeedError('status_detail: must be a string')
        now = self.clock.now()
        recipe.pinned = True
        if status == 'failed':
            recipe.outcome, recipe.fail_detail = 'failed', detail or 'Recipe failed'
            self._finish(recipe, now)
        elif status == 'complete':
            if recipe.outcome == 'failed':
                recipe.outcome = 'complete'
            self._finish(recipe, now)
            recipe.status_detail = detail or recipe.status_detail
        else:
            recipe.status, recipe.updated = status, now
            recipe.status_detail = detail or ('Waiting for resources' if status == 'waiting' else 'Running')
        return recipe

    # Restore ---------------------------------------------------------------------------------------

    def restore(self, source, backup, params):
        """Validate a restore request like Rails would (all field errors at once); return (errors, deployment)."""
        if not isinstance(params, dict):
            return {'deployment': ["can't be blank"]}, None
        errors = {}
        name = params.get('name')
        if not isinstance(name, str) or not name.strip():
            errors['name'] = ["can't be blank"]
        elif self.find_by_name(name):
            errors['name'] = ['has already been taken']
        datacenter, cluster_id = params.get('datacenter') or None, params.get('cluster_id') or None
        if datacenter is None and cluster_id is None:
            errors['datacenter'] = ['must be given when cluster_id is not']
        elif datacenter is not None and cluster_id is not None:
            errors['cluster_id'] = ['must be blank when datacenter is given']
        elif datacenter is not None and datacenter not in DATACENTER_SLUGS:
            errors['datacenter'] = ['is not included in the list']
        elif cluster_id is not None and (not isinstance(cluster_id, str) or not HEX24.match(cluster_id)):
            errors['cluster_id'] = ['is invalid']
        version = params.get('version') or source.version
        if not isinstance(version, str):
            errors['version'] = ['is invalid']
        ssl = params.get('ssl', True)
        if not isinstance(ssl, bool):
            errors['ssl'] = ['is not a boolean']
        if not source.can_restore:
            errors['backup'] = ['is not restorable']
        if errors:
            return errors, None
        now = self.clock.now()
        dep = Deployment(id=self.new_id('deployment'), name=name, type=source.type, version=version, created=now,
                         datacenter=datacenter or '', cluster_id=cluster_id or '', ssl=ssl,
                         backup_size=source.backup_size, downloadable=source.downloadable, restorable=source.restorable,
                         archive_content=source.archive_content, ready=False, restored_from=backup.id)
        self.deployments[dep.id] = dep
        recipe = self._new_recipe(dep, 'restore', 'Recipes::Deployment::Run', 'Restore', 5, 'Restoring backup')
        dep.provision_recipe_id = recipe.id
        self._start(recipe)
        return None, dep
