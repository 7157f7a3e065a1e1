//! The decision: may this principal, from this host, do this operation on this resource?
//!
//! Owns: the installed [`AclState`] (bindings, Postgres superusers, role membership) and a cache
//! of decisions, emptied whenever a new state is installed. The net layer installs a state read
//! from the store at start and then every second, so changes made through SQL (ACLs, `GRANT
//! role TO user`, `ALTER ROLE ... SUPERUSER`) apply within a second.
//!
//! Kafka's rules: superusers may do anything; otherwise a matching DENY (same operation or ALL)
//! wins over any ALLOW; an ALLOW of READ, WRITE, DELETE or ALTER implies DESCRIBE, and one of
//! ALTER_CONFIGS implies DESCRIBE_CONFIGS; no matching ALLOW means denied. A binding for
//! `User:<role>` applies to every role that is a member of it, as Postgres' own privileges do.
//! When authorization is off every request is allowed.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use super::{AclBinding, Operation, Permission, ResourceType, ANONYMOUS, WILDCARD};

/// What the store holds, as the authorizer needs it.
#[derive(Debug, Clone, Default)]
pub struct AclState {
    pub bindings: Vec<AclBinding>,
    /// Postgres superusers: Kafka super users.
    pub superusers: HashSet<String>,
    /// Role → the roles it is a member of (with INHERIT) that some binding names.
    pub member_of: HashMap<String, Vec<String>>,
    /// More bindings are stored than were read: then only superusers are allowed anything.
    pub truncated: bool,
}

/// Who asks: the Postgres role of the connection's login (None: ANONYMOUS) and its address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Principal {
    pub user: Option<String>,
    pub host: String,
}

impl Principal {
    /// Kafka's name: `User:<role>`, or `User:ANONYMOUS` without a login.
    pub fn name(&self) -> String {
        match &self.user {
            Some(u) => format!("User:{u}"),
            None => ANONYMOUS.to_owned(),
        }
    }
}

/// A decision, for the log and for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    Denied,
}

type Key = (Principal, Operation, ResourceType, String);

/// Most decisions cached; past this the cache starts again.
const CACHE_ENTRIES: usize = 65_536;

/// The authorizer every connection shares.
#[derive(Debug)]
pub struct Authorizer {
    enabled: bool,
    /// Principals (`User:<role>`, `User:ANONYMOUS`) allowed everything besides the Postgres
    /// superusers (`pg_kafka.super_users`, Kafka's `super.users`).
    super_users: HashSet<String>,
    /// None until the first state is installed; until then everything is denied.
    state: RwLock<Option<Arc<AclState>>>,
    cache: Mutex<HashMap<Key, bool>>,
    /// When the read of the installed state was asked for.
    read_at: Mutex<Option<Instant>>,
    /// Held while a state is read for [`Authorizer::read_since`], so concurrent logins share
    /// one read.
    reading: tokio::sync::Mutex<()>,
}

impl Authorizer {
    pub fn new(enabled: bool) -> Authorizer {
        Authorizer::with_super_users(enabled, &[])
    }

    /// An authorizer that also lets `super_users` do anything.
    pub fn with_super_users(enabled: bool, super_users: &[String]) -> Authorizer {
        Authorizer {
            enabled,
            super_users: super_users.iter().cloned().collect(),
            state: RwLock::new(None),
            cache: Mutex::new(HashMap::new()),
            read_at: Mutex::new(None),
            reading: tokio::sync::Mutex::new(()),
        }
    }

    /// Whether the installed state was read after `t`.
    pub fn read_since(&self, t: Instant) -> bool {
        self.read_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|at| at >= t)
    }

    /// Wait for the right to read a state for a login at `t`; `None` when a state read since
    /// `t` was installed meanwhile (nothing to read).
    pub async fn begin_read(&self, t: Instant) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        if self.read_since(t) {
            return None;
        }
        let guard = self.reading.lock().await;
        (!self.read_since(t)).then_some(guard)
    }

    /// Whether requests are checked at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Replace the state, read as asked for at `read_at`; earlier decisions are forgotten. A
    /// state older than the installed one is dropped.
    pub fn install(&self, state: AclState, read_at: Instant) {
        {
            let mut at = self.read_at.lock().unwrap_or_else(|e| e.into_inner());
            if at.is_some_and(|a| a > read_at) {
                return;
            }
            *at = Some(read_at);
        }
        let state = Arc::new(state);
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = Some(state);
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Whether a state was installed.
    pub fn loaded(&self) -> bool {
        self.current().is_some()
    }

    fn current(&self) -> Option<Arc<AclState>> {
        self.state.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether `who` is a super user: in `pg_kafka.super_users`, or a Postgres superuser.
    pub fn is_superuser(&self, who: &Principal) -> bool {
        self.super_users.contains(&who.name()) || self.current().is_some_and(|s| is_super(&s, who))
    }

    /// May `who` do `op` on the resource `name` of type `t`?
    pub fn allowed(&self, who: &Principal, op: Operation, t: ResourceType, name: &str) -> bool {
        if !self.enabled {
            return true;
        }
        let key = (who.clone(), op, t, name.to_owned());
        if let Some(d) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return *d;
        }
        if self.super_users.contains(&who.name()) {
            return true;
        }
        let Some(state) = self.current() else {
            return false;
        };
        let d = decide(&state, who, op, t, name) == Decision::Allowed;
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(key, d);
        d
    }

    /// May `who` do `op` on at least one resource of type `t` (Kafka's check of idempotent
    /// producers: WRITE on any topic)? A DENY of the literal wildcard rules it out.
    pub fn allowed_on_any(&self, who: &Principal, op: Operation, t: ResourceType) -> bool {
        if !self.enabled {
            return true;
        }
        if self.super_users.contains(&who.name()) {
            return true;
        }
        let Some(state) = self.current() else {
            return false;
        };
        if is_super(&state, who) {
            return true;
        }
        if state.truncated {
            return false;
        }
        let names = principals(&state, who);
        let applies = |b: &&AclBinding| {
            b.resource_type == t
                && names.contains(b.principal.as_str())
                && (b.host == WILDCARD || b.host == who.host)
                && (b.operation == op || b.operation == Operation::All)
        };
        let denied_everywhere = state.bindings.iter().filter(applies).any(|b| {
            b.permission == Permission::Deny
                && b.pattern == super::PatternType::Literal
                && b.name == WILDCARD
        });
        !denied_everywhere
            && state
                .bindings
                .iter()
                .filter(applies)
                .any(|b| b.permission == Permission::Allow)
    }

    /// Kafka's authorized_operations bit field: bit `code` set for each operation of `t` that
    /// `who` may do on `name`.
    pub fn operations(&self, who: &Principal, t: ResourceType, name: &str) -> i32 {
        t.operations()
            .iter()
            .filter(|op| self.allowed(who, **op, t, name))
            .fold(0, |bits, op| bits | 1 << op.code())
    }
}

fn is_super(state: &AclState, who: &Principal) -> bool {
    who.user
        .as_ref()
        .is_some_and(|u| state.superusers.contains(u))
}

/// The principal names whose bindings apply to `who`.
fn principals(state: &AclState, who: &Principal) -> HashSet<String> {
    let mut names = HashSet::from(["User:*".to_owned()]);
    match &who.user {
        None => {
            names.insert(ANONYMOUS.to_owned());
        }
        Some(u) => {
            names.insert(format!("User:{u}"));
            for g in state.member_of.get(u).into_iter().flatten() {
                names.insert(format!("User:{g}"));
            }
        }
    }
    names
}

/// Kafka's decision for one request against `state`.
pub(super) fn decide(
    state: &AclState,
    who: &Principal,
    op: Operation,
    t: ResourceType,
    name: &str,
) -> Decision {
    if is_super(state, who) {
        return Decision::Allowed;
    }
    if state.truncated {
        return Decision::Denied;
    }
    let names = principals(state, who);
    let relevant = state.bindings.iter().filter(|b| {
        b.covers(t, name)
            && names.contains(b.principal.as_str())
            && (b.host == WILDCARD || b.host == who.host)
    });
    let mut allowed = false;
    for b in relevant {
        match b.permission {
            Permission::Deny if b.operation == op || b.operation == Operation::All => {
                return Decision::Denied;
            }
            Permission::Allow if implies(b.operation, op) => allowed = true,
            _ => {}
        }
    }
    if allowed {
        Decision::Allowed
    } else {
        Decision::Denied
    }
}

/// Whether an ALLOW of `granted` allows `wanted`.
fn implies(granted: Operation, wanted: Operation) -> bool {
    use Operation::*;
    granted == wanted
        || granted == All
        || (wanted == Describe && matches!(granted, Read | Write | Delete | Alter))
        || (wanted == DescribeConfigs && granted == AlterConfigs)
}
