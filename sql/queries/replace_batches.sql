-- Rebuilt batches (compaction) take the place of the stored one: same key, same offsets.
UPDATE kafka.batches AS b
   SET max_timestamp = u.max_timestamp, record_count = u.record_count, batch = u.batch
  FROM unnest($1::uuid[], $2::int[], $3::bigint[], $4::bigint[], $5::int[], $6::bytea[])
       AS u(topic_id, partition, base_offset, max_timestamp, record_count, batch)
 WHERE b.topic_id = u.topic_id AND b.partition = u.partition AND b.base_offset = u.base_offset
