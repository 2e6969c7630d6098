# One command per loop: `make run`, `make test`, `make lint`; `make help` lists every target.
#
# Set-up is shared and incremental: `venv-runtime` creates .venv and installs requirements.txt
# (the runtime lock: what `make run` and `make serve` need), `venv` that and
# requirements-test.txt (tests and ruff); each is skipped while its locks are unchanged (a stamp
# file records the last install). `sysdeps`
# makes sure Graphviz's dot is there, `sysdeps-browser` dot, Chromium and a Korean font (the
# page in Korean); `assets` installs the
# page's npm packages (KaTeX, esbuild) from package-lock.json with `npm ci`, again only when the lock
# changes, and bundles the page's modules into one script. A new target names
# the set-up it needs and calls tools from $(BIN); its `## text` is what `make help` shows:
#
#     bench: venv assets sysdeps  ## Time the engine on large graphs
#     	$(BIN)/python -m backprop_viz.bench
#
# Kept to GNU make 3.81 (macOS's /usr/bin/make): no .ONESHELL, no !=, no .SHELLFLAGS.

PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
WORKERS ?=
FUZZ_EXAMPLES ?= 10000
LOAD_SECONDS ?= 30

# `make serve` listens on 8000 unless PORT is given (5000 is the Flask development server's).
SERVE_PORT := $(if $(filter file,$(origin PORT)),8000,$(PORT))

BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
TEST_STAMP := $(VENV)/.requirements-test-installed
ASSETS_STAMP := node_modules/.package-lock-installed
BUNDLE := static/build/page.js

# The browser the browser tests drive; set BROWSER_PATH to use another Chromium or Chrome.
ifeq ($(shell uname -s),Darwin)
BROWSER_PATH ?= /Applications/Chromium.app/Contents/MacOS/Chromium
else
BROWSER_PATH ?= /usr/bin/chromium
endif
export BROWSER_PATH

.DEFAULT_GOAL := help
.PHONY: help run test lint clean serve wheel fuzz load bench venv venv-runtime assets sysdeps \
	sysdeps-browser sysdeps-load

help:  ## List the targets
	@awk -F':.*## ' '/^[a-z][a-z-]*:.*## /{printf "  make %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: venv-runtime assets sysdeps  ## Set up (runtime only), then serve the app at http://127.0.0.1:5000
	$(BIN)/python -m flask --app app run --host $(HOST) --port $(PORT)

test: venv assets sysdeps-browser  ## Set up (Chromium too), then run the whole suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv  ## ruff check over the repository
	$(BIN)/ruff check .

serve: venv-runtime assets sysdeps  ## Serve with gunicorn at http://127.0.0.1:8000 (HOST, PORT, WORKERS)
	$(BIN)/python -m backprop_viz serve --host $(HOST) --port $(SERVE_PORT) \
	  $(if $(WORKERS),--workers $(WORKERS))

wheel: venv-runtime assets  ## Build the wheel into dist/ (it carries the page and KaTeX)
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .

fuzz: venv assets sysdeps  ## Fuzz /api/trace and the engine, FUZZ_EXAMPLES (10000) per test
	BACKPROP_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
	  $(BIN)/python -m pytest tests/test_fuzz.py -s $(PYTEST_ARGS)

load: venv assets sysdeps-load  ## Load gunicorn on loopback with wrk, 32 clients, LOAD_SECONDS (30); MIX=expensive
	$(BIN)/python tools/load.py --seconds $(LOAD_SECONDS) $(if $(WORKERS),--workers $(WORKERS)) \
	  $(if $(MIX),--mix $(MIX))

bench: venv assets sysdeps  ## Stages, requests, sizes, browser steps; vs torchviz with TORCHVIZ_PYTHON=…
	$(if $(TORCHVIZ_PYTHON),TORCHVIZ_PYTHON="$(TORCHVIZ_PYTHON)" )$(BIN)/python tools/bench.py

clean:  ## Remove .venv, caches and build output
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .hypothesis shots build dist *.egg-info \
	  static/build
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# ---- Python: .venv with exactly what the locks pin -----------------------------------------

venv-runtime: $(STAMP)

venv: $(STAMP) $(TEST_STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "Need Python 3.11 or newer as '$(PYTHON)'; install it or run e.g." \
	    "make PYTHON=python3.11 ..." >&2; exit 1; }
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || ! command -v apt-get >/dev/null 2>&1 || { \
	  echo "Installing python3-venv with apt-get"; $(call apt_install,python3-venv); }
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }

# --no-deps, then pip check: a dependency missing from requirements.txt fails here, loudly.
$(STAMP): requirements.txt | $(BIN)/python
	@echo "Installing requirements.txt into $(VENV)"
	$(BIN)/python -m pip install --quiet --no-deps -r requirements.txt
	@$(BIN)/python -m pip check || { \
	  echo "requirements.txt must pin every dependency: add the ones named above" >&2; exit 1; }
	@touch $@

$(TEST_STAMP): requirements.txt requirements-test.txt | $(BIN)/python
	@echo "Installing requirements-test.txt into $(VENV)"
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-test.txt
	@$(BIN)/python -m pip check || { \
	  echo "requirements-test.txt must pin every dependency: add the ones named above" >&2; \
	  exit 1; }
	@touch $@

# ---- The page's npm packages: exactly what package-lock.json records ----------------------------

assets: $(ASSETS_STAMP) $(BUNDLE)

$(ASSETS_STAMP): package-lock.json
	@command -v npm >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || { \
	  echo "Installing npm with apt-get"; $(call apt_install,nodejs npm); }
	@command -v npm >/dev/null 2>&1 || [ "$$(uname -s)" != Darwin ] || \
	  ! command -v brew >/dev/null 2>&1 || brew install node
	@command -v npm >/dev/null 2>&1 || { \
	  echo "npm is missing. Install Node.js with npm (Debian/Ubuntu: apt-get install nodejs npm;" \
	    "macOS: brew install node; elsewhere: https://nodejs.org/) and run make again." >&2; \
	  exit 1; }
	@echo "Installing package-lock.json into node_modules"
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The page's modules as one script (tools/bundle.py; esbuild came with the npm packages), again
# whenever a module changes. The server serves it only while it matches static/js.
$(BUNDLE): $(ASSETS_STAMP) $(wildcard static/js/*.js)
	$(PYTHON) tools/bundle.py

# ---- System tools: Graphviz's dot, Chromium, wrk ----------------------------------------------

sysdeps:
	@$(call ensure_tools,dot)

sysdeps-browser:
	@$(call ensure_tools,dot chromium cjk)

sysdeps-load:
	@$(call ensure_tools,dot wrk)

# apt-get as root, or through sudo.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

# $(call apt_install,PACKAGES): one apt-get update, then one non-interactive install.
apt_install = \
	{ [ -z "$(SUDO)" ] || command -v sudo >/dev/null 2>&1 || { \
	  echo "Not root and no sudo: as root, run apt-get install $(1)" >&2; exit 1; }; } && \
	$(SUDO) apt-get update -q && \
	$(SUDO) env DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -q --no-install-recommends $(1)

# $(call ensure_tools,TOOLS): make sure each of TOOLS (dot, chromium, wrk, cjk: a font with Korean
# glyphs, fonts-noto-cjk) is present. What is
# missing is installed with apt-get (Debian/Ubuntu) or Homebrew (macOS: dot, wrk); anything missing
# after that is named, with how to get it, and the target fails.
ensure_tools = \
	apt=; brew=; \
	for tool in $(1); do case $$tool in \
	  dot) command -v dot >/dev/null 2>&1 || { apt="$$apt graphviz"; brew="$$brew graphviz"; }; \
	    [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || \
	      apt="$$apt fonts-dejavu-core";; \
	  chromium) [ -x "$(BROWSER_PATH)" ] || [ "$(BROWSER_PATH)" != /usr/bin/chromium ] || \
	    apt="$$apt chromium";; \
	  wrk) command -v wrk >/dev/null 2>&1 || { apt="$$apt wrk"; brew="$$brew wrk"; };; \
	  cjk) fc-list :lang=ko 2>/dev/null | grep -q . || apt="$$apt fonts-noto-cjk";; \
	esac; done; \
	if [ -n "$$apt" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing$$apt with apt-get"; $(call apt_install,$$apt) || exit 1; \
	elif [ -n "$$brew" ] && [ "$$(uname -s)" = Darwin ] && command -v brew >/dev/null 2>&1; then \
	  echo "Installing$$brew with Homebrew"; brew install $$brew || exit 1; \
	fi; \
	for tool in $(1); do case $$tool in \
	  dot) command -v dot >/dev/null 2>&1 || { \
	    echo "Graphviz's dot is missing. Install Graphviz (Debian/Ubuntu: apt-get install" \
	      "graphviz fonts-dejavu-core; macOS: brew install graphviz; elsewhere:" \
	      "https://graphviz.org/download/) and run make again." >&2; exit 1; };; \
	  chromium) [ -x "$(BROWSER_PATH)" ] || { \
	    echo "No browser at BROWSER_PATH=$(BROWSER_PATH). Install Chromium (Debian:" \
	      "apt-get install chromium; macOS: brew install --cask chromium) or point" \
	      "BROWSER_PATH at a Chromium or Chrome binary, e.g. make test" \
	      "BROWSER_PATH='/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'." >&2; \
	    exit 1; };; \
	  wrk) command -v wrk >/dev/null 2>&1 || { \
	    echo "wrk is missing. Install it (Debian/Ubuntu: apt-get install wrk; macOS:" \
	      "brew install wrk; elsewhere: https://github.com/wg/wrk) and run make again." >&2; \
	    exit 1; };; \
	esac; done
