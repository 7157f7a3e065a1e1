INSERT INTO kafka.consumer_groups AS g (group_id, protocol_type, protocol_name, generation_id,
                                        leader_id, state, updated_at)
SELECT u.group_id, u.protocol_type, u.protocol_name, u.generation_id, u.leader_id, u.state, now()
  FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[])
       AS u(group_id, protocol_type, protocol_name, generation_id, leader_id, state)
ON CONFLICT (group_id) DO UPDATE
   SET protocol_type = excluded.protocol_type, protocol_name = excluded.protocol_name,
       generation_id = excluded.generation_id, leader_id = excluded.leader_id,
       state = excluded.state, updated_at = excluded.updated_at
