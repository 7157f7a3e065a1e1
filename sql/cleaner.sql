-- The log cleaner for SQL: what each partition stores and how far compaction got.

-- One row per partition: offsets as the worker holds them (memory), stored bytes and batches
-- and the compaction checkpoint as committed (kafka.partitions). dirty_ratio, for compacted
-- topics, is the share of the partition's offsets not yet compacted (min.cleanable.dirty.ratio
-- compares bytes; this is its offset-based estimate).
CREATE VIEW kafka.partition_stats AS
SELECT m.topic, m.partition,
       m.log_start_offset, m.high_watermark, m.last_stable_offset,
       p.stored_bytes, p.stored_batches, m.cached_bytes,
       p.cleaned_offset, p.last_cleaned_at,
       CASE WHEN coalesce(t.configs->>'cleanup.policy',
                          current_setting('pg_kafka.log_cleanup_policy', true), 'delete')
                 LIKE '%compact%'
            THEN CASE WHEN m.high_watermark > m.log_start_offset
                      THEN round((m.high_watermark - greatest(p.cleaned_offset, m.log_start_offset))::numeric
                                 / (m.high_watermark - m.log_start_offset), 4)
                      ELSE 0 END
       END AS dirty_ratio
  FROM kafka.partition_memory() AS m
  JOIN kafka.topics AS t ON t.name = m.topic
  JOIN kafka.partitions AS p ON p.topic_id = t.topic_id AND p.partition = m.partition;
