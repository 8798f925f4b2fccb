"""B4 per-task cost: N composeio.dbaas.compose_backup_info tasks against N ansible.builtin.uri GETs.

Three playbooks of N tasks each (default 50; with --smoke 5), localhost, connection local, no facts, the venv's
Python as the module interpreter, timed in A B A B order:
  compose_backup_info  the backups of one deployment, by deployment_id
  uri                  GET /deployments/<id>/backups with the Authorization header (the same endpoint)
  ping                 ansible.builtin.ping: Ansible's own floor for a Python module task, a reference only
The simulator's request log gives the API requests each playbook made, and the CPU time of each playbook (with
its workers and modules) is reported beside the wall time: a busy machine disturbs it far less. Target:
compose_backup_info's playbook wall time <= 1.15x uri's (ratio of the medians).
"""

from __future__ import annotations

import sys

import _harness as h

DEPLOYMENT = 'bench-tasks'
SEED = {'deployments': [{'name': DEPLOYMENT, 'type': 'postgresql'}]}

PLAY = '''- name: B4 {name}
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: {python}
    api_url: "{{{{ lookup('ansible.builtin.env', 'COMPOSE_API_URL') }}}}"
    api_auth: "Bearer {{{{ lookup('ansible.builtin.env', 'COMPOSEAPITOKEN') }}}}"
  tasks:
{tasks}'''

TASKS = {
    'compose_backup_info': '''    - name: Backups of the deployment {n}
      composeio.dbaas.compose_backup_info:
        deployment_id: {dep_id}
''',
    'uri': '''    - name: GET the backups of the deployment {n}
      ansible.builtin.uri:
        url: "{{{{ api_url }}}}/deployments/{dep_id}/backups"
        headers:
          Authorization: "{{{{ api_auth }}}}"
        use_proxy: false
''',
    'ping': '''    - name: Ping {n}
      ansible.builtin.ping:
''',
}


def main(argv=None):
    parser = h.common_args(argv, description=__doc__.splitlines()[0])
    parser.add_argument('--tasks', type=int, default=None, help='tasks per playbook (default 50; with --smoke 5)')
    parser.add_argument('--warmup', type=int, default=None, help='discarded rounds first (default 1; with --smoke 0)')
    args = parser.parse_args()
    count = args.tasks or (5 if args.smoke else 50)
    warmup = args.warmup if args.warmup is not None else 0 if args.smoke else 1
    try:
        with h.Simulator(seed=SEED) as sim, h.Workspace() as ws:
            dep_id = sim.control.deployment_id(DEPLOYMENT)
            env = ws.env(sim)
            books = {name: ws.playbook(f'{name}.yml', PLAY.format(
                name=name, python=h.VENV_BIN / 'python',
                tasks=''.join(task.format(n=n + 1, dep_id=dep_id) for n in range(count))))
                for name, task in TASKS.items()}

            def variant(name):
                def run():
                    sim.clear_requests()
                    seconds, proc = ws.run(['ansible-playbook', books[name]], env)
                    return {'seconds': seconds, 'cpu_seconds': proc.cpu_seconds, 'requests': len(sim.requests())}
                return name, run

            sys.stderr.write(f'B4: {count} tasks per playbook, {warmup} warm-up + {args.runs} rounds\n')
            runs = h.alternate([variant(name) for name in TASKS], args.runs, warmup)
    except (h.BenchError, h.SimControlError, OSError) as exc:
        sys.stderr.write(f'b4_task_cost: {exc}\n')
        return 1
    med = {name: h.median(r['seconds'] for r in results) for name, results in runs.items()}
    cpu = {name: h.median(r['cpu_seconds'] for r in results) for name, results in runs.items()}
    requests = {name: h.median(r['requests'] for r in results) for name, results in runs.items()}
    vs_uri = {name: h.ratios(runs[name], runs['uri']) for name in runs}
    cpu_vs_uri = {name: h.ratios(runs[name], runs['uri'], 'cpu_seconds') for name in runs}
    ratio = vs_uri['compose_backup_info']['of_medians']
    targets = [h.target(f'{count} compose_backup_info tasks / {count} uri tasks (wall, ratio of medians)',
                        ratio, '<=', 1.15)]
    h.table(f'B4 per-task cost, {count} tasks per playbook, medians of {args.runs} A B A B runs',
            ['playbook', 'median s', 'min s', 'max s', 'ms per task', 'x uri', 'x uri paired', 'x uri of mins',
             'CPU s', 'CPU x uri', 'API requests'],
            [[name, s, min(r['seconds'] for r in runs[name]), max(r['seconds'] for r in runs[name]),
              1000 * s / count, vs_uri[name]['of_medians'], vs_uri[name]['paired_median'],
              vs_uri[name]['of_minimums'], cpu[name], cpu_vs_uri[name]['of_medians'], requests[name]]
             for name, s in med.items()])
    h.targets_table('B4 targets', targets)
    h.report('b4_task_cost', {'runs': args.runs, 'warmup': warmup, 'smoke': args.smoke, 'tasks': count,
                              'median_seconds': med, 'median_cpu_seconds': cpu,
                              'ms_per_task': {k: 1000 * v / count for k, v in med.items()},
                              'api_requests': requests, 'ratio': ratio, 'vs_uri': vs_uri, 'cpu_vs_uri': cpu_vs_uri,
                              'targets': targets, 'results': runs})
    return 0


if __name__ == '__main__':
    sys.exit(main())
