DELETE FROM kafka.group_members WHERE group_id = ANY($1::text[])
