# The two commands of the README: `make up` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export NST_STORAGE_DIR ?= persistent_storage
export TF_CPP_MIN_LOG_LEVEL ?= 1
export NST_MODEL_SOURCE ?= https://raw.githubusercontent.com/ml5js/ml5-data-and-models/main/models/style-transfer

.PHONY: up test lint bootstrap venv dev-venv bench clean

$(BIN)/.runtime: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(BIN)/.dev: $(BIN)/.runtime requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

venv: $(BIN)/.runtime
dev-venv: $(BIN)/.dev

bootstrap: venv
	$(BIN)/python -m nst_core.importer --storage "$(NST_STORAGE_DIR)" --source "$(NST_MODEL_SOURCE)"

# Runs every service in the foreground; Ctrl-C / SIGTERM stops them all (honcho).
up: bootstrap
	@mkdir -p .run; \
	if [ -z "$${NST_ADMIN_TOKEN:-}" ]; then \
	  [ -s .run/admin-token ] || $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(24))' > .run/admin-token; \
	  export NST_ADMIN_TOKEN="$$(cat .run/admin-token)"; \
	  echo "Admin token for the fine-tuning service (:8005) is in .run/admin-token"; \
	fi; \
	exec $(BIN)/honcho start -f Procfile

lint: dev-venv
	$(BIN)/ruff check .

# delivery-tools-lint: the tests of the Kubernetes and Jenkins files need kubectl, groovy-parser.
test: dev-venv lint delivery-tools-lint
	$(BIN)/python -m pytest

bench: venv
	$(BIN)/python bench/stylize_latency.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artefacts

# Delivery: Dockerfiles, compose, Kubernetes, Ansible, Jenkins checks and the image smoke test.
include mk/delivery.mk
