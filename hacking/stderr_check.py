"""Judge a tool's stderr by where each warning comes from.

A warning or deprecation that names this collection (composeio.dbaas, or a path inside it) fails the check: it is
ours to fix. One raised inside ansible-core or a third-party package is reported and does not fail: it is a fact
about a dependency (locks/holds.txt is where a lock keeps such a release out). Anything on stderr that is not a
warning (an error, a traceback) fails, as before.

usage: hacking/stderr_check.py LABEL FILE     exit 1 when FILE holds a warning of ours or anything not a warning
"""

import os
import re
import sys

# A Python warning: "path/to/file.py:18: SomeWarning: text", then the source line, indented.
PYTHON_WARNING = re.compile(r'^(?P<path>\S.*?):\d+: (?P<category>\w*Warning): ')
# Ansible's display: "[WARNING]: text" or "[DEPRECATION WARNING]: text"; from 2.20 on, "Origin: ..." and a source
# excerpt follow, so the block runs on to the next line that starts a block of its own.
ANSIBLE_WARNING = re.compile(r'^\[(DEPRECATION )?WARNING\]: ')
STARTS_BLOCK = re.compile(r'^(\[[A-Z ]+\]: |ERROR!|Traceback )')
# This collection by name, as installed, or as this checkout's files (its venvs hold third-party code).
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = re.compile(r'composeio[./]dbaas|ansible_collections/composeio/|%s/(?!\.venv)' % re.escape(ROOT))


def blocks(text):
    """Split stderr into ('warning' | 'other', text) blocks: a warning with its continuation lines, or one other line."""
    found = []
    for line in text.splitlines():
        if PYTHON_WARNING.match(line):
            found.append(['python', line])
        elif ANSIBLE_WARNING.match(line):
            found.append(['ansible', line])
        elif found and found[-1][0] == 'python' and line[:1].isspace():
            found[-1][1] += '\n' + line
        elif found and found[-1][0] == 'ansible' and not STARTS_BLOCK.match(line):
            found[-1][1] += '\n' + line
        elif line.strip():
            found.append(['other', line])
    found = [('other' if kind == 'other' else 'warning', body) for kind, body in found]
    return [(kind, body.rstrip()) for kind, body in found]


def judge(text):
    """Return (failing, reported): the blocks that fail the check, and the third-party warnings only reported."""
    failing, reported = [], []
    for kind, body in blocks(text):
        if kind == 'warning' and not OURS.search(body):
            reported.append(body)
        else:
            failing.append(body)
    return failing, reported


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    label, path = argv[1], argv[2]
    with open(path, errors='replace') as handle:
        failing, reported = judge(handle.read())
    for body in reported:
        print('%s: reported, not failing (raised outside this collection):\n%s' % (label, body))
    for body in failing:
        print('%s: FAILS (a warning of this collection, or not a warning):\n%s' % (label, body), file=sys.stderr)
    return 1 if failing else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
