//! pg_kafka's settings (GUCs) and their translation into the engine's `BrokerConfig`.
//!
//! Most are read once when the worker starts (context postmaster: change them and restart); the
//! log cleaner's settings and the broker-level topic defaults are reloaded on SIGHUP.

use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::time::Duration;

use pg_kafka_core::cleaner::Settings as CleanerSettings;
use pg_kafka_core::config::{
    self, BrokerConfig, ClientAuth, Listener, SaslConfig, SecurityProtocol, TlsFiles,
};
use pg_kafka_core::group::Limits;
use pg_kafka_core::log::configs;
use pg_kafka_core::writer::ExpiryPolicy;
use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};

pub static LISTEN_ADDRESS: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"127.0.0.1"));
pub static PORT: GucSetting<i32> = GucSetting::<i32>::new(9092);
pub static ADVERTISED_HOST: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
pub static ADVERTISED_PORT: GucSetting<i32> = GucSetting::<i32>::new(0);
pub static LISTENERS: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
pub static AUTHORIZATION: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
pub static SUPER_USERS: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
pub static ADVERTISED_LISTENERS: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(None);
pub static SASL_MECHANISMS: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"SCRAM-SHA-256,PLAIN"));
pub static SASL_PLAIN_WITHOUT_TLS: GucSetting<bool> = GucSetting::<bool>::new(false);
pub static CONNECTIONS_MAX_REAUTH_MS: GucSetting<i32> = GucSetting::<i32>::new(0);
pub static SSL_CERT_FILE: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
pub static SSL_KEY_FILE: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
pub static SSL_CA_FILE: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
pub static SSL_CLIENT_AUTH: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"none"));
pub static DATABASE: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"postgres"));
pub static MAX_REQUEST_SIZE: GucSetting<i32> = GucSetting::<i32>::new(100 * 1024 * 1024);
pub static MAX_CONNECTIONS: GucSetting<i32> = GucSetting::<i32>::new(1000);
pub static MAX_INFLIGHT_KB: GucSetting<i32> = GucSetting::<i32>::new(256 * 1024);
pub static REQUEST_TIMEOUT_MS: GucSetting<i32> = GucSetting::<i32>::new(30_000);
pub static CONNECTIONS_MAX_IDLE_MS: GucSetting<i32> = GucSetting::<i32>::new(600_000);
pub static MAX_TOPICS: GucSetting<i32> = GucSetting::<i32>::new(100_000);
pub static MAX_PARTITIONS: GucSetting<i32> = GucSetting::<i32>::new(200_000);
pub static LOG_CACHE_SIZE_KB: GucSetting<i32> = GucSetting::<i32>::new(256 * 1024);
pub static DEFAULT_PARTITIONS: GucSetting<i32> = GucSetting::<i32>::new(1);
pub static AUTO_CREATE_TOPICS: GucSetting<bool> = GucSetting::<bool>::new(true);
pub static OFFSETS_RETENTION_MIN: GucSetting<i32> = GucSetting::<i32>::new(7 * 24 * 60);
pub static PRODUCER_ID_EXPIRATION_MS: GucSetting<i32> = GucSetting::<i32>::new(86_400_000);
pub static TRANSACTIONAL_ID_EXPIRATION_MS: GucSetting<i32> = GucSetting::<i32>::new(604_800_000);
pub static LOG_RETENTION_CHECK_INTERVAL_MS: GucSetting<i32> = GucSetting::<i32>::new(300_000);
pub static LOG_RETENTION_S: GucSetting<i32> = GucSetting::<i32>::new(7 * 24 * 3600);
pub static LOG_RETENTION_BYTES_KB: GucSetting<i32> = GucSetting::<i32>::new(-1);
pub static LOG_CLEANUP_POLICY: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"delete"));
pub static LOG_CLEANER_STEP_KB: GucSetting<i32> = GucSetting::<i32>::new(8 * 1024);

fn string(
    name: &'static CStr,
    short: &'static CStr,
    setting: &'static GucSetting<Option<CString>>,
) {
    GucRegistry::define_string_guc(
        name,
        short,
        c"",
        setting,
        GucContext::Postmaster,
        GucFlags::default(),
    );
}

/// An integer setting read at server start.
fn int(
    name: &'static CStr,
    short: &'static CStr,
    setting: &'static GucSetting<i32>,
    min: i32,
    max: i32,
    flags: GucFlags,
) {
    int_in(
        GucContext::Postmaster,
        name,
        short,
        setting,
        (min, max),
        flags,
    );
}

/// An integer setting that `pg_ctl reload` (SIGHUP) changes.
fn reloadable(
    name: &'static CStr,
    short: &'static CStr,
    setting: &'static GucSetting<i32>,
    min: i32,
    max: i32,
    flags: GucFlags,
) {
    int_in(GucContext::Sighup, name, short, setting, (min, max), flags);
}

fn int_in(
    context: GucContext,
    name: &'static CStr,
    short: &'static CStr,
    setting: &'static GucSetting<i32>,
    (min, max): (i32, i32),
    flags: GucFlags,
) {
    GucRegistry::define_int_guc(name, short, c"", setting, min, max, context, flags);
}

pub fn define() {
    string(
        c"pg_kafka.listeners",
        c"Kafka listeners, e.g. PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://0.0.0.0:9093 (empty: PLAINTEXT on listen_address and port).",
        &LISTENERS,
    );
    string(
        c"pg_kafka.advertised_listeners",
        c"Addresses returned in Metadata per listener name, e.g. SASL_PLAINTEXT://kafka.example:9093 (default: where each listener binds).",
        &ADVERTISED_LISTENERS,
    );
    for (name, short, setting) in [
        (
            c"pg_kafka.ssl_cert_file",
            c"Server certificate (PEM) of SSL and SASL_SSL listeners (default: Postgres' ssl_cert_file).",
            &SSL_CERT_FILE,
        ),
        (
            c"pg_kafka.ssl_key_file",
            c"Private key (PEM) of the server certificate (default: Postgres' ssl_key_file).",
            &SSL_KEY_FILE,
        ),
        (
            c"pg_kafka.ssl_ca_file",
            c"CA certificates (PEM) client certificates must chain to.",
            &SSL_CA_FILE,
        ),
        (
            c"pg_kafka.ssl_client_auth",
            c"Client certificates: none, requested or required.",
            &SSL_CLIENT_AUTH,
        ),
    ] {
        GucRegistry::define_string_guc(
            name,
            short,
            c"",
            setting,
            GucContext::Sighup,
            GucFlags::default(),
        );
    }
    string(
        c"pg_kafka.authorization",
        c"Check Kafka ACLs: on or off (empty: on when any SSL or SASL listener is configured).",
        &AUTHORIZATION,
    );
    string(
        c"pg_kafka.super_users",
        c"Principals allowed everything besides Postgres superusers, e.g. User:ANONYMOUS;User:ops.",
        &SUPER_USERS,
    );
    string(
        c"pg_kafka.sasl_enabled_mechanisms",
        c"SASL mechanisms offered on SASL listeners: SCRAM-SHA-256, PLAIN.",
        &SASL_MECHANISMS,
    );
    GucRegistry::define_bool_guc(
        c"pg_kafka.sasl_plain_without_tls",
        c"Accept SASL PLAIN (a cleartext password) on a listener without TLS.",
        c"",
        &SASL_PLAIN_WITHOUT_TLS,
        GucContext::Postmaster,
        GucFlags::default(),
    );
    int(
        c"pg_kafka.connections_max_reauth_ms",
        c"Lifetime of a SASL session before the client must re-authenticate (KIP-368); 0: no limit.",
        &CONNECTIONS_MAX_REAUTH_MS,
        0,
        i32::MAX,
        GucFlags::UNIT_MS,
    );
    string(
        c"pg_kafka.listen_address",
        c"Shorthand: address of the PLAINTEXT listener when pg_kafka.listeners is empty.",
        &LISTEN_ADDRESS,
    );
    int(
        c"pg_kafka.port",
        c"Shorthand: port of the PLAINTEXT listener when pg_kafka.listeners is empty.",
        &PORT,
        1,
        65535,
        GucFlags::default(),
    );
    string(
        c"pg_kafka.advertised_host",
        c"Shorthand: host the PLAINTEXT listener advertises when pg_kafka.listeners is empty (default: listen_address).",
        &ADVERTISED_HOST,
    );
    int(
        c"pg_kafka.advertised_port",
        c"Shorthand: port the PLAINTEXT listener advertises when pg_kafka.listeners is empty (0: its port).",
        &ADVERTISED_PORT,
        0,
        65535,
        GucFlags::default(),
    );
    string(
        c"pg_kafka.database",
        c"Database holding the kafka schema.",
        &DATABASE,
    );
    int(
        c"pg_kafka.max_request_size",
        c"Largest Kafka request accepted.",
        &MAX_REQUEST_SIZE,
        1024,
        i32::MAX,
        GucFlags::UNIT_BYTE,
    );
    int(
        c"pg_kafka.max_connections",
        c"Most Kafka client connections at once.",
        &MAX_CONNECTIONS,
        1,
        100_000,
        GucFlags::default(),
    );
    int(
        c"pg_kafka.max_inflight_bytes",
        c"Memory for requests being received or worked on and responses not yet sent, across all connections.",
        &MAX_INFLIGHT_KB,
        4 * 1024,
        i32::MAX,
        GucFlags::UNIT_KB,
    );
    int(
        c"pg_kafka.request_timeout_ms",
        c"A request frame that makes no progress for this long closes its connection; also caps a Fetch's wait.",
        &REQUEST_TIMEOUT_MS,
        100,
        i32::MAX,
        GucFlags::UNIT_MS,
    );
    int(
        c"pg_kafka.connections_max_idle_ms",
        c"Idle Kafka connections are closed after this long.",
        &CONNECTIONS_MAX_IDLE_MS,
        100,
        i32::MAX,
        GucFlags::UNIT_MS,
    );
    int(
        c"pg_kafka.max_topics",
        c"Most topics the broker holds; creating more is refused.",
        &MAX_TOPICS,
        1,
        10_000_000,
        GucFlags::default(),
    );
    int(
        c"pg_kafka.max_partitions",
        c"Most partitions across all topics; creating more is refused.",
        &MAX_PARTITIONS,
        1,
        100_000_000,
        GucFlags::default(),
    );
    int(
        c"pg_kafka.log_cache_size",
        c"Memory for recent record batches, across all partitions.",
        &LOG_CACHE_SIZE_KB,
        1024,
        i32::MAX,
        GucFlags::UNIT_KB,
    );
    int(
        c"pg_kafka.default_partitions",
        c"Partitions of an auto-created topic.",
        &DEFAULT_PARTITIONS,
        1,
        10_000,
        GucFlags::default(),
    );
    int(
        c"pg_kafka.offsets_retention_minutes",
        c"Committed offsets of a group without members expire this long after their commit.",
        &OFFSETS_RETENTION_MIN,
        1,
        i32::MAX,
        GucFlags::UNIT_MIN,
    );
    int(
        c"pg_kafka.producer_id_expiration_ms",
        c"An idempotent producer id unused for this long is forgotten.",
        &PRODUCER_ID_EXPIRATION_MS,
        1000,
        i32::MAX,
        GucFlags::UNIT_MS,
    );
    int(
        c"pg_kafka.transactional_id_expiration_ms",
        c"A transactional id with no transaction for this long is forgotten.",
        &TRANSACTIONAL_ID_EXPIRATION_MS,
        1000,
        i32::MAX,
        GucFlags::UNIT_MS,
    );
    reloadable(
        c"pg_kafka.log_retention_check_interval",
        c"How often the log cleaner applies retention and compaction (Kafka's log.retention.check.interval.ms).",
        &LOG_RETENTION_CHECK_INTERVAL_MS,
        1000,
        i32::MAX,
        GucFlags::UNIT_MS,
    );
    reloadable(
        c"pg_kafka.log_retention",
        c"Default retention.ms of topics that set none (Kafka's log.retention.ms); -1 keeps records for ever.",
        &LOG_RETENTION_S,
        -1,
        i32::MAX,
        GucFlags::UNIT_S,
    );
    reloadable(
        c"pg_kafka.log_retention_bytes",
        c"Default retention.bytes per partition of topics that set none (Kafka's log.retention.bytes); -1 for no limit.",
        &LOG_RETENTION_BYTES_KB,
        -1,
        i32::MAX,
        GucFlags::UNIT_KB,
    );
    reloadable(
        c"pg_kafka.log_cleaner_step_size",
        c"Most bytes of batches one cleaner step reads or rewrites while holding the writer.",
        &LOG_CLEANER_STEP_KB,
        64,
        1024 * 1024,
        GucFlags::UNIT_KB,
    );
    GucRegistry::define_string_guc(
        c"pg_kafka.log_cleanup_policy",
        c"Default cleanup.policy of topics that set none (Kafka's log.cleanup.policy): delete, compact, or compact,delete.",
        c"",
        &LOG_CLEANUP_POLICY,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"pg_kafka.auto_create_topics",
        c"Create unknown topics on Metadata and Produce.",
        c"",
        &AUTO_CREATE_TOPICS,
        GucContext::Postmaster,
        GucFlags::default(),
    );
}

fn text(setting: &GucSetting<Option<CString>>) -> Option<String> {
    setting
        .get()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
}

pub fn database() -> String {
    text(&DATABASE).unwrap_or_else(|| "postgres".into())
}

/// The listeners: `pg_kafka.listeners` with `pg_kafka.advertised_listeners`, or, when it is
/// empty, one PLAINTEXT listener from the listen_address/port/advertised_* shorthand.
fn listeners() -> Result<Vec<Listener>, String> {
    let mut out = match text(&LISTENERS) {
        Some(spec) => {
            config::parse_listeners(&spec).map_err(|e| format!("pg_kafka.listeners: {e}"))?
        }
        None => {
            let host = text(&LISTEN_ADDRESS).unwrap_or_else(|| "127.0.0.1".into());
            let mut l = Listener::new(SecurityProtocol::Plaintext, &host, PORT.get() as u16);
            if let Some(h) = text(&ADVERTISED_HOST) {
                l.advertised_host = h;
            }
            if ADVERTISED_PORT.get() != 0 {
                l.advertised_port = ADVERTISED_PORT.get() as u16;
            }
            vec![l]
        }
    };
    if let Some(spec) = text(&ADVERTISED_LISTENERS) {
        config::advertise(&mut out, &spec)
            .map_err(|e| format!("pg_kafka.advertised_listeners: {e}"))?;
    }
    Ok(out)
}

fn sasl() -> Result<SaslConfig, String> {
    let spec = text(&SASL_MECHANISMS).unwrap_or_default();
    Ok(SaslConfig {
        mechanisms: config::parse_mechanisms(&spec)
            .map_err(|e| format!("pg_kafka.sasl_enabled_mechanisms: {e}"))?,
        plain_without_tls: SASL_PLAIN_WITHOUT_TLS.get(),
        max_reauth_ms: CONNECTIONS_MAX_REAUTH_MS.get().max(0) as u64,
    })
}

/// A Postgres setting's value (`ssl_cert_file` ...), empty when unset.
fn postgres_setting(name: &CStr) -> Option<String> {
    // SAFETY: main thread; GetConfigOption returns a pointer into the GUC's own storage (or
    // NULL), copied out at once.
    let value = unsafe { pgrx::pg_sys::GetConfigOption(name.as_ptr(), true, false) };
    if value.is_null() {
        return None;
    }
    // SAFETY: a NUL-terminated string owned by the GUC machinery.
    let s = unsafe { CStr::from_ptr(value) }
        .to_string_lossy()
        .into_owned();
    (!s.is_empty()).then_some(s)
}

/// A path as Postgres resolves its file settings: relative to the data directory.
fn resolve(path: String) -> std::path::PathBuf {
    let p = std::path::PathBuf::from(&path);
    if p.is_absolute() {
        return p;
    }
    // SAFETY: DataDir is set before any background worker starts and never changes.
    let data_dir = unsafe { CStr::from_ptr(pgrx::pg_sys::DataDir) };
    std::path::PathBuf::from(data_dir.to_string_lossy().into_owned()).join(p)
}

/// Where the TLS listeners' certificate, key and client CA are (reloadable).
pub fn tls_files() -> Result<TlsFiles, String> {
    let cert = text(&SSL_CERT_FILE).or_else(|| postgres_setting(c"ssl_cert_file"));
    let key = text(&SSL_KEY_FILE).or_else(|| postgres_setting(c"ssl_key_file"));
    let (Some(cert), Some(key)) = (cert, key) else {
        return Err("TLS listeners need pg_kafka.ssl_cert_file and ssl_key_file".into());
    };
    let auth = text(&SSL_CLIENT_AUTH).unwrap_or_default();
    Ok(TlsFiles {
        cert: resolve(cert),
        key: resolve(key),
        ca: text(&SSL_CA_FILE).map(resolve),
        client_auth: ClientAuth::parse(&auth).ok_or_else(|| {
            format!("pg_kafka.ssl_client_auth {auth:?} is not none, requested or required")
        })?,
    })
}

/// The engine's view of the settings, or what is wrong with them.
pub fn broker_config() -> Result<BrokerConfig, String> {
    let listeners = listeners()?;
    let tls = match listeners.iter().any(|l| l.protocol.tls()) {
        true => Some(tls_files()?),
        false => None,
    };
    let authorization =
        config::parse_authorization(&text(&AUTHORIZATION).unwrap_or_default(), &listeners)
            .map_err(|e| format!("pg_kafka.authorization: {e}"))?;
    Ok(BrokerConfig {
        listeners,
        authorization,
        super_users: config::parse_super_users(&text(&SUPER_USERS).unwrap_or_default())
            .map_err(|e| format!("pg_kafka.super_users: {e}"))?,
        sasl: sasl()?,
        tls,
        node_id: 0,
        cluster_id: "pg_kafka".into(),
        max_request_size: MAX_REQUEST_SIZE.get() as usize,
        max_inflight_bytes: MAX_INFLIGHT_KB.get() as usize * 1024,
        request_timeout_ms: REQUEST_TIMEOUT_MS.get() as u64,
        connections_max_idle_ms: CONNECTIONS_MAX_IDLE_MS.get() as u64,
        max_topics: MAX_TOPICS.get() as usize,
        max_partitions: MAX_PARTITIONS.get() as usize,
        max_connections: MAX_CONNECTIONS.get() as usize,
        log_cache_size: LOG_CACHE_SIZE_KB.get() as usize * 1024,
        default_partitions: DEFAULT_PARTITIONS.get(),
        auto_create_topics: AUTO_CREATE_TOPICS.get(),
    })
}

/// The group coordinator's limits: Kafka's defaults, with the offsets retention set here.
pub fn group_limits() -> Limits {
    Limits {
        offsets_retention_ms: i64::from(OFFSETS_RETENTION_MIN.get()) * 60_000,
        ..Limits::default()
    }
}

/// When the writer forgets idle producer and transactional ids.
pub fn expiry_policy() -> ExpiryPolicy {
    ExpiryPolicy {
        producer_id_expiration_ms: i64::from(PRODUCER_ID_EXPIRATION_MS.get()),
        transactional_id_expiration_ms: i64::from(TRANSACTIONAL_ID_EXPIRATION_MS.get()),
        ..ExpiryPolicy::default()
    }
}

/// The cleaner's settings (reloadable).
pub fn cleaner_settings() -> CleanerSettings {
    CleanerSettings {
        check_interval: Duration::from_millis(LOG_RETENTION_CHECK_INTERVAL_MS.get().max(1) as u64),
        step_bytes: LOG_CLEANER_STEP_KB.get().max(1) as usize * 1024,
        ..CleanerSettings::default()
    }
}

/// Broker-level defaults of topic configs (reloadable): retention.ms, retention.bytes and
/// cleanup.policy for topics that set none, where they differ from Kafka's defaults. A policy
/// Kafka would refuse falls back to `delete`, with a warning from the caller.
pub fn topic_defaults() -> (BTreeMap<String, String>, Option<String>) {
    let mut out = BTreeMap::new();
    let retention_ms = match LOG_RETENTION_S.get() {
        r if r < 0 => -1i64,
        r => i64::from(r) * 1000,
    };
    out.insert("retention.ms".to_owned(), retention_ms.to_string());
    let retention_bytes = match LOG_RETENTION_BYTES_KB.get() {
        b if b < 0 => -1i64,
        b => i64::from(b) * 1024,
    };
    out.insert("retention.bytes".to_owned(), retention_bytes.to_string());
    let policy = text(&LOG_CLEANUP_POLICY).unwrap_or_else(|| "delete".into());
    let mut problem = None;
    let policy = match configs::validate("cleanup.policy", &policy) {
        Ok(p) => p,
        Err(e) => {
            problem = Some(format!(
                "pg_kafka.log_cleanup_policy {policy:?} is not a valid cleanup.policy ({}); using delete",
                e.message().unwrap_or("invalid")
            ));
            "delete".to_owned()
        }
    };
    out.insert("cleanup.policy".to_owned(), policy);
    // A setting left at Kafka's own default is reported as Kafka reports it: DEFAULT_CONFIG.
    out.retain(|name, value| configs::lookup(name).is_none_or(|d| d.default != value.as_str()));
    (out, problem)
}
