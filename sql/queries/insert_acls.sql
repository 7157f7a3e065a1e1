INSERT INTO kafka.acl_bindings
    (resource_type, resource_name, pattern_type, principal, host, operation, permission, created_by)
SELECT t, n, pt, pr, h, o, pe, $8
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
     AS u(t, n, pt, pr, h, o, pe)
ON CONFLICT DO NOTHING
