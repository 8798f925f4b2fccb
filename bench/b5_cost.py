"""B5 cost: where the controller's CPU goes per deployment when the backup playbook runs over the inventory, and
what the settings a user can set (and fewer tasks per host) save. B2's set-up (bench/b2_fanout.py: N deployments,
forks 10, instant recipes, 1 MiB archives, the inventory plugin with fetch_details off), N = 100 by default.

    .venv/bin/python bench/b5_cost.py                   # the profile, then every variant, 3 runs each
    .venv/bin/python bench/b5_cost.py --variants default,pipelining --runs 5
    .venv/bin/python bench/b5_cost.py --smoke           # N = 3, one run of the role per host and of its batch mode
    .venv/bin/python bench/b5_cost.py --count 1000 --paths batch --variants batch --runs 1   # bench/results/b5_cost_n1000.json

The profile (one run of each path: the role per host, and its batch mode when the checkout's role has one) comes
from an accounting run and a profiled run of ansible-playbook under bench/_ansible_clock.py (the main process's
CPU, every fork of it with its task, optionally cProfile of the main process) with bench/_peak_rss.py as the module
interpreter (every module process: its CPU split at the moments bench/_clock_site/sitecustomize.py marks).
The variants are whole runs of the playbook, A B A B, wall and CPU time (ansible-playbook and every process it
waited for). No targets: the figures say what each costs and saves.
"""

from __future__ import annotations

import json
import pstats
import sys
import time
from collections import defaultdict

from _harness import (ROOT, VENV_BIN, BenchError, Simulator, Workspace, alternate, common_args, finish, guarded,
                      machine, median, table)
from b2_fanout import Bench, has_batch, seed

CLOCK = ROOT / 'bench' / '_ansible_clock.py'
PEAK_RSS = ROOT / 'bench' / '_peak_rss.py'

# One more task on every host after the backup playbook: what a task per host costs, whatever it does.
EXTRA_TASK_PLAYBOOK = '''\
---
- name: The backup playbook
  ansible.builtin.import_playbook: composeio.dbaas.backup

- name: One more task on every deployment
  hosts: all
  gather_facts: false
  tasks:
    - name: One more task
      __TASK__
'''
EXTRA_TASKS = {
    'skipped': 'ansible.builtin.debug:\n        msg: never\n      when: false',
    'set_fact': 'ansible.builtin.set_fact:\n        bench_extra: "{{ inventory_hostname }}"',
}
# The role under roles: in one play over every host, as a user's own play has it: with compose_backup_batch, Ansible
# still validates the role's arguments on every host (playbooks/backup.yml includes the role once instead).
ROLES_PLAYBOOK = '''\
---
- name: The backup role under roles
  hosts: all
  gather_facts: false
  roles:
    - role: composeio.dbaas.backup
'''

QUIET = {'ANSIBLE_DISPLAY_OK_HOSTS': 'false', 'ANSIBLE_DISPLAY_SKIPPED_HOSTS': 'false'}
BEST = dict(QUIET, ANSIBLE_PIPELINING='true')

# (name, what it changes, run options): env, extra (ansible-playbook arguments), forks, playbook (an extra-task
# playbook's key), batch. The first is the reference the others are compared with. Interpreter discovery is not
# among them: the role delegates to the implicit localhost, which runs modules with ansible_playbook_python and
# discovers nothing; turned on (ansible_python_interpreter=auto_silent) it finds the system's Python, which need
# not have requests (on this machine it has not: the run fails). Nor is the free strategy (or host_pinned, its
# kind): over 40 hosts and more, the per-host role's report comes out wrong under it (a host that reaches the run-once
# "Note when the work starts" late resets the others' results), so its runs do not count.
VARIANTS = [
    ('default', 'the B2 command: role per host, forks 10, default callback (yaml results)', {}),
    ('pipelining', 'ANSIBLE_PIPELINING=true: the module on stdin, no temporary folder on the controller',
     {'env': {'ANSIBLE_PIPELINING': 'true'}}),
    ('zip stored', 'ANSIBLE_MODULE_COMPRESSION=ZIP_STORED (default ZIP_DEFLATED)',
     {'env': {'ANSIBLE_MODULE_COMPRESSION': 'ZIP_STORED'}}),
    ('callback quiet', 'ANSIBLE_DISPLAY_OK_HOSTS=false, ANSIBLE_DISPLAY_SKIPPED_HOSTS=false', {'env': QUIET}),
    ('callback oneline', 'ANSIBLE_STDOUT_CALLBACK=ansible.builtin.oneline',
     {'env': {'ANSIBLE_STDOUT_CALLBACK': 'ansible.builtin.oneline'}}),
    ('forks 5', '--forks 5', {'forks': 5}),
    ('forks 20', '--forks 20', {'forks': 20}),
    ('+1 skipped task', 'one more task per host, skipped (when: false): what a task per host costs',
     {'playbook': 'skipped'}),
    ('+1 set_fact task', 'one more set_fact per host', {'playbook': 'set_fact'}),
    ('pipelining + quiet', 'the two settings that save most, together', {'env': BEST}),
    ('batch', 'compose_backup_batch=true: one compose_backup call for every deployment', {'batch': True}),
    ('batch + pipelining + quiet', 'the batch mode with the same two settings', {'batch': True, 'env': BEST}),
    ('batch under roles:', 'the batch mode with the role under roles: (its arguments validated on every host)',
     {'batch': True, 'playbook': 'roles'}),
]
SMOKE_VARIANTS = ['default', 'batch']

# Where the main process's CPU goes, by the file of each function (first match). Functions of no area (built-ins,
# the standard library's helpers) are charged to their callers' areas, in proportion to the time each caller
# spent in them.
AREAS = [
    ('data tagging', ('ansible/module_utils/_internal/_datatag/', 'ansible/_internal/_datatag/')),
    ('inventory plugin and API client', ('ansible/plugins/inventory/', 'ansible/inventory/',
                                         'composeio/dbaas/plugins/', 'site-packages/requests/',
                                         'site-packages/urllib3/', 'site-packages/idna/', 'site-packages/certifi/',
                                         '/ssl.py', '/http/', '/socket.py')),
    ('forking workers', ('multiprocessing/process.py', 'multiprocessing/popen_fork.py', 'multiprocessing/context.py',
                         'multiprocessing/util.py', 'ansible/executor/process/', 'built-in method posix.fork',
                         'multiprocessing/synchronize.py')),
    ('results from workers (queue, unpickling)', ('multiprocessing/queues.py', 'multiprocessing/connection.py',
                                                  'multiprocessing/reduction.py', '_pickle.loads', 'dataclasses.py',
                                                  'ansible/executor/task_result.py')),
    ('callbacks and display', ('ansible/plugins/callback/', 'ansible/utils/display.py', 'ansible/executor/stats.py',
                               'ansible/_internal/_json/', 'ansible/module_utils/common/json.py',
                               'ansible/_internal/_yaml/_dumper', 'site-packages/yaml/emitter',
                               'site-packages/yaml/serializer', 'site-packages/yaml/representer')),
    ('variables (VariableManager, hostvars)', ('ansible/vars/', 'ansible/utils/vars.py')),
    ('templating (Jinja, conditionals)', ('ansible/template/', 'ansible/_internal/_templating/', 'site-packages/jinja2/',
                                          'site-packages/markupsafe/', 'ansible/plugins/filter/', 'ansible/plugins/test/',
                                          'ansible/plugins/lookup/', 'ansible/playbook/conditional.py')),
    ('strategy and task queue', ('ansible/plugins/strategy/', 'ansible/executor/play_iterator.py',
                                 'ansible/executor/task_queue_manager.py', 'ansible/executor/playbook_executor.py',
                                 'ansible/playbook/included_file.py')),
    ('playbook objects (tasks, attributes, copies)', ('ansible/playbook/',)),
    ('parsing (YAML, playbook, role)', ('ansible/parsing/', 'site-packages/yaml/', 'ansible/_internal/_yaml/')),
    ('start-up (imports, config, plugin loading)', ('ansible/plugins/loader.py', 'ansible/config/', 'ansible/cli/',
                                                    'ansible/collections/', 'ansible/utils/collection_loader/',
                                                    'ansible/_internal/ansible_collections/',
                                                    '<frozen importlib', 'importlib/', 'built-in method marshal',
                                                    'built-in method builtins.__build_class__')),
]
OTHER = 'other'


def area_of(func):
    """The area of a pstats function key (file, line, name), or None."""
    text = f'{func[0]}:{func[2]}'.replace('\\', '/')
    for area, patterns in AREAS:
        if any(pattern in text for pattern in patterns):
            return area
    if func[0] == '~' or '/python3.' in func[0] or func[0].startswith('<frozen'):
        return None
    return OTHER


def main_areas(path):
    """{area: CPU seconds} of a cProfile file written by _ansible_clock.py, and the total."""
    stats = pstats.Stats(str(path)).stats
    memo = {}

    def shares(func, depth=0):
        # {area: fraction} for one function: its own area, else its callers' by the time they spent in it.
        if func in memo:
            return memo[func]
        area = area_of(func)
        if area is not None or depth > 6:
            result = {area or OTHER: 1.0}
        else:
            memo[func] = {OTHER: 1.0}  # a cycle among helpers ends here
            callers = stats[func][4]
            weights = {caller: timing[2] for caller, timing in callers.items() if caller in stats}
            total = sum(weights.values())
            result = defaultdict(float)
            if total <= 0:
                result[OTHER] = 1.0
            for caller, weight in weights.items():
                if total > 0:
                    for name, fraction in shares(caller, depth + 1).items():
                        result[name] += fraction * weight / total
            result = dict(result)
        memo[func] = result
        return result

    areas = defaultdict(float)
    for func, timing in stats.items():
        own = timing[2]
        for name, fraction in shares(func).items():
            areas[name] += own * fraction
    return dict(areas), sum(areas.values())


class Cost:
    def __init__(self, ws, sim, forks, count):
        self.ws, self.sim, self.count = ws, sim, count
        self.bench = Bench(ws, sim, forks, False, 1)
        self.forks = forks
        self.playbooks = {key: ws.playbook(f'extra_{key}.yml', EXTRA_TASK_PLAYBOOK.replace('__TASK__', task))
                          for key, task in EXTRA_TASKS.items()}
        self.playbooks['roles'] = ws.playbook('roles.yml', ROLES_PLAYBOOK)

    def variant(self, options):
        self.bench.forks = options.get('forks', self.forks)
        try:
            result = self.bench.ours(self.count, batch=options.get('batch', False), env=options.get('env'),
                                     extra=options.get('extra', ()),
                                     playbook=self.playbooks[options['playbook']] if 'playbook' in options
                                     else 'composeio.dbaas.backup')
        finally:
            self.bench.forks = self.forks
        result['cpu_per_deployment'] = result['cpu_seconds'] / self.count
        return result

    def account(self, batch, profile):
        """One run under _ansible_clock.py with the module interpreter wrapped: its accounting, and with profile
        the main process's areas."""
        folder = self.ws.path / ('clock-batch' if batch else 'clock-per-host') / ('profile' if profile else 'account')
        folder.mkdir(parents=True, exist_ok=True)
        out, modules, prof = folder / 'clock.json', folder / 'modules.jsonl', folder / 'main.prof'
        launcher = [VENV_BIN / 'python', CLOCK, '--out', out] + (['--profile', prof] if profile else []) + ['--']
        env = {'PEAK_RSS_FILE': modules, 'PEAK_RSS_CLOCK': '1', 'PEAK_RSS_PYTHON': VENV_BIN / 'python'}
        result = self.bench.ours(self.count, batch=batch, env=env, launcher=launcher,
                                 extra=['-e', f'ansible_python_interpreter={PEAK_RSS}'])
        clock = json.loads(out.read_text(encoding='utf-8'))
        lines = modules.read_text(encoding='utf-8').splitlines() if modules.exists() else []
        clock['modules'] = [json.loads(line) for line in lines if line.strip()]
        kept = ('seconds', 'cpu_seconds', 'peak_rss_mib', 'peak_pss_mib', 'api_requests', 'per_deployment')
        clock['run'] = {key: result[key] for key in kept}
        if profile:
            clock['areas'], clock['profiled_cpu'] = main_areas(prof)
        return clock


def module_split(modules):
    """Per module (by its file): processes, CPU, and the CPU per process split at the marks."""
    groups = defaultdict(list)
    for entry in modules:
        marks = entry.get('marks') or {}
        groups[marks.get('module_file') or entry.get('script') or '?'].append(entry)
    split = {}
    for name, entries in sorted(groups.items()):
        parts = defaultdict(float)
        for entry in entries:
            marks = entry.get('marks') or {}
            total = entry['cpu_seconds']
            start, module, exit_ = marks.get('start'), marks.get('module'), marks.get('exit')
            connect = marks.get('connect', exit_)
            if None in (start, module, exit_):
                parts['unmarked'] += total
                continue
            parts['interpreter start'] += start
            parts['AnsiballZ + ansible imports'] += module - start
            parts['module imports + setup'] += connect - module
            parts['work'] += exit_ - connect
            parts['exit + subprocesses'] += max(0.0, total - exit_)
        count = len(entries)
        split[name] = {'processes': count, 'cpu_seconds': round(sum(e['cpu_seconds'] for e in entries), 3),
                       'per_process_ms': {k: round(1000 * v / count, 1) for k, v in parts.items()},
                       'wrapper_cpu_seconds': round(sum(e.get('wrapper_cpu_seconds', 0) for e in entries), 3),
                       'wall_per_process': round(sum(e['seconds'] for e in entries) / count, 3)}
    return split


def summarise_clock(clock, count):
    """The accounting of one run, per deployment: main, workers by task, modules, the rest."""
    workers = clock['workers']
    modules = clock['modules']
    by_task = defaultdict(lambda: {'forks': 0, 'cpu_seconds': 0.0, 'children_cpu_seconds': 0.0, 'action': None})
    for worker in workers:
        entry = by_task[worker['task'] or '?']
        entry['forks'] += 1
        entry['cpu_seconds'] += worker['cpu_seconds']
        entry['children_cpu_seconds'] += worker['children_cpu_seconds']
        entry['action'] = worker['action']
    workers_own = sum(w['cpu_seconds'] for w in workers)
    workers_children = sum(w['children_cpu_seconds'] for w in workers)
    modules_cpu = sum(m['cpu_seconds'] for m in modules)
    wrappers = sum(m.get('wrapper_cpu_seconds', 0) for m in modules)
    main = clock['main']['cpu_seconds']
    total = main + clock['children_cpu_seconds']
    rest = max(0.0, workers_children - modules_cpu - wrappers)
    summary = {
        'deployments': count,
        'total_cpu_seconds': round(total, 2),
        'total_without_bench_wrappers': round(total - wrappers, 2),
        'main_cpu_seconds': main, 'main_user': clock['main']['user'], 'main_system': clock['main']['system'],
        'main_maxrss_mib': round(clock['main']['maxrss_kib'] / 1024, 1),
        'workers': len(workers), 'workers_cpu_seconds': round(workers_own, 2),
        'worker_tasks_per_host': round(len(workers) / count, 2),
        'modules': len(modules), 'modules_cpu_seconds': round(modules_cpu, 2),
        'shell_and_other_cpu_seconds': round(rest, 2),
        'bench_wrapper_cpu_seconds': round(wrappers, 2),
        'by_task': {name: dict(v, cpu_seconds=round(v['cpu_seconds'], 3),
                               children_cpu_seconds=round(v['children_cpu_seconds'], 3),
                               ms_per_fork=round(1000 * v['cpu_seconds'] / v['forks'], 1))
                    for name, v in by_task.items()},
        'modules_by_file': module_split(modules),
        'run': clock['run'],
    }
    if 'areas' in clock:
        summary['main_areas_share'] = {k: round(v / clock['profiled_cpu'], 4) for k, v in
                                       sorted(clock['areas'].items(), key=lambda kv: -kv[1])}
        summary['main_profiled_cpu_seconds'] = round(clock['profiled_cpu'], 2)
    return summary


def print_profile(path, summary):
    count = summary['deployments']

    def per(value):
        return round(value / count, 4)

    main = summary['main_cpu_seconds']
    rows = [['ansible-playbook main process', 1, round(main, 2), per(main)]]
    for area, share in (summary.get('main_areas_share') or {}).items():
        rows.append([f'  {area}', '-', round(main * share, 2), per(main * share)])
    rows.append([f'forked workers ({summary["worker_tasks_per_host"]} per deployment)', summary['workers'],
                 summary['workers_cpu_seconds'], per(summary['workers_cpu_seconds'])])
    rows.append(['module processes', summary['modules'], summary['modules_cpu_seconds'],
                 per(summary['modules_cpu_seconds'])])
    rows.append(['shell commands of the local connection, other', '-', summary['shell_and_other_cpu_seconds'],
                 per(summary['shell_and_other_cpu_seconds'])])
    rows.append(['total (without the bench\'s wrappers)', '-', summary['total_without_bench_wrappers'],
                 per(summary['total_without_bench_wrappers'])])
    rows.append(['  the bench\'s interpreter wrappers (not in real runs)', summary['modules'],
                 summary['bench_wrapper_cpu_seconds'], per(summary['bench_wrapper_cpu_seconds'])])
    table(f'B5 where the controller CPU goes: {path}, N={count} (accounting run; main process areas from a cProfile '
          f'run, as shares)', ['part', 'processes', 'CPU s', 'CPU s per deployment'], rows)
    tasks = sorted(summary['by_task'].items(), key=lambda kv: -(kv[1]['cpu_seconds'] + kv[1]['children_cpu_seconds']))
    table(f'B5 forked workers by task: {path}, N={count} (own CPU; "below" is what the worker waited for: the '
          'shell commands and the module process)',
          ['task', 'action', 'forks', 'own CPU s', 'ms per fork', 'below CPU s'],
          [[name[:64], (v['action'] or '').split('.')[-1], v['forks'], v['cpu_seconds'], v['ms_per_fork'],
            v['children_cpu_seconds']] for name, v in tasks])
    marks = ['interpreter start', 'AnsiballZ + ansible imports', 'module imports + setup', 'work',
             'exit + subprocesses']
    table(f'B5 module processes: {path}, N={count} (CPU ms per process, split at the marks)',
          ['module', 'processes', 'CPU s'] + marks + ['wall s each'],
          [[name, v['processes'], v['cpu_seconds']] + [v['per_process_ms'].get(m) for m in marks]
           + [v['wall_per_process']] for name, v in summary['modules_by_file'].items()])


def print_variants(variants, results, count):
    ref = results[variants[0][0]]
    ref_cpu, ref_wall = median(r['cpu_seconds'] for r in ref), median(r['seconds'] for r in ref)
    rows, out = [], []
    for name, what, dummy in variants:
        runs = results[name]
        cpu, wall = median(r['cpu_seconds'] for r in runs), median(r['seconds'] for r in runs)
        entry = {'variant': name, 'what': what, 'runs': len(runs), 'median_seconds': round(wall, 2),
                 'median_cpu_seconds': round(cpu, 2), 'cpu_per_deployment': round(cpu / count, 4),
                 'cpu_saved_per_deployment': round((ref_cpu - cpu) / count, 4),
                 'cpu_saved_share': round(1 - cpu / ref_cpu, 3), 'wall_saved_share': round(1 - wall / ref_wall, 3),
                 'peak_pss_mib': median(r['peak_pss_mib'] for r in runs if r.get('peak_pss_mib') is not None),
                 'api_per_deployment': median(r['per_deployment'] for r in runs),
                 'seconds': [round(r['seconds'], 2) for r in runs], 'cpu_seconds': [round(r['cpu_seconds'], 2) for r in runs]}
        out.append(entry)
        rows.append([name, len(runs), entry['median_seconds'], entry['median_cpu_seconds'], entry['cpu_per_deployment'],
                     entry['cpu_saved_per_deployment'], f'{100 * entry["cpu_saved_share"]:.0f} %',
                     f'{100 * entry["wall_saved_share"]:.0f} %', entry['peak_pss_mib'], round(entry['api_per_deployment'], 2)])
    table(f'B5 variants at N={count}, A B A B, medians (saved: against {variants[0][0]}; negative costs more)',
          ['variant', 'runs', 'wall s', 'CPU s', 'CPU s/dep', 'CPU s/dep saved', 'CPU saved', 'wall saved',
           'peak PSS MiB', 'API req/dep'], rows)
    return out


def parse(argv):
    parser = common_args(argv, description=__doc__.split('\n\n', 1)[0], default_runs=3)
    parser.add_argument('--count', type=int, default=None, help='deployments (default 100; with --smoke 3)')
    parser.add_argument('--forks', type=int, default=10)
    parser.add_argument('--variants', default=None,
                        help='comma-separated variant names (default all; with --smoke ' + ','.join(SMOKE_VARIANTS) + ')')
    parser.add_argument('--paths', default=None, help='the paths to profile: per-host, batch (default both, with --smoke '
                        'per-host; batch only when the role has it)')
    parser.add_argument('--no-profile', action='store_true', help='skip the profile runs')
    args = parser.parse_args()
    args.count = args.count or (3 if args.smoke else 100)
    batch = has_batch()
    names = [v.strip() for v in (args.variants or (','.join(SMOKE_VARIANTS) if args.smoke else '')).split(',') if v.strip()]
    known = [v[0] for v in VARIANTS]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BenchError(f'unknown variants {", ".join(unknown)}; known: {", ".join(known)}')
    variants = [v for v in VARIANTS if (not names or v[0] in names) and (batch or not v[2].get('batch'))]
    paths = [p.strip() for p in (args.paths or ('per-host' if args.smoke else 'per-host,batch')).split(',') if p.strip()]
    if not batch:
        paths = [p for p in paths if p != 'batch']
    return args, variants, [] if args.no_profile else paths


def run(argv):
    args, variants, paths = parse(argv)
    started = time.monotonic()
    print(f'B5 cost: N={args.count}, forks {args.forks}; profile {", ".join(paths) or "-"}; variants '
          f'{", ".join(v[0] for v in variants)}, {args.runs} runs each A B A B; load {machine()["load_now"]}', flush=True)
    profiles, results = {}, {}
    with Simulator(seed=seed(args.count)) as sim, Workspace() as ws:
        cost = Cost(ws, sim, args.forks, args.count)
        if not args.smoke:  # byte-code, the page cache
            cost.bench.ours(5)
        for path in paths:
            sys.stderr.write(f'profile of {path}: an accounting run, then a cProfile run\n')
            clock = cost.account(path == 'batch', profile=False)
            clock['areas'] = cost.account(path == 'batch', profile=True)['areas']
            clock['profiled_cpu'] = sum(clock['areas'].values())
            profiles[path] = summarise_clock(clock, args.count)
        if variants:
            results = alternate([(name, lambda o=options: cost.variant(o)) for name, dummy, options in variants],
                                runs=args.runs)
        load = machine()['load_now']
    for path, summary in profiles.items():
        print_profile(path, summary)
    summary_variants = print_variants(variants, results, args.count) if variants else []
    # Another N than the default writes its own file, so that a profile at N = 1000 keeps the one at 100.
    finish('b5_cost' if args.count == 100 or args.smoke else f'b5_cost_n{args.count}', started, load, {
        'runs': args.runs, 'warmup': 0 if args.smoke else 1, 'smoke': args.smoke,
        'settings': {'deployments': args.count, 'forks': args.forks, 'paths': paths,
                     'variants': [{'variant': n, 'what': w, 'options': {k: v for k, v in o.items() if k != 'env'},
                                   'env': o.get('env', {})} for n, w, o in variants]},
        'profile': profiles,
        'variants': summary_variants,
        'targets': [],
    })
    return 0


def main(argv=None) -> int:
    return guarded('b5_cost', run, argv)


if __name__ == '__main__':
    sys.exit(main())
