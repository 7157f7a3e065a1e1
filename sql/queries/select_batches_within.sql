-- Up to $4 batches after $3 whose bytes, summed in offset order, stay within $5 bytes; with $6,
-- the first of them whatever its size. The budget is applied before any batch is read: the
-- window sums octet_length (read from the TOAST pointer, not the value) and the rows past the
-- budget leave the query as pointers that are never detoasted.
SELECT base_offset, last_offset, base_timestamp, max_timestamp, record_count, attributes,
       producer_id, producer_epoch, base_sequence, batch
  FROM (SELECT b.*,
               sum(octet_length(b.batch)) OVER (ORDER BY b.base_offset) AS upto,
               row_number() OVER (ORDER BY b.base_offset) AS n
          FROM (SELECT * FROM kafka.batches
                 WHERE topic_id = $1 AND partition = $2 AND base_offset > $3
                 ORDER BY base_offset
                 LIMIT $4) AS b) AS s
 WHERE upto <= $5 OR (n = 1 AND $6)
 ORDER BY base_offset
