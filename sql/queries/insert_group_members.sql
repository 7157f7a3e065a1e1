INSERT INTO kafka.group_members (group_id, member_id, group_instance_id, client_id, client_host,
                                 session_timeout_ms, rebalance_timeout_ms, metadata, assignment)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[],
                     $7::int[], $8::bytea[], $9::bytea[])
