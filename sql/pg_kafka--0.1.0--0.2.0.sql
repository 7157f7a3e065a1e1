-- pg_kafka 0.1.0 -> 0.2.0: Kafka ACLs kept in kafka.acl_bindings and managed from SQL
-- (kafka.grant_acl, kafka.revoke_acl, the kafka.acls view); kafka.acl_allows, Kafka's decision
-- for a role; record access filtered by it; the audit log of administrative requests; search_path
-- pinned on every SQL function.
--
-- A fresh install runs this file too, after the 0.1.0 objects (src/pg/sql.rs), so an upgraded
-- database and a new one hold the same objects.

-- One row per ACL binding, in Kafka's names (as kafka-acls prints them). Principals are
-- User:<role> (a Postgres role, and with it every member of the role) or User:* (everyone).
CREATE TABLE kafka.acl_bindings (
    acl_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    principal     text NOT NULL CHECK (principal ~ '^User:.+' AND length(principal) <= 1024),
    permission    text NOT NULL CHECK (permission IN ('ALLOW', 'DENY')),
    operation     text NOT NULL,
    resource_type text NOT NULL CHECK (resource_type IN ('TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID')),
    resource_name text NOT NULL CHECK (resource_name <> '' AND length(resource_name) <= 1024),
    pattern_type  text NOT NULL DEFAULT 'LITERAL' CHECK (pattern_type IN ('LITERAL', 'PREFIXED')),
    host          text NOT NULL DEFAULT '*' CHECK (host <> '' AND length(host) <= 1024),
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text NOT NULL DEFAULT current_user,
    UNIQUE (resource_type, resource_name, pattern_type, principal, host, operation, permission),
    -- The operations Kafka defines on each resource type.
    CHECK (operation = 'ALL' OR operation = ANY (CASE resource_type
        WHEN 'TOPIC' THEN ARRAY['READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE',
                                'DESCRIBE_CONFIGS', 'ALTER_CONFIGS']
        WHEN 'GROUP' THEN ARRAY['READ', 'DELETE', 'DESCRIBE']
        WHEN 'CLUSTER' THEN ARRAY['CREATE', 'ALTER', 'DESCRIBE', 'CLUSTER_ACTION',
                                  'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE']
        WHEN 'TRANSACTIONAL_ID' THEN ARRAY['WRITE', 'DESCRIBE'] END)),
    CHECK (resource_type <> 'CLUSTER' OR resource_name = 'kafka-cluster'),
    CHECK (pattern_type <> 'PREFIXED' OR resource_name <> '*')
);
COMMENT ON TABLE kafka.acl_bindings IS
    'Kafka ACLs checked by pg_kafka when pg_kafka.authorization is on; changes apply within a second.';

-- Dumped with the data (pg_dump), as the other kafka tables; identity sequences too.
SELECT pg_catalog.pg_extension_config_dump('kafka.acl_bindings', '');
SELECT pg_catalog.pg_extension_config_dump('kafka.acl_bindings_acl_id_seq', '');

CREATE VIEW kafka.acls AS
SELECT acl_id, principal, permission, operation, resource_type, resource_name, pattern_type, host,
       created_at, created_by
  FROM kafka.acl_bindings;

-- One row per resource an administrative Kafka request named (CreateTopics, DeleteTopics,
-- CreatePartitions, AlterConfigs, IncrementalAlterConfigs, DeleteRecords, CreateAcls, DeleteAcls,
-- DeleteGroups, OffsetDelete), refused ones included, written by the worker right after it
-- answered. The table is the DBA's to prune (DELETE ... WHERE at < ...).
CREATE TABLE kafka.audit_log (
    audit_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    principal      text NOT NULL,
    client_address text NOT NULL,
    client_id      text NOT NULL,
    action         text NOT NULL,
    resource_type  text NOT NULL,
    resource_name  text NOT NULL,
    outcome        text NOT NULL,
    detail         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON kafka.audit_log (at);
SELECT pg_catalog.pg_extension_config_dump('kafka.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('kafka.audit_log_audit_id_seq', '');
COMMENT ON TABLE kafka.audit_log IS
    'Administrative Kafka requests, per resource, with principal, client and outcome (OK or the Kafka error).';

-- Add a binding (an existing equal one is kept); returns its acl_id. The principal may be given
-- as a role name or as User:<role>; the names in any case.
CREATE FUNCTION kafka.grant_acl(principal text, operation text, resource_type text,
                                resource_name text DEFAULT NULL,
                                pattern_type text DEFAULT 'LITERAL',
                                permission text DEFAULT 'ALLOW', host text DEFAULT '*')
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, kafka
AS $$
#variable_conflict use_column
DECLARE
    b kafka.acl_bindings;
    id bigint;
BEGIN
    b := kafka.acl_binding_of(grant_acl.principal, grant_acl.operation, grant_acl.resource_type,
                              grant_acl.resource_name, grant_acl.pattern_type,
                              grant_acl.permission, grant_acl.host);
    INSERT INTO kafka.acl_bindings (principal, permission, operation, resource_type,
                                    resource_name, pattern_type, host, created_by)
    VALUES (b.principal, b.permission, b.operation, b.resource_type, b.resource_name,
            b.pattern_type, b.host, session_user)
    ON CONFLICT DO NOTHING
    RETURNING acl_id INTO id;
    IF id IS NULL THEN
        SELECT a.acl_id INTO id FROM kafka.acl_bindings AS a
         WHERE (a.principal, a.permission, a.operation, a.resource_type, a.resource_name,
                a.pattern_type, a.host)
             = (b.principal, b.permission, b.operation, b.resource_type, b.resource_name,
                b.pattern_type, b.host);
    END IF;
    RETURN id;
END
$$;

-- Remove the binding these arguments name (as grant_acl takes them); returns how many went (0 or 1).
CREATE FUNCTION kafka.revoke_acl(principal text, operation text, resource_type text,
                                 resource_name text DEFAULT NULL,
                                 pattern_type text DEFAULT 'LITERAL',
                                 permission text DEFAULT 'ALLOW', host text DEFAULT '*')
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, kafka
AS $$
#variable_conflict use_column
DECLARE
    b kafka.acl_bindings;
    n bigint;
BEGIN
    b := kafka.acl_binding_of(revoke_acl.principal, revoke_acl.operation, revoke_acl.resource_type,
                              revoke_acl.resource_name, revoke_acl.pattern_type,
                              revoke_acl.permission, revoke_acl.host);
    DELETE FROM kafka.acl_bindings AS a
     WHERE (a.principal, a.permission, a.operation, a.resource_type, a.resource_name,
            a.pattern_type, a.host)
         = (b.principal, b.permission, b.operation, b.resource_type, b.resource_name,
            b.pattern_type, b.host);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- The binding grant_acl and revoke_acl mean: names upper-cased, User: added to a bare role
-- name, the cluster's name filled in.
CREATE FUNCTION kafka.acl_binding_of(principal text, operation text, resource_type text,
                                     resource_name text, pattern_type text, permission text,
                                     host text)
RETURNS kafka.acl_bindings
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, kafka
AS $$
    SELECT ROW(NULL,
               CASE WHEN principal LIKE 'User:%' THEN principal ELSE 'User:' || principal END,
               upper(permission), upper(operation), upper(resource_type),
               CASE WHEN upper(resource_type) = 'CLUSTER'
                    THEN coalesce(resource_name, 'kafka-cluster') ELSE resource_name END,
               upper(pattern_type), host, NULL, NULL)::kafka.acl_bindings
$$;

-- Kafka's decision for a Postgres role, from SQL: superusers may do anything; otherwise a
-- matching DENY wins, and a matching ALLOW (READ, WRITE, DELETE or ALTER imply DESCRIBE;
-- ALTER_CONFIGS implies DESCRIBE_CONFIGS) is needed. Bindings of the role, of any role it is a
-- member of, and of User:*, for any host ('*' bindings only: SQL has no client address).
CREATE FUNCTION kafka.acl_allows(role name, operation text, resource_type text,
                                 resource_name text)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, kafka
AS $$
    WITH matching AS (
        SELECT a.permission, a.operation
          FROM kafka.acl_bindings AS a
         WHERE a.resource_type = upper(acl_allows.resource_type)
           AND a.host = '*'
           AND CASE a.pattern_type
                   WHEN 'LITERAL' THEN a.resource_name IN (acl_allows.resource_name, '*')
                   ELSE starts_with(acl_allows.resource_name, a.resource_name)
               END
           AND (a.principal = 'User:*'
                OR EXISTS (SELECT FROM pg_roles AS g
                            WHERE 'User:' || g.rolname = a.principal
                              AND pg_has_role(acl_allows.role, g.oid, 'USAGE')))
    )
    SELECT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = acl_allows.role), false)
        OR (NOT EXISTS (SELECT FROM matching
                         WHERE permission = 'DENY'
                           AND operation IN (upper(acl_allows.operation), 'ALL'))
            AND EXISTS (SELECT FROM matching
                         WHERE permission = 'ALLOW'
                           AND (operation IN (upper(acl_allows.operation), 'ALL')
                                OR (upper(acl_allows.operation) = 'DESCRIBE'
                                    AND operation IN ('READ', 'WRITE', 'DELETE', 'ALTER'))
                                OR (upper(acl_allows.operation) = 'DESCRIBE_CONFIGS'
                                    AND operation = 'ALTER_CONFIGS'))))
$$;

-- The stored batches of the topics the current role may READ (all of them for a superuser),
-- from each partition's log start on. Equality and range conditions on topic, partition and
-- offsets reach the batch scan through the barrier (their operators are leakproof).
CREATE VIEW kafka.readable_batches WITH (security_barrier) AS
SELECT t.name AS topic, b.partition, b.base_offset, b.last_offset, p.log_start_offset, b.batch
  FROM kafka.topics AS t
  JOIN kafka.batches AS b ON b.topic_id = t.topic_id
  JOIN kafka.partitions AS p ON p.topic_id = b.topic_id AND p.partition = b.partition
 WHERE b.last_offset >= p.log_start_offset
   AND kafka.acl_allows(current_user, 'READ', 'TOPIC', t.name);

-- Every record the current role may READ (see kafka.readable_batches).
CREATE OR REPLACE VIEW kafka.records AS
SELECT rb.topic, rb.partition, r."offset", r."timestamp", r.key, r.value, r.headers
  FROM kafka.readable_batches AS rb
 CROSS JOIN LATERAL kafka.decode_batch(rb.batch) AS r
 WHERE r."offset" >= rb.log_start_offset;

CREATE OR REPLACE FUNCTION kafka.read_records(topic text, partition integer DEFAULT NULL,
                                              from_offset bigint DEFAULT NULL,
                                              to_offset bigint DEFAULT NULL)
RETURNS TABLE (topic text, partition integer, "offset" bigint, "timestamp" timestamptz,
               key bytea, value bytea, headers kafka.record_header[])
LANGUAGE sql STABLE
SET search_path = pg_catalog, kafka
AS $$
    SELECT rb.topic, rb.partition, r."offset", r."timestamp", r.key, r.value, r.headers
      FROM kafka.readable_batches AS rb
     CROSS JOIN LATERAL kafka.decode_batch(rb.batch) AS r
     WHERE rb.topic = read_records.topic
       AND r."offset" >= rb.log_start_offset
       AND (read_records.partition IS NULL OR rb.partition = read_records.partition)
       AND (read_records.from_offset IS NULL OR rb.last_offset >= read_records.from_offset)
       AND (read_records.to_offset IS NULL OR rb.base_offset <= read_records.to_offset)
       AND (read_records.from_offset IS NULL OR r."offset" >= read_records.from_offset)
       AND (read_records.to_offset IS NULL OR r."offset" <= read_records.to_offset)
     ORDER BY rb.partition, r."offset"
$$;

ALTER FUNCTION kafka.decode_batch(bytea) SET search_path = pg_catalog, kafka;

-- Privileges: nothing for PUBLIC; kafka_admin (from 0.1.0) may manage and read the ACLs;
-- kafka_reader (NOLOGIN, for the DBA to grant) may read records, of the topics its member may
-- READ.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kafka_reader') THEN
        CREATE ROLE kafka_reader NOLOGIN;
    END IF;
END
$$;
REVOKE ALL ON kafka.acl_bindings, kafka.acls, kafka.readable_batches, kafka.records,
              kafka.audit_log FROM PUBLIC;
REVOKE ALL ON FUNCTION kafka.grant_acl(text, text, text, text, text, text, text),
                       kafka.revoke_acl(text, text, text, text, text, text, text),
                       kafka.acl_binding_of(text, text, text, text, text, text, text),
                       kafka.acl_allows(name, text, text, text) FROM PUBLIC;
GRANT SELECT ON kafka.acls, kafka.audit_log TO kafka_admin;
GRANT EXECUTE ON FUNCTION kafka.grant_acl(text, text, text, text, text, text, text),
                          kafka.revoke_acl(text, text, text, text, text, text, text)
   TO kafka_admin;
GRANT USAGE ON SCHEMA kafka TO kafka_reader;
GRANT SELECT ON kafka.readable_batches, kafka.records TO kafka_reader;
GRANT EXECUTE ON FUNCTION kafka.acl_allows(name, text, text, text),
                          kafka.decode_batch(bytea), kafka.decode_batch_raw(bytea),
                          kafka.read_records(text, integer, bigint, bigint)
   TO kafka_reader;
