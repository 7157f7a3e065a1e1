UPDATE kafka.partitions AS p
   SET cleaned_offset = u.cleaned_offset, last_cleaned_at = to_timestamp(u.at_ms / 1000.0)
  FROM unnest($1::uuid[], $2::int[], $3::bigint[], $4::bigint[])
       AS u(topic_id, partition, cleaned_offset, at_ms)
 WHERE p.topic_id = u.topic_id AND p.partition = u.partition
