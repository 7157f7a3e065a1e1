//! `kafka.check_consistency()`: compares the worker's in-memory partition state with the committed
//! tables and returns one row per difference (no rows: consistent).
//!
//! A backend cannot read the worker's memory, so it asks the worker over its own Kafka port, as a
//! client would: Metadata (all topics), then ListOffsets earliest (log start offset) and latest
//! (high watermark) for every partition. It compares those with `kafka.partitions`
//! (`next_offset`, `log_start_offset`) and with the end of the last stored batch
//! (`last_offset + 1`) of each partition.
//!
//! Memory is read first, the tables after (each statement takes a fresh snapshot): since the worker
//! publishes only what is committed, a difference seen on an idle broker is real; under load a
//! partition may show `memory < stored` for a commit that landed in between. Every network step
//! has a timeout, responses are size-capped, and failures are Postgres ERRORs, never panics.
//! Owns nothing; writes nothing.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::{
    ApiKey, BrokerId, ListOffsetsRequest, ListOffsetsResponse, MetadataRequest, MetadataResponse,
    RequestHeader, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use pgrx::prelude::*;

/// Connect, read and write timeout of each step.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest response accepted from the worker.
const MAX_RESPONSE: usize = 256 * 1024 * 1024;
/// Non-flexible versions: the response header is the correlation id only.
const METADATA_VERSION: i16 = 1;
const LIST_OFFSETS_VERSION: i16 = 1;
const EARLIEST: i64 = -2;
const LATEST: i64 = -1;

type Key = (String, i32);

#[derive(Default, Clone, Copy)]
struct MemoryOffsets {
    log_start: Option<i64>,
    high_watermark: Option<i64>,
}

struct StoredOffsets {
    next_offset: i64,
    log_start: i64,
    batches_end: Option<i64>,
}

type Row = (String, i32, String, Option<i64>, Option<i64>);

/// Differences between the worker's memory and the committed tables; empty when consistent.
#[pg_extern(volatile)]
#[allow(clippy::type_complexity)]
fn check_consistency() -> TableIterator<
    'static,
    (
        name!(topic, String),
        name!(partition, i32),
        name!(what, String),
        name!(memory, Option<i64>),
        name!(stored, Option<i64>),
    ),
> {
    let addr = match worker_addr() {
        Ok(a) => a,
        Err(e) => error!("pg_kafka: check_consistency: {e}"),
    };
    let memory = match read_memory(addr) {
        Ok(m) => m,
        Err(e) => error!("pg_kafka: check_consistency: cannot query the worker at {addr}: {e}"),
    };
    let stored = match read_stored() {
        Ok(s) => s,
        Err(e) => error!("pg_kafka: check_consistency: cannot read the tables: {e}"),
    };
    TableIterator::new(compare(&memory, &stored))
}

fn compare(
    memory: &BTreeMap<Key, MemoryOffsets>,
    stored: &BTreeMap<Key, StoredOffsets>,
) -> Vec<Row> {
    let mut out = Vec::new();
    let mut diff = |k: &Key, what: &str, m: Option<i64>, s: Option<i64>| {
        if m != s {
            out.push((k.0.clone(), k.1, what.to_string(), m, s));
        }
    };
    for (k, m) in memory {
        match stored.get(k) {
            None => diff(
                k,
                "partition missing from kafka.partitions",
                m.high_watermark,
                None,
            ),
            Some(s) => {
                diff(k, "high_watermark", m.high_watermark, Some(s.next_offset));
                diff(k, "log_start_offset", m.log_start, Some(s.log_start));
                // Without batches the log is empty only if it starts at its end.
                let end = s
                    .batches_end
                    .or((s.log_start == s.next_offset).then_some(s.next_offset));
                diff(k, "last stored batch end", m.high_watermark, end);
            }
        }
    }
    for (k, s) in stored {
        if !memory.contains_key(k) {
            diff(
                k,
                "partition missing from memory",
                None,
                Some(s.next_offset),
            );
        }
    }
    out
}

/// The worker's Kafka address from the GUCs; a wildcard listen address is reached on loopback.
fn worker_addr() -> Result<SocketAddr, String> {
    let setting = |name: &str| -> Result<Option<String>, String> {
        Spi::get_one_with_args::<String>("SELECT current_setting($1, true)", &[name.into()])
            .map_err(|e| format!("cannot read {name}: {e}"))
    };
    let port: u16 = setting("pg_kafka.port")?
        .ok_or("pg_kafka.port is not set: is pg_kafka in shared_preload_libraries?")?
        .parse()
        .map_err(|e| format!("pg_kafka.port: {e}"))?;
    let host = setting("pg_kafka.listen_address")?.unwrap_or_default();
    let host = match host.trim() {
        "" | "*" | "0.0.0.0" => "127.0.0.1".to_string(),
        "::" => "::1".to_string(),
        h => h.to_string(),
    };
    (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}:{port}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host}:{port} resolves to nothing"))
}

fn read_memory(addr: SocketAddr) -> Result<BTreeMap<Key, MemoryOffsets>, String> {
    let mut conn = TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|e| e.to_string())?;
    conn.set_read_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    conn.set_write_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;

    let metadata = MetadataRequest::default().with_topics(None);
    let body = call(&mut conn, ApiKey::Metadata, METADATA_VERSION, 1, &metadata)?;
    let metadata = MetadataResponse::decode(&mut body.clone(), METADATA_VERSION)
        .map_err(|e| format!("bad Metadata response: {e}"))?;

    let mut partitions: BTreeMap<Key, MemoryOffsets> = BTreeMap::new();
    for t in &metadata.topics {
        let Some(name) = &t.name else { continue };
        if t.error_code != 0 {
            return Err(format!(
                "Metadata error {} for topic {}",
                t.error_code,
                name.as_str()
            ));
        }
        for p in &t.partitions {
            partitions.insert(
                (name.as_str().to_string(), p.partition_index),
                MemoryOffsets::default(),
            );
        }
    }
    if partitions.is_empty() {
        return Ok(partitions);
    }
    for (cid, timestamp) in [(2, EARLIEST), (3, LATEST)] {
        let mut topics: BTreeMap<&str, Vec<ListOffsetsPartition>> = BTreeMap::new();
        for (topic, partition) in partitions.keys() {
            topics.entry(topic.as_str()).or_default().push(
                ListOffsetsPartition::default()
                    .with_partition_index(*partition)
                    .with_timestamp(timestamp),
            );
        }
        let request = ListOffsetsRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_topics(
                topics
                    .into_iter()
                    .map(|(name, ps)| {
                        ListOffsetsTopic::default()
                            .with_name(TopicName(StrBytes::from_string(name.to_string())))
                            .with_partitions(ps)
                    })
                    .collect(),
            );
        let body = call(
            &mut conn,
            ApiKey::ListOffsets,
            LIST_OFFSETS_VERSION,
            cid,
            &request,
        )?;
        let response = ListOffsetsResponse::decode(&mut body.clone(), LIST_OFFSETS_VERSION)
            .map_err(|e| format!("bad ListOffsets response: {e}"))?;
        for t in &response.topics {
            for p in &t.partitions {
                let key = (t.name.as_str().to_string(), p.partition_index);
                if p.error_code != 0 {
                    return Err(format!(
                        "ListOffsets error {} for {}/{}",
                        p.error_code, key.0, key.1
                    ));
                }
                if let Some(m) = partitions.get_mut(&key) {
                    if timestamp == EARLIEST {
                        m.log_start = Some(p.offset);
                    } else {
                        m.high_watermark = Some(p.offset);
                    }
                }
            }
        }
    }
    Ok(partitions)
}

/// Send one request and return its response body (after the v0 response header).
fn call<R: Encodable>(
    conn: &mut TcpStream,
    key: ApiKey,
    version: i16,
    correlation_id: i32,
    request: &R,
) -> Result<Bytes, String> {
    let header = RequestHeader::default()
        .with_request_api_key(key as i16)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(StrBytes::from_static_str(
            "pg_kafka.check_consistency",
        )));
    let mut buf = BytesMut::new();
    buf.extend_from_slice(&[0; 4]);
    header
        .encode(&mut buf, key.request_header_version(version))
        .map_err(|e| e.to_string())?;
    request
        .encode(&mut buf, version)
        .map_err(|e| e.to_string())?;
    let size = (buf.len() - 4) as i32;
    buf[..4].copy_from_slice(&size.to_be_bytes());
    conn.write_all(&buf).map_err(|e| format!("send: {e}"))?;

    let mut size = [0u8; 4];
    conn.read_exact(&mut size)
        .map_err(|e| format!("receive: {e}"))?;
    let size = i32::from_be_bytes(size);
    if size < 4 || size as usize > MAX_RESPONSE {
        return Err(format!("response size {size} outside 4..={MAX_RESPONSE}"));
    }
    let mut frame = vec![0u8; size as usize];
    conn.read_exact(&mut frame)
        .map_err(|e| format!("receive: {e}"))?;
    let got = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
    if got != correlation_id {
        return Err(format!("correlation id {got}, expected {correlation_id}"));
    }
    Ok(Bytes::from(frame).slice(4..))
}

fn read_stored() -> Result<BTreeMap<Key, StoredOffsets>, pgrx::spi::Error> {
    Spi::connect(|client| {
        let mut out = BTreeMap::new();
        let sql = include_str!("../../sql/queries/consistency_partitions.sql");
        for row in client.select(sql, None, &[])? {
            let key = (
                row.get::<String>(1)?.unwrap_or_default(),
                row.get::<i32>(2)?.unwrap_or_default(),
            );
            out.insert(
                key,
                StoredOffsets {
                    next_offset: row.get::<i64>(3)?.unwrap_or_default(),
                    log_start: row.get::<i64>(4)?.unwrap_or_default(),
                    batches_end: row.get::<i64>(5)?,
                },
            );
        }
        Ok(out)
    })
}
