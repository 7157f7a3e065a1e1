SELECT topic_id, name, partitions,
       COALESCE((SELECT array_agg(key ORDER BY key) FROM jsonb_each_text(configs)), '{}') AS config_keys,
       COALESCE((SELECT array_agg(value ORDER BY key) FROM jsonb_each_text(configs)), '{}') AS config_values
  FROM kafka.topics
 ORDER BY name
