# The README's two commands. Both build .venv from the pinned set when it is absent or stale.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-oldest notebooks lint clean

PLUGINS := plugins/quartet-mlx

$(STAMP): pyproject.toml constraints.txt $(PLUGINS:%=%/pyproject.toml)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "quartet needs Python >= 3.11; run e.g. PYTHON=python3.11 make $(MAKECMDGOALS)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[all]' --config-settings editable_mode=compat
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt $(PLUGINS:%=-e %) --config-settings editable_mode=compat
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/quartet doctor
	$(BIN)/quartet train planar
	$(BIN)/quartet check --quick
	$(BIN)/quartet bench --quick
	$(BIN)/quartet report

# One worker per core (pytest-xdist, each test on whichever worker is free); the 20 slowest tests printed, so a
# suite that grows slower shows where.
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist worksteal --durations=20 $(PYTEST_ARGS)

# The notebooks executed in full, plots inline, into docs/notebooks/ (the two on cat images need the course's
# data: QUARTET_DATA_DIR, or ../shared/data/catvnoncat beside this checkout). A few minutes.
notebooks: $(STAMP)
	$(BIN)/python -m conformance.report.notebooks

# The second lane: the oldest releases the ranges admit (constraints-oldest.txt), no TensorFlow, no Keras.
OLDEST := .venv-oldest
$(OLDEST)/.installed: pyproject.toml constraints-oldest.txt
	@test -x $(OLDEST)/bin/python || $(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --disable-pip-version-check -c constraints-oldest.txt -e '.[torch,jax,dev]' --config-settings editable_mode=compat
	@touch $@

test-oldest: $(OLDEST)/.installed
	$(OLDEST)/bin/python -m pytest -n auto --dist worksteal --durations=20 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) $(OLDEST) results .pytest_cache
