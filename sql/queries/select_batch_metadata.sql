-- The columns of batches ending at or after $3, without their bytes (octet_length reads the
-- TOAST pointer, not the value). The lower bound on base_offset lets the primary key start at the
-- batch holding $3 instead of scanning the partition from its first row.
SELECT base_offset, last_offset, max_timestamp, attributes, producer_id, base_sequence,
       octet_length(batch)::bigint, delete_horizon
  FROM kafka.batches
 WHERE topic_id = $1 AND partition = $2
   AND base_offset >= coalesce((SELECT max(base_offset) FROM kafka.batches
                                 WHERE topic_id = $1 AND partition = $2 AND base_offset <= $3), $3)
   AND last_offset >= $3
 ORDER BY base_offset
 LIMIT $4
