# composeio.dbaas: one command to set up and run every check.
#
#   make test                    set up .venv (Python 3.11, ansible-core 2.19) and run every check
#   make test PYTHON=python3.13  the same in .venv-3.13 (ansible-core 2.21)
#   make demo                    back up the simulator's deployments into ./backups with playbooks/backup.yml
#
# The repository root is the collection. ansible-test needs it under .../ansible_collections/composeio/dbaas,
# so hacking/ansible-test.sh runs it on a copy; the other tools see the checkout through
# hacking/with-collection.sh, which makes it the only collection on ANSIBLE_COLLECTIONS_PATH.

PYTHON ?= python3.11
# The real interpreter, never a pyenv shim (shims of non-selected versions exit 127).
PY := $(shell hacking/find-python.sh $(PYTHON) 2>/dev/null)
PYVER := $(if $(PY),$(shell $(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])'))
VENV ?= $(if $(filter 3.11,$(PYVER)),.venv,.venv-$(PYVER))
STAMP := $(VENV)/.installed
# make demo needs only ansible-core and requests, so a first make demo does not wait for the test tools.
DEMO_STAMP := $(VENV)/.demo-installed

export VENV
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# Ansible's collections, caches and temporary files stay in this checkout, never in ~/.ansible.
export ANSIBLE_HOME := $(CURDIR)/.ansible
export ANSIBLE_LINT_SKIP_SCHEMA_UPDATE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Extra arguments for one run, e.g. make units PYTEST_ARGS='-k retry -n auto'.
SANITY_ARGS ?=
PYTEST_ARGS ?=
INTEGRATION_ARGS ?=
RELIABILITY_ARGS ?=
# The demo: a playbook, its extra arguments, and the simulator's seed and state (kept between runs, as an account is).
DEMO_PLAYBOOK ?= playbooks/backup.yml
DEMO_ARGS ?= -e '{"compose_backup_deployments": ["fizz-production", "buzz-cache", "fizz-events", "buzz-queue", "fizz-search"], \
  "compose_backup_max_age": "1h", "compose_backup_poll_interval": 0.5}' -e compose_backup_dest=$(DEMO_DEST)
DEMO_SEED ?= tests/simulator/seeds/demo.json
DEMO_STATE ?= .ansible/demo-simulator-state.json
DEMO_DEST ?= backups
# Extra arguments for make bench, e.g. BENCH_ARGS='--only b1 --sizes 64M' or BENCH_ARGS='--runs 7'.
BENCH_ARGS ?=

.NOTPARALLEL:
.PHONY: help setup test sanity units integration molecule reliability demo-check bench-smoke lint changelog-lint build-check ee-check bench demo clean distclean

help:
	@echo 'make test            setup, then sanity units integration molecule reliability demo-check bench-smoke lint changelog-lint build-check ee-check'
	@echo 'make setup           create $(VENV) from $(or $(PY),$(PYTHON)) and install requirements'
	@echo 'make sanity          ansible-test sanity (every test, compile/import on every Python found)'
	@echo 'make units           pytest tests/unit              (PYTEST_ARGS=...)'
	@echo 'make integration     ansible-test integration against the simulator (INTEGRATION_ARGS=...)'
	@echo 'make molecule        the backup role'"'"'s molecule scenarios against the simulator'
	@echo 'make reliability     the fault matrix, bad input, secrets, hostile servers, TLS, concurrency (RELIABILITY_ARGS=...)'
	@echo 'make demo-check      make demo twice in a temporary folder: the second run must change nothing'
	@echo 'make bench-smoke     a short run of every benchmark under bench/, so they never rot'
	@echo 'make lint            ansible-lint, production profile, offline'
	@echo 'make changelog-lint  antsibull-changelog lint'
	@echo 'make build-check     build, install offline, ansible-doc every plugin'
	@echo 'make ee-check        ansible-builder create and introspect on meta/execution-environment.yml'
	@echo 'make bench           the benchmarks (bench/README.md), results in bench/results/ (BENCH_ARGS=...)'
	@echo 'make demo            $(DEMO_PLAYBOOK) against the simulator, archives in ./backups (DEMO_ARGS=...)'
	@echo 'make clean           remove generated files; make distclean also removes the venvs'
	@echo 'PYTHON=python3.13    use another interpreter (venv .venv-X.Y)'

test: sanity units integration molecule reliability demo-check bench-smoke lint changelog-lint build-check ee-check

setup: $(STAMP)

$(DEMO_STAMP): requirements-dev.txt requirements.txt
	@test -n "$(PY)" || { echo "make: no working interpreter for PYTHON=$(PYTHON)" >&2; exit 1; }
	test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet "$$(grep -E '^ansible-core' requirements-dev.txt)" -r requirements.txt
	touch $@

# Re-installs only when a requirements file changes.
$(STAMP): requirements-dev.txt requirements.txt
	@test -n "$(PY)" || { echo "make: no working interpreter for PYTHON=$(PYTHON)" >&2; exit 1; }
	test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet -r requirements-dev.txt -r requirements.txt
	@$(VENV)/bin/python -m pip list 2>/dev/null | grep -E '^(ansible-core|ansible-lint|antsibull-changelog|pytest) '
	touch $@

sanity: setup
	hacking/ansible-test.sh sanity --venv $(SANITY_ARGS)

units: setup
	hacking/with-collection.sh hacking/units.sh $(PYTEST_ARGS)

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

ee-check: setup
	hacking/ee-check.sh

# Implicit localhost: the play runs with the venv's Python, which has requests. The state file keeps the
# simulated account between runs, so a second make demo reuses the first one's backups and changes nothing.
demo: $(DEMO_STAMP)
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
