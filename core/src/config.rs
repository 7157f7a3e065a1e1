//! Broker settings as the engine sees them: plain values, filled from GUCs by `src/pg/guc.rs`
//! (or by tests). Nothing here reads Postgres.

/// Settings of one broker process.
#[derive(Clone, Debug)]
pub struct BrokerConfig {
    /// Address the listener binds to.
    pub listen_address: String,
    /// Port the listener binds to.
    pub port: u16,
    /// Host name returned in Metadata; never "localhost" by default.
    pub advertised_host: String,
    /// Port returned in Metadata.
    pub advertised_port: u16,
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
    /// Fetch's max_wait_ms.
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

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            listen_address: "127.0.0.1".into(),
            port: 9092,
            advertised_host: "127.0.0.1".into(),
            advertised_port: 9092,
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
