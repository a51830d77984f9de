# The kit's commands. On a fresh machine `make grade` and `make test` are the whole set-up:
# each creates .venv and installs what it needs on first use.

PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
SUBMISSIONS ?= demo_cohort
OUT         ?= grades
JOBS        ?=
FORCE       ?=
ONLY        ?=
ZIP_TIMEZONE ?=
TRUSTED     ?=
THRESHOLD   ?= 60
POLICY      ?=

.DEFAULT_GOAL := help

# A misspelled variable on the command line (SUBMISSION=..., JOB=1) must not be ignored:
# make would silently grade the demo cohort. Every variable a target reads is listed here.
KNOWN_VARIABLES := PYTHON VENV PY SUBMISSIONS OUT JOBS FORCE ONLY ZIP_TIMEZONE TRUSTED THRESHOLD \
	POLICY SHARDS CPUS SECRET_FILE MINUTES PARTITION \
	COURSE_DIR ASSIGNMENT EXCHANGE COURSE_DB REPORTS STRICT NAME COHORT
GIVEN_VARIABLES := $(foreach w,$(MAKEOVERRIDES),$(if $(findstring =,$(w)),$(firstword \
	$(subst =, ,$(subst :=,=,$(subst ::=,=,$(w)))))))
UNKNOWN_VARIABLES := $(filter-out $(KNOWN_VARIABLES),$(GIVEN_VARIABLES))
ifneq ($(UNKNOWN_VARIABLES),)
$(error $(shell $(PYTHON) -c 'import difflib, sys; known = sys.argv[2].split(); \
	said = [n + next((f": did you mean {k}?" for k in [k for k in known if k.lower() == \
	n.lower()] + difflib.get_close_matches(n.upper(), known, 1, 0.6)), "") \
	for n in sys.argv[1].split()]; print("unknown variable " + "; unknown variable ".join(said) \
	+ " (known: " + ", ".join(known) + "; see make help)")' \
	'$(UNKNOWN_VARIABLES)' '$(KNOWN_VARIABLES)'))
endif
.PHONY: help test test-fast test-sandbox lint grade grades similarity skeleton check-skeleton bench clean

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
	@touch $@ $(VENV)/.grade-ready $(VENV)/.course-ready

# --- teaching assistants --------------------------------------------------------------
grade: $(VENV)/.grade-ready ## grade every submission in SUBMISSIONS into OUT (FORCE=1 regrades; ONLY=id,prefix regrades those; TRUSTED=1 without an isolating sandbox)
	$(if $(POLICY),ADKIT_COURSE_POLICY="$(POLICY)") $(PY) -m adkit.cohort "$(SUBMISSIONS)" --out "$(OUT)" $(if $(JOBS),--jobs $(JOBS)) $(if $(FORCE),--force) $(if $(ONLY),--only "$(ONLY)" --force) $(if $(ZIP_TIMEZONE),--zip-timezone "$(ZIP_TIMEZONE)") $(if $(TRUSTED),--trusted)

grades: $(VENV)/.grade-ready ## apply the course policy to OUT's stored results, no regrading: gradebook, feedback, grade log, Canvas/Moodle files (POLICY=course file)
	$(PY) -m adkit.outputs "$(OUT)" $(if $(POLICY),--policy "$(POLICY)")

similarity: $(VENV)/.grade-ready ## compare every pair of students in SUBMISSIONS: OUT/similarity.html, pairs at THRESHOLD% or more
	$(PY) -m adkit.similarity "$(SUBMISSIONS)" --out "$(OUT)" --threshold "$(THRESHOLD)"

# Slurm (docs/scaling.md): SHARDS array tasks of CPUS cores each, then a merge job into OUT.
SHARDS      ?= 4
CPUS        ?= 8
SECRET_FILE ?=
MINUTES     ?=
PARTITION   ?=
.PHONY: slurm-grade
slurm-grade: $(VENV)/.grade-ready ## grade SUBMISSIONS on Slurm in SHARDS tasks of CPUS cores, merged into OUT (SECRET_FILE=: the secret, mode 0600)
	$(PY) -m adkit.cluster slurm "$(SUBMISSIONS)" --out "$(OUT)" --shards "$(SHARDS)" \
		--cpus "$(CPUS)" $(if $(SECRET_FILE),--secret-file "$(SECRET_FILE)") \
		$(if $(MINUTES),--time "$(MINUTES)") $(if $(PARTITION),--partition "$(PARTITION)") \
		$(if $(TRUSTED),--trusted)

# --- instructors -------------------------------------------------------------------------
skeleton: ## regenerate skeleton/ from reference/
	$(PYTHON) -m adkit.authoring.skeleton

check-skeleton: ## fail if skeleton/ is stale
	$(PYTHON) -m adkit.authoring.skeleton --check

# The test cohort (docs/cohort.md): a bug is its base plus a diff; edit a built copy, then
# write its diff back. demo_cohort/ is built from the cohorts.
NAME   ?=
COHORT ?= tests/cohort
.PHONY: demo cohort-edit cohort-diff
demo: $(VENV)/.dev-ready ## rebuild demo_cohort/ from the test cohorts (after changing a correct solution)
	$(PY) -m tests.helpers.demo

cohort-edit: $(VENV)/.dev-ready ## build NAME of COHORT (tests/cohort, tests/hostile) into build/cohort/NAME to edit
	@test -n "$(NAME)" || { echo "make cohort-edit NAME=bug_<task>_<what> [COHORT=tests/hostile]"; exit 2; }
	rm -rf "build/cohort/$(NAME)"
	$(PY) -m tests.helpers.cohorts build "$(COHORT)" build/cohort "$(NAME)"

cohort-diff: $(VENV)/.dev-ready ## write COHORT/diffs/NAME.diff from the edited build/cohort/NAME
	@test -n "$(NAME)" || { echo "make cohort-diff NAME=bug_<task>_<what> [COHORT=tests/hostile]"; exit 2; }
	$(PY) -m tests.helpers.cohorts diff "$(COHORT)" "$(NAME)" "build/cohort/$(NAME)"

# --- the kit's own checks -----------------------------------------------------------
lint: $(VENV)/.dev-ready ## ruff
	$(PY) -m ruff check .

# Three layers (tests/conftest.py): tests/unit (in-process, no process started), tests/sandbox
# (a real sandbox or subprocess per test), tests/e2e (whole runs). CI runs `make test`.
test: $(VENV)/.dev-ready ## lint, then every test of the kit, all three layers (what CI runs)
	$(PY) -m ruff check .
	$(PY) -m adkit.authoring.skeleton --check
	$(PY) -m adkit.authoring.course --check
	$(PY) -m pytest -n 2 --dist loadgroup

test-fast: $(VENV)/.dev-ready ## the unit layer but its slow tests, in-process (under 30 s on 2 cores): after each change
	$(PY) -m pytest tests/unit -m "not slow" -n 2 -q -p no:hypothesispytest

test-sandbox: $(VENV)/.dev-ready ## the sandbox layer: every backend that runs here, one student at a time
	$(PY) -m pytest tests/sandbox -n 2 --dist loadgroup -q

bench: $(VENV)/.dev-ready ## benchmarks: reference vs micrograd
	$(PY) bench/bench_reference.py
	$(PY) bench/bench_cohort.py

clean: ## remove the venv and generated outputs
	rm -rf $(VENV) $(OUT) .pytest_cache

# --- the nbgrader course (docs/course.md) ------------------------------------------------
# Thin wrappers over nbgrader's commands, run in COURSE_DIR with its nbgrader_config.py.
COURSE_DIR ?= assignments
ASSIGNMENT ?= autodiff
EXCHANGE   ?= $(abspath $(COURSE_DIR))/exchange
COURSE_DB  ?= sqlite:///$(abspath $(COURSE_DIR))/gradebook.db
REPORTS    ?= $(abspath $(COURSE_DIR))/reports
STRICT     ?=
# nbgrader runs `alembic` and `jupyter` from PATH: the venv's bin comes first. Student code
# runs only in the kit's sandbox (autograde too); TRUSTED=1 runs it without one, marked.
COURSE_ENV  = PATH="$(abspath $(dir $(PY))):$$PATH" ADKIT_EXCHANGE="$(EXCHANGE)" \
	ADKIT_COURSE_DB="$(COURSE_DB)" PYTHONDONTWRITEBYTECODE=1 ADKIT_TRUSTED="$(TRUSTED)"
NBGRADER    = cd "$(COURSE_DIR)" && $(COURSE_ENV) "$(abspath $(PY))" -m nbgrader
CHORES      = $(COURSE_ENV) $(PY) -m adkit.platforms.course_chores --course-dir "$(COURSE_DIR)" \
	--assignment $(ASSIGNMENT) $(if $(TRUSTED),--trusted)
.PHONY: course-generate course-release course-collect course-autograde course-feedback \
	course-export course-crosscheck course-feedback-sandboxed

$(VENV)/.course-ready: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[course]'
	@touch $@ $(VENV)/.grade-ready

course-generate: $(VENV)/.course-ready ## regenerate the course's source notebooks from reference/
	$(PY) -m adkit.authoring.course --course-dir "$(COURSE_DIR)"

course-release: $(VENV)/.course-ready ## nbgrader generate_assignment + release_assignment
	$(NBGRADER) generate_assignment $(ASSIGNMENT) --force
	@mkdir -p "$(EXCHANGE)"
	$(NBGRADER) release_assignment $(ASSIGNMENT) --force

course-collect: $(VENV)/.course-ready ## nbgrader collect (the newest submission of each student), then seal them (digests)
	$(NBGRADER) collect $(ASSIGNMENT) --update
	$(CHORES) seal

course-autograde: $(VENV)/.course-ready ## nbgrader autograde, each cell in the sandbox, then a table of every submission (FORCE=1, STRICT=1, TRUSTED=1)
	$(CHORES) autograde $(if $(FORCE),--force) $(if $(STRICT),--strict)

course-feedback: $(VENV)/.course-ready ## nbgrader generate_feedback + release_feedback
	$(NBGRADER) generate_feedback $(ASSIGNMENT) --force
	$(NBGRADER) release_feedback $(ASSIGNMENT)

course-export: $(VENV)/.course-ready ## nbgrader export to REPORTS/nbgrader_grades.csv
	@mkdir -p "$(REPORTS)"
	$(NBGRADER) export --to="$(REPORTS)/nbgrader_grades.csv"

course-crosscheck: $(VENV)/.course-ready ## sandboxed grades of the submitted notebooks vs nbgrader, task by task (SUSPECTs first)
	$(CHORES) crosscheck --out "$(REPORTS)/crosscheck"

course-feedback-sandboxed: $(VENV)/.course-ready ## release the sandboxed feedback (the score that counts) through nbgrader's exchange
	$(CHORES) feedback-sandboxed --out "$(REPORTS)/crosscheck"

# --- proofs of the graders (docs/proofs.md) ---------------------------------------------
.PHONY: coverage mutation gradescope

coverage: $(VENV)/.dev-ready ## line+branch coverage of the reference's solution regions by the graders
	$(PY) -m adkit.proofs.coverage_check --fail-under 100

mutation: $(VENV)/.dev-ready ## mutation testing of the reference (report: docs/mutation-report.md)
	$(PY) -m adkit.proofs.mutation --jobs 2 --report docs/mutation-report.md

gradescope: $(VENV)/.grade-ready ## build the Gradescope autograder, build/gradescope/autograder.zip
	$(PY) -m adkit.platforms.gradescope build
