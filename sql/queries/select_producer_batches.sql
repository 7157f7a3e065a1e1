SELECT topic_id, partition, producer_id, producer_epoch, base_sequence, record_count,
       base_offset, last_offset
  FROM (SELECT b.topic_id, b.partition, b.producer_id, b.producer_epoch, b.base_sequence,
               b.record_count, b.base_offset, b.last_offset,
               row_number() OVER (PARTITION BY b.topic_id, b.partition, b.producer_id
                                  ORDER BY b.base_offset DESC) AS newest
          FROM kafka.batches AS b
         WHERE b.producer_id >= 0 AND (b.attributes & 32) = 0) AS s
 WHERE newest <= $1
