WITH named AS (
    SELECT r.oid, r.rolname
    FROM pg_catalog.pg_roles AS r
    WHERE 'User:' || r.rolname IN (SELECT principal FROM kafka.acl_bindings)
)
SELECT m.rolname::text, m.rolsuper,
       coalesce(array_agg(g.rolname::text) FILTER (WHERE g.oid IS NOT NULL), '{}')
FROM pg_catalog.pg_roles AS m
LEFT JOIN named AS g
       ON g.oid <> m.oid AND pg_catalog.pg_has_role(m.oid, g.oid, 'USAGE')
GROUP BY m.rolname, m.rolsuper
HAVING m.rolsuper OR count(g.oid) > 0
LIMIT $1
