INSERT INTO kafka.consumer_offsets AS o (group_id, topic_id, partition, committed_offset,
                                         leader_epoch, metadata, commit_timestamp)
SELECT * FROM unnest($1::text[], $2::uuid[], $3::int[], $4::bigint[], $5::int[], $6::text[],
                     $7::bigint[])
ON CONFLICT (group_id, topic_id, partition) DO UPDATE
   SET committed_offset = excluded.committed_offset, leader_epoch = excluded.leader_epoch,
       metadata = excluded.metadata, commit_timestamp = excluded.commit_timestamp
