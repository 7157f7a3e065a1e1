DELETE FROM kafka.aborted_transactions AS a
 USING unnest($1::uuid[], $2::int[], $3::bigint[]) AS t(topic_id, partition, log_start_offset)
 WHERE a.topic_id = t.topic_id AND a.partition = t.partition
   AND a.last_offset < t.log_start_offset
