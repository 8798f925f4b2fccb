"""B2 fan-out: back up N deployments with the backup playbook over the inventory plugin, the role per host and in its
batch mode (compose_backup_batch), against the playbook a user would write from the Compose documentation's steps
with ansible.builtin.uri and get_url. Same simulator, same forks, A B A B, medians.

    .venv/bin/python bench/b2_fanout.py                      # N = 10, 50, 100, 200; N = 100 is the headline (5 runs)
    .venv/bin/python bench/b2_fanout.py --counts 100,1000    # the per-host role, the batch and (up to --naive-max) naive
    .venv/bin/python bench/b2_fanout.py --smoke              # N = 5, one run each: checks the benchmark works
    .venv/bin/python bench/b2_fanout.py --counts 100 --runs 7

Targets: at N = 100 the role, per host and in batch, at least 3x faster than the naive playbook, at most 6 API
requests per deployment per host; at N = 1000 (when measured) the batch within 180 s, 0.1 controller CPU-second and
5 API requests per deployment, and 1 GiB of controller memory. Measures whatever code is in the checkout.
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
from _harness import (RESULTS, ROOT, BenchError, Simulator, Workspace, alternate, common_args, finish, guarded, machine,
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
    def __init__(self, ws, sim, forks, fetch_details, naive_delay, new_backups=False):
        self.ws, self.sim, self.forks = ws, sim, forks
        # The role reuses a complete backup younger than compose_backup_max_age (12h), such as the seed's daily one;
        # empty, every deployment starts a backup of its own, as the naive playbook does.
        self.new_backups = new_backups
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
        self.sim_cpu = self.sim.cpu_seconds()
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
        if self.new_backups:
            argv += ['-e', 'compose_backup_max_age=']
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
        if self.new_backups and triggered != count:
            raise BenchError(f'{name} at N={count}: {triggered} of {count} backups started, with --new-backups')
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
        sim_cpu = self.sim.cpu_seconds()
        result = {'seconds': seconds, 'cpu_seconds': getattr(proc, 'cpu_seconds', None),
                  'simulator_cpu_seconds': None if None in (sim_cpu, self.sim_cpu) else round(sim_cpu - self.sim_cpu, 2),
                  'peak_rss_mib': getattr(proc, 'peak_rss_mib', None), 'peak_pss_mib': getattr(proc, 'peak_pss_mib', None),
                  'peak_processes': getattr(proc, 'peak_processes', None),
                  'load1': round(os.getloadavg()[0], 2), 'archives': len(archives),
                  'archive_bytes': sum(sizes),
                  'min_archive_bytes': min(sizes) if sizes else 0}
        result.update(count_requests(self.sim.requests(api_only=False), count))
        shutil.rmtree(dest, ignore_errors=True)
        return result


VARIANTS = ('ours', 'batch', 'naive')
LABELS = {'ours': 'role per host', 'batch': 'role, batch mode', 'naive': 'naive uri/get_url'}


def summarise_point(count, runs):
    """One N: each variant that ran (naive only up to --naive-max), with the ratios naive / each."""
    point = {'deployments': count, 'runs': max(len(results) for results in runs.values())}
    for name in VARIANTS:
        results = runs.get(name)
        if not results:
            continue
        cpu = [r['cpu_seconds'] for r in results if r.get('cpu_seconds') is not None]
        point[name] = {
            'seconds': [round(r['seconds'], 3) for r in results],
            'load1_after_each_run': [r['load1'] for r in results],
            'median_seconds': round(median(r['seconds'] for r in results), 3),
            'cpu_seconds': [round(c, 3) for c in cpu],
            'median_cpu_seconds': round(median(cpu), 3) if cpu else None,
            'cpu_per_deployment': round(median(cpu) / count, 4) if cpu else None,
            'peak_pss_mib': max((r['peak_pss_mib'] for r in results if r.get('peak_pss_mib') is not None), default=None),
            'peak_rss_sum_mib': max((r['peak_rss_mib'] for r in results if r.get('peak_rss_mib') is not None), default=None),
            'peak_processes': max((r['peak_processes'] for r in results if r.get('peak_processes') is not None), default=None),
            'simulator_cpu_seconds': median(r['simulator_cpu_seconds'] for r in results
                                            if r.get('simulator_cpu_seconds') is not None),
            'per_deployment': median(r['per_deployment'] for r in results),
            'per_deployment_without_inventory': median(r['per_deployment_without_inventory'] for r in results),
            'inventory_requests': median(r['inventory_requests'] for r in results),
            'download_requests': median(r['download_requests'] for r in results),
            'download_mib': round(median(r['download_bytes'] for r in results) / (1 << 20), 1),
            'archives': median(r['archives'] for r in results),
            'failed_requests': max(r['failed_requests'] for r in results),
            'by_endpoint_per_deployment': {k: round(v / count, 2) for k, v in results[-1]['by_endpoint'].items()},
        }
    if 'naive' in point:
        # Wall time is what the target is about; on a shared machine the paired ratio (each round's naive / ours, run
        # back to back) and the CPU time (which contention disturbs far less) say whether the ratio is noise.
        for name, suffix in (('ours', ''), ('batch', '_batch')):
            if name not in point:
                continue
            point['ratio' + suffix] = round(point['naive']['median_seconds'] / point[name]['median_seconds'], 2)
            point['ratios' + suffix] = {key: round(value, 2) for key, value in ratios(runs['naive'], runs[name]).items()}
            if point[name]['median_cpu_seconds'] and point['naive']['median_cpu_seconds']:
                point['cpu_ratios' + suffix] = {key: round(value, 2)
                                                for key, value in ratios(runs['naive'], runs[name], 'cpu_seconds').items()}
    return point


def draw(points, forks):
    """Median wall time against N, each variant, with the 3x target: bench/results/b2_fanout.png, or None."""
    series = [(f'composeio.dbaas.backup + inventory plugin, {LABELS[name]}' if name != 'naive' else 'naive uri/get_url playbook',
               [(p['deployments'], p[name]['median_seconds']) for p in points if name in p]) for name in VARIANTS]
    return _plot.line_chart(RESULTS / 'b2_fanout.png', f'B2 fan-out: backup of N deployments, forks {forks}, 1 MiB each',
                            'deployments (N)', 'wall seconds (median)', [s for s in series if s[1]],
                            marks=[('target: naive / 3', [(p['deployments'], p['naive']['median_seconds'] / 3)
                                                          for p in points if 'naive' in p])])


def spread(values):
    return f'{min(values):.1f}-{max(values):.1f}'


def profile_table(profile, count, name='ours'):
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
    table(f'Where the time goes in {LABELS[name]} (N={count}, one extra run with a timing callback; wall per task, '
          f'total {total:.1f} s)', ['task', 'action', 'wall s', '% of run', 'per host s', 'hosts'], rows)
    top = sorted(profile['tasks'], key=lambda t: t['wall'], reverse=True)[:5]
    return [{'task': t['name'], 'action': t['action'], 'wall': round(t['wall'], 2),
             'share': round(t['wall'] / total, 3), 'per_host': round(t['host_seconds'] / max(1, t['hosts']), 3)}
            for t in top]


def has_batch(root=ROOT):
    """Whether the checkout's backup role has its batch mode (compose_backup_batch)."""
    return 'compose_backup_batch:' in (root / 'roles' / 'backup' / 'meta' / 'argument_specs.yml').read_text(encoding='utf-8')


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
    parser.add_argument('--naive-max', type=int, default=200,
                        help='the largest N the naive playbook runs at (default 200: at 1000 it takes about 20 minutes '
                             'a run, and its targets are at N = 100)')
    parser.add_argument('--no-batch', action='store_true', help="skip the role's batch mode")
    parser.add_argument('--per-host-max', type=int, default=None,
                        help='the largest N the role per host runs at (default: every N; at 1000 it takes about 8 '
                             'minutes a run)')
    parser.add_argument('--new-backups', action='store_true',
                        help='every deployment starts a backup (compose_backup_max_age empty), as on a night when '
                             "Compose's daily backup is older than max_age; by default the role reuses the seed's "
                             'daily backup. Results in bench/results/b2_fanout_new_backups.json, not plotted')
    parser.add_argument('--no-profile', action='store_true',
                        help='skip the extra runs with a timing callback (always skipped with --smoke)')
    parser.add_argument('--plot-only', action='store_true',
                        help='measure nothing: draw bench/results/b2_fanout.png again from bench/results/b2_fanout.json')
    args = parser.parse_args()
    args.no_profile = args.no_profile or args.smoke
    args.batch = not args.no_batch and has_batch()
    counts = [int(c) for c in (args.counts or ('5' if args.smoke else '10,50,100,200')).split(',')]
    headline = counts[0] if args.smoke else args.headline
    if headline not in counts:
        headline = max(counts)
    return args, counts, headline


def variants(bench, count, args):
    """The variants at one N, in A B A B order: per host (up to --per-host-max), batch, naive (up to --naive-max)."""
    found = [('ours', lambda: bench.ours(count))] if args.per_host_max is None or count <= args.per_host_max else []
    if args.batch:
        found.append(('batch', lambda: bench.ours(count, batch=True)))
    if count <= args.naive_max:
        found.append(('naive', lambda: bench.naive(count)))
    return found


def measure(args, counts, headline):
    """Every count A B A B, then (unless --no-profile) one timed run of ours and of the batch: (points, profiles,
    load at the end)."""
    profiles = {}
    with tempfile.TemporaryDirectory(prefix='composeio-bench-b2-data-') as data_dir, \
            Simulator(seed=seed(max(counts)), data_dir=data_dir) as sim, Workspace() as ws:
        bench = Bench(ws, sim, args.forks, args.fetch_details, args.naive_delay, args.new_backups)
        # One unmeasured round at N = 5 of each: Python byte-code, the page cache and the simulator's archive cache
        # are then warm for all, so the first measured run of A is not the only cold one.
        if not args.smoke:
            alternate(variants(bench, 5, args), runs=0, warmup=1)
        points = []
        for count in counts:
            runs = args.runs if count == headline else args.curve_runs
            measured = variants(bench, count, args)
            sys.stderr.write(f'N={count}: {runs} runs of {", ".join(variant[0] for variant in measured)}, A B A B\n')
            points.append(summarise_point(count, alternate(measured, runs=runs)))
        if not args.no_profile:
            profiles['ours'] = bench.ours(headline, profile=ws.path / 'timing.json')['profile']
            if args.batch:
                profiles['batch'] = bench.ours(headline, batch=True, profile=ws.path / 'timing-batch.json')['profile']
        load = machine()['load_now']
    return points, profiles, load


def spread_of(point, name):
    return spread(point[name]['seconds']) if name in point else None


def print_points(points, headline):
    """The wall time, cost and request tables; returns the headline's point."""
    rows = []
    for p in points:
        for name in VARIANTS:
            if name not in p:
                continue
            v = p[name]
            vs_naive = p.get('ratio' if name == 'ours' else 'ratio_batch') if name != 'naive' else None
            paired = p.get('ratios' if name == 'ours' else 'ratios_batch', {}).get('paired_median') if name != 'naive' else None
            rows.append([p['deployments'], LABELS[name], len(v['seconds']), v['median_seconds'], spread_of(p, name),
                         vs_naive, paired, v['median_cpu_seconds'], v['cpu_per_deployment'],
                         round(v['per_deployment'], 2), v['peak_pss_mib'], v['peak_rss_sum_mib'],
                         v['simulator_cpu_seconds']])
    table('B2 fan-out, A B A B, medians: wall time of ansible-playbook; CPU of it and every process it waited for; '
          'peak memory of its process tree (sampled: sum of PSS, and of RSS, which counts shared pages once per '
          'process); the simulator\'s own CPU apart',
          ['N', 'variant', 'runs', 'wall s', 'min-max', 'naive/it', 'paired', 'CPU s', 'CPU s/dep', 'API req/dep',
           'peak PSS MiB', 'peak RSS sum MiB', 'simulator CPU s'], rows)
    table('B2 API requests per deployment (simulator request log; downloads counted apart)',
          ['N', 'variant', 'API req/dep', 'w/o GET /deployments', 'GET /deployments', 'downloads', 'MiB'],
          [[p['deployments'], LABELS[name], round(p[name]['per_deployment'], 2),
            round(p[name]['per_deployment_without_inventory'], 2), p[name]['inventory_requests'],
            p[name]['download_requests'], p[name]['download_mib']] for p in points for name in VARIANTS if name in p])
    head = next(p for p in points if p['deployments'] == headline)
    present = [name for name in VARIANTS if name in head]
    endpoints = sorted(set().union(*(head[name]['by_endpoint_per_deployment'] for name in present)))
    table(f'B2 requests per deployment by endpoint (N={headline})', ['endpoint'] + [LABELS[name] for name in present],
          [[e] + [head[name]['by_endpoint_per_deployment'].get(e, 0) for name in present] for e in endpoints])
    return head


BIG = 1000


def check_targets(points, head, headline):
    """The targets at the headline count and, when measured, at N = 1000, printed as a table."""
    targets = []
    if 'ratio' in head:
        targets.append(target(f'naive/ours wall time at N={headline}, per host', head['ratio'], '>=', 3.0))
    if 'ratio_batch' in head:
        targets.append(target(f'naive/ours wall time at N={headline}, batch', head['ratio_batch'], '>=', 3.0))
    if 'ours' in head:
        targets.append(target(f'ours API requests per deployment at N={headline} (inventory listing included), '
                              'per host', round(head['ours']['per_deployment'], 2), '<=', 6))
    big = next((p for p in points if p['deployments'] == BIG), None)
    if big and 'batch' in big:
        batch = big['batch']
        targets += [
            target(f'batch wall time at N={BIG}, s', batch['median_seconds'], '<=', 180),
            target(f'batch controller CPU-s per deployment at N={BIG}', batch['cpu_per_deployment'], '<=', 0.1),
            target(f'batch API requests per deployment at N={BIG}', round(batch['per_deployment'], 2), '<=', 5),
            target(f'batch controller peak memory at N={BIG} (PSS of the process tree), MiB', batch['peak_pss_mib'],
                   '<=', 1024),
        ]
    targets_table('B2 targets', targets)
    return targets


def run(argv):
    args, counts, headline = parse(argv)
    if args.plot_only:
        return _plot.redraw('b2_fanout', lambda results: draw(results['points'], results['settings']['forks']))
    started = time.monotonic()
    print(f'B2 fan-out: counts {counts}, headline N={headline} with {args.runs} runs A B A B, other counts '
          f'{args.curve_runs if len(counts) > 1 else "-"} runs; forks {args.forks}; batch {args.batch}; new backups '
          f'{args.new_backups}; fetch_details '
          f'{args.fetch_details}; per host up to N={args.per_host_max or max(counts)}; naive up to N={args.naive_max}, '
          f'until delay {args.naive_delay} s; '
          f'load {machine()["load_now"]}', flush=True)
    points, profiles, load = measure(args, counts, headline)
    head = print_points(points, headline)
    profile_top = {name: profile_table(profile, headline, name) for name, profile in profiles.items()}
    targets = check_targets(points, head, headline)
    plot = draw(points, args.forks) if len(points) > 1 and not (args.smoke or args.new_backups) else None
    finish('b2_fanout_new_backups' if args.new_backups else 'b2_fanout', started, load, {
        'runs': args.runs, 'warmup': 0 if args.smoke else 1, 'smoke': args.smoke,
        'settings': {'counts': counts, 'headline': headline, 'runs': args.runs, 'curve_runs': args.curve_runs,
                     'forks': args.forks, 'batch': args.batch, 'fetch_details': args.fetch_details,
                     'new_backups': args.new_backups,
                     'naive_max': args.naive_max, 'per_host_max': args.per_host_max,
                     'naive_until_delay': args.naive_delay,
                     'backup_size': BACKUP_SIZE, 'types': TYPES, 'recipe_polls': 0, 'list_order': 'newest_first',
                     'memory': 'the process tree of ansible-playbook sampled every 0.5 s: peak of the sum of PSS '
                               '(shared pages divided among the processes sharing them), and of the sum of RSS',
                     'warmup': 'one unmeasured round of each at N=5' if not args.smoke else 'none'},
        'points': points,
        'targets': targets,
        'profile_top_tasks': profile_top.get('ours'),
        'profile_top_tasks_batch': profile_top.get('batch'),
        'profile': profiles.get('ours'),
        'profile_batch': profiles.get('batch'),
        'naive_playbook': NAIVE_PLAYBOOK,
    }, plot)
    return 0


if __name__ == '__main__':
    sys.exit(main())
