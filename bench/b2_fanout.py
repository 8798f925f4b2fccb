"""B2 fan-out: back up N deployments with the backup playbook over the inventory plugin, against the playbook a user
would write from the Compose documentation's steps with ansible.builtin.uri and get_url. Same simulator, same forks,
A B A B, medians.

    .venv/bin/python bench/b2_fanout.py                 # N = 10, 50, 100, 200; N = 100 is the headline (5 runs)
    .venv/bin/python bench/b2_fanout.py --smoke         # N = 5, one run each: checks the benchmark works
    .venv/bin/python bench/b2_fanout.py --counts 100 --runs 7

Targets: the role at least 3x faster than the naive playbook at N = 100; at most 6 API requests per
deployment with instant recipes. Measures whatever code is in the checkout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import _plot
import _timing
from _harness import (RESULTS, BenchError, Simulator, Workspace, alternate, common_args, finish, guarded, machine,
                      median, ratios, table, target, targets_table)
from _naive import TRIGGER_AND_WAIT

# All downloadable (docs/compose-api.md, "What each deployment type offers").
TYPES = ['postgresql', 'redis', 'mongodb', 'rabbitmq', 'mysql', 'etcd']
BACKUP_SIZE = 1 << 20

# What a user writes from the Compose documentation (docs/compose-api.md, "The workflow in Compose's documentation":
# the help page's curl steps: POST the backup, poll the recipe, list the backups, get the newest on-demand one for its
# download_link, fetch it without the token). Written plainly: no no_log, no tricks either way. The poll delay is the
# benchmark's --naive-delay (1 s: with instant recipes the first GET already sees complete, so the delay is never
# slept; for real backups a user would put 5 to 10 s, as Compose's own examples do).
NAIVE_PLAYBOOK = '''\
---
- name: Back up every Compose deployment (after the Compose API documentation)
  hosts: all
  gather_facts: false
  vars:
    compose_api: "{{ lookup('ansible.builtin.env', 'COMPOSE_API_URL') }}"
    compose_token: "{{ lookup('ansible.builtin.env', 'COMPOSEAPITOKEN') }}"
    backup_dir: "{{ naive_dest }}"
  tasks:
    - name: Create the backup folder
      ansible.builtin.file:
        path: "{{ backup_dir }}"
        state: directory
        mode: "0700"
      delegate_to: localhost
      run_once: true

    - name: Back up the deployment
      delegate_to: localhost
      block:
''' + TRIGGER_AND_WAIT + '''
        - name: List the deployment's backups
          ansible.builtin.uri:
            url: "{{ compose_api }}/deployments/{{ deployment_id }}/backups"
            headers:
              Authorization: "Bearer {{ compose_token }}"
          register: backups

        - name: Get the newest on-demand backup, with its download link
          ansible.builtin.uri:
            url: "{{ compose_api }}/deployments/{{ deployment_id }}/backups/{{ newest.id }}"
            headers:
              Authorization: "Bearer {{ compose_token }}"
          vars:
            newest: "{{ backups.json._embedded.backups | selectattr('type', 'equalto', 'on_demand')
                        | sort(attribute='created_at') | last }}"
          register: backup

        - name: Download the backup
          ansible.builtin.get_url:
            url: "{{ backup.json.download_link }}"
            dest: "{{ backup_dir }}/{{ backup.json.name }}.tar.gz"
            mode: "0600"
'''


def seed(count):
    """N downloadable deployments of mixed types, 1 MiB backups, a small history, instant recipes."""
    return {
        'config': {'recipe_polls': 0, 'recipe_seconds': None, 'list_order': 'newest_first'},
        'deployments': [{'name': f'fan-{i:03d}', 'type': TYPES[i % len(TYPES)], 'backup_size': BACKUP_SIZE,
                         'history': {'daily': 1, 'weekly': 0, 'monthly': 0}} for i in range(count)],
    }


def endpoint(entry):
    """A request as 'METHOD /path' with ids replaced, /_download collapsed."""
    path = entry['path'].split('?', 1)[0]
    if path.startswith('/_download'):
        return entry['method'] + ' /_download/...'
    path = re.sub(r'^/2016-07', '', path)
    return entry['method'] + ' ' + re.sub(r'/[0-9a-f]{24}(?=/|$)', '/{id}', path)


def count_requests(entries, count):
    """Requests per deployment from the simulator's log: API with and without the inventory's listing, downloads."""
    kinds = Counter(endpoint(e) for e in entries)
    downloads = [e for e in entries if e['path'].startswith('/_download')]
    api = [e for e in entries if not e['path'].startswith('/_download')]
    listing = kinds.get('GET /deployments', 0)
    return {
        'api_requests': len(api),
        'inventory_requests': listing,
        'per_deployment': len(api) / count,
        'per_deployment_without_inventory': (len(api) - listing) / count,
        'download_requests': len(downloads),
        'download_bytes': sum(e.get('bytes') or 0 for e in downloads),
        'failed_requests': sum(1 for e in entries if not e.get('status') or e['status'] >= 400),
        'by_endpoint': dict(sorted(kinds.items())),
    }


class Bench:
    def __init__(self, ws, sim, forks, fetch_details, naive_delay):
        self.ws, self.sim, self.forks = ws, sim, forks
        self.runs_dir = ws.path / 'runs'
        self.runs_dir.mkdir()
        self.inventory = ws.path / 'compose.yml'
        self.inventory.write_text('plugin: composeio.dbaas.compose\nfetch_details: %s\n'
                                  % ('true' if fetch_details else 'false'), encoding='utf-8')
        retries = 600  # a user's "long enough"; with instant recipes only the first GET is made
        text = NAIVE_PLAYBOOK.replace('__RETRIES__', str(retries)).replace('__DELAY__', str(naive_delay))
        self.naive_playbook = ws.playbook('naive_backup.yml', text)
        self.timing_env = _timing.install(ws.path)

    def _fresh(self, count, name):
        self.sim.reset(seed(count))
        self.sim.clear_requests()
        dest = Path(tempfile.mkdtemp(prefix=name + '-', dir=self.runs_dir))
        return dest

    def _archives(self, dest):
        return sorted(p for p in dest.glob('*.tar.gz') if p.is_file())

    def ours(self, count, profile=None, batch=False, env=None, extra=(), playbook='composeio.dbaas.backup',
             launcher=('ansible-playbook',), memory=True):
        """One run of the backup playbook over the inventory: the role per host, or with batch its batch mode.

        env and extra: more environment and ansible-playbook arguments (bench/b5_cost.py's variants); launcher:
        the command that runs ansible-playbook's arguments (b5's bench/_ansible_clock.py). The run counts only
        when the report has N rows, all ok and downloaded, and N archives are on disk.
        """
        name = 'batch' if batch else 'ours'
        dest = self._fresh(count, name)
        run_env = self.ws.env(self.sim, ANSIBLE_CALLBACK_RESULT_FORMAT='yaml', **(env or {}))
        if profile:
            run_env.update(self.timing_env, BENCH_TIMING_FILE=str(profile))
        launched = time.time()
        argv = list(launcher) + ['-i', self.inventory, playbook, '--forks', self.forks,
                                 '-e', f'compose_backup_dest={dest}'] + (['-e', 'compose_backup_batch=true'] if batch else [])
        seconds, proc = self.ws.run(argv + list(extra), run_env, memory=memory)
        try:
            data = json.loads((dest / 'compose-backup-report.json').read_text(encoding='utf-8'))
        except (OSError, ValueError) as exc:
            raise BenchError(f'{name}: no readable report in {dest}: {exc}\n{proc.stdout[-2000:]}') from None
        rows = data.get('deployments', [])
        ok = sum(1 for row in rows if row.get('outcome') == 'ok')
        downloaded = sum(1 for row in rows if row.get('downloaded'))
        triggered = sum(1 for row in rows if row.get('action') == 'triggered')
        archives = self._archives(dest)
        if ok != count or len(rows) != count or downloaded != count or len(archives) != count:
            raise BenchError(f'{name} at N={count}: report has {len(rows)} rows, {ok} ok, {downloaded} downloaded; '
                             f'{len(archives)} archives in {dest}')
        result = self._finish(dest, seconds, proc, count, archives)
        result.update(report_ok=ok, triggered=triggered)
        if profile:
            result['profile'] = _timing.summarise(profile, launched)
        return result

    def naive(self, count):
        dest = self._fresh(count, 'naive')
        hosts = self.ws.path / f'naive_hosts_{count}.yml'
        if not hosts.exists():
            ids = {dep['name']: dep['id'] for dep in self.sim.control.state()['deployments']}
            lines = ['all:', '  hosts:'] + [f'    {name}:\n      deployment_id: "{ids[name]}"' for name in sorted(ids)]
            hosts.write_text('\n'.join(lines) + '\n', encoding='utf-8')
        seconds, proc = self.ws.run(['ansible-playbook', '-i', hosts, self.naive_playbook, '--forks', self.forks,
                                     '-e', f'naive_dest={dest}'], self.ws.env(self.sim), memory=True)
        archives = self._archives(dest)
        if len(archives) != count:
            raise BenchError(f'naive at N={count}: {len(archives)} archives in {dest}\n{proc.stdout[-2000:]}')
        return self._finish(dest, seconds, proc, count, archives)

    def _finish(self, dest, seconds, proc, count, archives):
        sizes = [p.stat().st_size for p in archives]
        result = {'seconds': seconds, 'cpu_seconds': getattr(proc, 'cpu_seconds', None),
                  'peak_rss_mib': getattr(proc, 'peak_rss_mib', None), 'peak_pss_mib': getattr(proc, 'peak_pss_mib', None),
                  'peak_processes': getattr(proc, 'peak_processes', None),
                  'load1': round(os.getloadavg()[0], 2), 'archives': len(archives),
                  'archive_bytes': sum(sizes),
                  'min_archive_bytes': min(sizes) if sizes else 0}
        result.update(count_requests(self.sim.requests(api_only=False), count))
        shutil.rmtree(dest, ignore_errors=True)
        return result


def summarise_point(count, runs):
    ours, naive = runs['ours'], runs['naive']
    point = {'deployments': count, 'runs': len(ours)}
    for name, results in (('ours', ours), ('naive', naive)):
        point[name] = {
            'seconds': [round(r['seconds'], 3) for r in results],
            'load1_after_each_run': [r['load1'] for r in results],
            'median_seconds': round(median(r['seconds'] for r in results), 3),
            'cpu_seconds': [round(r['cpu_seconds'], 3) for r in results if r.get('cpu_seconds') is not None],
            'median_cpu_seconds': median(round(r['cpu_seconds'], 3) for r in results if r.get('cpu_seconds') is not None),
            'per_deployment': median(r['per_deployment'] for r in results),
            'per_deployment_without_inventory': median(r['per_deployment_without_inventory'] for r in results),
            'inventory_requests': median(r['inventory_requests'] for r in results),
            'download_requests': median(r['download_requests'] for r in results),
            'download_mib': round(median(r['download_bytes'] for r in results) / (1 << 20), 1),
            'archives': median(r['archives'] for r in results),
            'failed_requests': max(r['failed_requests'] for r in results),
            'by_endpoint_per_deployment': {k: round(v / count, 2) for k, v in results[-1]['by_endpoint'].items()},
        }
    point['ratio'] = round(point['naive']['median_seconds'] / point['ours']['median_seconds'], 2)
    # Wall time is what the target is about; on a shared machine the paired ratio (each round's naive / ours, run
    # back to back) and the CPU time (which contention disturbs far less) say whether the ratio is noise.
    point['ratios'] = {key: round(value, 2) for key, value in ratios(naive, ours).items()}
    if point['ours']['median_cpu_seconds'] and point['naive']['median_cpu_seconds']:
        point['cpu_ratios'] = {key: round(value, 2) for key, value in ratios(naive, ours, 'cpu_seconds').items()}
    return point


def draw(points, forks):
    """Median wall time against N, both variants, with the 3x target: bench/results/b2_fanout.png, or None."""
    return _plot.line_chart(RESULTS / 'b2_fanout.png', f'B2 fan-out: backup of N deployments, forks {forks}, 1 MiB each',
                            'deployments (N)', 'wall seconds (median)',
                            [('composeio.dbaas.backup + inventory plugin',
                              [(p['deployments'], p['ours']['median_seconds']) for p in points]),
                             ('naive uri/get_url playbook', [(p['deployments'], p['naive']['median_seconds']) for p in points])],
                            marks=[('target: naive / 3', [(p['deployments'], p['naive']['median_seconds'] / 3) for p in points])])


def spread(values):
    return f'{min(values):.1f}-{max(values):.1f}'


def profile_table(profile, count):
    rows = []
    total = profile['end']
    rows.append(['(startup: interpreter, inventory, playbook parse)', '-', round(profile['startup'], 2),
                 round(100 * profile['startup'] / total, 1), '-', '-'])
    for task in profile['tasks']:
        task['name'] = task['name'].replace('composeio.dbaas.backup : ', 'role: ')
        statuses = ' '.join(f'{k}={v}' for k, v in sorted(task['statuses'].items()))
        rows.append([task['name'][:60], task['action'].split('.')[-1], round(task['wall'], 2),
                     round(100 * task['wall'] / total, 1), round(task['host_seconds'] / max(1, task['hosts']), 3),
                     statuses])
    table(f'Where the time goes in ours (N={count}, one extra run with a timing callback; wall per task, '
          f'total {total:.1f} s)', ['task', 'action', 'wall s', '% of run', 'per host s', 'hosts'], rows)
    top = sorted(profile['tasks'], key=lambda t: t['wall'], reverse=True)[:5]
    return [{'task': t['name'], 'action': t['action'], 'wall': round(t['wall'], 2),
             'share': round(t['wall'] / total, 3), 'per_host': round(t['host_seconds'] / max(1, t['hosts']), 3)}
            for t in top]


def main(argv=None) -> int:
    return guarded('b2_fanout', run, argv)


def parse(argv):
    """The options, the deployment counts and the headline count."""
    parser = common_args(argv, description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('--counts', '--sizes', default=None,
                        help='deployment counts, comma-separated (default 10,50,100,200; with --smoke 5)')
    parser.add_argument('--headline', type=int, default=100, help='the count measured with --runs (default 100)')
    parser.add_argument('--curve-runs', type=int, default=3,
                        help='measured rounds for the other counts (default 3, to keep the whole run near 20 minutes)')
    parser.add_argument('--forks', type=int, default=10)
    parser.add_argument('--fetch-details', action='store_true',
                        help="the inventory plugin's fetch_details (default off: what a large user sets, one listing "
                             'request in all instead of one more per deployment)')
    parser.add_argument('--naive-delay', type=int, default=1, help="the naive playbook's until delay (default 1 s)")
    parser.add_argument('--no-profile', action='store_true',
                        help='skip the extra run of ours with a timing callback (always skipped with --smoke)')
    parser.add_argument('--plot-only', action='store_true',
                        help='measure nothing: draw bench/results/b2_fanout.png again from bench/results/b2_fanout.json')
    args = parser.parse_args()
    args.no_profile = args.no_profile or args.smoke
    counts = [int(c) for c in (args.counts or ('5' if args.smoke else '10,50,100,200')).split(',')]
    headline = counts[0] if args.smoke else args.headline
    if headline not in counts:
        headline = max(counts)
    return args, counts, headline


def measure(args, counts, headline):
    """Every count A B A B, then (unless --no-profile) one timed run of ours: (points, profile, load at the end)."""
    profile = None
    with tempfile.TemporaryDirectory(prefix='composeio-bench-b2-data-') as data_dir, \
            Simulator(seed=seed(max(counts)), data_dir=data_dir) as sim, Workspace() as ws:
        bench = Bench(ws, sim, args.forks, args.fetch_details, args.naive_delay)
        # One unmeasured round at N = 5 of each: Python byte-code, the page cache and the simulator's archive cache
        # are then warm for both, so the first measured run of A is not the only cold one.
        if not args.smoke:
            alternate([('ours', lambda: bench.ours(5)), ('naive', lambda: bench.naive(5))], runs=0, warmup=1)
        points = []
        for count in counts:
            runs = args.runs if count == headline else args.curve_runs
            sys.stderr.write(f'N={count}: {runs} runs A B A B\n')
            measured = alternate([('ours', lambda c=count: bench.ours(c)), ('naive', lambda c=count: bench.naive(c))],
                                 runs=runs)
            points.append(summarise_point(count, measured))
        if not args.no_profile:
            profile = bench.ours(headline, profile=ws.path / 'timing.json')['profile']
        load = machine()['load_now']
    return points, profile, load


def print_points(points, headline):
    """The wall time and request tables; returns the headline's point."""
    table('B2 fan-out: wall time of ansible-playbook, median (A B A B)',
          ['N', 'runs', 'ours s', 'min-max', 'naive s', 'min-max', 'naive/ours', 'paired', 'of mins', 'ours s/dep',
           'naive s/dep', 'ours CPU s', 'naive CPU s', 'CPU naive/ours'],
          [[p['deployments'], p['runs'], p['ours']['median_seconds'], spread(p['ours']['seconds']),
            p['naive']['median_seconds'], spread(p['naive']['seconds']), p['ratio'],
            p.get('ratios', {}).get('paired_median'), p.get('ratios', {}).get('of_minimums'),
            round(p['ours']['median_seconds'] / p['deployments'], 3),
            round(p['naive']['median_seconds'] / p['deployments'], 3),
            p['ours'].get('median_cpu_seconds'), p['naive'].get('median_cpu_seconds'),
            p.get('cpu_ratios', {}).get('of_medians')] for p in points])
    table('B2 API requests per deployment (simulator request log; downloads counted apart)',
          ['N', 'ours', 'ours w/o inventory', 'inventory reqs', 'naive', 'downloads ours', 'downloads naive',
           'MiB ours', 'MiB naive'],
          [[p['deployments'], round(p['ours']['per_deployment'], 2),
            round(p['ours']['per_deployment_without_inventory'], 2), p['ours']['inventory_requests'],
            round(p['naive']['per_deployment'], 2), p['ours']['download_requests'], p['naive']['download_requests'],
            p['ours']['download_mib'], p['naive']['download_mib']] for p in points])
    head = next(p for p in points if p['deployments'] == headline)
    endpoints = sorted(set(head['ours']['by_endpoint_per_deployment']) | set(head['naive']['by_endpoint_per_deployment']))
    table(f'B2 requests per deployment by endpoint (N={headline})', ['endpoint', 'ours', 'naive'],
          [[e, head['ours']['by_endpoint_per_deployment'].get(e, 0), head['naive']['by_endpoint_per_deployment'].get(e, 0)]
           for e in endpoints])
    return head


def check_targets(head, headline):
    """The targets at the headline count, printed as a table."""
    targets = [
        target(f'naive/ours wall time at N={headline}', head['ratio'], '>=', 3.0),
        target(f'ours API requests per deployment at N={headline} (inventory listing included)',
               round(head['ours']['per_deployment'], 2), '<=', 6),
    ]
    targets_table('B2 targets', targets)
    return targets


def run(argv):
    args, counts, headline = parse(argv)
    if args.plot_only:
        return _plot.redraw('b2_fanout', lambda results: draw(results['points'], results['settings']['forks']))
    started = time.monotonic()
    print(f'B2 fan-out: counts {counts}, headline N={headline} with {args.runs} runs A B A B, other counts '
          f'{args.curve_runs if len(counts) > 1 else "-"} runs; forks {args.forks}; fetch_details '
          f'{args.fetch_details}; naive until delay {args.naive_delay} s; load {machine()["load_now"]}', flush=True)
    points, profile, load = measure(args, counts, headline)
    head = print_points(points, headline)
    profile_top = None if args.no_profile else profile_table(profile, headline)
    targets = check_targets(head, headline)
    plot = draw(points, args.forks) if len(points) > 1 and not args.smoke else None
    finish('b2_fanout', started, load, {
        'runs': args.runs, 'warmup': 0 if args.smoke else 1, 'smoke': args.smoke,
        'settings': {'counts': counts, 'headline': headline, 'runs': args.runs, 'curve_runs': args.curve_runs,
                     'forks': args.forks, 'fetch_details': args.fetch_details, 'naive_until_delay': args.naive_delay,
                     'backup_size': BACKUP_SIZE, 'types': TYPES, 'recipe_polls': 0, 'list_order': 'newest_first',
                     'warmup': 'one unmeasured round of each at N=5' if not args.smoke else 'none'},
        'points': points,
        'targets': targets,
        'profile_top_tasks': profile_top,
        'profile': profile,
        'naive_playbook': NAIVE_PLAYBOOK,
    }, plot)
    return 0


if __name__ == '__main__':
    sys.exit(main())
