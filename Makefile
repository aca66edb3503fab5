# The README's two commands: `make run` (set up, build ./storyline.db from the bundled demo corpus, print the
# stories) and `make test` (set up, run the whole test suite). Both work on a fresh clone with python3, pip, apt.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
DB     ?= storyline.db
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-12)

.PHONY: setup run test test-fast bench chromium axe postgres clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# torch first, pinned, so pip takes the CPU build on disk instead of a multi-GB CUDA one
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[all,test]'
	rm -f $(VENV)/.installed-*
	touch $@

run: setup
	rm -f $(DB) $(DB)-wal $(DB)-shm
	$(VENV)/bin/storyline --db $(DB) ingest storyline/demo/corpus
	$(VENV)/bin/storyline --db $(DB) outlets import storyline/demo/outlets.toml
	$(VENV)/bin/storyline --db $(DB) stories --limit 0

# chromium for the browser tests: Debian's package (never `playwright install`)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# PostgreSQL for the store's tests: Debian's package (the tests run its initdb/postgres on a temporary data directory
# and a loopback port as the postgres user, tests/pg_server.py; STORYLINE_TEST_PG=postgresql://… uses a server instead)
postgres:
	@[ -n "$$STORYLINE_TEST_PG" ] || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; }

# axe-core (accessibility engine, MPL-2.0) for the browser tests' scans: the npm package, into .cache/ (not committed)
AXE_VERSION := 4.14.1
AXE_JS      := .cache/axe-core/node_modules/axe-core/axe.min.js
axe: $(AXE_JS)

$(AXE_JS):
	@command -v npm >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm >/dev/null; }
	npm install --silent --no-save --no-audit --no-fund --prefix .cache/axe-core axe-core@$(AXE_VERSION)

test: setup chromium axe postgres
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(PY) -m pytest

test-fast: setup postgres
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(PY) -m pytest -m "not slow and not browser"

# benchmarks (results under bench/out/); one line per stage
bench: setup
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(PY) bench/run.py  # clustering: eval both sets x profiles, scale 101k
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(PY) bench/bench_ingest.py  # ingest throughput, copies on/off
	$(PY) bench/bench_view.py --spacy  # story view of a 200-article story (rules, spaCy cold and cached)
	$(PY) bench/bench_dedup.py --n 1000000  # near-duplicate index over 1M generated articles
	$(PY) bench/bench_load.py --concurrency 50 --duration 15  # 50 concurrent readers against storyline serve

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .cache $(DB) $(DB)-wal $(DB)-shm
