#!/usr/bin/env bash
# Capture the fuzz corpus: run every client family of tests/clients through the recording proxy
# (tests/src/bin/capture_frames.rs) against a broker that advertises the proxy's port, and write
# what each family sent to core/tests/corpus/<family>.frames. `make corpus` runs this on a
# cluster of its own; the frames are committed so `make test` fuzzes from them without clients.
#
# Environment (the Makefile sets it): CLIENTS (tests/clients), CAPTURE_BIN (capture_frames),
# CORPUS (output directory), PROXY_PORT, KAFKA_PORT (the broker's real port), GO_BUILD (the Go
# runners), JAVA_CP (the JVM runners' classpath), LOG_DIR (client output), and CAPTURE_FAMILIES
# (a space-separated subset to recapture; empty: all); SASL_PROXY_PORT, SASL_KAFKA_PORT and PGURL
# for the SASL family (its proxy fronts the broker's SASL_PLAINTEXT listener). Only the proxy PIDs
# this script starts are signalled.
set -euo pipefail

: "${CLIENTS:?}" "${CAPTURE_BIN:?}" "${CORPUS:?}" "${PROXY_PORT:?}" "${KAFKA_PORT:?}"
: "${GO_BUILD:?}" "${JAVA_CP:?}" "${LOG_DIR:?}"
mkdir -p "$CORPUS" "$LOG_DIR"

# capture FAMILY COMMAND...: the family's frames replace core/tests/corpus/FAMILY.frames.
# CAPTURE_PROXY / CAPTURE_UPSTREAM / CAPTURE_BOOTSTRAP override the proxied ports and the
# PLAINTEXT bootstrap the family is given (the SASL family proxies the SASL listener instead).
capture() {
    local family=$1 pid rc=0
    local proxy=${CAPTURE_PROXY:-$PROXY_PORT} upstream=${CAPTURE_UPSTREAM:-$KAFKA_PORT}
    local bootstrap=${CAPTURE_BOOTSTRAP:-127.0.0.1:$proxy}
    shift
    if [ -n "${CAPTURE_FAMILIES:-}" ] && [[ " $CAPTURE_FAMILIES " != *" $family "* ]]; then
        return 0
    fi
    rm -f "$CORPUS/$family.frames"
    "$CAPTURE_BIN" "127.0.0.1:$proxy" "127.0.0.1:$upstream" "$CORPUS/$family.frames" &
    pid=$!
    for _ in $(seq 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$proxy") 2>/dev/null && break
        sleep 0.1
    done
    (cd "$CLIENTS" && PG_KAFKA_BOOTSTRAP="$bootstrap" PG_KAFKA_COMPAT_DIR="$LOG_DIR" \
        timeout 1200 "$@") >"$LOG_DIR/$family.log" 2>&1 || rc=$?
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    echo "capture: $family (exit $rc): $(stat -c %s "$CORPUS/$family.frames" 2>/dev/null || echo 0) bytes"
}

capture kcat .venv/bin/python python/compat_kcat.py
capture confluent-kafka .venv/bin/python python/compat_confluent.py
capture kafka-python .venv/bin/python python/compat_kafka_python.py
capture kafkajs node node/compat_kafkajs.js
capture sarama "$GO_BUILD/sarama-compat"
capture franz-go "$GO_BUILD/franzgo-compat"
capture kafka-go "$GO_BUILD/kafkago-compat"
capture java-client java -cp "$JAVA_CP" pgkafka.compat.JavaClientMatrix java-client
capture kafka-tools java -cp "$JAVA_CP" pgkafka.compat.ToolsMatrix
capture kafka-streams java -cp "$JAVA_CP" pgkafka.compat.StreamsMatrix
capture kafka-connect java -cp "$JAVA_CP" pgkafka.compat.ConnectMatrix
# The pytest suites add what the matrix does not send, e.g. KIP-848 consumer-group heartbeats.
capture pytest .venv/bin/pytest -q -p no:cacheprovider
capture kafkajs-tests node --test node/
# SASL logins (SaslHandshake, SaslAuthenticate; not raw v0 tokens, which are no Kafka frames)
# from librdkafka, kafka-python and
# kcat, through a proxy in front of the SASL listener.
# The tests read back over PLAINTEXT too, whose listener advertises the PLAINTEXT proxy: one runs
# beside it, recording into the log directory (those frames are not part of the corpus).
if [ -n "${SASL_PROXY_PORT:-}" ] && { [ -z "${CAPTURE_FAMILIES:-}" ] || [[ " $CAPTURE_FAMILIES " == *" sasl "* ]]; }; then
    "$CAPTURE_BIN" "127.0.0.1:$PROXY_PORT" "127.0.0.1:$KAFKA_PORT" "$LOG_DIR/sasl-plaintext.frames" &
    plain_pid=$!
    CAPTURE_PROXY=$SASL_PROXY_PORT CAPTURE_UPSTREAM=$SASL_KAFKA_PORT \
        CAPTURE_BOOTSTRAP=127.0.0.1:$PROXY_PORT capture sasl \
        env PG_KAFKA_SASL_BOOTSTRAP="127.0.0.1:$SASL_PROXY_PORT" PG_KAFKA_PGURL="$PGURL" \
        .venv/bin/pytest -q -p no:cacheprovider python/test_sasl.py python/test_scram_credentials.py \
        -k "round_trip or scram_credentials"
    kill "$plain_pid"
    wait "$plain_pid" 2>/dev/null || true
fi
