UPDATE kafka.partitions AS p
   SET next_offset = u.next_offset, log_start_offset = u.log_start_offset,
       stored_bytes = u.stored_bytes, stored_batches = u.stored_batches
  FROM unnest($1::uuid[], $2::int[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])
       AS u(topic_id, partition, next_offset, log_start_offset, stored_bytes, stored_batches)
 WHERE p.topic_id = u.topic_id AND p.partition = u.partition
