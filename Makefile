# Two commands on a fresh machine with only python3 and make:
#   make book   - create .venv, install the package with the book tools, build the site strictly
#   make test   - create .venv, install the package with the book and dev tools, run every test
# Stamp files in .venv/ record what is installed, so re-running does not reinstall; they are
# redone when pyproject.toml changes.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch for the laptop sweep: pin the exact release (an unpinned `torch` pulls a multi-GB CUDA
# build). Override e.g. TORCH_SPEC="torch==2.13.0 --index-url <a CPU-only wheel index>".
TORCH_SPEC ?= torch==2.13.0
PYTEST_ARGS ?=
JOBS ?= 2
# make test shares the tests between TEST_JOBS pytest-xdist workers: a chapter's papermill runs,
# and a module's tests, stay on one worker (tests/xdist_units.py); TEST_JOBS=0: one process.
TEST_JOBS ?= 2
PYTEST_XDIST = -n $(TEST_JOBS) --dist loadscope --no-loadscope-reorder

export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

# Exact versions the book was last built and tested with (make pins rewrites the file).
PIP_INSTALL = $(BIN)/python -m pip install -c constraints.txt

BOOK_BUILD = $(BIN)/jupyter-book build . --toc book/_toc.yml -W -n --keep-going --all
NBSTRIPOUT_KEYS = metadata.papermill cell.metadata.papermill cell.metadata.execution

.PHONY: help venv book test test-fast sweep bench bench-book manifest lint format strip screenshots clean pins

help:
	@echo "make book    build the site strictly into _build/html (creates .venv)"
	@echo "make test    run every test: unit, notebooks (papermill), site (chromium); 2 workers"
	@echo "make test-fast  unit tests only (no notebook runs, no site build)"
	@echo "make sweep   run the laptop training sweep (installs $(TORCH_SPEC))"
	@echo "make bench   Approach 3 benchmark vs peer code (minutes; BENCH_ARGS=... to pass options)"
	@echo "make bench-book  the fast book, serial vs two chapters at a time (BENCH_BOOK_ARGS=...)"
	@echo "make manifest  rewrite data/MANIFEST.sha256 after a deliberate change to a data/ CSV"
	@echo "make lint    ruff check + ruff format --check (Python and notebooks)"
	@echo "make format  ruff format + ruff check --fix"
	@echo "make strip   strip outputs and papermill metadata from notebooks"
	@echo "make pins    rewrite constraints.txt and binder/requirements.txt from .venv"
	@echo "make clean   remove _build and caches (keeps .venv)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

venv: $(BIN)/python

$(VENV)/.stamp-book: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -e ".[book]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3"
	touch $@

$(VENV)/.stamp-dev: pyproject.toml constraints.txt $(VENV)/.stamp-book
	$(PIP_INSTALL) -e ".[book,dev]"
	touch $@

# torch first, pinned, so that resolving `.[sweep]` finds it installed.
$(VENV)/.stamp-torch: | $(BIN)/python
	$(BIN)/python -m pip install $(TORCH_SPEC)
	touch $@

$(VENV)/.stamp-sweep: pyproject.toml constraints.txt $(VENV)/.stamp-torch
	$(PIP_INSTALL) -e ".[sweep]"
	touch $@

# ray for the sweep's Ray backend (--backend ray) and its tests; not needed to train locally.
$(VENV)/.stamp-cluster: pyproject.toml constraints.txt $(VENV)/.stamp-sweep
	$(PIP_INSTALL) -e ".[sweep,cluster]"
	touch $@

book: $(VENV)/.stamp-book
	$(BOOK_BUILD)

# The sweep tests need torch (the pinned CPU build first) and ray (the Ray backend's tests).
test: $(VENV)/.stamp-torch $(VENV)/.stamp-sweep $(VENV)/.stamp-cluster $(VENV)/.stamp-dev
	$(BIN)/python -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

test-fast: $(VENV)/.stamp-dev
	$(BIN)/python -m pytest -m "not notebooks and not site and not sweep and not wheel" $(PYTEST_ARGS)

sweep: $(VENV)/.stamp-sweep
	$(BIN)/python -m chinchilla_utils.sweep --plan book --jobs $(JOBS)

# One run, single-threaded BLAS; Epoch AI's points are found as by the tests (CHINCHILLA_DATA_DIR).
bench: $(VENV)/.stamp-dev
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
		$(BIN)/python -u benchmarks/bench_approach3.py $(BENCH_ARGS)

# The fast book under papermill, serially and two chapters at a time (BENCH_BOOK_ARGS=--cold for
# an empty numba cache, --site to time the strict build too).
bench-book: $(VENV)/.stamp-dev
	$(BIN)/python -u benchmarks/bench_book.py $(BENCH_BOOK_ARGS)

# The SHA-256 of every shipped CSV, checked on load: rewrite it after changing a table on
# purpose, and commit it with the change (the sweep's results are recorded by sweep_meta.json).
manifest: $(VENV)/.stamp-book
	$(BIN)/python -m chinchilla_utils.datasets._files data

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.stamp-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

strip: $(VENV)/.stamp-dev
	$(BIN)/nbstripout --extra-keys "$(NBSTRIPOUT_KEYS)" notebooks/*.ipynb book/*.ipynb

# One PNG per page of the built site (after `make book`), to look at what a reader sees.
screenshots:
	@test -d _build/html || { echo "run 'make book' first"; exit 1; }
	mkdir -p _build/screenshots
	for page in $$(find _build/html/book _build/html/notebooks -name '*.html'); do \
	  name=$$(basename $$page .html); \
	  /usr/bin/chromium --headless --no-sandbox --disable-gpu --no-first-run \
	    --disable-background-networking --disable-component-update --disable-sync \
	    --user-data-dir=$$(mktemp -d) --virtual-time-budget=5000 --hide-scrollbars \
	    --window-size=1280,4000 --screenshot=_build/screenshots/$$name.png \
	    "file://$$(pwd)/$$page" >/dev/null 2>&1; \
	done
	@ls _build/screenshots

# After a deliberate dependency change: pin what .venv has now (constraints.txt, binder/).
pins: $(VENV)/.stamp-dev
	$(BIN)/python tools/update_pins.py

clean:
	rm -rf _build .pytest_cache .ruff_cache build dist *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
