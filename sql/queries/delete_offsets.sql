DELETE FROM kafka.consumer_offsets AS o
 USING unnest($1::text[], $2::uuid[], $3::int[]) AS d(group_id, topic_id, partition)
 WHERE o.group_id = d.group_id AND o.topic_id = d.topic_id AND o.partition = d.partition
