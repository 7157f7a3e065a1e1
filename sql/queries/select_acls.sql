SELECT acl_id, resource_type, resource_name, pattern_type, principal, host, operation, permission
FROM kafka.acl_bindings
ORDER BY acl_id
LIMIT $1
