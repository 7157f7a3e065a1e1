-- Record-level access for replay and audit: decode stored batches into records.

CREATE FUNCTION kafka.decode_batch(batch bytea)
RETURNS TABLE ("offset" bigint, "timestamp" timestamptz, key bytea, value bytea,
               headers kafka.record_header[])
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT r."offset",
           to_timestamp(r.timestamp_ms / 1000.0),
           r.key,
           r.value,
           ARRAY(SELECT ROW(h.k, h.v)::kafka.record_header
                   FROM unnest(r.header_keys, r.header_values) WITH ORDINALITY AS h(k, v, n)
                  ORDER BY h.n)
      FROM kafka.decode_batch_raw(batch) AS r
$$;

-- Every record of every topic. Filters on topic and partition reach the batch scan; for offset
-- ranges use kafka.read_records(), which skips batches outside the range.
-- Records below a partition's log start (moved by DeleteRecords) are no longer readable.
CREATE VIEW kafka.records AS
SELECT t.name AS topic, b.partition, r."offset", r."timestamp", r.key, r.value, r.headers
  FROM kafka.topics AS t
  JOIN kafka.batches AS b ON b.topic_id = t.topic_id
  JOIN kafka.partitions AS p ON p.topic_id = b.topic_id AND p.partition = b.partition
 CROSS JOIN LATERAL kafka.decode_batch(b.batch) AS r
 WHERE b.last_offset >= p.log_start_offset AND r."offset" >= p.log_start_offset;

CREATE FUNCTION kafka.read_records(topic text, partition integer DEFAULT NULL,
                                   from_offset bigint DEFAULT NULL, to_offset bigint DEFAULT NULL)
RETURNS TABLE (topic text, partition integer, "offset" bigint, "timestamp" timestamptz,
               key bytea, value bytea, headers kafka.record_header[])
LANGUAGE sql STABLE
AS $$
    SELECT t.name, b.partition, r."offset", r."timestamp", r.key, r.value, r.headers
      FROM kafka.topics AS t
      JOIN kafka.batches AS b ON b.topic_id = t.topic_id
      JOIN kafka.partitions AS p ON p.topic_id = b.topic_id AND p.partition = b.partition
     CROSS JOIN LATERAL kafka.decode_batch(b.batch) AS r
     WHERE t.name = read_records.topic
       AND b.last_offset >= p.log_start_offset AND r."offset" >= p.log_start_offset
       AND (read_records.partition IS NULL OR b.partition = read_records.partition)
       AND (read_records.from_offset IS NULL OR b.last_offset >= read_records.from_offset)
       AND (read_records.to_offset IS NULL OR b.base_offset <= read_records.to_offset)
       AND (read_records.from_offset IS NULL OR r."offset" >= read_records.from_offset)
       AND (read_records.to_offset IS NULL OR r."offset" <= read_records.to_offset)
     ORDER BY b.partition, r."offset"
$$;
