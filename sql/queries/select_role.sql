SELECT rolcanlogin, rolsuper,
       CASE WHEN isfinite(rolvaliduntil) THEN (extract(epoch FROM rolvaliduntil) * 1000)::bigint
            WHEN rolvaliduntil < now() THEN 0 END AS valid_until_ms,
       rolpassword
FROM pg_catalog.pg_authid
WHERE rolname = $1
