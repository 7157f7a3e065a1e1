INSERT INTO kafka.audit_log
    (principal, client_address, client_id, action, resource_type, resource_name, outcome, detail)
SELECT pr, a, c, ac, t, n, o, d::jsonb
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::text[]) AS u(pr, a, c, ac, t, n, o, d)
