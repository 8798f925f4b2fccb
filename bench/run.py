"""Run the benchmarks: every bench/b*_*.py found, in name order, each in its own process.

usage: python bench/run.py [--smoke] [--runs N] [--only b1,b4] [BENCHMARK OPTIONS...]
Options this script does not know (--sizes 64M, --tasks 20, ...) go to every selected benchmark, so use them
with --only. Exits non-zero when a benchmark breaks; missed targets are results, listed at the end.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import _harness as h


def main(argv=None):
    parser = argparse.ArgumentParser(description='Run the benchmarks under bench/.')
    parser.add_argument('--smoke', action='store_true', help='a short run of each, to check they work')
    parser.add_argument('--runs', type=int, help='measured rounds per variant (default: each benchmark\'s own)')
    parser.add_argument('--only', help='comma-separated prefixes, e.g. b1,b4')
    args, rest = parser.parse_known_args(argv)
    found = sorted((h.ROOT / 'bench').glob('b*_*.py'))
    if args.only:
        wanted = [w.strip() for w in args.only.split(',') if w.strip()]
        unknown = [w for w in wanted if not any(p.stem == w or p.stem.startswith(w + '_') for p in found)]
        if unknown:
            sys.stderr.write(f'run.py: no benchmark matches {", ".join(unknown)}; found: '
                             f'{", ".join(p.stem for p in found) or "none"}\n')
            return 2
        found = [p for p in found if any(p.stem == w or p.stem.startswith(w + '_') for w in wanted)]
    passed = (['--smoke'] if args.smoke else []) + (['--runs', str(args.runs)] if args.runs else []) + rest
    rows, broken = [], 0
    for path in found:
        print(f'\n=== {path.stem} {" ".join(passed)}', flush=True)
        start = time.perf_counter()
        status = subprocess.call([sys.executable, str(path)] + passed, cwd=h.ROOT)
        seconds = time.perf_counter() - start
        broken += status != 0
        result = (h.SMOKE_RESULTS if args.smoke else h.RESULTS) / f'{path.stem}.json'
        missed = '-'
        if status == 0 and result.exists():
            targets = json.loads(result.read_text(encoding='utf-8')).get('targets', [])
            missed = ', '.join(t['label'] for t in targets if t['met'] is False) or 'none'
        rows.append([path.stem, 'ok' if status == 0 else f'BROKEN ({status})', seconds, missed])
    h.table('Benchmarks', ['benchmark', 'status', 'seconds', 'targets missed'], rows)
    return 1 if broken or not found else 0


if __name__ == '__main__':
    sys.exit(main())
