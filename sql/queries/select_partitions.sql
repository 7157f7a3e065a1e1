SELECT topic_id, partition, next_offset, log_start_offset, stored_bytes, stored_batches,
       cleaned_offset, (extract(epoch FROM last_cleaned_at) * 1000)::bigint
  FROM kafka.partitions
