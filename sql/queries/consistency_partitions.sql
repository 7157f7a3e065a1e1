SELECT p.topic_id, t.name, p.partition, p.next_offset, p.log_start_offset,
       (SELECT b.last_offset + 1 FROM kafka.batches b
         WHERE b.topic_id = p.topic_id AND b.partition = p.partition
         ORDER BY b.base_offset DESC LIMIT 1) AS batches_end
  FROM kafka.partitions p JOIN kafka.topics t USING (topic_id)
