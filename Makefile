# Backprop, Step by Step: set-up, build and tests.
#   make book   build the web book into _build/html (sets everything up first)
#   make test   the same set-up, then every test
#   make lab    JupyterLab on the repository
#   make clean  remove the build
#   make exercises, make grade SUBMISSIONS=...   (see README)

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HTML := _build/html
CACHE := _build/.jupyter_cache
NBVAL := $(BIN)/pytest -p no:cacheprovider --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg
NOTEBOOKS := chapters solutions

.PHONY: book test unit nbval browser venv nbgrader-venv vendor lab clean lock bench bench-build execute exercises grade

# The virtualenv, made anew when requirements or the package metadata change.
$(INSTALLED): requirements.txt constraints.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

venv: $(INSTALLED)

# nbgrader, test-only, in a virtualenv of its own (see requirements-nbgrader.txt).
NBG := .nbgrader-venv
NBG_INSTALLED := $(NBG)/.installed
$(NBG_INSTALLED): requirements-nbgrader.txt constraints.txt pyproject.toml
	@test -x $(NBG)/bin/python || $(PYTHON) -m venv $(NBG)
	$(NBG)/bin/python -m pip install --quiet --upgrade pip
	$(NBG)/bin/python -m pip install --quiet -r requirements-nbgrader.txt
	touch $@

nbgrader-venv: $(NBG_INSTALLED)

# Web assets (require.js, the widget manager, MathJax) from the npm registry,
# at pinned versions and hashes; skipped when already there.
vendor: $(INSTALLED)
	$(BIN)/python scripts/vendor_assets.py

# Warnings are errors. Notebooks run through jupyter-cache: unchanged notebooks
# are not executed again. The cache is keyed on the notebooks only, so when the
# helper package changes it is cleared and every page re-read (--all, a fresh
# Sphinx environment), or pages would keep outputs made with the old package.
# A changed static file needs --all too, or Sphinx keeps the old copy.
book: $(INSTALLED) vendor
	@mkdir -p _build; all=""; \
	if [ -d $(CACHE) ] && [ -n "$$(find backprop_book constraints.txt -newer $(CACHE)/.package -print -quit 2>/dev/null || echo stale)" ]; then \
	  echo "helper package changed: clearing the execution cache"; rm -rf $(CACHE); all="--all"; fi; \
	if [ ! -f $(HTML)/.built ] || [ -n "$$(find assets _ext _config.yml _toc.yml -newer $(HTML)/.built -print -quit)" ]; then all="--all"; fi; \
	start=$$SECONDS; \
	( set -x; $(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going $$all ) && \
	echo "book built in $$((SECONDS - start)) s$${all:+ (all pages)}"
	@mkdir -p $(CACHE) && touch $(CACHE)/.package $(HTML)/.built

unit: $(INSTALLED) $(NBG_INSTALLED)
	NBGRADER_REQUIRED=1 $(BIN)/pytest -p no:cacheprovider tests --ignore=tests/test_browser.py

# Every stored output of the chapters and solutions must reproduce, twice in a row.
nbval: $(INSTALLED)
	$(NBVAL) $(NOTEBOOKS)
	$(NBVAL) $(NOTEBOOKS)

browser: book
	BOOK_REQUIRED=1 $(BIN)/pytest -p no:cacheprovider tests/test_browser.py

test: book unit nbval browser

# Re-execute notebooks and store their outputs (all of them, or NB=path ...).
execute: $(INSTALLED)
	$(BIN)/python scripts/execute.py $(or $(NB),$(wildcard chapters/*.ipynb solutions/*.ipynb))

# The exercise notebooks, generated from the solutions (the single source).
exercises: $(INSTALLED)
	$(BIN)/python scripts/make_exercises.py

# Grade submissions into a gradebook: make grade SUBMISSIONS="path/to/*.ipynb"
GRADES ?= grades
grade: $(INSTALLED)
	@test -n "$(SUBMISSIONS)" || { echo 'usage: make grade SUBMISSIONS="path/to/*.ipynb" [GRADES=folder]'; exit 2; }
	$(BIN)/python -m backprop_book.grade --json $(GRADES)/gradebook.json --csv $(GRADES)/gradebook.csv $(SUBMISSIONS)

lab: $(INSTALLED)
	$(BIN)/jupyter lab $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# Rewrite constraints.txt from the installed environment (after changing a pin).
lock: $(INSTALLED)
	@{ head -n 3 constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -v '^-e'; } > constraints.tmp && mv constraints.tmp constraints.txt

# The reference network against PyTorch (printed, never asserted). torch is an
# optional extra of the benchmark only, pinned exactly: a looser pin pulls the
# CUDA build, gigabytes of it.
TORCH := torch==2.13.0
bench: $(INSTALLED)
	@$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python benchmarks/train_digits.py

# Clean build, rebuild and test times (printed, never asserted).
bench-build: $(INSTALLED) vendor
	$(BIN)/python benchmarks/build_times.py

clean:
	rm -rf _build grades
