"""B3 polling: how often a backup recipe is polled while it runs, and how late its completion is seen.

    .venv/bin/python bench/b3_polling.py            # recipes of 10 s, 60 s and 600 s (scaled clock), 5 runs A B A B
    .venv/bin/python bench/b3_polling.py --smoke    # the 10 s recipe at scale 10, one run each

Ours: one composeio.dbaas.compose_backup task (trigger and wait, no dest) run by ansible-playbook, its wait options at
their defaults (read from the code), scaled. Baseline: the loop a user copies from the Compose documentation, uri
POST then uri GET of the recipe with `until: status == 'complete'` and `delay: 10`.

Scaled clock. The simulator's recipe_seconds D with time_scale S completes a recipe D simulated seconds after it was
created, that is D / S real seconds later. Clients poll in real time, so every duration they are given is divided by
S too (ours: the wait options that are durations; baseline: the until delay), and every measured real delay is
multiplied by S to get simulated seconds. Fixed real costs (an HTTP request, an Ansible retry) are multiplied by S as
well; the 10 s recipe is measured at S = 1 and S = 10 to show how much that matters, and the 600 s recipe is also
measured once unscaled (--unscaled 600).

History. The module paces its looks by the deployment's earlier backup recipes when they say how long a backup
takes. A third variant, "history", measures ours on deployments with three earlier backup recipes that lasted as long
(seeded in the simulator in real seconds, D / S, to match the module's real clock; --no-history skips it); the first
variant, "ours", has no such recipes.

Targets: detection within max(2 s, 10 % of the duration); at most 15 polls for a 10 minute recipe.
Next to the measured figures, the module's schedule is computed from the code (_polling.wait_recipe and
its Schedule driven by a fake clock, no HTTP), so a schedule change can be judged in a second.
"""

from __future__ import annotations

import importlib
import math
import os
import re
import sys
import threading
import time
import types

import _plot
from _harness import (RESULTS, BenchError, Simulator, Workspace, alternate, common_args, finish, guarded, machine,
                      median, table, target, targets_table)
from _naive import TRIGGER_AND_WAIT

NAIVE_DELAY = 10.0           # what Compose's own example (backupomat) and most users poll with
# (duration D in simulated seconds, time scale S): D / S real seconds per recipe.
FULL_CASES = [(10, 1), (10, 10), (60, 6), (600, 20)]
SMOKE_CASES = [(10, 10)]
# Wait options that are durations, scaled by 1/S; any other option keeps its default.
DURATION_OPTION = re.compile(r'(interval|timeout|delay|seconds|period|wait_max|wait_min)')

OURS_PLAYBOOK = '''\
---
- name: Trigger a backup and wait for it with composeio.dbaas.compose_backup
  hosts: all
  gather_facts: false
  tasks:
    - name: Back up and wait
      composeio.dbaas.compose_backup:
        deployment_id: "{{ deployment_id }}"
__OPTIONS__
      delegate_to: localhost
'''

NAIVE_PLAYBOOK = '''\
---
- name: Trigger a backup and wait for it (after the Compose API documentation)
  hosts: all
  gather_facts: false
  vars:
    compose_api: "{{ lookup('ansible.builtin.env', 'COMPOSE_API_URL') }}"
    compose_token: "{{ lookup('ansible.builtin.env', 'COMPOSEAPITOKEN') }}"
  tasks:
    - name: Back up the deployment
      delegate_to: localhost
      block:
''' + TRIGGER_AND_WAIT


def target_delay(duration):
    return max(2.0, 0.1 * duration)


# -- the schedule, computed from the code --------------------------------------------------------------------------

class Model:
    """Run the checkout's _polling.wait_recipe, the module's own wait loop and schedule, with a fake clock: poll times
    for a recipe that completes `duration` seconds after the first poll, without HTTP. Unavailable (with the reason)
    when the code no longer fits (the call was renamed, or the import fails)."""

    def __init__(self, workspace):
        self.error = None
        self.defaults = {}
        sys.path.insert(0, str(workspace))
        try:
            self.polling = importlib.import_module('ansible_collections.composeio.dbaas.plugins.module_utils._polling')
            options = importlib.import_module('ansible_collections.composeio.dbaas.plugins.module_utils._options')
            self.defaults = {key: spec.get('default') for key, spec in options.WAIT_ARGS.items()}
            self.types = {key: spec.get('type') for key, spec in options.WAIT_ARGS.items()}
        except Exception as exc:  # pylint: disable=broad-except
            self.error = f'cannot import the wait code: {exc!r}'

    def scaled(self, scale):
        """The wait options for time scale S: every duration option divided by S (ints rounded up, at least 1)."""
        options = {}
        for key, value in self.defaults.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not DURATION_OPTION.search(key):
                continue
            if scale == 1:
                options[key] = value
            elif self.types.get(key) == 'int':
                options[key] = max(1, math.ceil(value / scale))
            else:
                options[key] = round(value / scale, 6)
        return options

    def polls(self, duration, overrides=None, latency=0.0, limit=10000, history=False):
        """Times of the recipe GETs (seconds after the recipe was created) until one sees complete; None when
        unavailable. The recipe the POST answered is handed over as the first look, as the module does, so that look
        costs no request and is not in the list."""
        if self.error:
            return None
        params = dict(self.defaults)
        params.update(overrides or {})
        now = [0.0]
        times = []

        def recipe():
            return {'id': 'a' * 24, 'status': 'complete' if now[0] >= duration else 'running'}

        def get_recipe(_recipe_id, deadline=None):  # pylint: disable=unused-argument
            now[0] += latency
            if len(times) > limit:
                raise RuntimeError(f'more than {limit} polls')
            times.append(now[0])
            return recipe()

        def sleep(seconds):
            now[0] += max(0.0, seconds)

        client = types.SimpleNamespace(clock=lambda: now[0], sleep=sleep, get_recipe=get_recipe)
        # The deployment's earlier backups took as long as this one will.
        expect = (lambda: float(duration)) if history else None
        try:
            self.polling.wait_recipe(client, 'a' * 24, self.polling.Schedule.from_params(params), first=recipe(),
                                     age=0.0, expect=expect)
        except Exception as exc:  # pylint: disable=broad-except
            self.error = f'the wait code did not run in the model: {exc!r}'
            return None
        return times


def naive_model(duration, delay=NAIVE_DELAY, overhead=0.0):
    """Poll times of the until loop: a GET at once, then one every delay (+ the retry's own cost)."""
    times, t = [], 0.0
    while True:
        times.append(t)
        if t >= duration:
            return times
        t += delay + overhead


def guaranteeing_schedule(horizon, floor=2.0, share=0.1):
    """Poll times of the sparsest schedule that, not knowing the duration, still sees every completion up to
    `horizon` within max(floor, share * duration): the next poll at most max(floor, share * t) after the one at t."""
    times = [0.0]
    while times[-1] < horizon:
        t = times[-1]
        times.append(t + max(floor, share * t))
    return times


# -- measuring ------------------------------------------------------------------------------------------------------

def seed(count, duration, scale, history=False):
    """With history, each deployment has three earlier backup recipes that lasted as long as this one will, in real
    seconds (D / S): the module paces its looks by them with its real clock, as it divides its poll options by S,
    so the schedule stays the same in simulated time."""
    earlier = {'backup_recipes': [duration / scale] * 3} if history else {}
    return {
        'config': {'recipe_polls': 0, 'recipe_seconds': duration, 'time_scale': scale, 'list_order': 'newest_first'},
        'deployments': [dict({'name': f'poll-{i}', 'type': 'postgresql', 'backup_size': 4096,
                              'history': {'daily': 1, 'weekly': 0, 'monthly': 0}}, **earlier) for i in range(count)],
    }


def analyse(entries, recipes, duration, scale):
    """Per backup recipe: polls, and the delay between completion and the poll that saw it (simulated seconds)."""
    posts = {}
    for entry in entries:
        match = re.match(r'^/2016-07/deployments/([0-9a-f]{24})/backups$', entry['path'])
        if entry['method'] == 'POST' and match and entry.get('status') == 202:
            posts.setdefault(match.group(1), entry['time'])
    samples = []
    for recipe in recipes:
        if recipe.get('kind') != 'backup' or recipe['deployment_id'] not in posts:
            continue
        created = posts[recipe['deployment_id']]
        completed = created + duration / scale
        gets = [e['time'] for e in entries if e['method'] == 'GET' and e['path'] == f'/2016-07/recipes/{recipe["id"]}']
        if not gets:
            raise BenchError(f'recipe {recipe["id"]} was never polled')
        # The client stops at the poll that saw complete: the last one. The log time is the arrival, rounded to the
        # millisecond; a last poll logged before the completion moment would mean the client stopped early.
        seen = gets[-1]
        if seen < completed - 0.005:
            raise BenchError(f'recipe {recipe["id"]}: last poll {seen - created:.3f} s after the POST, before the '
                             f'completion at {duration / scale:.3f} s; status {recipe.get("status")}')
        samples.append({
            'polls': len(gets),
            'delay': (seen - completed) * scale,
            'poll_times': [round((t - created) * scale, 3) for t in gets],
            'status': recipe.get('status'),
        })
    return samples


class Bench:
    def __init__(self, ws, sim, model):
        self.ws, self.sim, self.model = ws, sim, model

    def _hosts(self, sim_state, names, tag):
        ids = {dep['name']: dep['id'] for dep in sim_state['deployments']}
        path = self.ws.path / f'hosts-{tag}.yml'
        path.write_text('all:\n  hosts:\n' + ''.join(f'    {n}:\n      deployment_id: "{ids[n]}"\n' for n in names),
                        encoding='utf-8')
        return path

    def playbooks(self, duration, scale, tag):
        options = self.model.scaled(scale) if not self.model.error else {}
        lines = ''.join(f'        {key}: {value}\n' for key, value in sorted(options.items())).rstrip('\n')
        ours = self.ws.playbook(f'ours-{tag}.yml', OURS_PLAYBOOK.replace('__OPTIONS__', lines))
        delay = round(NAIVE_DELAY / scale, 6)
        retries = math.ceil(duration / NAIVE_DELAY) * 3 + 10
        naive = self.ws.playbook(f'naive-{tag}.yml', NAIVE_PLAYBOOK.replace('__RETRIES__', str(retries))
                                 .replace('__DELAY__', str(delay)))
        return {'ours': ours, 'naive': naive, 'ours_options': options, 'naive_delay_real': delay}

    def run(self, playbook, duration, scale, hosts=1, history=False):
        """One measured run; with history, the deployments' earlier backups lasted as long (see seed)."""
        self.sim.reset(seed(hosts, duration, scale, history))
        inventory = self._hosts(self.sim.control.state(), [f'poll-{i}' for i in range(hosts)], f'{hosts}')
        earlier = {r['id'] for r in self.sim.control.state()['recipes']}
        seconds = self.ws.run(['ansible-playbook', '-i', inventory, playbook, '--forks', str(hosts)],
                              self.ws.env(self.sim))[0]
        recipes = [r for r in self.sim.control.state()['recipes'] if r['id'] not in earlier]
        samples = analyse(self.sim.requests(), recipes, duration, scale)
        if len(samples) != hosts:
            raise BenchError(f'{playbook.name}: {len(samples)} recipes measured, {hosts} expected')
        return {'seconds': seconds, 'load1': round(os.getloadavg()[0], 2), 'samples': samples,
                'polls': median(s['polls'] for s in samples), 'delay': median(s['delay'] for s in samples)}


def unscaled_both(ws, sim, plays, duration, hosts):
    """Ours and the baseline at the same time on separate deployments, unscaled: one long run instead of two."""
    sim.reset(seed(2 * hosts, duration, 1))
    state = sim.control.state()
    bench = Bench(ws, sim, None)
    inventories = {'ours': bench._hosts(state, [f'poll-{i}' for i in range(hosts)], 'u-ours'),  # pylint: disable=protected-access
                   'naive': bench._hosts(state, [f'poll-{i}' for i in range(hosts, 2 * hosts)], 'u-naive')}  # pylint: disable=protected-access
    outcome, errors = {}, []

    def play(name):
        try:
            outcome[name] = ws.run(['ansible-playbook', '-i', inventories[name], plays[name], '--forks', str(hosts)],
                                   ws.env(sim))[0]
        except BenchError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=play, args=(name,)) for name in ('ours', 'naive')]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    entries, recipes = sim.requests(), sim.control.state()['recipes']
    ids = {dep['name']: dep['id'] for dep in state['deployments']}
    result = {}
    for name, names in (('ours', range(hosts)), ('naive', range(hosts, 2 * hosts))):
        mine = {ids[f'poll-{i}'] for i in names}
        samples = analyse(entries, [r for r in recipes if r['deployment_id'] in mine], duration, 1)
        result[name] = {'seconds': outcome[name], 'samples': samples, 'polls': median(s['polls'] for s in samples),
                        'delay': median(s['delay'] for s in samples)}
    return result


def modelled_schedule(times, duration):
    """Polls and detection delay of a schedule from Model.polls (None when the model is unavailable)."""
    return {'polls': len(times) if times else None,
            'delay': round(times[-1] - duration, 3) if times else None,
            'poll_times': times}


def closest_to_real_time(cases_out, duration):
    """The case of this duration measured at the lowest scale (sequential before concurrent)."""
    return sorted((o for o in cases_out if o['duration'] == duration), key=lambda o: (o['scale'], o['concurrent']))[0]


def draw(cases_out, model):
    """Polls against the recipe duration: the module's schedule (model, measured), the baseline, the bounds.
    bench/results/b3_polling.png, or None."""
    if model.error:
        print(f'plot skipped: b3_polling.png draws the schedule computed from the code, and the model is unavailable: '
              f'{model.error}', flush=True)
        return None
    durations = [5, 10, 20, 30, 60, 120, 180, 300, 600, 900]
    measured = [(d, closest_to_real_time(cases_out, d)['ours']['polls']) for d in sorted(set(o['duration'] for o in cases_out))]
    return _plot.line_chart(
        RESULTS / 'b3_polling.png', 'B3: polls until a recipe of D seconds is seen complete', 'recipe duration D (s, log scale)',
        'polls', log_x=True,
        series=[('ours: the code\'s schedule (model)', [(d, len(model.polls(d))) for d in durations]),
                ('ours, earlier backups as long (model)', [(d, len(model.polls(d, history=True))) for d in durations]),
                ('ours: measured, median', measured),
                ('baseline: until, delay 10 s (model)', [(d, len(naive_model(d))) for d in durations])],
        marks=[('fewest polls that guarantee max(2 s, 10%)', [(d, len(guaranteeing_schedule(d))) for d in durations]),
               ('target: at most 15 polls at 600 s', [(300, 15), (900, 15)])])


def fmt_times(times, limit=30):
    if times is None:
        return None
    shown = ', '.join(f'{t:g}' if t == int(t) else f'{t:.1f}' for t in times[:limit])
    return shown + (f', ... ({len(times)} polls)' if len(times) > limit else '')


def main(argv=None) -> int:
    return guarded('b3_polling', run, argv)


def parse(argv):
    """The options, the (duration, scale) cases and the duration measured unscaled (0: none)."""
    parser = common_args(argv, description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('--cases', default=None,
                        help='duration:scale pairs, comma-separated (default 10:1,10:10,60:6,600:20; smoke 10:10)')
    parser.add_argument('--unscaled', type=int, default=None,
                        help='also measure this duration at scale 1, ours and the baseline at once on 5 deployments each '
                             '(default 600 in a full run, none with --smoke; 0 skips it)')
    parser.add_argument('--unscaled-hosts', type=int, default=5)
    parser.add_argument('--no-history', action='store_true',
                        help="skip the variant where each deployment's earlier backups took as long (ours, with "
                             'three such recipes seeded in the simulator)')
    parser.add_argument('--plot-only', action='store_true',
                        help='measure nothing: draw bench/results/b3_polling.png again from bench/results/b3_polling.json '
                             '(the model lines from the code)')
    args = parser.parse_args()
    if args.cases:
        cases = [tuple(int(x) if float(x).is_integer() else float(x) for x in c.split(':')) for c in args.cases.split(',')]
    else:
        cases = SMOKE_CASES if args.smoke else FULL_CASES
    unscaled = args.unscaled if args.unscaled is not None else (0 if args.smoke else 600)
    return args, cases, unscaled


def measure_scaled(bench, cases, runs, history):
    """Each (duration, scale) case A B A B: ours, (with history) ours with earlier backups as long, the baseline."""
    measured = []
    for duration, scale in cases:
        plays = bench.playbooks(duration, scale, f'{duration}-{scale}')
        sys.stderr.write(f'recipe {duration} s at scale {scale} ({duration / scale:g} s real): '
                         f'ours {plays["ours_options"]}, baseline delay {plays["naive_delay_real"]} s real\n')
        variants = [('ours', lambda p=plays['ours'], d=duration, s=scale: bench.run(p, d, s)),
                    ('naive', lambda p=plays['naive'], d=duration, s=scale: bench.run(p, d, s))]
        if history:
            variants.insert(1, ('history', lambda p=plays['ours'], d=duration, s=scale: bench.run(p, d, s, history=True)))
        measured.append({'duration': duration, 'scale': scale, 'real_seconds': duration / scale,
                         'ours_options': plays['ours_options'], 'naive_delay_real': plays['naive_delay_real'],
                         'results': alternate(variants, runs=runs)})
    return measured


def measure_unscaled(ws, sim, bench, duration, hosts):
    """The duration at scale 1, ours and the baseline at once on `hosts` deployments each: one case, every
    deployment a run."""
    plays = bench.playbooks(duration, 1, f'{duration}-1-both')
    sys.stderr.write(f'recipe {duration} s unscaled, ours and baseline at once, {hosts} each\n')
    both = unscaled_both(ws, sim, plays, duration, hosts)
    return {'duration': duration, 'scale': 1, 'real_seconds': duration, 'concurrent': True,
            'ours_options': plays['ours_options'], 'naive_delay_real': plays['naive_delay_real'],
            'results': {name: [{'seconds': r['seconds'], 'samples': [s], 'polls': s['polls'], 'delay': s['delay']}
                               for s in r['samples']]
                        for name, r in both.items()}}


def summarise_variant(out, case, name):
    """One variant's medians into out[name] (the baseline's cost per retry, and its loop modelled with that cost,
    too); returns its row of the main table."""
    duration, scale = case['duration'], case['scale']
    runs = case['results'][name]
    polls = median(r['polls'] for r in runs)
    delay = median(r['delay'] for r in runs)
    out[name] = {'runs': len(runs), 'polls': polls, 'delay': round(delay, 3),
                 'polls_all': [r['polls'] for r in runs], 'delays_all': [round(r['delay'], 3) for r in runs],
                 'wall_seconds_median': round(median(r['seconds'] for r in runs), 2),
                 'load1_after_each_run': [r.get('load1') for r in runs],
                 'poll_times_first_run': runs[0]['samples'][0]['poll_times']}
    # Real seconds from the POST to the first poll, and (baseline) what each retry costs beyond its delay:
    # fixed real costs, which a scale S multiplies by S when converted to simulated seconds.
    firsts = [s['poll_times'][0] / scale for r in runs for s in r['samples']]
    out[name]['first_poll_real_ms'] = round(1000 * median(firsts), 1)
    if name == 'naive':
        gaps = [(b - a) / scale - case['naive_delay_real'] for r in runs for s in r['samples']
                for a, b in zip(s['poll_times'], s['poll_times'][1:])]
        cost = median(gaps) if gaps else None
        out['naive']['retry_cost_real'] = round(cost, 3) if cost is not None else None
        if cost is not None:
            # The loop as it would run unscaled: each retry costs its real time, not S times it.
            unscaled_times = naive_model(duration, NAIVE_DELAY, cost)
            out['model_naive_with_cost'] = {'polls': len(unscaled_times),
                                            'delay': round(unscaled_times[-1] - duration, 2)}
    modelled = out['model_' + name]
    return [f'{duration} s', scale, 'yes' if case.get('concurrent') else 'no', name, len(runs), polls,
            modelled['polls'], round(delay, 2), modelled['delay'], target_delay(duration),
            delay <= target_delay(duration), out[name]['first_poll_real_ms'],
            out['naive'].get('retry_cost_real') if name == 'naive' else None,
            '%s / %s' % (out['model_naive_with_cost']['polls'], out['model_naive_with_cost']['delay'])
            if name == 'naive' and 'model_naive_with_cost' in out else None]


def summarise_case(case, model):
    """One case's figures, the model's next to them: (the case as in the JSON, its rows of the main table)."""
    duration = case['duration']
    out = {'duration': duration, 'scale': case['scale'], 'real_seconds': case['real_seconds'],
           'concurrent': case.get('concurrent', False), 'ours_options': case['ours_options'],
           'naive_delay_real': case['naive_delay_real'], 'target_delay': target_delay(duration),
           'model_ours': modelled_schedule(model.polls(duration), duration),
           'model_history': modelled_schedule(model.polls(duration, history=True), duration),
           'model_naive': {'polls': len(naive_model(duration)), 'delay': round(naive_model(duration)[-1] - duration, 3)}}
    rows = [summarise_variant(out, case, name) for name in ('ours', 'history', 'naive') if name in case['results']]
    return out, rows


def summarise(measured, model):
    """Every case summarised; prints the main table and the poll times next to the model's. Returns the cases."""
    rows, cases_out = [], []
    for case in measured:
        out, case_rows = summarise_case(case, model)
        cases_out.append(out)
        rows += case_rows
    table('B3 polling: medians, simulated seconds (measured real delay x scale); model = the code\'s schedule with '
          'a fake clock, or the until loop with no cost per retry',
          ['recipe', 'scale', 'concurrent', 'variant', 'runs', 'polls', 'model polls', 'delay s', 'model delay s',
           'target s', 'met', '1st poll real ms', 'retry cost real s', 'unscaled est. polls / delay'], rows)
    print('  unscaled est.: the baseline\'s until loop modelled with its measured real cost per retry, as it would run '
          'at scale 1 (a scale S multiplies that cost by S).')

    print('\nPoll times of ours (simulated seconds after the POST, first run) and the schedule computed from the code:')
    for out in cases_out:
        indent = " " * len(str(out["duration"]))
        print(f'  {out["duration"]} s @ scale {out["scale"]}: measured {fmt_times(out["ours"]["poll_times_first_run"])}')
        print(f'  {indent}   model:           {fmt_times(out["model_ours"]["poll_times"])}')
        if 'history' in out:
            print(f'  {indent}   earlier backups as long: measured {fmt_times(out["history"]["poll_times_first_run"])}')
            print(f'  {indent}   model:           {fmt_times(out["model_history"]["poll_times"])}')
    if model.error:
        print(f'  model unavailable: {model.error}')
    return cases_out


def print_invariance(cases_out):
    """The same recipe at different scales (and unscaled, when measured), side by side."""
    by_duration = {}
    for out in cases_out:
        if not out['concurrent']:
            by_duration.setdefault(out['duration'], []).append(out)

    def row(out, scale):
        return [f'{out["duration"]} s', scale, out['ours']['polls'], out['ours']['delay'],
                out['naive']['polls'], out['naive']['delay']]

    invariance = []
    for duration, outs in sorted(by_duration.items()):
        if len(outs) > 1:
            invariance += [row(out, out['scale']) for out in outs]
    for out in (o for o in cases_out if o['concurrent']):
        invariance += [row(other, other['scale']) for other in by_duration.get(out['duration'], [])]
        invariance.append(row(out, '1 (concurrent)'))
    if invariance:
        table('Scale invariance: the same recipe at different scales (medians, simulated seconds)',
              ['recipe', 'scale', 'ours polls', 'ours delay s', 'baseline polls', 'baseline delay s'], invariance)


def check_targets(cases_out):
    """Per duration, from the case measured closest to real time (lowest scale, sequential preferred); printed."""
    targets = []
    for duration in sorted(set(o['duration'] for o in cases_out)):
        best = closest_to_real_time(cases_out, duration)
        label = f'{duration} s recipe @ scale {best["scale"]}{" (concurrent)" if best["concurrent"] else ""}'
        for name, what in (('ours', 'ours'), ('history', "ours, earlier backups as long")):
            if name not in best:
                continue
            targets.append(target(f'{what}: detection delay, {label} (s)', best[name]['delay'], '<=',
                                  target_delay(duration)))
            if duration >= 600:
                targets.append(target(f'{what}: polls, {label}', best[name]['polls'], '<=', 15))
    targets_table('B3 targets (ours)', targets)
    return targets


def model_alternatives(model):
    """The module's schedule with other poll_interval settings, model only; printed. [] without the model."""
    alternatives = []
    if model.error:
        return alternatives
    for interval in (1.0, 2.0, 5.0, 10.0):
        overrides = {'poll_interval': interval, 'poll_max_interval': max(interval, model.defaults.get('poll_max_interval', 30.0))}
        row = [interval, overrides['poll_max_interval']]
        for duration in (10, 60, 600):
            times = model.polls(duration, overrides)
            row += [len(times) if times else None, round(times[-1] - duration, 1) if times else None]
        alternatives.append(row)
    table('The module\'s schedule with other poll_interval settings (model, no HTTP)',
          ['poll_interval', 'poll_max_interval', '10 s polls', '10 s delay', '60 s polls', '60 s delay',
           '600 s polls', '600 s delay'], alternatives)
    return alternatives


def print_conflict():
    """Why no schedule meets both targets without knowing the duration; returns the sparsest guaranteeing one."""
    guarantee = guaranteeing_schedule(600)
    print('\nCan one schedule meet both targets without knowing the duration?')
    print('  To see every completion at t within max(2 s, 0.1 t), the gap after a poll at t must be at most')
    print('  max(2 s, 0.1 t): every 2 s up to 20 s (polls at 0, 2, ..., 20: 11 polls), then each poll 1.1 times')
    print(f'  the last: 20 * 1.1^k >= 600 needs k = ceil(ln 30 / ln 1.1) = {math.ceil(math.log(30) / math.log(1.1))}.')
    print(f'  Computed: {len(guarantee)} polls up to {guarantee[-1]:.0f} s '
          f'(the sparsest such schedule), against the target of at most 15.')
    print('  So both targets can hold for a 600 s recipe only for some durations (where a poll happens to fall just')
    print('  after the completion), or with knowledge of the expected duration (e.g. from earlier backups).')
    return guarantee


def run(argv):
    args, cases, unscaled = parse(argv)
    if args.plot_only:
        with Workspace() as ws:
            model = Model(ws.path)
            return _plot.redraw('b3_polling', lambda results: draw(results['cases'], model))
    started = time.monotonic()
    print(f'B3 polling: cases (duration s, scale) {cases}, {args.runs} runs A B A B each'
          f'{f"; {unscaled} s also unscaled with {args.unscaled_hosts} deployments per variant at once" if unscaled else ""}'
          f'; load {machine()["load_now"]}', flush=True)
    with Simulator(seed=seed(1, 10, 1)) as sim, Workspace() as ws:
        model = Model(ws.path)
        bench = Bench(ws, sim, model)
        measured = measure_scaled(bench, cases, args.runs, not args.no_history)
        if unscaled:
            measured.append(measure_unscaled(ws, sim, bench, unscaled, args.unscaled_hosts))
        load = machine()['load_now']
        cases_out = summarise(measured, model)
        print_invariance(cases_out)
        targets = check_targets(cases_out)
        alternatives = model_alternatives(model)
        guarantee = print_conflict()
    plot = None if args.smoke else draw(cases_out, model)
    finish('b3_polling', started, load, {
        'runs': args.runs, 'warmup': 0, 'smoke': args.smoke,
        'settings': {'cases': [list(c) for c in cases], 'runs': args.runs, 'unscaled': unscaled,
                     'unscaled_hosts': args.unscaled_hosts, 'naive_delay': NAIVE_DELAY,
                     'wait_defaults': model.defaults, 'model_error': model.error},
        'cases': cases_out,
        'targets': targets,
        'alternatives_model': alternatives,
        'guaranteeing_schedule_600': {'polls': len(guarantee), 'times': [round(t, 2) for t in guarantee]},
    }, plot)
    return 0


if __name__ == '__main__':
    sys.exit(main())
