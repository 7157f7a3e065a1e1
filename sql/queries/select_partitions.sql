SELECT topic_id, partition, next_offset, log_start_offset FROM kafka.partitions
