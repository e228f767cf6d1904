# RustStack: `make run` starts it on 127.0.0.1:4566, `make test` runs the tests.
# Both set up what they need first (a virtualenv in .venv; as root, the Debian
# packages and DynamoDB Local) and are quick when it is already there.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export RUSTSTACK_CACHE_DIR ?= $(HOME)/.cache/ruststack

.PHONY: run test bench deploy-example deps system-deps dynamodb-local lambda-image lint clean

run: deps
	$(VENV)/bin/twistd --nodaemon --pidfile= ruststack $(ARGS)

test: deps
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: deps
	$(PY) -m bench $(ARGS)

# Deploy the Flask example to a running RustStack (`make run` in another shell).
deploy-example: $(STAMP)
	$(PY) examples/flask_app/deploy.py $(ARGS)

deps: system-deps $(STAMP) dynamodb-local

system-deps:
	@scripts/install-system-deps.sh

$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	# compat mode: a PEP 660 editable install hides twisted/plugins from twistd.
	$(PY) -m pip install --quiet --config-settings editable_mode=compat -e '.[docker,test,bench]'
	# Regenerate twistd's plugin cache now rather than on first use.
	$(PY) -c "from twisted.plugin import IPlugin, getPlugins; list(getPlugins(IPlugin))"
	touch $(STAMP)

dynamodb-local: $(STAMP)
	@scripts/install-dynamodb-local.sh "$(RUSTSTACK_CACHE_DIR)"

lambda-image: $(STAMP)
	@scripts/build-lambda-image.sh

# ruff and mypy come with the test extra, which the stamp installs.
lint: $(STAMP)
	$(VENV)/bin/ruff check ruststack tests bench
	$(VENV)/bin/mypy ruststack tests bench

clean:
	rm -rf $(VENV) build *.egg-info
