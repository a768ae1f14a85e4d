# Delivery checks (included by the top-level Makefile):
#   make delivery-check   static checks of Dockerfiles, compose, Kubernetes, Ansible and
#                         Jenkins files (offline); tests/delivery run in `make test`
#   make docker-smoke     build every image and run it (needs root, docker.io, debootstrap)
# The tools live in venvs under .venv-tools/ (gitignored), one per tool family, pinned in
# scripts/ci/requirements/*.txt and rebuilt when their pins change.
TOOLS_DIR := .venv-tools
TOOLS_PYTHON ?= $(PYTHON)

.PHONY: delivery-tools delivery-tools-lint delivery-tools-ansible delivery-tools-checkov \
        delivery-check docker-smoke

$(TOOLS_DIR)/%/.installed: scripts/ci/requirements/%.txt
	rm -rf $(TOOLS_DIR)/$*
	$(TOOLS_PYTHON) -m venv $(TOOLS_DIR)/$*
	set -o pipefail; $(TOOLS_DIR)/$*/bin/pip install -q -r $< 2>&1 | { grep -v "is ignored: it is neither" || true; }
	test -x $(TOOLS_DIR)/$*/bin/python
	touch $@

delivery-tools-lint: $(TOOLS_DIR)/lint/.installed
delivery-tools-ansible: $(TOOLS_DIR)/ansible/.installed
delivery-tools-checkov: $(TOOLS_DIR)/checkov/.installed
delivery-tools: delivery-tools-lint delivery-tools-ansible delivery-tools-checkov

# Static checks only: tests/delivery run as part of `make test`.
delivery-check: delivery-tools dev-venv
	bash scripts/ci/static-checks.sh all

docker-smoke:
	bash scripts/ci/docker-smoke.sh
