DELETE FROM kafka.consumer_offsets AS o
 USING unnest($1::text[], $2::uuid[], $3::int[], $4::bigint[]) AS e(group_id, topic_id, partition, before_ms)
 WHERE o.group_id = e.group_id AND o.topic_id = e.topic_id AND o.partition = e.partition
   AND o.commit_timestamp < e.before_ms
