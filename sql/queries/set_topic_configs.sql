UPDATE kafka.topics SET configs = jsonb_object($2::text[], $3::text[]) WHERE topic_id = $1
