#!/usr/bin/env bash
# Manage one Postgres cluster with pg_kafka preloaded.
#
#   scripts/cluster.sh init|start|stop|restart|status|run|wait-kafka|check-log|prep-dir DIR
#
# Settings come from the environment (the Makefile exports them):
#   PGDATA        data directory                       (required)
#   PGPORT        Postgres port                        (5433)
#   PG_KAFKA_PORT Kafka port                           (9092)
#   PG_KAFKA_ADVERTISED_PORT port given to clients in Metadata (PG_KAFKA_PORT; a proxy's port)
#   PG_KAFKA_LOG_CACHE_SIZE pg_kafka.log_cache_size    (256MB)
#   PG_KAFKA_SASL_PORT  when set, a SASL_PLAINTEXT listener on this port beside PLAINTEXT (PLAIN
#                       allowed without TLS: loopback test clusters only)
#   PG_KAFKA_SASL_ADVERTISED_PORT port the SASL listener advertises (PG_KAFKA_SASL_PORT)
#   PG_KAFKA_SSL_PORT, PG_KAFKA_SASL_SSL_PORT  when set (with PG_KAFKA_SASL_PORT), SSL and
#                       SASL_SSL listeners too, with a test CA and certificates made under
#                       $PGDATA/kafka-tls (client certificates are requested, not required)
#   PG_KAFKA_AUTHORIZATION pg_kafka.authorization (off: clusters made here keep kcat on the
#                       PLAINTEXT port working whatever listeners they have)
#   PG_KAFKA_SUPER_USERS pg_kafka.super_users (User:ANONYMOUS: PLAINTEXT clients may do anything)
#   PG_KAFKA_EXTRA_CONF more postgresql.conf lines for this start (tests with short timeouts)
#   PGBIN         Postgres binaries                    (/usr/lib/postgresql/15/bin)
#
# initdb refuses to run as root, so as root every Postgres command runs as the user postgres
# and the data directory belongs to postgres; otherwise everything runs as the current user.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGPORT=${PGPORT:-5433}
PG_KAFKA_PORT=${PG_KAFKA_PORT:-9092}
PG_KAFKA_ADVERTISED_PORT=${PG_KAFKA_ADVERTISED_PORT:-$PG_KAFKA_PORT}
PG_KAFKA_LOG_CACHE_SIZE=${PG_KAFKA_LOG_CACHE_SIZE:-256MB}
KAFKA_WAIT_SECS=${KAFKA_WAIT_SECS:-60}

if [ "$(id -u)" = 0 ]; then
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

die() {
    echo "cluster.sh: $*" >&2
    exit 1
}

need_pgdata() {
    [ -n "${PGDATA:-}" ] || die "PGDATA is not set"
    case "$PGDATA" in /*) ;; *) PGDATA="$PWD/$PGDATA" ;; esac
}

# Create DIR owned by the Postgres user and make every parent traversable by it.
prep_dir() {
    local dir=$1 d
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres:postgres "$dir"
        d=$(dirname "$dir")
        while [ "$d" != "/" ]; do
            if ! runuser -u postgres -- test -x "$d"; then chmod o+x "$d"; fi
            d=$(dirname "$d")
        done
    fi
    chmod 700 "$dir"
}

log_tail() {
    if [ -f "$PGDATA/server.log" ]; then
        echo "---- last lines of $PGDATA/server.log ----" >&2
        tail -n 60 "$PGDATA/server.log" >&2
        echo "----" >&2
    fi
}

# Settings that may change between runs (ports) live in an include file rewritten at each start.
write_settings() {
    make_test_certs
    as_pg tee "$PGDATA/pg_kafka_harness.conf" >/dev/null <<EOF
# Written by scripts/cluster.sh at every start; edit postgresql.conf for lasting changes.
port = $PGPORT
pg_kafka.port = $PG_KAFKA_PORT
pg_kafka.advertised_port = $PG_KAFKA_ADVERTISED_PORT
pg_kafka.log_cache_size = '$PG_KAFKA_LOG_CACHE_SIZE'
$(sasl_settings)
pg_kafka.authorization = '${PG_KAFKA_AUTHORIZATION:-off}'
pg_kafka.super_users = '${PG_KAFKA_SUPER_USERS:-}'
${PG_KAFKA_EXTRA_CONF:-}
EOF
}

sasl_settings() {
    [ -n "${PG_KAFKA_SASL_PORT:-}" ] || return 0
    local sasl_adv=${PG_KAFKA_SASL_ADVERTISED_PORT:-$PG_KAFKA_SASL_PORT}
    local listeners="PLAINTEXT://127.0.0.1:$PG_KAFKA_PORT,SASL_PLAINTEXT://127.0.0.1:$PG_KAFKA_SASL_PORT"
    local advertised="PLAINTEXT://127.0.0.1:$PG_KAFKA_ADVERTISED_PORT,SASL_PLAINTEXT://127.0.0.1:$sasl_adv"
    if [ -n "${PG_KAFKA_SSL_PORT:-}" ]; then
        listeners="$listeners,SSL://127.0.0.1:$PG_KAFKA_SSL_PORT,SASL_SSL://127.0.0.1:$PG_KAFKA_SASL_SSL_PORT"
        echo "pg_kafka.ssl_cert_file = 'kafka-tls/server.crt'"
        echo "pg_kafka.ssl_key_file = 'kafka-tls/server.key'"
        echo "pg_kafka.ssl_ca_file = 'kafka-tls/ca.crt'"
        echo "pg_kafka.ssl_client_auth = 'requested'"
    fi
    echo "pg_kafka.listeners = '$listeners'"
    echo "pg_kafka.advertised_listeners = '$advertised'"
    echo "pg_kafka.sasl_plain_without_tls = on"
}

# A throwaway CA and a server certificate for 127.0.0.1 under $PGDATA/kafka-tls (made once).
make_test_certs() {
    [ -n "${PG_KAFKA_SSL_PORT:-}" ] || return 0
    local dir="$PGDATA/kafka-tls"
    [ -s "$dir/server.crt" ] && return 0
    as_pg mkdir -p "$dir"
    as_pg sh -c "cd '$dir' && umask 077 &&
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' > server.ext &&
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
            -subj '/CN=pg_kafka test CA' -keyout ca.key -out ca.crt 2>/dev/null &&
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -subj '/CN=127.0.0.1' -keyout server.key -out server.csr 2>/dev/null &&
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
            -extfile server.ext -out server.crt 2>/dev/null && chmod 644 ca.crt server.crt"
}

do_init() {
    need_pgdata
    if [ -s "$PGDATA/PG_VERSION" ]; then
        return 0
    fi
    prep_dir "$PGDATA"
    as_pg "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres --encoding=UTF8 --locale=C >/dev/null
    as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null <<EOF

# ---- pg_kafka (scripts/cluster.sh) ----
port = $PGPORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp'
shared_preload_libraries = 'pg_kafka'
pg_kafka.listen_address = '127.0.0.1'
pg_kafka.advertised_host = '127.0.0.1'
pg_kafka.port = $PG_KAFKA_PORT
pg_kafka.advertised_port = $PG_KAFKA_ADVERTISED_PORT
pg_kafka.database = 'postgres'
pg_kafka.log_cache_size = '$PG_KAFKA_LOG_CACHE_SIZE'
logging_collector = off
log_line_prefix = '%m [%p] '
include_if_exists = 'pg_kafka_harness.conf'
EOF
    echo "initialized $PGDATA"
}

# The postmaster is alive: the PID in postmaster.pid is a postgres process that is not a zombie
# (pg_ctl status counts a zombie left by kill -9 as running when nothing reaps it).
pid_alive() {
    local pid=$1 state comm
    [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
    case "$comm" in postgres* | postmaster*) ;; *) return 1 ;; esac
    state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

is_running() {
    [ -f "$PGDATA/postmaster.pid" ] && pid_alive "$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null)"
}

# After a kill -9 the postmaster.pid stays behind; Postgres refuses to start only if the PID in it
# is alive, which after a reboot or PID reuse may be an unrelated process. Remove it when the PID
# is not a live postgres process.
clear_stale_pid() {
    local pidfile="$PGDATA/postmaster.pid" pid
    [ -f "$pidfile" ] || return 0
    pid=$(head -n 1 "$pidfile" 2>/dev/null || true)
    if pid_alive "$pid"; then return 0; fi
    echo "removing stale $pidfile (pid ${pid:-?} is not running)"
    rm -f "$pidfile"
    # The Unix socket lock names the same dead PID.
    local sock="/tmp/.s.PGSQL.$PGPORT"
    if [ -f "$sock.lock" ] && ! pid_alive "$(head -n 1 "$sock.lock" 2>/dev/null)"; then
        rm -f "$sock.lock" "$sock"
    fi
    # Children of a killed postmaster exit on their own once they notice; give them a moment so
    # the Kafka port and shared memory are free.
    local i
    for i in $(seq 1 50); do
        if ! port_open "$PG_KAFKA_PORT"; then break; fi
        sleep 0.2
    done
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_kafka() {
    local deadline=$((SECONDS + KAFKA_WAIT_SECS))
    until port_open "$PG_KAFKA_PORT"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            log_tail
            die "Kafka port 127.0.0.1:$PG_KAFKA_PORT did not open within ${KAFKA_WAIT_SECS}s"
        fi
        if ! is_running; then
            log_tail
            die "Postgres stopped while waiting for the Kafka port"
        fi
        sleep 0.2
    done
}

create_extension() {
    # ALTER brings an install of an earlier version up to date.
    local sql='CREATE EXTENSION IF NOT EXISTS pg_kafka; ALTER EXTENSION pg_kafka UPDATE;'
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres \
        -c "$sql" >/dev/null || {
        log_tail
        die "CREATE EXTENSION pg_kafka failed"
    }
}

do_start() {
    need_pgdata
    do_init
    if ! is_running; then
        clear_stale_pid
        write_settings
        as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 start >/dev/null || {
            log_tail
            die "Postgres did not start"
        }
    fi
    create_extension
    wait_kafka
    echo "pg_kafka up: Kafka 127.0.0.1:$PG_KAFKA_PORT, Postgres 127.0.0.1:$PGPORT (data $PGDATA)"
}

do_stop() {
    need_pgdata
    if [ -s "$PGDATA/PG_VERSION" ] && is_running; then
        as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
        echo "stopped $PGDATA"
    fi
}

do_restart() {
    need_pgdata
    if is_running; then
        write_settings
        as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -m fast -w -t 60 restart >/dev/null || {
            log_tail
            die "Postgres did not restart"
        }
        wait_kafka
        echo "restarted $PGDATA"
    else
        do_start
    fi
}

# Foreground: start, follow the log, stop on Ctrl-C / TERM / exit.
TAIL_PID=
stop_run() {
    trap - INT TERM EXIT
    # A background job of a non-interactive shell ignores SIGINT: end the log follower here.
    if [ -n "$TAIL_PID" ]; then kill "$TAIL_PID" 2>/dev/null || true; fi
    do_stop
}

do_run() {
    need_pgdata
    do_start
    tail -n 0 -F "$PGDATA/server.log" &
    TAIL_PID=$!
    trap stop_run INT TERM EXIT
    echo "following $PGDATA/server.log; Ctrl-C stops the broker"
    wait "$TAIL_PID" || true
}

# Fail when the server log shows a crashed child or a PANIC.
check_log() {
    need_pgdata
    local log="$PGDATA/server.log"
    [ -f "$log" ] || die "no server log at $log"
    if grep -nE 'terminated by signal|was terminated|PANIC' "$log"; then
        log_tail
        die "server log $log shows a crashed process or PANIC"
    fi
    echo "server log clean: $log"
}

cmd=${1:-}
case "$cmd" in
init) do_init ;;
start) do_start ;;
stop) do_stop ;;
restart) do_restart ;;
status) need_pgdata && is_running && echo running || { echo stopped; exit 3; } ;;
run) do_run ;;
wait-kafka) wait_kafka ;;
check-log) check_log ;;
prep-dir) prep_dir "${2:?prep-dir needs a directory}" ;;
*) die "usage: $0 init|start|stop|restart|status|run|wait-kafka|check-log|prep-dir DIR" ;;
esac
