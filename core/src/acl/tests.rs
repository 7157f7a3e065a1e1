//! The ACL model and Kafka's decision rules.

use std::collections::{HashMap, HashSet};

use super::*;

fn acl(
    t: ResourceType,
    name: &str,
    pattern: PatternType,
    who: &str,
    op: Operation,
    p: Permission,
) -> AclBinding {
    AclBinding {
        resource_type: t,
        name: name.into(),
        pattern,
        principal: who.into(),
        host: "*".into(),
        operation: op,
        permission: p,
    }
}

fn user(name: &str) -> Principal {
    Principal {
        user: Some(name.into()),
        host: "127.0.0.1".into(),
    }
}

fn anonymous() -> Principal {
    Principal {
        user: None,
        host: "127.0.0.1".into(),
    }
}

fn with(bindings: Vec<AclBinding>) -> Authorizer {
    let a = Authorizer::new(true);
    a.install(
        AclState {
            bindings,
            superusers: HashSet::from(["postgres".to_owned()]),
            member_of: HashMap::from([("alice".to_owned(), vec!["analysts".to_owned()])]),
            truncated: false,
        },
        std::time::Instant::now(),
    );
    a
}

use Operation::*;
use PatternType::*;
use Permission::*;
use ResourceType::*;

#[test]
fn nothing_is_allowed_without_an_acl_but_superusers_are() {
    let a = with(vec![]);
    assert!(!a.allowed(&user("bob"), Read, Topic, "t"));
    assert!(!a.allowed(&anonymous(), Describe, Cluster, CLUSTER_NAME));
    assert!(a.allowed(&user("postgres"), Alter, Cluster, CLUSTER_NAME));
}

#[test]
fn everything_is_allowed_when_authorization_is_off_and_nothing_before_a_state() {
    let off = Authorizer::new(false);
    assert!(off.allowed(&user("bob"), Write, Topic, "t"));
    let unloaded = Authorizer::new(true);
    assert!(!unloaded.allowed(&user("postgres"), Write, Topic, "t"));
}

#[test]
fn literal_prefixed_and_wildcard_patterns() {
    let a = with(vec![
        acl(Topic, "orders", Literal, "User:bob", Read, Allow),
        acl(Topic, "logs.", Prefixed, "User:bob", Write, Allow),
        acl(Group, "*", Literal, "User:bob", Read, Allow),
    ]);
    let bob = user("bob");
    assert!(a.allowed(&bob, Read, Topic, "orders"));
    assert!(!a.allowed(&bob, Read, Topic, "orders2"));
    assert!(a.allowed(&bob, Write, Topic, "logs.app"));
    assert!(!a.allowed(&bob, Write, Topic, "logs"));
    assert!(a.allowed(&bob, Read, Group, "any-group"));
    assert!(
        !a.allowed(&bob, Read, Topic, "logs.app"),
        "READ is not WRITE"
    );
}

#[test]
fn deny_wins_and_denies_only_its_operation() {
    let a = with(vec![
        acl(Topic, "*", Literal, "User:bob", All, Allow),
        acl(Topic, "secret", Literal, "User:bob", Read, Deny),
    ]);
    let bob = user("bob");
    assert!(!a.allowed(&bob, Read, Topic, "secret"));
    assert!(a.allowed(&bob, Write, Topic, "secret"));
    assert!(
        a.allowed(&bob, Describe, Topic, "secret"),
        "a DENY of READ leaves DESCRIBE"
    );
    assert!(a.allowed(&bob, Read, Topic, "public"));
}

#[test]
fn implied_describe_and_describe_configs() {
    let a = with(vec![
        acl(Topic, "t", Literal, "User:bob", Write, Allow),
        acl(Topic, "c", Literal, "User:bob", AlterConfigs, Allow),
    ]);
    let bob = user("bob");
    assert!(a.allowed(&bob, Describe, Topic, "t"));
    assert!(!a.allowed(&bob, DescribeConfigs, Topic, "t"));
    assert!(a.allowed(&bob, DescribeConfigs, Topic, "c"));
    assert!(!a.allowed(&bob, Describe, Topic, "c"));
}

#[test]
fn role_membership_and_the_user_wildcard() {
    let a = with(vec![
        acl(Topic, "reports", Literal, "User:analysts", Read, Allow),
        acl(Topic, "open", Literal, "User:*", Read, Allow),
        acl(Topic, "anon", Literal, "User:ANONYMOUS", Write, Allow),
    ]);
    assert!(a.allowed(&user("alice"), Read, Topic, "reports"));
    assert!(!a.allowed(&user("bob"), Read, Topic, "reports"));
    assert!(a.allowed(&user("bob"), Read, Topic, "open"));
    assert!(a.allowed(&anonymous(), Read, Topic, "open"));
    assert!(a.allowed(&anonymous(), Write, Topic, "anon"));
    assert!(!a.allowed(&user("bob"), Write, Topic, "anon"));
}

#[test]
fn hosts_filter() {
    let mut b = acl(Topic, "t", Literal, "User:bob", Read, Allow);
    b.host = "10.0.0.1".into();
    let a = with(vec![b]);
    assert!(!a.allowed(&user("bob"), Read, Topic, "t"));
    let far = Principal {
        user: Some("bob".into()),
        host: "10.0.0.1".into(),
    };
    assert!(a.allowed(&far, Read, Topic, "t"));
}

#[test]
fn a_new_state_replaces_cached_decisions() {
    let a = with(vec![acl(Topic, "t", Literal, "User:bob", Read, Allow)]);
    assert!(a.allowed(&user("bob"), Read, Topic, "t"));
    a.install(AclState::default(), std::time::Instant::now());
    assert!(!a.allowed(&user("bob"), Read, Topic, "t"));
}

#[test]
fn a_truncated_state_allows_only_superusers() {
    let a = Authorizer::new(true);
    a.install(
        AclState {
            bindings: vec![acl(Topic, "t", Literal, "User:bob", Read, Allow)],
            superusers: HashSet::from(["postgres".to_owned()]),
            truncated: true,
            ..AclState::default()
        },
        std::time::Instant::now(),
    );
    assert!(!a.allowed(&user("bob"), Read, Topic, "t"));
    assert!(a.allowed(&user("postgres"), Read, Topic, "t"));
}

#[test]
fn write_on_any_topic_and_a_wildcard_deny() {
    let a = with(vec![acl(Topic, "t", Literal, "User:bob", Write, Allow)]);
    assert!(a.allowed_on_any(&user("bob"), Write, Topic));
    assert!(!a.allowed_on_any(&user("carol"), Write, Topic));
    let a = with(vec![
        acl(Topic, "t", Literal, "User:bob", Write, Allow),
        acl(Topic, "*", Literal, "User:bob", Write, Deny),
    ]);
    assert!(!a.allowed_on_any(&user("bob"), Write, Topic));
}

#[test]
fn authorized_operations_bits() {
    let a = with(vec![acl(Group, "g", Literal, "User:bob", Read, Allow)]);
    let bits = a.operations(&user("bob"), Group, "g");
    assert_eq!(bits, 1 << Read.code() | 1 << Describe.code());
}

#[test]
fn bindings_are_checked_as_kafka_checks_them() {
    let ok = AclBinding::from_wire(2, "t", 3, "User:bob", "*", 3, 3).unwrap();
    assert_eq!(ok.operation, Read);
    for (t, n, pat, who, op, perm) in [
        (1, "t", 3, "User:bob", 3, 3),     // ANY type
        (2, "", 3, "User:bob", 3, 3),      // empty name
        (2, "t", 1, "User:bob", 3, 3),     // ANY pattern
        (2, "t", 2, "User:bob", 3, 3),     // MATCH pattern
        (2, "*", 4, "User:bob", 3, 3),     // PREFIXED wildcard
        (2, "t", 3, "bob", 3, 3),          // not User:
        (2, "t", 3, "User:", 3, 3),        // empty user
        (4, "other", 3, "User:bob", 7, 3), // cluster with another name
        (3, "g", 3, "User:bob", 4, 3),     // WRITE on a group
        (2, "t", 3, "User:bob", 1, 3),     // ANY operation
        (2, "t", 3, "User:bob", 3, 1),     // ANY permission
        (9, "t", 3, "User:bob", 3, 3),     // unknown type
    ] {
        assert!(
            AclBinding::from_wire(t, n, pat, who, "*", op, perm).is_err(),
            "{t} {n:?} {pat} {who} {op} {perm}"
        );
    }
}

#[test]
fn filters_any_exact_and_match() {
    let lit = acl(Topic, "orders", Literal, "User:bob", Read, Allow);
    let wild = acl(Topic, "*", Literal, "User:bob", Read, Allow);
    let pre = acl(Topic, "ord", Prefixed, "User:bob", Read, Allow);
    let any = AclFilter::default();
    assert!(any.matches(&lit) && any.matches(&wild) && any.matches(&pre));
    let exact = AclFilter {
        name: Some("orders".into()),
        pattern: PatternFilter::Exactly(Literal),
        ..AclFilter::default()
    };
    assert!(exact.matches(&lit) && !exact.matches(&wild) && !exact.matches(&pre));
    let matching = AclFilter {
        name: Some("orders".into()),
        pattern: PatternFilter::Match,
        ..AclFilter::default()
    };
    assert!(matching.matches(&lit) && matching.matches(&wild) && matching.matches(&pre));
    let by_op = AclFilter {
        operation: Some(Write),
        ..AclFilter::default()
    };
    assert!(!by_op.matches(&lit));
    assert!(AclFilter::from_wire(0, None, 1, None, None, 1, 1).is_err());
    assert_eq!(
        AclFilter::from_wire(1, None, 1, None, None, 1, 1).unwrap(),
        AclFilter::default()
    );
}

#[test]
fn names_parse_in_any_case() {
    assert_eq!(
        ResourceType::parse("transactional_id"),
        Some(TransactionalId)
    );
    assert_eq!(Operation::parse("Describe_Configs"), Some(DescribeConfigs));
    assert_eq!(Permission::parse("deny"), Some(Deny));
    assert_eq!(PatternType::parse("nope"), None);
}

#[test]
fn an_older_state_never_replaces_a_newer_one() {
    let a = Authorizer::new(true);
    let early = std::time::Instant::now();
    let late = early + std::time::Duration::from_millis(5);
    let allow = vec![acl(Topic, "t", Literal, "User:bob", Read, Allow)];
    a.install(
        AclState {
            bindings: allow,
            ..AclState::default()
        },
        late,
    );
    a.install(AclState::default(), early);
    assert!(a.allowed(&user("bob"), Read, Topic, "t"));
    assert!(a.read_since(early) && a.read_since(late));
    assert!(!a.read_since(late + std::time::Duration::from_millis(1)));
}

#[test]
fn super_users_from_the_setting_may_do_anything() {
    let a =
        Authorizer::with_super_users(true, &["User:ANONYMOUS".to_owned(), "User:ops".to_owned()]);
    a.install(
        AclState {
            bindings: vec![acl(Topic, "*", Literal, "User:*", All, Deny)],
            ..AclState::default()
        },
        std::time::Instant::now(),
    );
    assert!(a.allowed(&anonymous(), Alter, Cluster, CLUSTER_NAME));
    assert!(a.allowed(&user("ops"), Write, Topic, "t"));
    assert!(!a.allowed(&user("bob"), Write, Topic, "t"));
    assert!(a.is_superuser(&user("ops")) && !a.is_superuser(&user("bob")));
}
