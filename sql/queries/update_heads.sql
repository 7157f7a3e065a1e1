UPDATE kafka.partitions AS p
   SET next_offset = u.next_offset, log_start_offset = u.log_start_offset
  FROM unnest($1::uuid[], $2::int[], $3::bigint[], $4::bigint[])
       AS u(topic_id, partition, next_offset, log_start_offset)
 WHERE p.topic_id = u.topic_id AND p.partition = u.partition
