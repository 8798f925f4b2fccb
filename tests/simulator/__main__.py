"""Run the simulator: `python tests/simulator [options]` or `cd tests && python -m simulator [options]`."""

import importlib
import os
import sys

if __package__:
    PACKAGE = __package__
else:
    # Run as a directory: Python put this directory on sys.path; put its parent there instead, so the
    # modules load as one package (their relative imports work) and shadow nothing at top level.
    HERE = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0]) == HERE:
        sys.path[0] = os.path.dirname(HERE)
    else:
        sys.path.insert(0, os.path.dirname(HERE))
    PACKAGE = os.path.basename(HERE)

sys.exit(importlib.import_module(PACKAGE + '.cli').main())
