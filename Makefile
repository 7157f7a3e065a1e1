# pg_kafka developer and CI harness.
#
#   make run       foreground broker (Ctrl-C stops)
#   make up/down   background broker (idempotent)
#   make restart   restart the cluster of PGDATA
#   make install   build and install the release extension
#   make test      everything CI runs
#   make bench     benchmarks against the `make up` cluster, one JSON line per scenario
#   make crash-test  SIGKILL the broker under load N times (N=100) and check nothing acked is lost
#   make fuzz      the decoder fuzz test with more iterations (FUZZ_ITERS)
#   make corpus    recapture the fuzz corpus (core/tests/corpus) from every client family
#
# A fresh Debian 12 machine (as root, or a user with sudo) goes from clone to `make test`:
# the deps target installs what is missing and is quick when everything is there.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

export PATH := $(HOME)/.cargo/bin:$(PATH)

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
PGBIN ?= /usr/lib/postgresql/15/bin
PGRX_HOME ?= $(HOME)/.pgrx

# Development cluster (make run/up/down/restart/bench).
PGPORT ?= 5433
PG_KAFKA_PORT ?= 9092
PGDATA ?= $(CURDIR)/target/pgdata
PG_KAFKA_LOG_CACHE_SIZE ?= 256MB

# Test cluster (make test): its own data, ports and log, so it never meets a running `make up`.
TEST_PGDATA ?= $(CURDIR)/target/pgdata-test
TEST_PGPORT ?= 5434
TEST_KAFKA_PORT ?= 19092
PGRX_TEST_DATA ?= $(CURDIR)/target/pgrx-test-data

# Crash-test cluster (make crash-test): its own data and ports; N crashes (make test runs 10).
CRASH_PGDATA ?= $(CURDIR)/target/pgdata-crash
CRASH_PGPORT ?= 5435
CRASH_KAFKA_PORT ?= 19095
N ?= 100
FUZZ_ITERS ?= 10000000

# Corpus-capture cluster (make corpus): clients reach it through a recording proxy whose port it
# advertises.
CAPTURE_PGDATA ?= $(CURDIR)/target/pgdata-capture
CAPTURE_PGPORT ?= 5436
CAPTURE_KAFKA_PORT ?= 19096
CAPTURE_PROXY_PORT ?= 19097

APT_PACKAGES := postgresql-15 postgresql-server-dev-15 libclang-dev clang pkg-config libssl-dev \
	cmake kcat librdkafka-dev sudo
CARGO_PGRX_VERSION := 0.18.1

IS_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo yes)
ifeq ($(IS_ROOT),yes)
SUDO :=
PGRX_SUDO :=
PGRX_TEST_ARGS := --runas postgres --pgdata $(PGRX_TEST_DATA)
else
SUDO := sudo
PGRX_SUDO := --sudo
PGRX_TEST_ARGS :=
endif

CLUSTER := $(CURDIR)/scripts/cluster.sh
DEV_ENV := PGBIN=$(PGBIN) PGDATA=$(PGDATA) PGPORT=$(PGPORT) PG_KAFKA_PORT=$(PG_KAFKA_PORT) \
	PG_KAFKA_LOG_CACHE_SIZE=$(PG_KAFKA_LOG_CACHE_SIZE)
TEST_ENV := PGBIN=$(PGBIN) PGDATA=$(TEST_PGDATA) PGPORT=$(TEST_PGPORT) PG_KAFKA_PORT=$(TEST_KAFKA_PORT) \
	PG_KAFKA_LOG_CACHE_SIZE=$(PG_KAFKA_LOG_CACHE_SIZE)
CRASH_ENV := PGBIN=$(PGBIN) PGDATA=$(CRASH_PGDATA) PGPORT=$(CRASH_PGPORT) PG_KAFKA_PORT=$(CRASH_KAFKA_PORT) \
	PG_KAFKA_LOG_CACHE_SIZE=$(PG_KAFKA_LOG_CACHE_SIZE)
CAPTURE_ENV := PGBIN=$(PGBIN) PGDATA=$(CAPTURE_PGDATA) PGPORT=$(CAPTURE_PGPORT) \
	PG_KAFKA_PORT=$(CAPTURE_KAFKA_PORT) PG_KAFKA_ADVERTISED_PORT=$(CAPTURE_PROXY_PORT) \
	PG_KAFKA_LOG_CACHE_SIZE=$(PG_KAFKA_LOG_CACHE_SIZE)
INSTALLED_SO := $(shell $(PG_CONFIG) --pkglibdir 2>/dev/null || echo /usr/lib/postgresql/15/lib)/pg_kafka.so

.PHONY: help deps apt-deps pgrx-deps install run up down restart status test fmt-check clippy \
	core-test pgrx-test blackbox bench build-tests clean-clusters clients client-test compat \
	crash-test fuzz corpus

help:
	@sed -n '3,11p' $(firstword $(MAKEFILE_LIST)) | sed 's/^# \{0,1\}//'

## ---- installation -------------------------------------------------------------------------

deps: apt-deps pgrx-deps

apt-deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

pgrx-deps: apt-deps
	@if ! cargo pgrx --version 2>/dev/null | grep -q ' $(CARGO_PGRX_VERSION)$$'; then \
		cargo install cargo-pgrx --version $(CARGO_PGRX_VERSION) --locked; \
	fi
	@if ! grep -qs '^pg15' $(PGRX_HOME)/config.toml; then \
		cargo pgrx init --pg15 $(PG_CONFIG); \
	fi

install: deps
	cargo pgrx install --release --pg-config $(PG_CONFIG) $(PGRX_SUDO)

# `make up` reuses an installed extension; `make install` refreshes it.
$(INSTALLED_SO):
	$(MAKE) install

## ---- development cluster --------------------------------------------------------------------

run: install
	$(DEV_ENV) $(CLUSTER) run

up: deps $(INSTALLED_SO)
	$(DEV_ENV) $(CLUSTER) start

down:
	$(DEV_ENV) $(CLUSTER) stop

restart:
	$(DEV_ENV) $(CLUSTER) restart

status:
	$(DEV_ENV) $(CLUSTER) status

## ---- tests ----------------------------------------------------------------------------------

test: deps
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo test -p pg_kafka_core
	$(MAKE) pgrx-test
	$(MAKE) install
	$(MAKE) blackbox
	$(MAKE) crash-test N=10

fmt-check:
	cargo fmt --all --check

clippy:
	cargo clippy --workspace --all-targets -- -D warnings

core-test:
	cargo test -p pg_kafka_core

# Installs a debug, pg_test-featured build into Postgres' directories: `make install` must follow.
# pgrx copies the library over the installed one in place; unlinking it first gives the copy a new
# inode, so a running `make up` cluster keeps its mapped code instead of crashing.
pgrx-test: deps
	$(SUDO) rm -f $(INSTALLED_SO)
ifeq ($(IS_ROOT),yes)
	$(CLUSTER) prep-dir $(PGRX_TEST_DATA)
endif
	cargo pgrx test pg15 $(PGRX_TEST_ARGS)

build-tests:
	cargo test -p pg_kafka_tests --no-run

# Black-box tests on a fresh test cluster; the cluster stops and its log is checked even when
# tests fail.
blackbox: build-tests clients
	@$(TEST_ENV) $(CLUSTER) stop || true
	@rm -rf $(TEST_PGDATA)
	@rc=0; \
	if $(TEST_ENV) $(CLUSTER) start; then \
		export PG_KAFKA_BOOTSTRAP=127.0.0.1:$(TEST_KAFKA_PORT) \
		PG_KAFKA_PGURL=postgresql://postgres@127.0.0.1:$(TEST_PGPORT)/postgres \
		PG_KAFKA_RESTART_CMD="$(TEST_ENV) $(CLUSTER) restart" \
		PG_KAFKA_SERVER_LOG=$(TEST_PGDATA)/server.log; \
		mkdir -p $(COMPAT_DIR); rm -f $(COMPAT_DIR)/rdkafka.rc; \
		cargo test -p pg_kafka_tests --no-fail-fast || rc=$$?; \
		echo $$rc > $(COMPAT_DIR)/rdkafka.rc; \
		$(MAKE) --no-print-directory client-test || rc=$$?; \
	else \
		rc=1; \
	fi; \
	$(TEST_ENV) $(CLUSTER) stop || rc=1; \
	$(TEST_ENV) $(CLUSTER) check-log || rc=1; \
	exit $$rc

# Python (pytest in a venv) and Node (node --test) client tests live in tests/clients; their
# packages are pinned there (requirements.txt, package-lock.json). Quick when already installed.
CLIENTS := $(CURDIR)/tests/clients
COMPAT_DIR := $(CURDIR)/target/compat
# Sarama (Go) from Debian's packages, built offline in GOPATH mode: no module proxy needed.
SARAMA_BIN := $(CURDIR)/target/compat-go/sarama-compat
GO_OFFLINE := GO111MODULE=off GOFLAGS= GOPROXY=off GOPATH=$(CLIENTS)/go:/usr/share/gocode \
	GOCACHE=$(CURDIR)/target/compat-go/cache

clients: $(CLIENTS)/.venv/.installed $(CLIENTS)/node_modules/.installed $(SARAMA_BIN)

$(CLIENTS)/.venv/.installed: $(CLIENTS)/requirements.txt
	@python3 -c 'import ensurepip' 2>/dev/null || { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv; }
	python3 -m venv $(CLIENTS)/.venv
	$(CLIENTS)/.venv/bin/pip install -q -r $<
	@touch $@

$(CLIENTS)/node_modules/.installed: $(CLIENTS)/package.json $(CLIENTS)/package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm; }
	cd $(CLIENTS) && npm ci --no-audit --no-fund
	@touch $@

$(SARAMA_BIN): $(wildcard $(CLIENTS)/go/src/pgkafkacompat/*.go)
	@{ command -v go >/dev/null && [ -d /usr/share/gocode/src/github.com/Shopify/sarama ]; } || { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y golang-go golang-github-shopify-sarama-dev; }
	cd $(CLIENTS)/go && $(GO_OFFLINE) go build -o $@ pgkafkacompat 2>&1 | { grep -v -e 'DataDog/zstd' -e 'deprecated' -e 'cgo-gcc-prolog' -e 'zstd.h' -e 'note: declared' -e '^ *[0-9]* |' -e '^ *|' || true; }
	@test -x $@

# The client tests against PG_KAFKA_BOOTSTRAP (blackbox sets it; else the `make up` cluster).
# Both suites run; either failing fails the target.
client-test: clients
	@export PG_KAFKA_BOOTSTRAP=$${PG_KAFKA_BOOTSTRAP:-127.0.0.1:$(PG_KAFKA_PORT)}; rc=0; \
	cd $(CLIENTS); \
	.venv/bin/pytest -q -p no:cacheprovider || rc=1; \
	node --test node/ || rc=1; \
	$(MAKE) --no-print-directory -C $(CURDIR) compat || rc=1; \
	exit $$rc

# The client compatibility matrix: each client family runs every scenario against
# PG_KAFKA_BOOTSTRAP and writes target/compat/<client>.jsonl; merge_compat.py regenerates
# docs/compatibility.md and fails when a scenario expected to work did not.
compat: clients
	@export PG_KAFKA_BOOTSTRAP=$${PG_KAFKA_BOOTSTRAP:-127.0.0.1:$(PG_KAFKA_PORT)} PG_KAFKA_COMPAT_DIR=$(COMPAT_DIR); \
	mkdir -p $(COMPAT_DIR); rm -f $(COMPAT_DIR)/*.jsonl; \
	cd $(CLIENTS); \
	timeout 1200 .venv/bin/python python/compat_kcat.py > $(COMPAT_DIR)/kcat.log 2>&1 || true; \
	timeout 1200 .venv/bin/python python/compat_confluent.py > $(COMPAT_DIR)/confluent.log 2>&1 || true; \
	timeout 1200 .venv/bin/python python/compat_kafka_python.py > $(COMPAT_DIR)/kafka-python.log 2>&1 || true; \
	timeout 1200 node node/compat_kafkajs.js > $(COMPAT_DIR)/kafkajs.log 2>&1 || true; \
	timeout 1200 $(SARAMA_BIN) > $(COMPAT_DIR)/sarama.log 2>&1 || true; \
	.venv/bin/python merge_compat.py

# The crash harness (recovery/) on a fresh cluster of its own. The failpoints live in a build with
# the `failpoints` feature, and Postgres has one install location: this target installs that
# build, runs the harness, and always reinstalls the normal release build at the end (a cluster
# started meanwhile from the installed library would carry the failpoints until restarted).
# The harness SIGKILLs the worker and the postmaster, so the usual server-log check does not apply;
# the harness checks the log itself (only its own SIGKILLs, no other signal, no PANIC).
crash-test: deps
	cargo pgrx install --release --features failpoints --pg-config $(PG_CONFIG) $(PGRX_SUDO)
	cargo build -p pg_kafka_tests --bin crash_harness
	@$(CRASH_ENV) $(CLUSTER) stop || true
	@rm -rf $(CRASH_PGDATA)
	@rc=0; \
	if $(CRASH_ENV) $(CLUSTER) start; then \
		PG_KAFKA_BOOTSTRAP=127.0.0.1:$(CRASH_KAFKA_PORT) \
		PG_KAFKA_PGURL=postgresql://postgres@127.0.0.1:$(CRASH_PGPORT)/postgres \
		PG_KAFKA_CRASH_PGDATA=$(CRASH_PGDATA) \
		PG_KAFKA_RESTART_CMD="$(CRASH_ENV) $(CLUSTER) start" \
		PG_KAFKA_CRASHES=$(N) PG_KAFKA_CRASH_FAILPOINTS=1 PG_KAFKA_CRASH_LIBRARY=$(INSTALLED_SO) \
			$(CURDIR)/target/debug/crash_harness || rc=$$?; \
	else \
		rc=1; \
	fi; \
	$(CRASH_ENV) $(CLUSTER) stop || rc=1; \
	$(MAKE) --no-print-directory install || rc=1; \
	exit $$rc

# The decoder fuzz test, longer than the bounded run in `make test`.
fuzz:
	PG_KAFKA_FUZZ_ITERS=$(FUZZ_ITERS) cargo test --release -p pg_kafka_core --test fuzz_decode -- --nocapture

# Recapture core/tests/corpus/*.frames (the fuzz seeds) from every client family, through a
# recording proxy, on a cluster of its own. The frames are committed; `make test` only reads them.
corpus: deps clients $(INSTALLED_SO)
	cargo build -p pg_kafka_tests --bin capture_frames
	@$(CAPTURE_ENV) $(CLUSTER) stop || true
	@rm -rf $(CAPTURE_PGDATA)
	@rc=0; \
	if $(CAPTURE_ENV) $(CLUSTER) start; then \
		CLIENTS=$(CLIENTS) CAPTURE_BIN=$(CURDIR)/target/debug/capture_frames \
		CORPUS=$(CURDIR)/core/tests/corpus PROXY_PORT=$(CAPTURE_PROXY_PORT) \
		KAFKA_PORT=$(CAPTURE_KAFKA_PORT) SARAMA_BIN=$(SARAMA_BIN) LOG_DIR=$(CURDIR)/target/capture \
			$(CURDIR)/scripts/capture_corpus.sh || rc=$$?; \
	else \
		rc=1; \
	fi; \
	$(CAPTURE_ENV) $(CLUSTER) stop || rc=1; \
	$(CAPTURE_ENV) $(CLUSTER) check-log || rc=1; \
	exit $$rc

## ---- benchmarks -----------------------------------------------------------------------------

# Runs against the development cluster (PGPORT / PG_KAFKA_PORT), starting it if needed.
bench: up
	cargo build --release -p pg_kafka_tests --bin pg_kafka_bench
	PG_KAFKA_BOOTSTRAP=127.0.0.1:$(PG_KAFKA_PORT) \
	PG_KAFKA_PGURL=postgresql://postgres@127.0.0.1:$(PGPORT)/postgres \
	PG_KAFKA_RESTART_CMD="$(DEV_ENV) $(CLUSTER) restart" \
		$(CURDIR)/target/release/pg_kafka_bench

clean-clusters:
	-$(DEV_ENV) $(CLUSTER) stop
	-$(TEST_ENV) $(CLUSTER) stop
	-$(CRASH_ENV) $(CLUSTER) stop
	-$(CAPTURE_ENV) $(CLUSTER) stop
	rm -rf $(PGDATA) $(TEST_PGDATA) $(PGRX_TEST_DATA) $(CRASH_PGDATA) $(CAPTURE_PGDATA)
