# The two commands of the README:  make dashboard  (the app on the shipped model)  and  make test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8501

.PHONY: install dashboard test test-fast lint browser bench clean wheel docs docs-build

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dashboard,dev]"
	touch $(STAMP)

install: $(STAMP)

# two malloc arenas for the server's many threads (less resident memory; `cnnviz dashboard` does the same)
dashboard: $(STAMP)
	MALLOC_ARENA_MAX=$${MALLOC_ARENA_MAX:-2} $(BIN)/streamlit run dashboards/app.py --server.port $(PORT) --server.headless true

# a wheel for another machine: dist/cnnviz-<version>-py3-none-any.whl (hatchling, from the dev extra)
wheel: $(STAMP)
	$(BIN)/python -m pip wheel --quiet --no-deps --no-build-isolation -w dist .

# Debian's Chromium for the real-browser tests (Playwright cannot download its own browser here),
# and poppler-utils (pdftoppm) so the report test renders the PDF's pages.
browser:
	@{ command -v chromium && command -v pdftoppm; } >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium and poppler-utils for the browser and report tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium poppler-utils >/dev/null; }

# the tests run in as many processes as the machine has cores (at most 4: each holds a TensorFlow), one test file
# per process at a time, the longest files first (conftest.py: LONGEST_FILES)
PYTEST := $(BIN)/python -m pytest -n auto --maxprocesses=4 --dist loadfile --no-loadscope-reorder

test: $(STAMP) browser
	$(BIN)/ruff check cnnviz dashboards tests bench scripts
	$(PYTEST)  # tests/test_architecture.py checks the import layers (import-linter's contract, in-process)

# the edit loop: ruff + every test not marked slow or browser (conftest.py names the slow files)
test-fast: $(STAMP)
	$(BIN)/ruff check cnnviz dashboards tests bench scripts
	$(PYTEST) -m "not slow and not browser" -q

# the documentation site (mkdocs-material + mkdocstrings, from the dev extra): served on http://127.0.0.1:8000
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs serve

# built as CI builds it: --strict, so a broken link or API reference is an error (tests/test_docs.py does the same)
docs-build: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict --site-dir "$$(mktemp -d)"

bench: $(STAMP)
	$(BIN)/python bench/train_vs_tutorial.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache dist
