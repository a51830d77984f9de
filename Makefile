# The kit's commands. On a fresh machine `make grade` and `make test` are the whole set-up:
# each creates .venv and installs what it needs on first use.

PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
SUBMISSIONS ?= demo_cohort
OUT         ?= grades
JOBS        ?=
FORCE       ?=

.DEFAULT_GOAL := help
.PHONY: help test lint grade skeleton check-skeleton bench clean

help: ## list the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# --- environments -------------------------------------------------------------------
# `grade` needs only the kit (pytest); everything else needs the dev extras.
$(VENV)/.grade-ready: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.dev-ready: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.grade-ready

# --- teaching assistants --------------------------------------------------------------
grade: $(VENV)/.grade-ready ## grade every submission in SUBMISSIONS into OUT (FORCE=1 regrades)
	$(PY) -m adkit.grade "$(SUBMISSIONS)" --out "$(OUT)" $(if $(JOBS),--jobs $(JOBS)) $(if $(FORCE),--force)

# --- instructors -------------------------------------------------------------------------
skeleton: ## regenerate skeleton/ from reference/
	$(PYTHON) -m adkit.skeleton

check-skeleton: ## fail if skeleton/ is stale
	$(PYTHON) -m adkit.skeleton --check

# --- the kit's own checks -----------------------------------------------------------
lint: $(VENV)/.dev-ready ## ruff
	$(PY) -m ruff check .

test: $(VENV)/.dev-ready ## lint, then every test of the kit
	$(PY) -m ruff check .
	$(PY) -m adkit.skeleton --check
	$(PY) -m pytest -n 2 --dist loadgroup

bench: $(VENV)/.dev-ready ## benchmarks: reference vs micrograd
	$(PY) bench/bench_reference.py

clean: ## remove the venv and generated outputs
	rm -rf $(VENV) $(OUT) .pytest_cache
