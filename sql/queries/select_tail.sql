SELECT base_offset, last_offset, base_timestamp, max_timestamp, record_count, attributes,
       producer_id, producer_epoch, base_sequence, batch
  FROM kafka.batches
 WHERE topic_id = $1 AND partition = $2
 ORDER BY base_offset DESC
