//! `cargo pgrx test` cases: the store conformance suite on the SPI store, transactions that roll
//! back a failed body, what the SQL views show, and privileges.

#[pgrx::pg_schema]
mod tests {
    use std::collections::BTreeMap;

    use bytes::Bytes;
    use pg_kafka_core::log::Batch;
    use pg_kafka_core::store::conformance::CASES;
    use pg_kafka_core::store::{PartitionRow, TopicRow, WriteSet};
    use pgrx::prelude::*;

    use crate::pg::store::SpiStore;
    use crate::pg::txn;

    /// One case of the store conformance suite on the SPI store, inside the test's transaction.
    fn conformance(name: &str) {
        let (_, case) = CASES
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no conformance case {name}"));
        case(&mut SpiStore);
    }

    #[pg_test]
    fn every_conformance_case_is_run_here() {
        let here = [
            "commits_are_read_back",
            "a_failed_commit_writes_nothing_and_its_offsets_land_next_time",
            "groups_offsets_and_producer_state_round_trip",
            "group_changes_apply_in_their_documented_order",
            "expiries_remove_only_what_is_still_expired",
            "deleting_a_topic_removes_its_batches_heads_and_offsets",
            "recovery_rebuilds_memory_from_what_was_committed",
            "cleaner_changes_remove_replace_and_checkpoint",
        ];
        let all: Vec<&str> = CASES.iter().map(|(n, _)| *n).collect();
        assert_eq!(all, here, "add a #[pg_test] for each new conformance case");
    }

    #[pg_test]
    fn acl_bindings_and_role_membership_are_read_and_written_through_spi() {
        use pg_kafka_core::acl::{
            AclBinding, AclFilter, Operation, PatternFilter, PatternType, Permission, ResourceType,
        };
        use pg_kafka_core::store::Store;
        Spi::run("CREATE ROLE kafka_acl_group NOLOGIN").unwrap();
        Spi::run("CREATE ROLE kafka_acl_member LOGIN IN ROLE kafka_acl_group").unwrap();
        Spi::run("CREATE ROLE kafka_acl_noinherit LOGIN NOINHERIT IN ROLE kafka_acl_group")
            .unwrap();
        Spi::run(
            "SELECT kafka.grant_acl('kafka_acl_group', 'read', 'topic', 'orders.', 'prefixed')",
        )
        .unwrap();
        let mut store = SpiStore;
        let state = store.acl_state(100).unwrap();
        let sql_made = AclBinding {
            resource_type: ResourceType::Topic,
            name: "orders.".into(),
            pattern: PatternType::Prefixed,
            principal: "User:kafka_acl_group".into(),
            host: "*".into(),
            operation: Operation::Read,
            permission: Permission::Allow,
        };
        assert_eq!(state.bindings, vec![sql_made.clone()]);
        assert!(!state.truncated);
        assert_eq!(
            state.member_of["kafka_acl_member"],
            vec!["kafka_acl_group".to_owned()]
        );
        assert!(
            !state.member_of.contains_key("kafka_acl_noinherit"),
            "NOINHERIT: no privileges"
        );
        assert!(state.superusers.contains("postgres"));

        let written = AclBinding {
            resource_type: ResourceType::Cluster,
            name: "kafka-cluster".into(),
            pattern: PatternType::Literal,
            principal: "User:kafka_acl_member".into(),
            host: "10.0.0.1".into(),
            operation: Operation::Alter,
            permission: Permission::Deny,
        };
        store
            .create_acls(&[written.clone(), written.clone()], "User:tester")
            .unwrap();
        let by = Spi::get_one::<String>(
            "SELECT created_by FROM kafka.acls WHERE resource_type = 'CLUSTER'",
        );
        assert_eq!(by.unwrap().as_deref(), Some("User:tester"));
        let state = store.acl_state(1).unwrap();
        assert!(state.truncated && state.bindings.len() == 1);

        let only_cluster = AclFilter {
            resource_type: Some(ResourceType::Cluster),
            ..AclFilter::default()
        };
        let orders = AclFilter {
            name: Some("orders.x".into()),
            pattern: PatternFilter::Match,
            ..AclFilter::default()
        };
        let removed = store.delete_acls(&[only_cluster, orders]).unwrap();
        assert_eq!(removed, vec![vec![written], vec![sql_made]]);
        assert_eq!(
            Spi::get_one::<i64>("SELECT count(*) FROM kafka.acls").unwrap(),
            Some(0)
        );
    }

    #[pg_test]
    fn roles_are_read_from_pg_authid_with_their_scram_verifier() {
        use pg_kafka_core::auth::verifier::Verifier;
        use pg_kafka_core::store::Store;
        Spi::run("SET password_encryption = 'scram-sha-256'").unwrap();
        Spi::run("CREATE ROLE kafka_login_test LOGIN PASSWORD 'pencil' VALID UNTIL '2999-01-01 00:00:00+00'").unwrap();
        Spi::run(
            "CREATE ROLE kafka_nologin_test NOLOGIN PASSWORD 'pencil' VALID UNTIL '-infinity'",
        )
        .unwrap();
        Spi::run("SET password_encryption = 'md5'").unwrap();
        Spi::run("CREATE ROLE kafka_md5_test LOGIN PASSWORD 'pencil' VALID UNTIL 'infinity'")
            .unwrap();
        let mut store = SpiStore;
        let login = store.role("kafka_login_test").unwrap().unwrap();
        assert!(login.can_login && !login.superuser);
        assert_eq!(login.valid_until_ms, Some(32_472_144_000_000));
        let verifier = Verifier::parse(login.password.as_deref().unwrap()).unwrap();
        assert!(verifier.matches("pencil"));
        assert!(!verifier.matches("pencils"));
        let nologin = store.role("kafka_nologin_test").unwrap().unwrap();
        assert!(!nologin.can_login);
        assert_eq!(nologin.valid_until_ms, Some(0));
        let md5 = store.role("kafka_md5_test").unwrap().unwrap();
        assert!(md5.password.unwrap().starts_with("md5"));
        assert_eq!(md5.valid_until_ms, None);
        assert!(store.role("postgres").unwrap().unwrap().superuser);
        assert_eq!(store.role("no_such_role_here").unwrap(), None);
        let scram: Vec<String> = store
            .scram_roles(10_000)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert!(scram.contains(&"kafka_login_test".to_owned()), "{scram:?}");
        assert!(!scram.contains(&"kafka_md5_test".to_owned()), "{scram:?}");
    }

    #[pg_test]
    fn spi_store_cleaner_changes_remove_replace_and_checkpoint() {
        conformance("cleaner_changes_remove_replace_and_checkpoint");
    }

    #[pg_test]
    fn spi_store_commits_are_read_back() {
        conformance("commits_are_read_back");
    }

    #[pg_test]
    fn spi_store_failed_commit_writes_nothing() {
        conformance("a_failed_commit_writes_nothing_and_its_offsets_land_next_time");
    }

    #[pg_test]
    fn spi_store_groups_offsets_and_producer_state_round_trip() {
        conformance("groups_offsets_and_producer_state_round_trip");
    }

    #[pg_test]
    fn spi_store_group_changes_apply_in_their_documented_order() {
        conformance("group_changes_apply_in_their_documented_order");
    }

    #[pg_test]
    fn spi_store_expiries_remove_only_what_is_still_expired() {
        conformance("expiries_remove_only_what_is_still_expired");
    }

    #[pg_test]
    fn spi_store_deleting_a_topic_removes_its_rows() {
        conformance("deleting_a_topic_removes_its_batches_heads_and_offsets");
    }

    #[pg_test]
    fn spi_store_recovery_rebuilds_memory() {
        conformance("recovery_rebuilds_memory_from_what_was_committed");
    }

    #[pg_test]
    fn a_body_that_fails_is_rolled_back_and_the_next_one_commits() {
        Spi::run("CREATE TABLE kafka_txn_probe (x integer)").unwrap();
        let count = || Spi::get_one::<i64>("SELECT count(*) FROM kafka_txn_probe").unwrap();
        let refused = txn::run(|| {
            Spi::run("INSERT INTO kafka_txn_probe VALUES (1)").map_err(|e| e.to_string())?;
            Err::<(), String>("refused after writing".into())
        });
        assert_eq!(refused, Err("refused after writing".to_string()));
        assert_eq!(count(), Some(0), "an Err body leaves nothing behind");
        let raised = txn::run(|| {
            Spi::run("INSERT INTO kafka_txn_probe VALUES (2)")?;
            Spi::run("SELECT 1 / 0")
        });
        assert!(raised.unwrap_err().contains("division by zero"));
        assert_eq!(count(), Some(0), "an ERROR leaves nothing behind");
        let kept = txn::run(|| Spi::run("INSERT INTO kafka_txn_probe VALUES (3)"));
        assert_eq!(kept, Ok(()));
        assert_eq!(count(), Some(1));
    }

    #[pg_test]
    fn a_one_copy_bytea_array_is_the_array_postgres_would_build() {
        use crate::pg::bytea_array::ByteaArray;
        use pgrx::datum::DatumWithOid;
        // Lengths around the int alignment, an empty element, and one past a TOAST chunk.
        let big = vec![7u8; 5000];
        let elements: Vec<&[u8]> = vec![b"", b"a", b"ab", b"abc", b"abcd", b"abcde", &big];
        let arg: [DatumWithOid; 1] = [ByteaArray(elements.clone()).into()];
        let row = Spi::get_three_with_args::<i32, String, bool>(
            "SELECT array_ndims($1), array_dims($1)::text,
                    $1 = ARRAY['', 'a', 'ab', 'abc', 'abcd', 'abcde', decode(repeat('07', 5000), 'hex')]::bytea[]",
            &arg,
        )
        .unwrap();
        assert_eq!(row, (Some(1), Some("[1:7]".into()), Some(true)));
        let arg: [DatumWithOid; 1] = [ByteaArray(elements.clone()).into()];
        let lengths = Spi::get_one_with_args::<Vec<i32>>(
            "SELECT array_agg(length(e) ORDER BY n) FROM unnest($1::bytea[]) WITH ORDINALITY AS u(e, n)",
            &arg,
        )
        .unwrap();
        let want: Vec<i32> = elements.iter().map(|e| e.len() as i32).collect();
        assert_eq!(lengths, Some(want));
        let arg: [DatumWithOid; 1] = [ByteaArray(Vec::new()).into()];
        let empty = Spi::get_one_with_args::<i64>("SELECT count(*) FROM unnest($1::bytea[])", &arg);
        assert_eq!(empty.unwrap(), Some(0));
    }

    fn batch(base: i64, count: i32, fill: u8) -> Batch {
        Batch {
            base_offset: base,
            last_offset: base + i64::from(count) - 1,
            base_timestamp: 1_700_000_000_000,
            max_timestamp: 1_700_000_000_000 + i64::from(count),
            record_count: count,
            attributes: 0,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            bytes: Bytes::from(vec![fill; 80]),
        }
    }

    #[pg_test]
    fn write_set_lands_in_the_tables_in_one_statement_per_kind() {
        let id = uuid::Uuid::new_v4();
        let mut ws = WriteSet::default();
        ws.create_topics.push(TopicRow {
            id,
            name: "orders".into(),
            partitions: 3,
            configs: BTreeMap::from([("retention.ms".to_string(), "1000".to_string())]),
        });
        Spi::connect_mut(|c| crate::pg::store::write(c, &ws)).unwrap();

        let mut ws = WriteSet::default();
        ws.appends.push((id, 1, batch(0, 2, 7)));
        ws.appends.push((id, 1, batch(2, 3, 8)));
        ws.heads.push(PartitionRow {
            topic_id: id,
            partition: 1,
            next_offset: 5,
            log_start_offset: 0,
            ..PartitionRow::default()
        });
        Spi::connect_mut(|c| crate::pg::store::write(c, &ws)).unwrap();

        let partitions = Spi::get_one::<i64>("SELECT count(*) FROM kafka.partitions").unwrap();
        assert_eq!(partitions, Some(3));
        let next =
            Spi::get_one::<i64>("SELECT next_offset FROM kafka.partitions WHERE partition = 1")
                .unwrap();
        assert_eq!(next, Some(5));
        let offsets = Spi::get_one::<String>(
            "SELECT string_agg(base_offset || '-' || last_offset, ',' ORDER BY base_offset) FROM kafka.batches",
        )
        .unwrap();
        assert_eq!(offsets.as_deref(), Some("0-1,2-4"));
        let stored =
            Spi::get_one::<Vec<u8>>("SELECT batch FROM kafka.batches WHERE base_offset = 2")
                .unwrap()
                .unwrap();
        assert_eq!(stored, vec![8u8; 80]);
        let config =
            Spi::get_one::<String>("SELECT configs->>'retention.ms' FROM kafka.topics").unwrap();
        assert_eq!(config.as_deref(), Some("1000"));

        let mut ws = WriteSet::default();
        ws.topic_configs.push((
            id,
            BTreeMap::from([("cleanup.policy".to_string(), "compact".to_string())]),
        ));
        Spi::connect_mut(|c| crate::pg::store::write(c, &ws)).unwrap();
        let configs = Spi::get_one::<String>("SELECT configs::text FROM kafka.topics").unwrap();
        assert_eq!(
            configs.as_deref(),
            Some(r#"{"cleanup.policy": "compact"}"#),
            "the whole map is replaced"
        );

        let mut ws = WriteSet::default();
        ws.delete_topics.push(id);
        Spi::connect_mut(|c| crate::pg::store::write(c, &ws)).unwrap();
        let left = Spi::get_one::<i64>(
            "SELECT (SELECT count(*) FROM kafka.batches) + (SELECT count(*) FROM kafka.partitions)",
        )
        .unwrap();
        assert_eq!(left, Some(0));
    }

    #[pg_test]
    fn consumer_lag_is_the_high_watermark_less_the_committed_offset() {
        use pg_kafka_core::store::OffsetRow;
        let id = uuid::Uuid::new_v4();
        let mut ws = WriteSet::default();
        ws.create_topics.push(TopicRow {
            id,
            name: "lagged".into(),
            partitions: 2,
            configs: BTreeMap::new(),
        });
        ws.heads.push(PartitionRow {
            topic_id: id,
            partition: 1,
            next_offset: 10,
            log_start_offset: 0,
            ..PartitionRow::default()
        });
        ws.commit_offsets.push(OffsetRow {
            group_id: "g1".into(),
            topic_id: id,
            partition: 1,
            committed_offset: 7,
            leader_epoch: -1,
            metadata: None,
            commit_timestamp: 1_700_000_000_000,
        });
        Spi::connect_mut(|c| crate::pg::store::write(c, &ws)).unwrap();
        let lag = Spi::get_one::<i64>(
            "SELECT lag FROM kafka.consumer_lag WHERE group_id = 'g1' AND topic = 'lagged'",
        )
        .unwrap();
        assert_eq!(lag, Some(3));
    }

    #[pg_test]
    fn nothing_is_granted_to_public() {
        Spi::run("CREATE ROLE kafka_probe").unwrap();
        let table = Spi::get_one::<bool>(
            "SELECT has_table_privilege('kafka_probe', 'kafka.batches', 'SELECT')",
        )
        .unwrap();
        assert_eq!(table, Some(false));
        let function = Spi::get_one::<bool>(
            "SELECT has_function_privilege('kafka_probe', 'kafka.read_records(text, integer, bigint, bigint)', 'EXECUTE')",
        )
        .unwrap();
        assert_eq!(function, Some(false));
        let schema =
            Spi::get_one::<bool>("SELECT has_schema_privilege('kafka_probe', 'kafka', 'USAGE')")
                .unwrap();
        assert_eq!(schema, Some(false));
    }

    #[pg_test]
    fn kafka_admin_may_run_the_cleaner_and_public_may_not() {
        Spi::run("CREATE ROLE kafka_probe2").unwrap();
        let check = |role: &str, what: &str| {
            Spi::get_one::<bool>(&format!(
                "SELECT {what}('{role}', 'kafka.run_cleaner()', 'EXECUTE')"
            ))
            .unwrap()
        };
        assert_eq!(check("kafka_admin", "has_function_privilege"), Some(true));
        assert_eq!(check("kafka_probe2", "has_function_privilege"), Some(false));
        let stats = Spi::get_one::<bool>(
            "SELECT has_table_privilege('kafka_admin', 'kafka.partition_stats', 'SELECT')",
        )
        .unwrap();
        assert_eq!(stats, Some(true));
        let batches = Spi::get_one::<bool>(
            "SELECT has_table_privilege('kafka_admin', 'kafka.batches', 'SELECT')",
        )
        .unwrap();
        assert_eq!(
            batches,
            Some(false),
            "record bytes stay with whom a superuser grants them"
        );
    }
}
