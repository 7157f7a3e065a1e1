#!/usr/bin/env bash
# Retention layouts in plain Postgres, without the broker: how much disk a table holding a
# 10-second retention window takes while ~100 MB/s of ~900 KB rows (the size of a full produce
# batch) are written into it, and how long the writer's commits stall, for three layouts:
#
#   delete        one table, DELETE of expired rows every second, autovacuum as kafka.batches
#                 has it (scale factor 0.05, cost limit 2000)
#   unthrottled   the same with autovacuum_vacuum_cost_delay = 0 on the table and its TOAST
#   partitions    a table range-partitioned by 5-second append buckets; every second the
#                 writer itself, between two commits, drops the expired buckets and creates the
#                 next ones (as pg_kafka's single writer would: DDL from another session
#                 deadlocks with the inserts, parent and child locked in opposite orders)
#
# It informs docs/adr/0005-cleaner-delete-and-vacuum.md. Figures, not pass/fail: one JSON line
# per sample on stderr and one summary line per layout on stdout.
#
#   scripts/retention_layout.sh [layout ...]     (default: all three; needs `make up`)
#   PGURL, LAYOUT_SECONDS (150), LAYOUT_MB_PER_S (100), LAYOUT_RETENTION_S (10)
set -euo pipefail

PGURL="${PGURL:-postgresql://postgres@127.0.0.1:${PGPORT:-5433}/postgres}"
SECONDS_RUN="${LAYOUT_SECONDS:-150}"
MB_PER_S="${LAYOUT_MB_PER_S:-100}"
RETENTION_S="${LAYOUT_RETENTION_S:-10}"
DB=pg_kafka_layout
ROW_BYTES=900000
BUCKET_MS=5000
URL="${PGURL%/*}/$DB"

q() { psql "$URL" -XAtq -v ON_ERROR_STOP=1 "$@"; }

setup() {
    psql "$PGURL" -XAtq -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
    q <<SQL
CREATE TABLE stalls (layout text, what text, ms float8, rows int NOT NULL DEFAULT 0);
-- The writer: $MB_PER_S MB/s of $ROW_BYTES-byte rows, ten rows per transaction, for a duration.
-- Partitioned layout: the next two buckets exist, the expired ones are gone.
CREATE PROCEDURE rotate() LANGUAGE plpgsql AS \$\$
DECLARE
    now_ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
    seg bigint := now_ms / $BUCKET_MS;
    c record;
BEGIN
    FOR i IN 0..2 LOOP
        IF to_regclass(format('b_%s', seg + i)) IS NULL THEN
            EXECUTE format('CREATE TABLE b_%s PARTITION OF b FOR VALUES FROM (%s) TO (%s)',
                           seg + i, seg + i, seg + i + 1);
            EXECUTE format('ALTER TABLE b_%s ALTER COLUMN batch SET STORAGE EXTERNAL', seg + i);
        END IF;
    END LOOP;
    FOR c IN SELECT relid::regclass AS r FROM pg_partition_tree('b')
             WHERE isleaf AND substr(relid::regclass::text, 3)::bigint
                              < (now_ms - $RETENTION_S * 1000) / $BUCKET_MS LOOP
        EXECUTE format('DROP TABLE %s', c.r);
    END LOOP;
END \$\$;
CREATE PROCEDURE write_rows(seconds int, rotating boolean) LANGUAGE plpgsql AS \$\$
DECLARE
    v bytea := convert_to(repeat('x', $ROW_BYTES), 'UTF8');
    per_s float8 := $MB_PER_S * 1e6 / $ROW_BYTES;
    t0 timestamptz := clock_timestamp();
    rotated timestamptz := t0;
    n bigint := 0;
    k int;
    s timestamptz;
BEGIN
    LOOP
        EXIT WHEN clock_timestamp() > t0 + make_interval(secs => seconds);
        IF rotating AND clock_timestamp() > rotated + interval '1 second' THEN
            s := clock_timestamp();
            CALL rotate();
            COMMIT;
            INSERT INTO stalls VALUES ('partitions', 'clean',
                                       extract(epoch FROM clock_timestamp() - s) * 1000);
            COMMIT;
            rotated := clock_timestamp();
        END IF;
        k := least(10, floor(extract(epoch FROM clock_timestamp() - t0) * per_s)::bigint - n);
        IF k > 0 THEN
            s := clock_timestamp();
            INSERT INTO b (seg, ts, batch)
            SELECT floor(extract(epoch FROM s) * 1000 / $BUCKET_MS)::bigint,
                   (extract(epoch FROM s) * 1000)::bigint, v
            FROM generate_series(1, k);
            COMMIT;
            INSERT INTO stalls VALUES (current_setting('layout.name'), 'commit',
                                       extract(epoch FROM clock_timestamp() - s) * 1000, k);
            COMMIT;
            n := n + k;
        ELSE
            PERFORM pg_sleep(0.005);
        END IF;
    END LOOP;
END \$\$;
SQL
}

make_table() {
    local layout=$1
    q -c "DROP TABLE IF EXISTS b CASCADE"
    if [ "$layout" = partitions ]; then
        q -c "CREATE TABLE b (seg bigint NOT NULL, ts bigint NOT NULL, batch bytea NOT NULL) PARTITION BY RANGE (seg)"
    else
        q -c "CREATE TABLE b (seg bigint NOT NULL, ts bigint NOT NULL, batch bytea NOT NULL)" \
          -c "CREATE INDEX ON b (ts)" \
          -c "ALTER TABLE b ALTER COLUMN batch SET STORAGE EXTERNAL" \
          -c "ALTER TABLE b SET (autovacuum_vacuum_scale_factor = 0.05, toast.autovacuum_vacuum_scale_factor = 0.05, autovacuum_vacuum_cost_limit = 2000, toast.autovacuum_vacuum_cost_limit = 2000)"
        if [ "$layout" = unthrottled ]; then
            q -c "ALTER TABLE b SET (autovacuum_vacuum_cost_delay = 0, toast.autovacuum_vacuum_cost_delay = 0)"
        fi
    fi
}

# One cleaning step of the DELETE layouts, timed into `stalls`: expired rows deleted.
clean_step() {
    local layout=$1 now_ms
    now_ms=$(date +%s%3N)
    q -c "DO \$\$ DECLARE s timestamptz := clock_timestamp(); BEGIN
            DELETE FROM b WHERE ts < $now_ms - $RETENTION_S * 1000;
            INSERT INTO stalls VALUES ('$layout', 'clean', extract(epoch FROM clock_timestamp() - s) * 1000);
          END \$\$"
}

# The table's bytes, TOAST and indexes included (every child's, when partitioned).
size_bytes() {
    q -c "SELECT CASE WHEN EXISTS (SELECT FROM pg_partitioned_table WHERE partrelid = 'b'::regclass)
                 THEN (SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree('b'))
                 ELSE pg_total_relation_size('b') END"
}

run_layout() {
    local layout=$1 t0 max=0 size t vacuums
    local rotating=false
    make_table "$layout"
    if [ "$layout" = partitions ]; then
        rotating=true
        q -c "CALL rotate()"
    fi
    t0=$(date +%s)
    PGOPTIONS="${PGOPTIONS:-} -c layout.name=$layout" q -c "CALL write_rows($SECONDS_RUN, $rotating)" &
    local writer=$!
    while kill -0 "$writer" 2>/dev/null; do
        [ "$rotating" = true ] || clean_step "$layout"
        t=$(($(date +%s) - t0))
        if [ $((t % 5)) -eq 0 ]; then
            size=$(size_bytes)
            [ "$size" -gt "$max" ] && max=$size
            echo "{\"layout\":\"$layout\",\"t_s\":$t,\"bytes\":$size}" >&2
        fi
        sleep 1
    done
    wait "$writer"
    size=$(size_bytes)
    vacuums=$(q -c "SELECT coalesce(sum(autovacuum_count), 0) FROM pg_stat_all_tables
                    WHERE relid = 'b'::regclass OR relid = (SELECT reltoastrelid FROM pg_class WHERE oid = 'b'::regclass)" 2>/dev/null || echo 0)
    q -c "SELECT json_build_object(
            'layout', '$layout', 'seconds', $SECONDS_RUN, 'retention_s', $RETENTION_S,
            'written_mb_per_s', round((SELECT sum(rows) FROM stalls WHERE layout = '$layout') * $ROW_BYTES / 1e6 / $SECONDS_RUN, 1),
            'max_bytes', $max, 'end_bytes', $size, 'autovacuums', $vacuums,
            'commit_p50_ms', round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM stalls WHERE layout = '$layout' AND what = 'commit')::numeric, 2),
            'commit_p99_ms', round((SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) FROM stalls WHERE layout = '$layout' AND what = 'commit')::numeric, 2),
            'commit_max_ms', round((SELECT max(ms) FROM stalls WHERE layout = '$layout' AND what = 'commit')::numeric, 2),
            'clean_p50_ms', round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM stalls WHERE layout = '$layout' AND what = 'clean')::numeric, 2),
            'clean_max_ms', round((SELECT max(ms) FROM stalls WHERE layout = '$layout' AND what = 'clean')::numeric, 2))"
}

layouts=("$@")
[ ${#layouts[@]} -gt 0 ] || layouts=(delete unthrottled partitions)
setup
for layout in "${layouts[@]}"; do run_layout "$layout"; done
psql "$PGURL" -XAtq -c "DROP DATABASE IF EXISTS $DB"
