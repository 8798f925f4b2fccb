"""The benchmarks' line charts, drawn with matplotlib when it is installed.

    line_chart(path, title, x_label, y_label, series=[(name, [(x, y), ...]), ...], marks=[...], log_x=False)

matplotlib is optional (requirements-dev.txt, for these plots only): without it nothing is drawn, a line says why,
and the benchmark goes on; its tables and JSON are the results, a plot only shows them.
"""

from __future__ import annotations

import json

from _harness import RESULTS, ROOT, BenchError

# Reference lines (targets, bounds): dashed, each its own grey.
MARK_STYLES = [{'color': '0.6', 'linestyle': (0, (6, 4))}, {'color': '0.25', 'linestyle': (0, (2, 2))},
               {'color': '#be965a', 'linestyle': (0, (9, 3))}]


def _pyplot():
    """matplotlib's pyplot on the file-only Agg backend, or the reason it cannot be imported."""
    try:
        import matplotlib  # pylint: disable=import-outside-toplevel
        matplotlib.use('Agg')
        from matplotlib import pyplot  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        return None, str(exc)
    return pyplot, None


def _points(pts):
    pts = sorted(p for p in pts if p[1] is not None)
    return [p[0] for p in pts], [p[1] for p in pts]


def line_chart(path, title, x_label, y_label, series, marks=(), log_x=False):
    """Write a PNG line chart and return its path, or None (saying why) when matplotlib is missing.

    series: [(name, [(x, y), ...])], drawn in colour with markers; marks: the same, drawn dashed in grey.
    The x axis is labelled at every x that has a point when it is logarithmic (log_x) or there are at most 8.
    """
    pyplot, missing = _pyplot()
    if pyplot is None:
        print(f'plot skipped: {path.name} needs matplotlib (optional, in requirements-dev.txt), which does not '
              f'import here ({missing}); the tables and the JSON have every figure', flush=True)
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    figure, axes = pyplot.subplots(figsize=(9.6, 5.6), dpi=100)
    try:
        for name, pts in series:
            axes.plot(*_points(pts), marker='s', markersize=5, linewidth=2, label=name)
        for index, (name, pts) in enumerate(marks):
            axes.plot(*_points(pts), linewidth=1.5, label=name, **MARK_STYLES[index % len(MARK_STYLES)])
        xs = sorted({p[0] for entry in list(series) + list(marks) for p in entry[1]})
        if log_x:
            axes.set_xscale('log')
            axes.minorticks_off()
        if log_x or len(xs) <= 8:
            axes.set_xticks(xs, [f'{x:g}' for x in xs])
        axes.set_ylim(bottom=0)
        axes.grid(axis='y', color='0.9')
        axes.set_title(title, loc='left')
        axes.set_xlabel(x_label)
        axes.set_ylabel(y_label)
        axes.legend(loc='upper left', frameon=False)
        figure.tight_layout()
        # No Software entry: the file then depends on the figures only, not on the matplotlib that drew it.
        figure.savefig(path, metadata={'Software': None})
    finally:
        pyplot.close(figure)
    print(f'wrote {path.relative_to(ROOT)}', flush=True)
    return path


def redraw(name, draw):
    """--plot-only: draw(results) again from the committed full run, bench/results/<name>.json, measuring nothing,
    so a committed plot always shows the committed figures."""
    source = RESULTS / f'{name}.json'
    try:
        results = json.loads(source.read_text(encoding='utf-8'))
    except (OSError, ValueError) as exc:
        raise BenchError(f'--plot-only reads {source.relative_to(ROOT)}: {exc}') from None
    draw(results)
    return 0
