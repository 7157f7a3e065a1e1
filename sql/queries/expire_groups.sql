DELETE FROM kafka.consumer_groups AS g
 WHERE g.group_id = ANY($1::text[]) AND g.generation_id = 0
   AND NOT EXISTS (SELECT 1 FROM kafka.group_members AS m WHERE m.group_id = g.group_id)
   AND NOT EXISTS (SELECT 1 FROM kafka.consumer_offsets AS o WHERE o.group_id = g.group_id)
