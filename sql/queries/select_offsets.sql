SELECT group_id, topic_id, partition, committed_offset, leader_epoch, metadata, commit_timestamp
  FROM kafka.consumer_offsets
