# pg_kafka developer and CI harness.
#
#   make run       foreground broker (Ctrl-C stops)
#   make up/down   background broker (idempotent)
#   make restart   restart the cluster of PGDATA
#   make install   build and install the release extension
#   make test      everything CI runs
#   make bench     benchmarks against the `make up` cluster, one JSON line per scenario
#   make bench-peers  pg_kafka, Apache Kafka and Tansu side by side, one JSON line per pair
#   make crash-test  SIGKILL the broker under load N times (N=100) and check nothing acked is lost
#   make fuzz      the decoder fuzz test with more iterations (FUZZ_ITERS)
#   make corpus    recapture the fuzz corpus (core/tests/corpus) from every client family
#   make abuse     the hostile-client tests at full size on a cluster of their own
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
# `make up` also opens SASL_PLAINTEXT, SSL and SASL_SSL listeners on loopback (a throwaway CA
# under $(PGDATA)/kafka-tls) to try logins and for the security benchmark.
DEV_SASL_PORT ?= 9093
DEV_SSL_PORT ?= 9094
DEV_SASL_SSL_PORT ?= 9095
TEST_PGDATA ?= $(CURDIR)/target/pgdata-test
TEST_PGPORT ?= 5434
TEST_KAFKA_PORT ?= 19092
TEST_SASL_PORT ?= 19093
TEST_SSL_PORT ?= 19094
TEST_SASL_SSL_PORT ?= 19090
PGRX_TEST_DATA ?= $(CURDIR)/target/pgrx-test-data

# Crash-test cluster (make crash-test): its own data and ports; N crashes (make test runs 10).
CRASH_PGDATA ?= $(CURDIR)/target/pgdata-crash
CRASH_PGPORT ?= 5435
CRASH_KAFKA_PORT ?= 19095
N ?= 100
FUZZ_ITERS ?= 10000000

# Abuse cluster (make abuse): the hostile-client tests at the sizes reported against the broker.
ABUSE_PGDATA ?= $(CURDIR)/target/pgdata-abuse
ABUSE_PGPORT ?= 5438
ABUSE_KAFKA_PORT ?= 19099
ABUSE_ENV := PGBIN=$(PGBIN) PGDATA=$(ABUSE_PGDATA) PGPORT=$(ABUSE_PGPORT) PG_KAFKA_PORT=$(ABUSE_KAFKA_PORT) \
	PG_KAFKA_LOG_CACHE_SIZE=$(PG_KAFKA_LOG_CACHE_SIZE)

# The side-by-side benchmark (make bench-peers): pg_kafka on a cluster of its own, Apache Kafka
# (two KRaft nodes in turn, each on PORT and PORT+1, the fsync one on PORT+2 and PORT+3) and Tansu,
# whose PostgreSQL storage is a database of the pg_kafka cluster.
PEERS_PGDATA ?= $(CURDIR)/target/pgdata-peers
PEERS_PGPORT ?= 5440
PEERS_PG_KAFKA_PORT ?= 19110
PEERS_KAFKA_PORT ?= 19112
PEERS_TANSU_PORT ?= 19116
PEERS_ROUNDS ?= 2
TANSU_VERSION := 0.6.0
TANSU_BIN := $(CURDIR)/target/peers/tansu/bin/tansu
# Tansu's crates.io package lacks its PostgreSQL schema; the shared peers directory carries it.
TANSU_SCHEMA ?= $(abspath $(CURDIR)/../shared/peers/tansu-$(TANSU_VERSION)/010-schema.sql)

# A second, empty cluster the black-box tests may start (a restore target for the backup test).
SPARE_PGDATA ?= $(CURDIR)/target/pgdata-spare
SPARE_PGPORT ?= 5437
SPARE_KAFKA_PORT ?= 19098

# Corpus-capture cluster (make corpus): clients reach it through a recording proxy whose port it
# advertises.
CAPTURE_PGDATA ?= $(CURDIR)/target/pgdata-capture
CAPTURE_PGPORT ?= 5436
CAPTURE_KAFKA_PORT ?= 19096
CAPTURE_PROXY_PORT ?= 19097
CAPTURE_SASL_PORT ?= 19100
CAPTURE_SASL_PROXY_PORT ?= 19101
# `make corpus CAPTURE_FAMILIES="franz-go kafka-go"` recaptures only those families.
CAPTURE_FAMILIES ?=

APT_PACKAGES := postgresql-15 postgresql-server-dev-15 libclang-dev clang pkg-config libssl-dev \
	cmake kcat libcurl4-openssl-dev libzstd-dev zlib1g-dev g++ sudo openssl
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
	PG_KAFKA_SASL_PORT=$(DEV_SASL_PORT) PG_KAFKA_SSL_PORT=$(DEV_SSL_PORT) \
	PG_KAFKA_SASL_SSL_PORT=$(DEV_SASL_SSL_PORT) PG_KAFKA_LOG_CACHE_SIZE=$(PG_KAFKA_LOG_CACHE_SIZE)
# The test cluster checks ACLs; PLAINTEXT clients (ANONYMOUS) are super users, logins get what
# each test grants.
TEST_ENV := PGBIN=$(PGBIN) PGDATA=$(TEST_PGDATA) PGPORT=$(TEST_PGPORT) PG_KAFKA_PORT=$(TEST_KAFKA_PORT) \
	PG_KAFKA_AUTHORIZATION=on PG_KAFKA_SUPER_USERS=User:ANONYMOUS \
	PG_KAFKA_SASL_PORT=$(TEST_SASL_PORT) PG_KAFKA_SSL_PORT=$(TEST_SSL_PORT) \
	PG_KAFKA_SASL_SSL_PORT=$(TEST_SASL_SSL_PORT) PG_KAFKA_LOG_CACHE_SIZE=$(PG_KAFKA_LOG_CACHE_SIZE)
CRASH_ENV := PGBIN=$(PGBIN) PGDATA=$(CRASH_PGDATA) PGPORT=$(CRASH_PGPORT) PG_KAFKA_PORT=$(CRASH_KAFKA_PORT) \
	PG_KAFKA_LOG_CACHE_SIZE=$(PG_KAFKA_LOG_CACHE_SIZE)
CAPTURE_ENV := PGBIN=$(PGBIN) PGDATA=$(CAPTURE_PGDATA) PGPORT=$(CAPTURE_PGPORT) \
	PG_KAFKA_AUTHORIZATION=on PG_KAFKA_SUPER_USERS=User:ANONYMOUS \
	PG_KAFKA_PORT=$(CAPTURE_KAFKA_PORT) PG_KAFKA_ADVERTISED_PORT=$(CAPTURE_PROXY_PORT) \
	PG_KAFKA_SASL_PORT=$(CAPTURE_SASL_PORT) PG_KAFKA_SASL_ADVERTISED_PORT=$(CAPTURE_SASL_PROXY_PORT) \
	PG_KAFKA_LOG_CACHE_SIZE=$(PG_KAFKA_LOG_CACHE_SIZE)
EXTENSION_DIR := $(shell $(PG_CONFIG) --sharedir 2>/dev/null || echo /usr/share/postgresql/15)/extension
INSTALLED_SO := $(shell $(PG_CONFIG) --pkglibdir 2>/dev/null || echo /usr/lib/postgresql/15/lib)/pg_kafka.so

.PHONY: abuse help deps apt-deps pgrx-deps install run up down restart status test fmt-check clippy \
	core-test pgrx-test blackbox bench build-tests clean-clusters clients client-test compat \
	crash-test fuzz corpus java-clients go-clients bench-peers

help:
	@sed -n '3,13p' $(firstword $(MAKEFILE_LIST)) | sed 's/^# \{0,1\}//'

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

# Also the install scripts of earlier versions (sql/versions), so upgrades can be tested from
# them: CREATE EXTENSION pg_kafka VERSION '0.1.0', then ALTER EXTENSION pg_kafka UPDATE.
install: deps
	cargo pgrx install --release --pg-config $(PG_CONFIG) $(PGRX_SUDO)
	$(SUDO) install -m 644 sql/versions/*.sql $(EXTENSION_DIR)/

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

# librdkafka's own integration tests run by blackbox (scripts/librdkafka_tests.sh). Of 0081
# (admin), the subtests of ACLs and authorized operations; its others that fail here expect
# broker and group configs and SCRAM passwords set through Kafka (see docs/compatibility.md).
LIBRDKAFKA_TESTS ?= 0011,0081:Acls,0081:DescribeTopics,0081:DescribeCluster,0081:DescribeConsumerGroups

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
		PG_KAFKA_SASL_BOOTSTRAP=127.0.0.1:$(TEST_SASL_PORT) \
		PG_KAFKA_SSL_BOOTSTRAP=127.0.0.1:$(TEST_SSL_PORT) \
		PG_KAFKA_SASL_SSL_BOOTSTRAP=127.0.0.1:$(TEST_SASL_SSL_PORT) \
		PG_KAFKA_TLS_DIR=$(TEST_PGDATA)/kafka-tls \
		PG_KAFKA_PGURL=postgresql://postgres@127.0.0.1:$(TEST_PGPORT)/postgres \
		PG_KAFKA_RESTART_CMD="$(TEST_ENV) $(CLUSTER) restart" \
		PG_KAFKA_SERVER_LOG=$(TEST_PGDATA)/server.log \
		PG_KAFKA_CLUSTER_SCRIPT=$(CLUSTER) PGBIN=$(PGBIN) PG_KAFKA_SCRATCH=$(CURDIR)/target \
		PG_KAFKA_SPARE_PGDATA=$(SPARE_PGDATA) PG_KAFKA_SPARE_PGPORT=$(SPARE_PGPORT) \
		PG_KAFKA_SPARE_KAFKA_PORT=$(SPARE_KAFKA_PORT); \
		mkdir -p $(COMPAT_DIR); rm -f $(COMPAT_DIR)/rdkafka.rc; \
		cargo test -p pg_kafka_tests --no-fail-fast || rc=$$?; \
		LIBRDKAFKA_TESTS=$(LIBRDKAFKA_TESTS) scripts/librdkafka_tests.sh || rc=$$?; \
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

# The JVM matrix (tests/clients/java: the Java client 4.4.0 and 3.9, Kafka's tools, Streams and
# Connect 4.4.0) builds with Maven into a local repository under target/m2. Dependencies are
# resolved online once per pom (the stamp below); every later build runs offline (mvn -o).
JAVA_DIR := $(CLIENTS)/java
JAVA_BUILD := $(CURDIR)/target/compat-java
M2 := $(CURDIR)/target/m2
MVN := mvn -B -q -Dstyle.color=never -Dmaven.repo.local=$(M2) -Dcompat.build.dir=$(JAVA_BUILD)
JAVA_RESOLVED := $(M2)/.resolved
JAVA_JAR := $(JAVA_BUILD)/pg-kafka-compat-jvm-1.jar
JAVA_RUN = java -cp $(JAVA_JAR):$$(cat $(JAVA_BUILD)/classpath.txt)
JAVA39_RUN = java -cp $(JAVA_BUILD)/classes:$$(cat $(JAVA_BUILD)/classpath-3.9.txt)
# The Go matrix (tests/clients/go: franz-go with kadm, IBM/sarama, segmentio/kafka-go) is a Go
# module; its modules download into target/go-mod once per go.sum, builds run with GOPROXY=off.
GO_DIR := $(CLIENTS)/go
GO_BUILD := $(CURDIR)/target/compat-go
GO_ENV := GOMODCACHE=$(CURDIR)/target/go-mod GOCACHE=$(GO_BUILD)/cache GOFLAGS=-mod=readonly GOTOOLCHAIN=local
GO_DOWNLOADED := $(CURDIR)/target/go-mod/.downloaded
GO_BINS := $(GO_BUILD)/franzgo-compat $(GO_BUILD)/sarama-compat $(GO_BUILD)/kafkago-compat

clients: $(CLIENTS)/.venv/.installed $(CLIENTS)/node_modules/.installed java-clients go-clients

$(CLIENTS)/.venv/.installed: $(CLIENTS)/requirements.txt
	@python3 -c 'import ensurepip' 2>/dev/null || { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv; }
	python3 -m venv $(CLIENTS)/.venv
	$(CLIENTS)/.venv/bin/pip install -q -r $<
	@touch $@

$(CLIENTS)/node_modules/.installed: $(CLIENTS)/package.json $(CLIENTS)/package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm; }
	cd $(CLIENTS) && npm ci --no-audit --no-fund
	@touch $@

java-clients: $(JAVA_BUILD)/.built

$(JAVA_RESOLVED): $(JAVA_DIR)/pom.xml $(JAVA_DIR)/kafka-3.9/pom.xml
	@{ command -v mvn >/dev/null && command -v javac >/dev/null; } || { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y openjdk-17-jdk-headless maven; }
	cd $(JAVA_DIR) && $(MVN) package
	cd $(JAVA_DIR)/kafka-3.9 && $(MVN) package
	@touch $@

$(JAVA_BUILD)/.built: $(JAVA_RESOLVED) $(shell find $(JAVA_DIR)/src -type f 2>/dev/null)
	cd $(JAVA_DIR) && $(MVN) -o package
	cd $(JAVA_DIR)/kafka-3.9 && $(MVN) -o package
	@touch $@

go-clients: $(GO_BINS)

$(GO_DOWNLOADED): $(GO_DIR)/go.mod $(GO_DIR)/go.sum
	@command -v go >/dev/null || { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y golang-go; }
	@go version | awk '{ split(substr($$3, 3), v, "."); if (v[1] < 1 || (v[1] == 1 && v[2] < 26)) { print "tests/clients/go needs Go 1.26 or newer (found " $$3 ")"; exit 1 } }'
	cd $(GO_DIR) && $(GO_ENV) go mod download
	@touch $@

$(GO_BINS) &: $(GO_DOWNLOADED) $(shell find $(GO_DIR) -name '*.go' 2>/dev/null)
	cd $(GO_DIR) && $(GO_ENV) GOPROXY=off go build -o $(GO_BUILD)/ ./cmd/...

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
# docs/compatibility.md and fails when a scenario expected to work did not. Each runner's wall
# time goes to target/compat/timings.txt. The verifiable clients restart the broker with
# PG_KAFKA_RESTART_CMD (blackbox sets it; without it that scenario is n-a).
compat: clients
	@export PG_KAFKA_BOOTSTRAP=$${PG_KAFKA_BOOTSTRAP:-127.0.0.1:$(PG_KAFKA_PORT)} PG_KAFKA_COMPAT_DIR=$(COMPAT_DIR); \
	mkdir -p $(COMPAT_DIR); rm -f $(COMPAT_DIR)/*.jsonl $(COMPAT_DIR)/timings.txt; \
	cd $(CLIENTS); \
	runner() { local name=$$1 limit=$$2 t0=$$SECONDS; shift 2; \
		timeout $$limit "$$@" > $(COMPAT_DIR)/$$name.log 2>&1 || true; \
		echo "$$name $$((SECONDS - t0))s" | tee -a $(COMPAT_DIR)/timings.txt; }; \
	runner kcat 1200 .venv/bin/python python/compat_kcat.py; \
	runner confluent 1200 .venv/bin/python python/compat_confluent.py; \
	runner kafka-python 1200 .venv/bin/python python/compat_kafka_python.py; \
	runner kafkajs 1200 node node/compat_kafkajs.js; \
	runner java-client 1200 $(JAVA_RUN) pgkafka.compat.JavaClientMatrix java-client; \
	runner java-client-3.9 1200 $(JAVA39_RUN) pgkafka.compat.JavaClientMatrix java-client-3.9; \
	runner kafka-tools 1500 $(JAVA_RUN) pgkafka.compat.ToolsMatrix; \
	runner kafka-streams 900 $(JAVA_RUN) pgkafka.compat.StreamsMatrix; \
	runner kafka-connect 900 $(JAVA_RUN) pgkafka.compat.ConnectMatrix; \
	runner franz-go 1200 $(GO_BUILD)/franzgo-compat; \
	runner sarama 1200 $(GO_BUILD)/sarama-compat; \
	runner kafka-go 1200 $(GO_BUILD)/kafkago-compat; \
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
		PG_KAFKA_STOP_CMD="$(CRASH_ENV) $(CLUSTER) stop" \
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
		KAFKA_PORT=$(CAPTURE_KAFKA_PORT) GO_BUILD=$(GO_BUILD) LOG_DIR=$(CURDIR)/target/capture \
		SASL_PROXY_PORT=$(CAPTURE_SASL_PROXY_PORT) SASL_KAFKA_PORT=$(CAPTURE_SASL_PORT) \
		PGURL=postgresql://postgres@127.0.0.1:$(CAPTURE_PGPORT)/postgres \
		JAVA_CP="$(JAVA_JAR):$$(cat $(JAVA_BUILD)/classpath.txt)" CAPTURE_FAMILIES="$(CAPTURE_FAMILIES)" \
			$(CURDIR)/scripts/capture_corpus.sh || rc=$$?; \
	else \
		rc=1; \
	fi; \
	$(CAPTURE_ENV) $(CLUSTER) stop || rc=1; \
	$(CAPTURE_ENV) $(CLUSTER) check-log || rc=1; \
	exit $$rc

# The hostile-client tests (tests/tests/abuse.rs) at full size: a 2,000-partition topic named
# 5,000 times, 95 MB produces, ... Prints peak worker memory; fails if the worker died, the bound
# was passed or an ordinary client beside them failed.
abuse: deps $(INSTALLED_SO) build-tests
	@$(ABUSE_ENV) $(CLUSTER) stop || true
	@rm -rf $(ABUSE_PGDATA)
	@rc=0; \
	if $(ABUSE_ENV) $(CLUSTER) start; then \
		PG_KAFKA_BOOTSTRAP=127.0.0.1:$(ABUSE_KAFKA_PORT) \
		PG_KAFKA_PGURL=postgresql://postgres@127.0.0.1:$(ABUSE_PGPORT)/postgres \
		PG_KAFKA_SERVER_LOG=$(ABUSE_PGDATA)/server.log PG_KAFKA_ABUSE_FULL=1 \
			cargo test -p pg_kafka_tests --test abuse -- --nocapture --test-threads 1 || rc=$$?; \
	else \
		rc=1; \
	fi; \
	$(ABUSE_ENV) $(CLUSTER) stop || rc=1; \
	$(ABUSE_ENV) $(CLUSTER) check-log || rc=1; \
	exit $$rc

## ---- benchmarks -----------------------------------------------------------------------------

# Runs against the development cluster (PGPORT / PG_KAFKA_PORT), starting it if needed.
bench: up
	cargo build --release -p pg_kafka_tests --bin pg_kafka_bench
	PG_KAFKA_BOOTSTRAP=127.0.0.1:$(PG_KAFKA_PORT) \
	PG_KAFKA_PGURL=postgresql://postgres@127.0.0.1:$(PGPORT)/postgres \
	PG_KAFKA_RESTART_CMD="$(DEV_ENV) $(CLUSTER) restart" \
	PG_KAFKA_BENCH_SASL=127.0.0.1:$(DEV_SASL_PORT) PG_KAFKA_BENCH_SASL_SSL=127.0.0.1:$(DEV_SASL_SSL_PORT) \
	PG_KAFKA_BENCH_TLS_CA=$(PGDATA)/kafka-tls/ca.crt \
		$(CURDIR)/target/release/pg_kafka_bench

# Figures, not pass/fail, and not part of `make test`: scripts/peers/bench_peers.py. Results also
# go to target/peers/results.jsonl.
bench-peers: deps $(INSTALLED_SO) java-clients $(TANSU_BIN)
	@mkdir -p $(CURDIR)/target/peers
	@test -f $(TANSU_SCHEMA) || { echo "Tansu's schema is not at $(TANSU_SCHEMA) (set TANSU_SCHEMA)"; exit 1; }
	cargo build --release -p pg_kafka_tests --bin bench_peers
	PGBIN=$(PGBIN) PEERS_PGDATA=$(PEERS_PGDATA) PEERS_PGPORT=$(PEERS_PGPORT) \
	PEERS_PG_KAFKA_PORT=$(PEERS_PG_KAFKA_PORT) PEERS_KAFKA_PORT=$(PEERS_KAFKA_PORT) \
	PEERS_TANSU_PORT=$(PEERS_TANSU_PORT) PEERS_ROUNDS=$(PEERS_ROUNDS) PEERS_TANSU_BIN=$(TANSU_BIN) \
	PEERS_TANSU_SCHEMA=$(TANSU_SCHEMA) PEERS_BENCH_BIN=$(CURDIR)/target/release/bench_peers \
	PEERS_KAFKA_CLASSPATH="$$(cat $(JAVA_BUILD)/classpath.txt)" PG_KAFKA_LOG_CACHE_SIZE=$(PG_KAFKA_LOG_CACHE_SIZE) \
		python3 $(CURDIR)/scripts/peers/bench_peers.py | tee $(CURDIR)/target/peers/results.jsonl

# Tansu from crates.io into target/ (about 7 minutes on 2 cores; 0.6.0 is the last release that
# builds on Rust 1.95).
$(TANSU_BIN):
	cargo install tansu --version $(TANSU_VERSION) --locked --no-default-features --features postgres \
		--root $(CURDIR)/target/peers/tansu

clean-clusters:
	-$(DEV_ENV) $(CLUSTER) stop
	-$(TEST_ENV) $(CLUSTER) stop
	-$(CRASH_ENV) $(CLUSTER) stop
	-$(CAPTURE_ENV) $(CLUSTER) stop
	-$(ABUSE_ENV) $(CLUSTER) stop
	-PGBIN=$(PGBIN) PGDATA=$(PEERS_PGDATA) PGPORT=$(PEERS_PGPORT) PG_KAFKA_PORT=$(PEERS_PG_KAFKA_PORT) $(CLUSTER) stop
	-PGBIN=$(PGBIN) PGDATA=$(SPARE_PGDATA) PGPORT=$(SPARE_PGPORT) PG_KAFKA_PORT=$(SPARE_KAFKA_PORT) $(CLUSTER) stop
	rm -rf $(PGDATA) $(PEERS_PGDATA) $(TEST_PGDATA) $(PGRX_TEST_DATA) $(CRASH_PGDATA) $(CAPTURE_PGDATA) $(SPARE_PGDATA) $(ABUSE_PGDATA)
