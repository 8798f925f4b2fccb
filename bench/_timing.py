"""Where the time of an ansible-playbook run goes, without ansible.posix's profile_tasks (not installed).

`install(folder)` writes a small callback plugin into `folder` and returns the environment that enables it for one
run; `summarise(path)` reads what it wrote: per task, its wall time (first host started to last host done) and
the host time summed over hosts. Kept out of the collection (the plugin is written at run time, into a temporary
workspace) so ansible-lint and ansible-test never see it. Standard library only.
"""

from __future__ import annotations

import json
from pathlib import Path

CALLBACK = '''
from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_timing'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loaded = time.time()
        self.tasks = []
        self.by_uuid = {}
        self.starts = {}

    def _task(self, task):
        entry = {'name': task.get_name(), 'action': task.action, 'start': time.time(), 'end': None,
                 'hosts': 0, 'host_seconds': 0.0, 'statuses': {}}
        self.tasks.append(entry)
        self.by_uuid[task._uuid] = entry

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._task(task)

    def v2_runner_on_start(self, host, task):
        self.starts[(task._uuid, host.get_name())] = time.time()

    def _done(self, result, status):
        now = time.time()
        uuid = result._task._uuid
        entry = self.by_uuid.get(uuid)
        if entry is None:
            return
        start = self.starts.pop((uuid, result._host.get_name()), None)
        entry['end'] = now
        entry['hosts'] += 1
        entry['statuses'][status] = entry['statuses'].get(status, 0) + 1
        if start is not None:
            entry['host_seconds'] += now - start

    def v2_runner_on_ok(self, result):
        self._done(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._done(result, 'failed')

    def v2_runner_on_skipped(self, result):
        self._done(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._done(result, 'unreachable')

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get('BENCH_TIMING_FILE')
        if path:
            with open(path, 'w', encoding='utf-8') as stream:
                json.dump({'loaded': self.loaded, 'end': time.time(), 'tasks': self.tasks}, stream)
'''


def install(folder):
    """Write the plugin under folder/callback_plugins; returns the extra environment for ansible-playbook."""
    plugins = Path(folder) / 'callback_plugins'
    plugins.mkdir(parents=True, exist_ok=True)
    (plugins / 'bench_timing.py').write_text(CALLBACK.lstrip(), encoding='utf-8')
    return {'ANSIBLE_CALLBACK_PLUGINS': str(plugins), 'ANSIBLE_CALLBACKS_ENABLED': 'bench_timing'}


def summarise(path, launched):
    """{'startup', 'tasks': [{name, action, wall, host_seconds, hosts, statuses}], 'end'} from the plugin's file.

    launched: time.time() just before ansible-playbook was started. Startup covers the interpreter, the
    inventory (the inventory plugin's listing included) and the parse of the playbook. A task's wall time runs
    from its start to the next task's start (the linear strategy waits for every host), so the walls add up.
    """
    data = json.loads(Path(path).read_text(encoding='utf-8'))
    tasks = data['tasks']
    rows = []
    for index, task in enumerate(tasks):
        following = tasks[index + 1]['start'] if index + 1 < len(tasks) else data['end']
        row = {'name': task['name'], 'action': task['action'], 'wall': following - task['start'],
               'host_seconds': task['host_seconds'], 'hosts': task['hosts'], 'statuses': dict(task['statuses'])}
        # A meta task that is not run once (end_role, say) starts once per host under linear: one row for all.
        last = rows[-1] if rows else None
        if last and (last['name'], last['action']) == (row['name'], row['action']):
            last['wall'] += row['wall']
            last['host_seconds'] += row['host_seconds']
            last['hosts'] += row['hosts']
            for status, count in row['statuses'].items():
                last['statuses'][status] = last['statuses'].get(status, 0) + count
            continue
        rows.append(row)
    first = tasks[0]['start'] if tasks else data['end']
    return {'startup': first - launched, 'tasks': rows, 'end': data['end'] - launched}
