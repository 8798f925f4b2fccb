"""Client for the simulator's control API (/_sim). Standard library only, so tests, ansible-test units and
plain scripts can all import it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import quote, urlsplit


class SimControlError(Exception):
    """The control API answered with an error status."""

    def __init__(self, method, path, status, body):
        super().__init__(f'{method} {path}: HTTP {status}: {body}')
        self.status = status
        self.body = body


class SimControl:
    """Steer a running simulator. `base` is its API base URL (http://host:port/2016-07) or its root."""

    def __init__(self, base, timeout=60.0, context=None):
        parts = urlsplit(base)
        self.root = f'{parts.scheme}://{parts.netloc}'
        self.api_url = self.root + '/2016-07'
        self.timeout = timeout
        handlers = [urllib.request.HTTPSHandler(context=context)] if context is not None else []
        # No proxy: the simulator is local, and an HTTP(S)_PROXY in the environment must not capture it.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), *handlers)

    def _call(self, method, path, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.root + '/_sim' + path, data=data, method=method,
                                         headers={'Content-Type': 'application/json', 'Accept': 'application/json'})
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            raise SimControlError(method, path, exc.code, exc.read().decode('utf-8', 'replace')) from None
        return json.loads(body) if body else None

    def health(self):
        return self._call('GET', '/health')

    def reset(self, seed=None):
        """Back to `seed` (a seed document), or to the seed the simulator was started with."""
        return self._call('POST', '/reset', seed)

    def state(self):
        return self._call('GET', '/state')

    def backup_file(self, backup_id):
        """{"id", "size", "sha256", "path"} of a backup's archive, building it if needed."""
        return self._call('GET', '/backups/' + quote(backup_id, safe=''))

    def config(self, **changes):
        """Merge config keys (recipe_polls, recipe_seconds, recipe_waiting, time_scale, link_ttl, list_order)."""
        return self._call('PATCH', '/config', changes) if changes else self._call('GET', '/config')

    def add_deployment(self, **entry):
        """Create a deployment from a seed entry (name, type, ...); returns it as GET /deployments/:id would."""
        return self._call('POST', '/deployments', entry)

    def add_backup(self, **entry):
        """A complete backup with any id and name: deployment_id, id, name, type (daily), age (60 seconds)."""
        return self._call('POST', '/backups', entry)

    def patch_deployment(self, dep_id, **changes):
        """fail_next_recipe, never_appear, backup_size, downloadable, restorable, link_scheme, link_host,
        archive_content, archive_damage."""
        return self._call('PATCH', '/deployments/' + quote(dep_id, safe=''), changes)

    def set_recipe(self, recipe_id, status, status_detail=None):
        payload = {'status': status}
        if status_detail is not None:
            payload['status_detail'] = status_detail
        return self._call('POST', '/recipes/' + quote(recipe_id, safe=''), payload)

    def fault(self, **spec):
        """Add a fault rule (see README.md for the fields); returns its id."""
        return self._call('POST', '/faults', spec)['id']

    def faults(self):
        return self._call('GET', '/faults')['faults']

    def clear_faults(self):
        return self._call('DELETE', '/faults')

    def requests(self):
        return self._call('GET', '/requests')['requests']

    def clear_requests(self):
        return self._call('DELETE', '/requests')

    def overlap(self):
        """{"api", "download", "requests"}: the most API requests, and downloads, in flight at once in the request log,
        and its length (see overlap.py)."""
        return self._call('GET', '/overlap')

    def deployment_id(self, name):
        """Id of the deployment called `name` (a convenience for tests)."""
        for dep in self.state()['deployments']:
            if dep['name'] == name:
                return dep['id']
        raise KeyError(name)
