# composeio.dbaas: one command to set up and run every check.
#
#   make test         set up the venvs from the locks and run every check on every claimed line (locks/lines.txt)
#   make demo         back up the simulator's deployments into ./backups with playbooks/backup.yml
#   make lock         regenerate the locks from requirements*.txt (UPGRADE=1: take the newest versions allowed)
#   make test-latest  every check again, in venvs of the newest versions the ranges allow (drift, not a gate)
#
# The repository root is the collection. ansible-test needs it under .../ansible_collections/composeio/dbaas,
# so hacking/ansible-test.sh runs it on a copy; the other tools see the checkout through
# hacking/with-collection.sh, which makes it the only collection on ANSIBLE_COLLECTIONS_PATH.

# The claimed lines (Python, ansible-core) are in locks/lines.txt; the first is the default.
LINES := $(shell awk '!/^\#/ && NF {print $$1}' locks/lines.txt)
PYTHON ?= python$(firstword $(LINES))
# The real interpreter, never a pyenv shim (shims of non-selected versions exit 127).
PY := $(shell hacking/find-python.sh $(PYTHON) 2>/dev/null)
PYVER := $(if $(PY),$(shell $(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])'))
CORE := $(shell awk '$$1 == "$(PYVER)" {print $$2}' locks/lines.txt)
LOCK := locks/py$(PYVER).txt
# LATEST=1: a venv of the newest versions the ranges allow (make test-latest), not the lock.
LATEST ?=
# Decided here, not taken from the environment: make test-latest's inner make must not inherit the outer one's.
VENV := $(if $(LATEST),.venv-latest-$(PYVER),$(if $(filter $(firstword $(LINES)),$(PYVER)),.venv,.venv-$(PYVER)))
STAMP := $(VENV)/.installed
# Phases that make test runs at once (hacking/checks.py -j).
JOBS ?= 3

export VENV
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# Ansible's collections, caches and temporary files stay in this checkout, never in ~/.ansible.
export ANSIBLE_HOME := $(CURDIR)/.ansible
export ANSIBLE_LINT_SKIP_SCHEMA_UPDATE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Extra arguments for one run, e.g. make units PYTEST_ARGS='-k retry'. The unit tests are independent: -n auto.
SANITY_ARGS ?=
PYTEST_ARGS ?= -n auto
INTEGRATION_ARGS ?=
RELIABILITY_ARGS ?=
# The demo: a playbook, its extra arguments, and the simulator's seed and state (kept between runs, as an account is).
DEMO_PLAYBOOK ?= playbooks/backup.yml
DEMO_ARGS ?= -e '{"compose_backup_deployments": ["fizz-production", "buzz-cache", "fizz-events", "buzz-queue", "fizz-search"], \
  "compose_backup_max_age": "1h", "compose_backup_poll_interval": 0.5, \
  "compose_backup_keep_daily": 7, "compose_backup_keep_weekly": 4, "compose_backup_keep_monthly": 6, \
  "compose_backup_verify_archive": true}' \
  -e compose_backup_dest=$(DEMO_DEST) -e compose_backup_metrics_file=$(DEMO_DEST)/compose_backup.prom
DEMO_SEED ?= tests/simulator/seeds/demo.json
DEMO_STATE ?= .ansible/demo-simulator-state.json
DEMO_DEST ?= backups
# Extra arguments for make bench, e.g. BENCH_ARGS='--only b1 --sizes 64M' or BENCH_ARGS='--runs 7'.
BENCH_ARGS ?=

.NOTPARALLEL:
.PHONY: help setup lock test test-latest sanity units e2e integration molecule reliability demo-check bench-smoke lint changelog-lint build-check publish-check ee-check bench demo clean distclean

help:
	@echo 'make test            set up, then every check below on the default line and the matrix checks on the'
	@echo '                     other lines of locks/lines.txt, JOBS=$(JOBS) at once, and a table of times (hacking/checks.py)'
	@echo 'make test-latest     the same in .venv-latest-X.Y venvs of the newest versions requirements*.txt allow'
	@echo 'make setup           create $(VENV) from $(or $(PY),$(PYTHON)) and install $(LOCK) (hashes required)'
	@echo 'make lock            write locks/py<X.Y>.txt for every line with uv (UPGRADE=1 for the newest versions)'
	@echo 'make sanity          ansible-test sanity (every test, compile/import on every Python found)'
	@echo 'make units           pytest tests/unit and tests/hacking: the unit tests, no simulator   (PYTEST_ARGS=...)'
	@echo 'make e2e             pytest tests/simulator/tests and tests/e2e: the simulator'"'"'s own tests and an AWX job'
	@echo '                     through ansible-runner, each against a simulator process   (PYTEST_ARGS=...)'
	@echo 'make integration     ansible-test integration against the simulator (INTEGRATION_ARGS=...)'
	@echo 'make molecule        the roles'"'"' molecule scenarios against the simulator'
	@echo 'make reliability     the fault matrix, bad input, secrets, hostile servers, TLS, concurrency (RELIABILITY_ARGS=...)'
	@echo 'make demo-check      make demo twice in a temporary folder: the second run must change nothing'
	@echo 'make bench-smoke     a short run of every benchmark under bench/, so they never rot'
	@echo 'make lint            ansible-lint, production profile, offline'
	@echo 'make changelog-lint  antsibull-changelog lint'
	@echo 'make build-check     build, install offline, ansible-doc every plugin'
	@echo 'make publish-check   galaxy-importer on the built tarball, antsibull-docs lint-collection-docs'
	@echo 'make ee-check        ansible-builder create on execution-environment.yml, introspect on the build'
	@echo 'make bench           the benchmarks (bench/README.md), results in bench/results/ (BENCH_ARGS=...)'
	@echo 'make demo            $(DEMO_PLAYBOOK) against the simulator, archives in ./backups (DEMO_ARGS=...)'
	@echo 'make clean           remove generated files; make distclean also removes the venvs'
	@echo 'PYTHON=python3.13    one phase on another line (venv .venv-X.Y, lock locks/pyX.Y.txt)'

# Every phase of the default line, and the matrix phases of the other lines, as hacking/checks.py schedules them
# (standard library only; it sets up each line's venv first).
test:
	@test -n "$(PY)" || { echo "make: no working interpreter for PYTHON=$(PYTHON)" >&2; exit 1; }
	$(PY) hacking/checks.py -j $(JOBS) $(if $(LATEST),--latest)

# Drift seen, not suffered: fresh venvs of the newest releases the ranges allow (locks/holds.txt does not apply),
# then the same checks. A failure here is a report on a new release; see README, "Updating the locks".
test-latest:
	rm -rf .venv-latest-*
	$(MAKE) --no-print-directory test LATEST=1

setup: $(STAMP)

# From the lock, into a new venv whenever the lock changes, so nothing outside the lock stays installed.
# Latest: the ranges, with this line's ansible-core.
$(STAMP): $(if $(LATEST),requirements-dev.txt requirements.txt,$(LOCK))
	@test -n "$(PY)" || { echo "make: no working interpreter for PYTHON=$(PYTHON)" >&2; exit 1; }
	@test -n "$(CORE)" || { echo "make: Python $(PYVER) is not a line of locks/lines.txt" >&2; exit 1; }
	rm -rf $(VENV)
	$(PY) -m venv $(VENV)
ifeq ($(LATEST),)
	$(VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
else
	$(VENV)/bin/python -m pip install --quiet --upgrade -r requirements-dev.txt -r requirements.txt 'ansible-core==$(CORE).*'
endif
	@$(VENV)/bin/python -m pip list 2>/dev/null | grep -E '^(ansible-core|ansible-lint|cryptography|pytest) '
	touch $@

# The locks: one per line, from the ranges, the holds and the line's ansible-core; uv runs from its own locked venv.
TOOLS_VENV := .venv-tools
$(TOOLS_VENV)/.installed: locks/tools.txt
	rm -rf $(TOOLS_VENV)
	$(PY) -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r locks/tools.txt
	touch $@

lock: $(TOOLS_VENV)/.installed
	$(TOOLS_VENV)/bin/uv pip compile --quiet --generate-hashes --custom-compile-command 'make lock' \
	  $(if $(UPGRADE),--upgrade) --python-version 3.11 locks/tools.in -o locks/tools.txt
	@# The line's ansible-core comes in on stdin (-): a temporary file's name would land in the lock.
	@set -e; for line in $(LINES); do \
	  core=$$(awk -v l="$$line" '$$1 == l {print $$2}' locks/lines.txt); \
	  echo "make lock: locks/py$$line.txt (ansible-core $$core)"; \
	  echo "ansible-core==$$core.*" | $(TOOLS_VENV)/bin/uv pip compile --quiet --generate-hashes \
	    --custom-compile-command 'make lock' $(if $(UPGRADE),--upgrade) --python-version $$line --python-platform linux \
	    -c locks/holds.txt requirements-dev.txt requirements.txt - -o locks/py$$line.txt; \
	done

sanity: setup
	hacking/ansible-test.sh sanity --venv $(SANITY_ARGS)

units: setup
	hacking/with-collection.sh hacking/units.sh $(PYTEST_ARGS)

e2e: setup
	SUITES='tests/simulator/tests tests/e2e' hacking/with-collection.sh hacking/units.sh $(PYTEST_ARGS)

integration: setup
	hacking/with-simulator.sh -- hacking/integration.sh $(INTEGRATION_ARGS)

molecule: setup
	hacking/with-simulator.sh --seed $(DEMO_SEED) -- hacking/with-collection.sh molecule test --all

reliability: setup
	hacking/with-collection.sh hacking/reliability.sh $(RELIABILITY_ARGS)

demo-check: setup
	hacking/demo-check.sh

bench-smoke: setup
	$(VENV)/bin/python bench/run.py --smoke

bench: setup
	$(VENV)/bin/python bench/run.py $(BENCH_ARGS)

lint: setup
	hacking/with-collection.sh ansible-lint --offline $(if $(CI),--nocolor)

changelog-lint: setup
	antsibull-changelog lint

build-check: setup
	hacking/build-check.sh

publish-check: setup
	hacking/publish-check.sh

ee-check: setup
	hacking/ee-check.sh

# Implicit localhost: the play runs with the venv's Python, which has requests. The state file keeps the
# simulated account between runs, so a second make demo reuses the first one's backups and changes nothing.
demo: setup
	@mkdir -p .ansible
	ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false \
	hacking/with-simulator.sh $(if $(wildcard $(DEMO_SEED)),--seed $(DEMO_SEED)) --state $(DEMO_STATE) -- \
	  hacking/with-collection.sh ansible-playbook $(DEMO_PLAYBOOK) $(DEMO_ARGS)

clean:
	rm -rf tests/output tests/integration/inventory tests/integration/integration_config.yml \
	  .ansible .pytest_cache changelogs/.plugin-cache.yaml composeio-dbaas-*.tar.gz
	find . -path ./.git -prune -o -path './.venv*' -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf .venv .venv-*
