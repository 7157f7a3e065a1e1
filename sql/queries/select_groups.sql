SELECT group_id, protocol_type, protocol_name, generation_id, leader_id, state
  FROM kafka.consumer_groups
 ORDER BY group_id
