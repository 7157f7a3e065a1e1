SELECT group_id, member_id, group_instance_id, client_id, client_host, session_timeout_ms,
       rebalance_timeout_ms, metadata, assignment
  FROM kafka.group_members
 ORDER BY group_id, member_id
