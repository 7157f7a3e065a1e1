SELECT rolname::text, rolpassword
FROM pg_catalog.pg_authid
WHERE rolpassword LIKE 'SCRAM-SHA-256$%'
ORDER BY rolname
LIMIT $1
