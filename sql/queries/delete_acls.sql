DELETE FROM kafka.acl_bindings WHERE acl_id = ANY($1)
