WITH offsets AS (DELETE FROM kafka.consumer_offsets WHERE group_id = ANY($1::text[]))
DELETE FROM kafka.consumer_groups WHERE group_id = ANY($1::text[])
