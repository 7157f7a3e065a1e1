SELECT transactional_id, topic_id, partition, first_offset FROM kafka.transaction_partitions
