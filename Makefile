# gardencity — one Makefile installs everything a fresh Debian machine needs.
#   make demo   install, build the demo city, assess it, write the report
#   make test   install, lint (ruff, import contracts), type-check (mypy), build the docs, run every test
#   make docs   the documentation with the API reference from the docstrings (docs/_build/html)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
DEMO_SIZE ?= M
DEMO_DIR ?= demo
APT_PACKAGES := fonts-noto-cjk fonts-arphic-ukai postgresql-15 postgresql-15-postgis-3 postgis nodejs chromium poppler-utils libreoffice-writer-nogui openssl libjpeg-turbo-progs
PYTEST_WORKERS ?= 2

.PHONY: install demo test lint typecheck docs pytest bench bench-xl bench-measures bench-batch bench-campaign bench-office bench-map clean

install: $(STAMPS)/apt $(STAMPS)/python $(STAMPS)/npm

$(STAMPS)/apt: Makefile
	@mkdir -p $(STAMPS)
	@if dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
	  echo "Debian packages already present: $(APT_PACKAGES)"; \
	else \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(APT_PACKAGES); \
	fi
	@# Debian's nodejs needs its npm package; NodeSource's nodejs carries npm (and conflicts with it)
	@command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends npm
	@touch $@

$(STAMPS)/python: pyproject.toml Makefile
	@mkdir -p $(STAMPS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e ".[all]" --group dev --group docs
	@touch $@

# Front-end libraries (Leaflet, ECharts, axe-core) from npm, served by the app from node_modules.
$(STAMPS)/npm: package.json package-lock.json $(STAMPS)/apt
	@mkdir -p $(STAMPS)
	npm ci --no-audit --no-fund
	@touch $@

demo: install
	$(BIN)/gardencity demo-city --size $(DEMO_SIZE) $(DEMO_DIR)/city --force
	$(BIN)/gardencity assess $(DEMO_DIR)/city --out $(DEMO_DIR)/out
	@echo "Report: $(abspath $(DEMO_DIR)/out/report.html)"
	$(BIN)/gardencity serve $(DEMO_DIR)/city --assessment $(DEMO_DIR)/out

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports --no-cache

# The documentation, API pages generated from the docstrings; any warning fails the build.
docs: install
	$(BIN)/sphinx-build -W --keep-going -q -E -b html docs docs/_build/html

typecheck: install
	$(BIN)/mypy

# The tests start their own PostgreSQL/PostGIS server and stop it afterwards, whatever happens;
# the workers take the files in the order tests/conftest.py gives (the slow ones first), and
# the run ends with its 30 slowest tests and their times.
pytest: install
	@pgdir=$$(mktemp -d /tmp/gardencity-pg.XXXXXX); chmod 755 $$pgdir; \
	url=$$(scripts/pg-test-server start $$pgdir/pg auto) || exit 1; \
	echo "PostgreSQL/PostGIS test server: $$url"; \
	trap 'scripts/pg-test-server stop $$pgdir/pg; rm -rf $$pgdir' EXIT; \
	GARDENCITY_TEST_POSTGRES_URL=$$url $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=30 $(PYTEST_ARGS)

# the checks side by side (each uses one core; their output kept together), then the tests
test: install
	$(MAKE) --no-print-directory -j 3 --output-sync=target lint typecheck docs
	$(MAKE) --no-print-directory pytest

bench: install
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.assess_sizes
	$(BIN)/python -m benchmarks.office_files

# The 1,500 km² demo city XL (370,000 residential parcels, a 1 m canopy raster of 1.6 G pixels):
# generated once into benchmarks/cache (a few minutes, measured), then `gardencity assess` end to
# end beside its floor; records wall time, CPU time, peak memory and output sizes in
# benchmarks/results/assess_sizes.json (BENCH_ARGS: e.g. --repeat 3). Not part of `make bench`.
bench-xl: install
	$(BIN)/python -m benchmarks.assess_sizes XL $(or $(BENCH_ARGS),--repeat 1)

# The slow measures on L (median of 3 runs, beside their previous code and the golden scorecard)
# and their peers (exactextract, the naive overlay, pandana); records
# benchmarks/results/measures.json (BENCH_ARGS: e.g. M --repeat 5 --only green_space_ratio)
bench-measures: install
	$(BIN)/python -m benchmarks.measures $(or $(BENCH_ARGS),L)

# assess-batch of 20 M cities on a 2-worker LocalCluster vs 1 worker; records benchmarks/results/batch.json
bench-batch: install
	$(BIN)/python -m benchmarks.batch

# Load run of the campaign server (PostgreSQL, uvicorn, wrk); records benchmarks/results/campaign_load.json
$(STAMPS)/wrk:
	@mkdir -p $(STAMPS)
	@command -v wrk >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk; }
	@touch $@

bench-campaign: install $(STAMPS)/wrk
	$(BIN)/python -m benchmarks.campaign_load

# A campaign office's use: 20 clients (reads, filings with photos, transitions, public reports)
# for 60 s on SQLite (FULL, and NORMAL for comparison) and PostgreSQL; records
# benchmarks/results/office_load.json (BENCH_ARGS: e.g. --seconds 20 --backends sqlite)
bench-office: install
	$(BIN)/python -m benchmarks.office_load $(BENCH_ARGS)

# The map on the L demo city in Chromium: first map, and each heavy layer switched on from its
# vector tiles (the GeoJSON path on M beside it); records benchmarks/results/map_tiles.json
# (BENCH_ARGS: e.g. --size M --geojson "" --repeat 3)
bench-map: install
	$(BIN)/python -m benchmarks.map_tiles $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(STAMPS) $(DEMO_DIR) node_modules test-artifacts .pytest_cache .mypy_cache .ruff_cache docs/_build docs/api
