//! Broker settings as the engine sees them: plain values, filled from GUCs by `src/pg/guc.rs`
//! (or by tests). Nothing here reads Postgres.
//!
//! Listeners use Kafka's syntax (`PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://0.0.0.0:9093`): the
//! listener name is its security protocol. [`parse_listeners`] and [`advertise`] check and fill
//! them; a wildcard or "localhost" bind address is advertised as 127.0.0.1 unless an advertised
//! listener of the same name says otherwise.

use std::fmt;
use std::path::PathBuf;

/// How a listener's connections are secured, named as Kafka names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecurityProtocol {
    Plaintext,
    Ssl,
    SaslPlaintext,
    SaslSsl,
}

impl SecurityProtocol {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name.to_ascii_uppercase().as_str() {
            "PLAINTEXT" => SecurityProtocol::Plaintext,
            "SSL" => SecurityProtocol::Ssl,
            "SASL_PLAINTEXT" => SecurityProtocol::SaslPlaintext,
            "SASL_SSL" => SecurityProtocol::SaslSsl,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    /// Whether a client must authenticate with SASL before anything else is served.
    pub fn sasl(self) -> bool {
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
    }

    /// Whether the connection is encrypted.
    pub fn tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }
}

/// One listener: where it binds and what Metadata tells the clients that arrive on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listener {
    pub protocol: SecurityProtocol,
    pub host: String,
    pub port: u16,
    pub advertised_host: String,
    pub advertised_port: u16,
}

impl Listener {
    /// A listener that advertises where it binds (a wildcard as 127.0.0.1).
    pub fn new(protocol: SecurityProtocol, host: &str, port: u16) -> Self {
        let advertised_host = match host {
            // A wildcard cannot be dialled; "localhost" may resolve to ::1. Advertise loopback.
            "" | "0.0.0.0" | "::" | "*" | "localhost" => "127.0.0.1".to_owned(),
            other => other.to_owned(),
        };
        Listener {
            protocol,
            host: host.to_owned(),
            port,
            advertised_host,
            advertised_port: port,
        }
    }

    /// The address to bind, as `host:port` (IPv6 hosts bracketed).
    pub fn bind_address(&self) -> String {
        let host = match self.host.as_str() {
            "" | "*" => "0.0.0.0",
            h => h,
        };
        join(host, self.port)
    }
}

impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}",
            self.protocol.name(),
            join(&self.host, self.port)
        )
    }
}

fn join(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Parse `NAME://host:port,...` into (protocol, host, port) triples.
fn parse_entries(spec: &str) -> Result<Vec<(SecurityProtocol, String, u16)>, String> {
    let mut out = Vec::new();
    for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (name, rest) = entry
            .split_once("://")
            .ok_or_else(|| format!("{entry:?} is not NAME://host:port"))?;
        let protocol = SecurityProtocol::parse(name).ok_or_else(|| {
            format!(
                "listener name {name:?} is not PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL \
                 (custom listener names are not supported)"
            )
        })?;
        let (host, port) = match rest.strip_prefix('[') {
            Some(v6) => {
                let (h, p) = v6
                    .split_once("]:")
                    .ok_or_else(|| format!("{entry:?}: an IPv6 host needs [addr]:port"))?;
                (h, p)
            }
            None => rest
                .rsplit_once(':')
                .ok_or_else(|| format!("{entry:?} has no port"))?,
        };
        let port: u16 = port
            .parse()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("{entry:?}: port {port:?} is not 1..65535"))?;
        if out.iter().any(|(p, _, _)| *p == protocol) {
            return Err(format!("listener {} is given twice", protocol.name()));
        }
        out.push((protocol, host.to_owned(), port));
    }
    Ok(out)
}

/// The listeners of `pg_kafka.listeners`; at least one, each name at most once.
pub fn parse_listeners(spec: &str) -> Result<Vec<Listener>, String> {
    let entries = parse_entries(spec)?;
    if entries.is_empty() {
        return Err("no listener given".into());
    }
    let mut seen = std::collections::HashSet::new();
    for (_, host, port) in &entries {
        if !seen.insert((host.clone(), *port)) {
            return Err(format!("two listeners bind {}", join(host, *port)));
        }
    }
    Ok(entries
        .into_iter()
        .map(|(protocol, host, port)| Listener::new(protocol, &host, port))
        .collect())
}

/// Apply `pg_kafka.advertised_listeners`: each entry replaces the advertised address of the
/// listener of the same name, which must exist.
pub fn advertise(listeners: &mut [Listener], spec: &str) -> Result<(), String> {
    for (protocol, host, port) in parse_entries(spec)? {
        let l = listeners
            .iter_mut()
            .find(|l| l.protocol == protocol)
            .ok_or_else(|| format!("advertised listener {} has no listener", protocol.name()))?;
        if matches!(host.as_str(), "" | "0.0.0.0" | "::" | "*") {
            return Err(format!(
                "advertised listener {}: {host:?} cannot be dialled",
                protocol.name()
            ));
        }
        l.advertised_host = host;
        l.advertised_port = port;
    }
    Ok(())
}

/// A SASL mechanism this broker can verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    ScramSha256,
    Plain,
}

impl Mechanism {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "SCRAM-SHA-256" => Some(Mechanism::ScramSha256),
            "PLAIN" => Some(Mechanism::Plain),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
            Mechanism::Plain => "PLAIN",
        }
    }
}

/// SASL settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaslConfig {
    /// Mechanisms offered, in the order SaslHandshake lists them.
    pub mechanisms: Vec<Mechanism>,
    /// Whether PLAIN (a cleartext password) is accepted on a listener without TLS.
    pub plain_without_tls: bool,
    /// Session lifetime after a login (KIP-368); 0: sessions never expire.
    pub max_reauth_ms: u64,
}

impl Default for SaslConfig {
    fn default() -> Self {
        SaslConfig {
            mechanisms: vec![Mechanism::ScramSha256, Mechanism::Plain],
            plain_without_tls: false,
            max_reauth_ms: 0,
        }
    }
}

/// Parse `pg_kafka.sasl_enabled_mechanisms`: known names, comma-separated, at least one.
pub fn parse_mechanisms(spec: &str) -> Result<Vec<Mechanism>, String> {
    let mut out = Vec::new();
    for name in spec.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let m = Mechanism::parse(name).ok_or_else(|| {
            format!("SASL mechanism {name:?} is not supported (SCRAM-SHA-256, PLAIN)")
        })?;
        if !out.contains(&m) {
            out.push(m);
        }
    }
    if out.is_empty() {
        return Err("no SASL mechanism given".into());
    }
    Ok(out)
}

/// Whether clients present certificates (Postgres' clientcert, Kafka's ssl.client.auth).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    None,
    Requested,
    Required,
}

impl ClientAuth {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "" => Some(ClientAuth::None),
            "requested" => Some(ClientAuth::Requested),
            "required" => Some(ClientAuth::Required),
            _ => None,
        }
    }
}

/// Where the TLS material is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// CA bundle for client certificates; needed unless client auth is `None`.
    pub ca: Option<PathBuf>,
    pub client_auth: ClientAuth,
}

/// Settings of one broker process.
#[derive(Clone, Debug)]
pub struct BrokerConfig {
    /// Where the broker listens; the first listener is the one reported as `listeners[0]` in logs.
    pub listeners: Vec<Listener>,
    /// Whether requests are checked against Kafka ACLs (`pg_kafka.authorization`).
    pub authorization: bool,
    /// Principals allowed everything besides Postgres superusers (`pg_kafka.super_users`).
    pub super_users: Vec<String>,
    /// SASL mechanisms and session settings (used by SASL listeners).
    pub sasl: SaslConfig,
    /// Certificate, key and client-certificate settings (used by SSL and SASL_SSL listeners).
    pub tls: Option<TlsFiles>,
    /// The node id this broker answers as.
    pub node_id: i32,
    /// Cluster id returned in Metadata and DescribeCluster.
    pub cluster_id: String,
    /// Largest request frame accepted, in bytes.
    pub max_request_size: usize,
    /// Bytes of requests (as they arrive, until their memory is freed) and unsent responses held
    /// across all connections at once; a client over it is slowed by not being read.
    pub max_inflight_bytes: usize,
    /// A frame that makes no progress for this long closes its connection; also the cap on a
    /// Fetch's max_wait_ms, and the time a SASL login may take.
    pub request_timeout_ms: u64,
    /// A connection with nothing in flight and nothing received for this long is closed.
    pub connections_max_idle_ms: u64,
    /// Most client connections served at once.
    pub max_connections: usize,
    /// Most topics, and most partitions across all topics, this broker holds.
    pub max_topics: usize,
    pub max_partitions: usize,
    /// Bytes of record batches kept in memory across all partitions.
    pub log_cache_size: usize,
    /// Partitions of an auto-created topic.
    pub default_partitions: i32,
    /// Whether Metadata and Produce create unknown topics.
    pub auto_create_topics: bool,
}

/// `pg_kafka.authorization`: `on` or `off`; empty means on exactly when some listener is SSL
/// or SASL (a broker that authenticates also authorizes).
pub fn parse_authorization(text: &str, listeners: &[Listener]) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" => Ok(listeners
            .iter()
            .any(|l| l.protocol != SecurityProtocol::Plaintext)),
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        other => Err(format!("{other:?} is not on or off")),
    }
}

/// `pg_kafka.super_users`: principals separated by `;` (Kafka's `super.users`) or `,`, each
/// `User:<role>` or `User:ANONYMOUS`.
pub fn parse_super_users(text: &str) -> Result<Vec<String>, String> {
    text.split([';', ','])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.strip_prefix("User:") {
            Some(u) if !u.is_empty() => Ok(p.to_owned()),
            _ => Err(format!("{p:?} is not User:<role>")),
        })
        .collect()
}

impl BrokerConfig {
    /// The listener with index `i` (a connection's listener), or the first one.
    pub fn listener(&self, i: usize) -> &Listener {
        self.listeners.get(i).unwrap_or(&self.listeners[0])
    }
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            listeners: vec![Listener::new(
                SecurityProtocol::Plaintext,
                "127.0.0.1",
                9092,
            )],
            authorization: false,
            super_users: Vec::new(),
            sasl: SaslConfig::default(),
            tls: None,
            node_id: 0,
            cluster_id: "pg_kafka".into(),
            max_request_size: 100 * 1024 * 1024,
            max_inflight_bytes: 256 * 1024 * 1024,
            request_timeout_ms: 30_000,
            connections_max_idle_ms: 600_000,
            max_connections: 1000,
            max_topics: 100_000,
            max_partitions: 200_000,
            log_cache_size: 256 * 1024 * 1024,
            default_partitions: 1,
            auto_create_topics: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn super_users_are_principals() {
        assert_eq!(
            parse_super_users(" User:ANONYMOUS;User:ops ,").unwrap(),
            vec!["User:ANONYMOUS".to_owned(), "User:ops".to_owned()]
        );
        assert!(parse_super_users("ops").is_err());
        assert!(parse_super_users("").unwrap().is_empty());
    }

    #[test]
    fn authorization_defaults_to_on_with_a_secure_listener() {
        let plain = parse_listeners("PLAINTEXT://127.0.0.1:9092").unwrap();
        let both = parse_listeners("PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9093").unwrap();
        assert!(!parse_authorization("", &plain).unwrap());
        assert!(parse_authorization("", &both).unwrap());
        assert!(parse_authorization(" ON ", &plain).unwrap());
        assert!(!parse_authorization("off", &both).unwrap());
        assert!(parse_authorization("maybe", &both).is_err());
    }

    #[test]
    fn listeners_parse_in_kafka_syntax() {
        let l =
            parse_listeners("PLAINTEXT://127.0.0.1:9092, SASL_SSL://0.0.0.0:9093,SSL://[::1]:9094")
                .unwrap();
        assert_eq!(l.len(), 3);
        assert_eq!(
            l[0],
            Listener::new(SecurityProtocol::Plaintext, "127.0.0.1", 9092)
        );
        assert_eq!(l[1].protocol, SecurityProtocol::SaslSsl);
        assert_eq!(
            (l[1].advertised_host.as_str(), l[1].advertised_port),
            ("127.0.0.1", 9093)
        );
        assert_eq!(l[1].bind_address(), "0.0.0.0:9093");
        assert_eq!(l[2].bind_address(), "[::1]:9094");
        assert_eq!(l[2].to_string(), "SSL://[::1]:9094");
    }

    #[test]
    fn bad_listeners_are_refused_with_the_reason() {
        for (spec, says) in [
            ("", "no listener"),
            ("PLAINTEXT://127.0.0.1", "no port"),
            ("PLAINTEXT://127.0.0.1:0", "port"),
            ("PLAINTEXT://127.0.0.1:70000", "port"),
            ("INTERNAL://127.0.0.1:9092", "custom listener names"),
            ("PLAINTEXT://a:1,PLAINTEXT://b:2", "twice"),
            ("PLAINTEXT://a:1,SSL://a:1", "two listeners bind"),
            ("127.0.0.1:9092", "NAME://host:port"),
        ] {
            let e = parse_listeners(spec).unwrap_err();
            assert!(e.contains(says), "{spec:?}: {e}");
        }
    }

    #[test]
    fn advertised_listeners_replace_by_name() {
        let mut l =
            parse_listeners("PLAINTEXT://0.0.0.0:9092,SASL_PLAINTEXT://0.0.0.0:9093").unwrap();
        advertise(&mut l, "SASL_PLAINTEXT://kafka.example:19093").unwrap();
        assert_eq!(
            (l[0].advertised_host.as_str(), l[0].advertised_port),
            ("127.0.0.1", 9092)
        );
        assert_eq!(
            (l[1].advertised_host.as_str(), l[1].advertised_port),
            ("kafka.example", 19093)
        );
        assert!(advertise(&mut l, "SSL://x:1")
            .unwrap_err()
            .contains("has no listener"));
        assert!(advertise(&mut l, "PLAINTEXT://0.0.0.0:1")
            .unwrap_err()
            .contains("dialled"));
    }

    #[test]
    fn client_auth_names() {
        assert_eq!(ClientAuth::parse("Required"), Some(ClientAuth::Required));
        assert_eq!(ClientAuth::parse(""), Some(ClientAuth::None));
        assert_eq!(ClientAuth::parse("verify-full"), None);
    }

    #[test]
    fn mechanisms_parse_known_names_only() {
        assert_eq!(
            parse_mechanisms("PLAIN, SCRAM-SHA-256,PLAIN").unwrap(),
            vec![Mechanism::Plain, Mechanism::ScramSha256]
        );
        assert!(parse_mechanisms("SCRAM-SHA-512")
            .unwrap_err()
            .contains("not supported"));
        assert!(parse_mechanisms(" ").is_err());
    }
}
