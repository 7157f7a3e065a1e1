-- Consumer groups for SQL: members as last persisted (the coordinator persists at each
-- generation change), and lag per group and partition against the committed high watermark.

CREATE VIEW kafka.consumer_group_members AS
SELECT g.group_id, g.state, g.protocol_type, g.protocol_name, g.generation_id, g.leader_id,
       m.member_id, m.group_instance_id, m.client_id, m.client_host, m.session_timeout_ms,
       m.rebalance_timeout_ms
  FROM kafka.consumer_groups AS g
  LEFT JOIN kafka.group_members AS m ON m.group_id = g.group_id;

CREATE VIEW kafka.consumer_lag AS
SELECT o.group_id, t.name AS topic, o.partition, o.committed_offset,
       p.next_offset AS high_watermark,
       greatest(p.next_offset - o.committed_offset, 0) AS lag,
       to_timestamp(o.commit_timestamp / 1000.0) AS committed_at
  FROM kafka.consumer_offsets AS o
  JOIN kafka.topics AS t ON t.topic_id = o.topic_id
  JOIN kafka.partitions AS p ON p.topic_id = o.topic_id AND p.partition = o.partition;

REVOKE ALL ON ALL TABLES IN SCHEMA kafka FROM PUBLIC;
