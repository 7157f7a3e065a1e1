-- Privileges. Nothing is granted to PUBLIC: a superuser grants what each role needs. The role
-- kafka_admin (created here if missing, without login) may run the cleaner and read the
-- operator views.

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA kafka FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA kafka FROM PUBLIC;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kafka_admin') THEN
        CREATE ROLE kafka_admin NOLOGIN;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA kafka TO kafka_admin;
GRANT EXECUTE ON FUNCTION kafka.run_cleaner() TO kafka_admin;
GRANT EXECUTE ON FUNCTION kafka.partition_memory() TO kafka_admin;
GRANT SELECT ON kafka.partition_stats, kafka.topics, kafka.partitions TO kafka_admin;
