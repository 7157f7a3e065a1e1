UPDATE kafka.batches AS b
   SET delete_horizon = u.delete_horizon
  FROM unnest($1::uuid[], $2::int[], $3::bigint[], $4::bigint[])
       AS u(topic_id, partition, base_offset, delete_horizon)
 WHERE b.topic_id = u.topic_id AND b.partition = u.partition AND b.base_offset = u.base_offset
