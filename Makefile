# Two commands on a fresh clone: `make crawl SOURCE=abc` and `make test`.
# Each creates .venv and installs the pinned dependencies on first use.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SOURCE ?=
START_URLS ?=
ARCHIVE_URI ?= ./archive
REPLAY ?=
SINCE ?=
UNTIL ?=
WARC ?=
DOMAINS ?=
PYTEST_ARGS ?=
# Distributed mode (README "Many workers, many machines"): on when REDIS_URL is set.
REDIS_URL ?=
WORKERS ?= 1

ROUNDS ?= 12

.PHONY: crawl crawl-all upload-spool worker reprocess test torture extract eval bench bench-growth clean-venv help

help:
	@echo "make crawl SOURCE=abc [START_URLS='URL ...'] [ARCHIVE_URI=./archive|s3://bucket/prefix]"
	@echo "make crawl SOURCE=abc REPLAY=file.warc.gz   crawl from a WARC instead of the network"
	@echo "make crawl SOURCE=abc REDIS_URL=redis://host:6379/0 WORKERS=N   one crawl, N local workers"
	@echo "make worker SOURCE=abc REDIS_URL=redis://host:6379/0            join it from another machine"
	@echo "make crawl-all        crawl every source in crawler/sources/"
	@echo "make upload-spool [SOURCE=abc]   upload what this machine spooled, crawl nothing"
	@echo "make reprocess SOURCE=abc [SINCE=YYYY-MM-DD] [UNTIL=YYYY-MM-DD] [WARC='path-or-s3-url ...'] [DOMAINS='example.com ...']"
	@echo "make test             run the test suite (starts its own servers)"
	@echo "make eval DATA=path   score extraction on the benchmark sets [OUT=evaluation/results.json]"
	@echo "make bench [N=2000] [DATA=../shared/eval] [OUT=benchmarks/results.json] [LEDGER_ROWS=100000]"
	@echo "make bench-growth     memory of a 2,000- and a 50,000-page crawl (about 15 minutes)"

$(VENV)/.runtime: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	touch $@

crawl: $(VENV)/.runtime
	@test -n "$(SOURCE)" || { echo "make crawl: SOURCE is required, e.g. make crawl SOURCE=abc" >&2; exit 2; }
	ARCHIVE_URI="$(ARCHIVE_URI)" START_URLS="$(START_URLS)" REPLAY="$(REPLAY)" REDIS_URL="$(REDIS_URL)" \
		$(PY) -m crawler "$(SOURCE)" --workers "$(WORKERS)"

# Rebuild articles from the raw WARC archive (or foreign WARC files), offline.
reprocess: $(VENV)/.runtime
	@test -n "$(SOURCE)" || { echo "make reprocess: SOURCE is required, e.g. make reprocess SOURCE=abc" >&2; exit 2; }
	ARCHIVE_URI="$(ARCHIVE_URI)" $(PY) -m pipelines.reprocess "$(SOURCE)" \
		$(if $(SINCE),--since "$(SINCE)") $(if $(UNTIL),--until "$(UNTIL)") \
		$(foreach w,$(WARC),--warc "$(w)") $(foreach d,$(DOMAINS),--domain "$(d)")

worker: $(VENV)/.runtime
	@test -n "$(SOURCE)" || { echo "make worker: SOURCE is required, e.g. make worker SOURCE=abc REDIS_URL=redis://10.0.0.5:6379/0" >&2; exit 2; }
	@test -n "$(REDIS_URL)" || { echo "make worker: REDIS_URL is required, e.g. REDIS_URL=redis://10.0.0.5:6379/0" >&2; exit 2; }
	REDIS_URL="$(REDIS_URL)" $(PY) -m crawler.distributed worker "$(SOURCE)"

crawl-all: $(VENV)/.runtime
	ARCHIVE_URI="$(ARCHIVE_URI)" $(PY) -m crawler --all

# Upload what this machine spooled (archive outages) without crawling; every source without SOURCE.
upload-spool: $(VENV)/.runtime
	ARCHIVE_URI="$(ARCHIVE_URI)" $(PY) -m crawler $(if $(SOURCE),"$(SOURCE)",--all) --upload-spool

# pytest exits 5 when it collected no tests: for CI that is a failure, not a pass.
test: $(VENV)/.dev
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: no tests were collected" >&2; exit 1; fi; exit $$rc

# Fail before building anything when DATA is missing.
ifneq ($(filter eval,$(MAKECMDGOALS)),)
ifeq ($(strip $(DATA)),)
$(error make eval: DATA is required, e.g. make eval DATA=../shared/eval)
endif
endif

eval: $(VENV)/.dev
	$(PY) -m evaluation.run --data "$(DATA)" --out "$(or $(OUT),evaluation/results.json)"

# kill -9 at random moments and an S3 outage; reports lost / duplicated / partial (minutes).
torture: $(VENV)/.dev
	$(PY) -m reliability.torture --rounds $(ROUNDS)

# Throughput, CPU, memory: the pipeline against a plain trafilatura loop (minutes).
N ?= 2000
LEDGER_ROWS ?= 100000
bench: $(VENV)/.dev
	$(PY) -m benchmarks.run --pages $(N) $(if $(DATA),--data "$(DATA)") \
		--out "$(or $(OUT),benchmarks/results.json)" --ledger-rows $(LEDGER_ROWS)

# Memory as a crawl grows: peaks of a 2,000- and a 50,000-page crawl, and the growth.
bench-growth: $(VENV)/.dev
	$(PY) -m benchmarks.growth --out "$(or $(OUT),benchmarks/growth.json)"

clean-venv:
	rm -rf $(VENV)
