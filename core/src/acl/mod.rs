//! Kafka's authorization model: ACL bindings, the filters of DescribeAcls and DeleteAcls, and
//! the rules that decide a request ([`Authorizer`]).
//!
//! Owns: resource types, pattern types, operations and permissions with their wire codes and
//! their names (the `kafka.acl_bindings` table keeps the names, as `kafka-acls` prints them), and
//! filter matching. Must not touch: the store (bindings come in through [`AclState`]) or the wire
//! (handlers convert).
//!
//! Invariants: a binding held here is concrete (no ANY, MATCH or UNKNOWN); principals are
//! `User:<role>` or `User:*`; the cluster resource is named `kafka-cluster`.

mod authorizer;

pub use authorizer::{AclState, Authorizer, Decision, Principal};

/// The one name of the cluster resource.
pub const CLUSTER_NAME: &str = "kafka-cluster";
/// The literal name and the principal that match every resource or user.
pub const WILDCARD: &str = "*";
/// The principal of a connection without a login (PLAINTEXT, SSL without a client certificate).
pub const ANONYMOUS: &str = "User:ANONYMOUS";

macro_rules! codes {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $code:literal, $text:literal;)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant,)* }

        impl $name {
            /// Every value, in code order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The wire code.
            pub const fn code(self) -> i8 {
                match self { $($name::$variant => $code,)* }
            }

            /// The value of a wire code, if it is one.
            pub fn from_code(code: i8) -> Option<Self> {
                match code { $($code => Some($name::$variant),)* _ => None }
            }

            /// Kafka's name, upper case with underscores (`TRANSACTIONAL_ID`).
            pub const fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            /// The value of a name, in any case (`Topic`, `topic`, `TOPIC`).
            pub fn parse(text: &str) -> Option<Self> {
                let t = text.trim();
                Self::ALL.iter().copied().find(|v| v.name().eq_ignore_ascii_case(t))
            }
        }
    };
}

codes! {
    /// What an ACL protects. ANY only in filters.
    ResourceType {
        Any = 1, "ANY";
        Topic = 2, "TOPIC";
        Group = 3, "GROUP";
        Cluster = 4, "CLUSTER";
        TransactionalId = 5, "TRANSACTIONAL_ID";
    }
}

codes! {
    /// How an ACL's resource name matches. ANY and MATCH only in filters.
    PatternType {
        Any = 1, "ANY";
        Match = 2, "MATCH";
        Literal = 3, "LITERAL";
        Prefixed = 4, "PREFIXED";
    }
}

codes! {
    /// What a principal does to a resource. ANY only in filters; ALL in bindings means every one.
    Operation {
        Any = 1, "ANY";
        All = 2, "ALL";
        Read = 3, "READ";
        Write = 4, "WRITE";
        Create = 5, "CREATE";
        Delete = 6, "DELETE";
        Alter = 7, "ALTER";
        Describe = 8, "DESCRIBE";
        ClusterAction = 9, "CLUSTER_ACTION";
        DescribeConfigs = 10, "DESCRIBE_CONFIGS";
        AlterConfigs = 11, "ALTER_CONFIGS";
        IdempotentWrite = 12, "IDEMPOTENT_WRITE";
    }
}

codes! {
    /// ALLOW or DENY. ANY only in filters.
    Permission {
        Any = 1, "ANY";
        Deny = 2, "DENY";
        Allow = 3, "ALLOW";
    }
}

impl ResourceType {
    /// The operations Kafka defines on this resource type, as authorized_operations reports
    /// them (ALL is never reported).
    pub fn operations(self) -> &'static [Operation] {
        use Operation::*;
        match self {
            ResourceType::Topic => &[
                Read,
                Write,
                Create,
                Delete,
                Alter,
                Describe,
                DescribeConfigs,
                AlterConfigs,
            ],
            ResourceType::Group => &[Read, Delete, Describe],
            ResourceType::Cluster => &[
                Create,
                Alter,
                Describe,
                ClusterAction,
                DescribeConfigs,
                AlterConfigs,
                IdempotentWrite,
            ],
            ResourceType::TransactionalId => &[Write, Describe],
            ResourceType::Any => &[],
        }
    }
}

/// One ACL: `permission` for `principal` from `host` to do `operation` on the resources that
/// `pattern` `name` matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AclBinding {
    pub resource_type: ResourceType,
    pub name: String,
    pub pattern: PatternType,
    pub principal: String,
    pub host: String,
    pub operation: Operation,
    pub permission: Permission,
}

/// Why a binding cannot be created (CreateAcls answers INVALID_REQUEST with this message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidAcl(pub String);

impl std::fmt::Display for InvalidAcl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Longest resource name, principal or host a binding may hold (bytes).
pub const MAX_ACL_TEXT: usize = 1024;

impl AclBinding {
    /// A binding from wire codes, checked as Kafka's CreateAcls checks it.
    pub fn from_wire(
        resource_type: i8,
        name: &str,
        pattern: i8,
        principal: &str,
        host: &str,
        operation: i8,
        permission: i8,
    ) -> Result<AclBinding, InvalidAcl> {
        let bad = |what: &str| InvalidAcl(what.to_owned());
        let resource_type = match ResourceType::from_code(resource_type) {
            Some(ResourceType::Any) | None => return Err(bad("invalid resource type")),
            Some(t) => t,
        };
        let pattern = match PatternType::from_code(pattern) {
            Some(p @ (PatternType::Literal | PatternType::Prefixed)) => p,
            _ => return Err(bad("the pattern type must be LITERAL or PREFIXED")),
        };
        let operation = match Operation::from_code(operation) {
            Some(Operation::Any) | None => return Err(bad("invalid operation")),
            Some(o) => o,
        };
        let permission = match Permission::from_code(permission) {
            Some(Permission::Any) | None => return Err(bad("invalid permission type")),
            Some(p) => p,
        };
        let b = AclBinding {
            resource_type,
            name: name.to_owned(),
            pattern,
            principal: principal.to_owned(),
            host: host.to_owned(),
            operation,
            permission,
        };
        b.check()?;
        Ok(b)
    }

    /// Kafka's checks of a new binding.
    pub fn check(&self) -> Result<(), InvalidAcl> {
        let bad = |what: String| Err(InvalidAcl(what));
        if self.name.is_empty() {
            return bad("the resource name must not be empty".into());
        }
        if [&self.name, &self.principal, &self.host]
            .iter()
            .any(|s| s.len() > MAX_ACL_TEXT)
        {
            return bad(format!("names are limited to {MAX_ACL_TEXT} bytes"));
        }
        if self.resource_type == ResourceType::Cluster && self.name != CLUSTER_NAME {
            return bad(format!("the cluster resource is named {CLUSTER_NAME}"));
        }
        if self.pattern == PatternType::Prefixed && self.name == WILDCARD {
            return bad("a PREFIXED pattern cannot be the wildcard".into());
        }
        match self.principal.strip_prefix("User:") {
            Some(user) if !user.is_empty() => {}
            _ => return bad(format!("principal {:?} is not User:<role>", self.principal)),
        }
        if self.host.is_empty() {
            return bad("the host must be an address or *".into());
        }
        if self.operation != Operation::All
            && !self.resource_type.operations().contains(&self.operation)
        {
            return bad(format!(
                "{} is not an operation on {}",
                self.operation.name(),
                self.resource_type.name()
            ));
        }
        Ok(())
    }

    /// Whether this binding's pattern covers the resource `name` of type `t`.
    pub fn covers(&self, t: ResourceType, name: &str) -> bool {
        self.resource_type == t
            && match self.pattern {
                PatternType::Literal => self.name == name || self.name == WILDCARD,
                PatternType::Prefixed => name.starts_with(self.name.as_str()),
                _ => false,
            }
    }
}

/// A DescribeAcls or DeleteAcls filter: `None` fields match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AclFilter {
    pub resource_type: Option<ResourceType>,
    pub name: Option<String>,
    pub pattern: PatternFilter,
    pub principal: Option<String>,
    pub host: Option<String>,
    pub operation: Option<Operation>,
    pub permission: Option<Permission>,
}

/// How a filter's name is compared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PatternFilter {
    /// Any pattern type, names compared exactly.
    #[default]
    Any,
    /// Bindings that would apply to the named resource: literal equal, the wildcard, prefixes.
    Match,
    /// Only this pattern type, names compared exactly.
    Exactly(PatternType),
}

impl AclFilter {
    /// A filter from wire codes; `Err` for UNKNOWN codes, which Kafka refuses.
    #[allow(clippy::too_many_arguments)]
    pub fn from_wire(
        resource_type: i8,
        name: Option<&str>,
        pattern: i8,
        principal: Option<&str>,
        host: Option<&str>,
        operation: i8,
        permission: i8,
    ) -> Result<AclFilter, InvalidAcl> {
        let bad = |what: &str| InvalidAcl(what.to_owned());
        let resource_type = match ResourceType::from_code(resource_type) {
            None => return Err(bad("invalid resource type filter")),
            Some(ResourceType::Any) => None,
            t => t,
        };
        let pattern = match PatternType::from_code(pattern) {
            None => return Err(bad("invalid pattern type filter")),
            Some(PatternType::Any) => PatternFilter::Any,
            Some(PatternType::Match) => PatternFilter::Match,
            Some(p) => PatternFilter::Exactly(p),
        };
        let operation = match Operation::from_code(operation) {
            None => return Err(bad("invalid operation filter")),
            Some(Operation::Any) => None,
            o => o,
        };
        let permission = match Permission::from_code(permission) {
            None => return Err(bad("invalid permission filter")),
            Some(Permission::Any) => None,
            p => p,
        };
        Ok(AclFilter {
            resource_type,
            name: name.map(str::to_owned),
            pattern,
            principal: principal.map(str::to_owned),
            host: host.map(str::to_owned),
            operation,
            permission,
        })
    }

    /// Whether `b` passes this filter.
    pub fn matches(&self, b: &AclBinding) -> bool {
        let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        if self.resource_type.is_some_and(|t| t != b.resource_type)
            || self.operation.is_some_and(|o| o != b.operation)
            || self.permission.is_some_and(|p| p != b.permission)
            || !eq(&self.principal, &b.principal)
            || !eq(&self.host, &b.host)
        {
            return false;
        }
        match self.pattern {
            PatternFilter::Any => eq(&self.name, &b.name),
            PatternFilter::Exactly(p) => p == b.pattern && eq(&self.name, &b.name),
            PatternFilter::Match => match &self.name {
                None => true,
                Some(n) => match b.pattern {
                    PatternType::Literal => b.name == *n || b.name == WILDCARD,
                    PatternType::Prefixed => n.starts_with(b.name.as_str()),
                    _ => false,
                },
            },
        }
    }
}

#[cfg(test)]
mod tests;
