"""B1 download: one backup through composeio.dbaas.compose_backup against curl, curl + sha256sum and get_url.

Every variant downloads the same backup from the same simulator to a fresh file, in A B A B order:
  curl            curl -sS --fail -o FILE LINK                  (the pre-signed link, fetched once beforehand)
  curl+sha256sum  the same, then sha256sum FILE
  curl+sync       the same, then sync --data FILE: durable on disk, as compose_backup's file is (it fsyncs)
  get_url         ansible-playbook, one ansible.builtin.get_url task with checksum: sha256:<known>
  compose_backup  ansible-playbook, one composeio.dbaas.compose_backup task (backup_id, dest FILE), with the
                  defaults (verify_archive off)
  compose_backup verify on
                  the same task with verify_archive: true (the gzip stream inflated and the tar headers read as it
                  downloads), so that off and on alternate A B A B
  empty playbook  ansible-playbook with a play and no task: the start-up cost, shown as a reference only
  candidate       with --candidate DIR: compose_backup from another checkout (a proposed patch applied), so a
                  fix is measured against the current code in the same A B A B run
The ansible variants run their module under bench/_peak_rss.py (ansible_python_interpreter), which records the
module process's peak RSS and wall time. The archive compresses like a database dump (the simulator's
archive_content dump, see tests/simulator/README.md), since that is what verifying inflates; --content random
gives the level-0 archives of random bytes. Targets: for sizes of 1 GiB and more, compose_backup's
playbook time <= 1.15x curl and < 0.75x get_url, with verify_archive off (the default) and on, and its module
process time with verify_archive on <= 1.15x with it off (the cost that decided the default: off, since it is
far above 1.30x on this loopback link); at every size the peak RSS of both <= 64 MiB, and flat with verify on:
the largest size's peak within 8 MiB of the smallest size's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import urllib.request
from pathlib import Path

import _harness as h

DATA_DIR = Path(os.environ.get('BENCH_DATA_DIR') or h.ROOT / '.ansible' / 'bench-data')
DEPLOYMENT = 'bench-download'
MIB = 1 << 20
RSS_LIMIT_MIB = 64
FLAT_MIB = 8
TIME_TARGET_FROM = 1 << 30
# What verify_archive may add to the module process's time, for sizes of TIME_TARGET_FROM and more.
VERIFY_LIMIT = 1.15
BUILD_TIMEOUT = 1800


def parse_size(text):
    match = re.fullmatch(r'(\d+)\s*([KMG]?)i?B?', text.strip(), re.IGNORECASE)
    if not match:
        raise ValueError(f'bad size {text!r}: use e.g. 64M, 1G')
    return int(match.group(1)) << {'': 0, 'K': 10, 'M': 20, 'G': 30}[match.group(2).upper()]


def size_label(size):
    return f'{size >> 30} GiB' if size >= 1 << 30 and not size % (1 << 30) else f'{size / MIB:g} MiB'


def _seed(size, content):
    return {'config': {'link_ttl': 10 ** 8},
            'deployments': [{'name': DEPLOYMENT, 'type': 'postgresql', 'backup_size': size, 'on_demand': False,
                             'history': {'daily': 1, 'weekly': 0, 'monthly': 0}, 'archive_content': content}]}


def _download_link(sim, dep_id, backup_id):
    request = urllib.request.Request(f'{sim.api_url}/deployments/{dep_id}/backups/{backup_id}',
                                     headers={'Authorization': f'Bearer {sim.token}'})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=60) as response:
        return json.load(response)['download_link']


PLAY = '''- name: B1 {name}
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: {interpreter}
  tasks:{tasks}'''

GET_URL = '''
    - name: Download with get_url
      ansible.builtin.get_url:
        url: "{{{{ link }}}}"
        dest: "{{{{ dest }}}}"
        checksum: "sha256:{{{{ sha256 }}}}"
        use_proxy: false
'''

COMPOSE_BACKUP = '''
    - name: Download with compose_backup
      composeio.dbaas.compose_backup:
        deployment_id: "{{{{ deployment_id }}}}"
        backup_id: "{{{{ backup_id }}}}"
        dest: "{{{{ dest }}}}"{extra}
'''
VERIFY_ON = '''
        verify_archive: true'''


class Bench:
    """The variants of one size, sharing one simulator and one workspace."""

    def __init__(self, sim, ws, dep_id, backup_id, candidate_ws=None):
        self.sim, self.ws = sim, ws
        self.dep_id, self.backup_id = dep_id, backup_id
        self.dest_root = ws.path / 'dest'
        self.dest_root.mkdir()
        self.rss_file = ws.path / 'rss.jsonl'
        interpreter = h.ROOT / 'bench' / '_peak_rss.py'
        self.books = {
            'get_url': ws.playbook('get_url.yml', PLAY.format(name='get_url', interpreter=interpreter,
                                                              tasks=GET_URL.format())),
            'compose_backup': ws.playbook('compose_backup.yml', PLAY.format(
                name='compose_backup', interpreter=interpreter, tasks=COMPOSE_BACKUP.format(extra=''))),
            'compose_backup verify on': ws.playbook('compose_backup_verify_on.yml', PLAY.format(
                name='compose_backup verify on', interpreter=interpreter, tasks=COMPOSE_BACKUP.format(extra=VERIFY_ON))),
            'empty playbook': ws.playbook('empty.yml', PLAY.format(name='empty', interpreter=interpreter,
                                                                   tasks=' []\n')),
        }
        self.env = ws.env(sim, PEAK_RSS_FILE=self.rss_file, PEAK_RSS_PYTHON=h.VENV_BIN / 'python')
        self.candidate_env = candidate_ws.env(sim, PEAK_RSS_FILE=self.rss_file, PEAK_RSS_PYTHON=h.VENV_BIN / 'python') \
            if candidate_ws else None
        self.link = self.sha256 = self.size = None

    def prepare(self, size):
        self.sim.control.patch_deployment(self.dep_id, backup_size=size)
        # Built once (a 4 GiB archive can take minutes on a busy machine), then cached in DATA_DIR.
        archive = h.SimControl(self.sim.api_url, timeout=BUILD_TIMEOUT).backup_file(self.backup_id)
        self.sha256, self.size = archive['sha256'], archive['size']
        self.link = _download_link(self.sim, self.dep_id, self.backup_id)
        return archive

    def _fresh(self):
        return Path(tempfile.mkdtemp(dir=self.dest_root)) / 'backup.tar.gz'

    def _done(self, dest, seconds, cpu, extra=None):
        got = dest.stat().st_size
        shutil.rmtree(dest.parent)
        # Outside the timing: no variant's dirty pages are left for the next one to pay for.
        os.sync()
        if got != self.size:
            raise h.BenchError(f'{dest}: {got} bytes, expected {self.size}')
        result = {'seconds': seconds, 'cpu_seconds': cpu}
        result.update(extra or {})
        return result

    def curl(self, then=None):
        dest = self._fresh()
        seconds, proc = self.ws.run(['curl', '-sS', '--fail', '--noproxy', '*', '-o', dest, self.link], self.env)
        cpu = proc.cpu_seconds
        if then is not None:
            more, proc = self.ws.run([then, dest] if then == 'sha256sum' else [then, '--data', dest], self.env)
            seconds += more
            cpu += proc.cpu_seconds
            if then == 'sha256sum' and proc.stdout.split()[0] != self.sha256:
                raise h.BenchError(f'sha256sum: {proc.stdout.strip()}, expected {self.sha256}')
        return self._done(dest, seconds, cpu)

    def playbook(self, name, env=None):
        if name == 'empty playbook':
            seconds, proc = self.ws.run(['ansible-playbook', self.books[name]], self.env)
            return {'seconds': seconds, 'cpu_seconds': proc.cpu_seconds}
        dest = self._fresh()
        self.rss_file.unlink(missing_ok=True)
        extra_vars = json.dumps({'link': self.link, 'sha256': self.sha256, 'dest': str(dest),
                                 'deployment_id': self.dep_id, 'backup_id': self.backup_id})
        seconds, proc = self.ws.run(['ansible-playbook', '-e', extra_vars, self.books[name]], env or self.env)
        records = [json.loads(line) for line in self.rss_file.read_text(encoding='utf-8').splitlines()] \
            if self.rss_file.exists() else []
        if len(records) != 1:
            raise h.BenchError(f'{name}: expected one module process record, got {records}')
        return self._done(dest, seconds, proc.cpu_seconds,
                          {'module_seconds': records[0]['seconds'], 'peak_rss_mib': records[0]['maxrss_kib'] / 1024})

    def variants(self):
        candidate = [('candidate', lambda: self.playbook('compose_backup', self.candidate_env))] if self.candidate_env else []
        return [
            ('curl', self.curl),
            ('curl+sha256sum', lambda: self.curl('sha256sum')),
            ('curl+sync', lambda: self.curl('sync')),
            ('get_url', lambda: self.playbook('get_url')),
            ('compose_backup', lambda: self.playbook('compose_backup')),
            ('compose_backup verify on', lambda: self.playbook('compose_backup verify on')),
        ] + candidate + [
            ('empty playbook', lambda: self.playbook('empty playbook')),
        ]


def _summary(size, archive, runs):
    med = {name: h.median(r['seconds'] for r in results) for name, results in runs.items()}
    cpu = {name: h.median(r['cpu_seconds'] for r in results) for name, results in runs.items()}
    modules = [name for name, results in runs.items() if 'module_seconds' in results[0]]
    module = {name: h.median(r['module_seconds'] for r in runs[name]) for name in modules}
    rss = {name: max(r['peak_rss_mib'] for r in runs[name]) for name in modules}
    ratios = {
        'compose_backup/curl': h.ratios(runs['compose_backup'], runs['curl']),
        'compose_backup/get_url': h.ratios(runs['compose_backup'], runs['get_url']),
        'compose_backup/curl+sync': h.ratios(runs['compose_backup'], runs['curl+sync']),
        'compose_backup module process/curl': h.ratios([{'seconds': r['module_seconds']} for r in runs['compose_backup']],
                                                       runs['curl']),
        'compose_backup module process/get_url module process': h.ratios(
            runs['compose_backup'], runs['get_url'], 'module_seconds'),
        'compose_backup verify on/get_url': h.ratios(runs['compose_backup verify on'], runs['get_url']),
        'verify on/off (compose_backup playbook)': h.ratios(runs['compose_backup verify on'], runs['compose_backup']),
        'verify on/off (compose_backup module process)': h.ratios(
            runs['compose_backup verify on'], runs['compose_backup'], 'module_seconds'),
    }
    if 'candidate' in runs:
        ratios.update({'candidate/compose_backup': h.ratios(runs['candidate'], runs['compose_backup']),
                       'candidate/curl': h.ratios(runs['candidate'], runs['curl']),
                       'candidate/get_url': h.ratios(runs['candidate'], runs['get_url']),
                       'candidate module process/compose_backup module process': h.ratios(
                           runs['candidate'], runs['compose_backup'], 'module_seconds')})
    targets = []
    if size >= TIME_TARGET_FROM:
        targets += [h.target(f'{size_label(size)}: compose_backup playbook / curl', ratios['compose_backup/curl']['of_medians'],
                             '<=', 1.15),
                    h.target(f'{size_label(size)}: compose_backup playbook / get_url playbook',
                             ratios['compose_backup/get_url']['of_medians'], '<', 0.75),
                    h.target(f'{size_label(size)}: compose_backup verify on playbook / get_url playbook',
                             ratios['compose_backup verify on/get_url']['of_medians'], '<', 0.75),
                    h.target(f'{size_label(size)}: compose_backup module process, verify_archive on / off',
                             ratios['verify on/off (compose_backup module process)']['of_medians'], '<=', VERIFY_LIMIT)]
    for name in ('compose_backup', 'compose_backup verify on'):
        targets.append(h.target(f'{size_label(size)}: {name} peak RSS (MiB)', rss[name], '<=', RSS_LIMIT_MIB))
    return {'size': size, 'label': size_label(size), 'archive_bytes': archive['size'], 'sha256': archive['sha256'],
            'median_seconds': med, 'median_cpu_seconds': cpu, 'median_module_seconds': module, 'peak_rss_mib': rss,
            'throughput_mib_s': {name: archive['size'] / MIB / s for name, s in med.items() if name != 'empty playbook'},
            'ratios': ratios, 'targets': targets, 'runs': runs}


def _print(summary):
    med, module, runs = summary['median_seconds'], summary['median_module_seconds'], summary['runs']
    rows = []
    for name, seconds in med.items():
        vs_curl = h.ratios(runs[name], runs['curl']) if name != 'empty playbook' else {}
        rows.append([name, seconds, min(r['seconds'] for r in runs[name]), max(r['seconds'] for r in runs[name]),
                     vs_curl.get('of_medians'), vs_curl.get('paired_median'), summary['throughput_mib_s'].get(name),
                     summary['median_cpu_seconds'][name], module.get(name), summary['peak_rss_mib'].get(name)])
    h.table(f"B1 download, {summary['label']} ({summary['archive_bytes']} bytes), medians of "
            f"{len(runs['curl'])} A B A B runs",
            ['variant', 'median s', 'min s', 'max s', 'x curl', 'x curl paired', 'MiB/s', 'CPU s',
             'module process s', 'peak RSS MiB'], rows)
    h.table(f"B1 {summary['label']}: ratios", ['ratio', 'of medians', 'paired median', 'of minimums'],
            [[name, r['of_medians'], r['paired_median'], r['of_minimums']] for name, r in summary['ratios'].items()])


def main(argv=None):
    parser = h.common_args(argv, description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', help='comma-separated sizes (default 64M,1G,4G; with --smoke 8M)')
    parser.add_argument('--content', default='dump', help="the simulator's archive_content: dump (SQL text at gzip "
                        'level 6, the default) or random (random bytes at level 0)')
    parser.add_argument('--warmup', type=int, default=None, help='discarded rounds first (default 1; with --smoke 0)')
    parser.add_argument('--candidate', metavar='DIR', help='also time compose_backup from this checkout (e.g. with a '
                        'patch from bench/proposals/ applied), alternating with the current one')
    args = parser.parse_args()
    sizes = [parse_size(s) for s in (args.sizes or ('8M' if args.smoke else '64M,1G,4G')).split(',')]
    warmup = args.warmup if args.warmup is not None else 0 if args.smoke else 1
    summaries = []
    try:
        with h.Simulator(seed=_seed(sizes[0], args.content), data_dir=DATA_DIR) as sim, h.Workspace() as ws, \
                h.Workspace(args.candidate or None) as candidate_ws:
            dep_id = sim.control.deployment_id(DEPLOYMENT)
            backup_id = sim.control.state()['deployments'][0]['backups'][0]['id']
            bench = Bench(sim, ws, dep_id, backup_id, candidate_ws if args.candidate else None)
            for size in sizes:
                archive = bench.prepare(size)
                sys.stderr.write(f'B1 {size_label(size)}: {args.content} archive {archive["size"]} bytes, {warmup} '
                                 f'warm-up + {args.runs} rounds\n')
                summary = _summary(size, archive, h.alternate(bench.variants(), args.runs, warmup))
                _print(summary)
                summaries.append(summary)
    except (h.BenchError, h.SimControlError, OSError) as exc:
        sys.stderr.write(f'b1_download: {exc}\n')
        return 1
    targets = [t for s in summaries for t in s['targets']]
    peaks = [s['peak_rss_mib']['compose_backup verify on'] for s in summaries]
    if len(summaries) > 1:
        targets.append(h.target(f'compose_backup verify on peak RSS flat: {summaries[-1]["label"]} minus '
                                f'{summaries[0]["label"]} (MiB)', peaks[-1] - peaks[0], '<=', FLAT_MIB))
    h.targets_table('B1 targets', targets)
    # A run with a candidate is a comparison for a proposal: it must not replace the benchmark's own figures.
    h.report('b1_download_candidate' if args.candidate else 'b1_download', {
        'candidate': str(Path(args.candidate).resolve()) if args.candidate else None, 'content': args.content,
        'runs': args.runs,
        'warmup': warmup, 'smoke': args.smoke, 'sizes': summaries, 'targets': targets})
    return 0


if __name__ == '__main__':
    sys.exit(main())
