//! Test support for the handler tests: a real writer over a `MemStore` on its own thread behind a real bridge, a
//! RecordBatch v2 encoder (CRC-32C), and a `call` that runs a request through `dispatch` and
//! checks the response encodes at the request's version.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{RequestKind, ResponseKind};

use crate::broker::{dispatch, Call, Client, Ctx, Reply};
use crate::config::BrokerConfig;
use crate::group::{Coordinator, Limits};
use crate::log::Registry;
use crate::store::{MemStore, Store};
use crate::writer::Writer;

pub struct Harness {
    pub ctx: Arc<Ctx>,
    /// The writer's store, shared so tests can look at what was committed.
    pub store: Arc<Mutex<MemStore>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub fn harness() -> Harness {
    harness_with(BrokerConfig::default(), 1 << 20)
}

pub fn harness_with(config: BrokerConfig, cache_budget: usize) -> Harness {
    harness_on(config, cache_budget, MemStore::new())
}

/// A harness whose memory is rebuilt from `store` by recovery, as a worker start does.
fn harness_on(config: BrokerConfig, cache_budget: usize, mut store: MemStore) -> Harness {
    let registry = Arc::new(Registry::with_caps(
        cache_budget,
        config.max_topics,
        config.max_partitions,
    ));
    let recovered = crate::recovery::rebuild(&mut store, &registry).unwrap();
    let (bridge, mut inbox) = crate::net::bridge().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writer = Writer::new(registry.clone());
    writer.recover_transactions(&mut store);
    let flag = stop.clone();
    let store = Arc::new(Mutex::new(store));
    let shared = store.clone();
    let thread = std::thread::spawn(move || {
        while !flag.load(Ordering::Relaxed) {
            let cmds = inbox.drain(1024);
            if cmds.is_empty() {
                writer.tick(&mut *lock(&shared));
                std::thread::sleep(Duration::from_millis(1));
            } else {
                writer.process(&mut *lock(&shared), cmds);
            }
        }
    });
    let groups = Arc::new(Coordinator::new(
        Limits::default(),
        bridge.clone(),
        registry.clone(),
        recovered.groups,
        recovered.offsets,
    ));
    Harness {
        ctx: Arc::new(Ctx {
            authz: crate::acl::Authorizer::with_super_users(
                config.authorization,
                &config.super_users,
            ),
            config,
            registry,
            bridge,
            groups,
            auth: Default::default(),
            tls: None,
        }),
        store,
        stop,
        thread: Some(thread),
        task: None,
    }
}

fn lock(store: &Mutex<MemStore>) -> std::sync::MutexGuard<'_, MemStore> {
    store.lock().unwrap_or_else(|e| e.into_inner())
}

/// A harness whose writer is a task on the current runtime, so that tests of timers can pause
/// tokio's clock (it advances in 1 ms steps while the writer idles). Call inside the runtime.
pub fn group_harness(limits: Limits) -> Harness {
    let registry = Arc::new(Registry::new(1 << 20));
    let (bridge, mut inbox) = crate::net::bridge().unwrap();
    let mut writer = Writer::new(registry.clone());
    let store = Arc::new(Mutex::new(MemStore::new()));
    let shared = store.clone();
    let task = tokio::spawn(async move {
        loop {
            let cmds = inbox.drain(1024);
            if cmds.is_empty() {
                writer.tick(&mut *lock(&shared));
                tokio::time::sleep(Duration::from_millis(1)).await;
            } else {
                writer.process(&mut *lock(&shared), cmds);
            }
        }
    });
    let groups = Arc::new(Coordinator::new(
        limits,
        bridge.clone(),
        registry.clone(),
        Vec::new(),
        Vec::new(),
    ));
    Harness {
        ctx: Arc::new(Ctx {
            config: BrokerConfig::default(),
            registry,
            bridge,
            groups,
            auth: Default::default(),
            tls: None,
            authz: crate::acl::Authorizer::new(false),
        }),
        store,
        stop: Arc::new(AtomicBool::new(false)),
        thread: None,
        task: Some(task),
    }
}

impl Harness {
    /// Stop this broker and start a new one on what its store committed (a crash and restart:
    /// nothing of memory survives).
    pub fn restarted(self) -> Harness {
        let config = self.ctx.config.clone();
        let store = self.store.clone();
        drop(self);
        let committed = std::mem::take(&mut *lock(&store));
        harness_on(config, 1 << 20, committed)
    }

    /// Replace the coordinator with one rebuilt from what the store committed, as a restart
    /// would (topics stay as they are in memory).
    pub fn restart_coordinator(&mut self, limits: Limits) {
        let snapshot = lock(&self.store).load_topics().unwrap();
        let groups = Arc::new(Coordinator::new(
            limits,
            self.ctx.bridge.clone(),
            self.ctx.registry.clone(),
            snapshot.groups,
            snapshot.offsets,
        ));
        self.ctx = Arc::new(Ctx {
            config: self.ctx.config.clone(),
            registry: self.ctx.registry.clone(),
            bridge: self.ctx.bridge.clone(),
            groups,
            auth: Default::default(),
            tls: None,
            authz: crate::acl::Authorizer::with_super_users(
                self.ctx.config.authorization,
                &self.ctx.config.super_users,
            ),
        });
    }

    /// The store's committed groups and offsets.
    pub fn committed(&self) -> crate::store::Snapshot {
        lock(&self.store).load_topics().unwrap()
    }

    /// Dispatch without awaiting the reply: side effects that follow request order are done.
    pub async fn dispatch(&self, version: i16, req: impl Into<RequestKind>) -> Reply {
        let client = Client::default();
        let call = Call {
            ctx: &self.ctx,
            client: &client,
            version,
        };
        match dispatch(call, req.into()).await {
            Ok(reply) => reply,
            Err(e) => panic!("{e}"),
        }
    }

    /// Dispatch, await the reply, and check the response encodes at `version`.
    pub async fn call(&self, version: i16, req: impl Into<RequestKind>) -> Option<ResponseKind> {
        let resp = self.dispatch(version, req).await.await;
        if let Some(r) = &resp {
            let mut buf = BytesMut::new();
            if let Err(e) = r.encode(&mut buf, version) {
                panic!("response does not encode at v{version}: {e}\n{r:?}");
            }
        }
        resp
    }
}

fn varint(buf: &mut BytesMut, v: i64) {
    let mut out = Vec::new();
    crate::protocol::tests::samples::put_varlong(&mut out, v);
    buf.extend_from_slice(&out);
}

/// An uncompressed RecordBatch v2 of (timestamp, value) records, base offset 0, no producer id.
pub fn batch(records: &[(i64, &[u8])]) -> Bytes {
    batch_with(-1, 0, records)
}

/// A RecordBatch v2 with the given producer id and batch attributes.
pub fn batch_with(producer_id: i64, attributes: i16, records: &[(i64, &[u8])]) -> Bytes {
    let (epoch, seq) = if producer_id >= 0 { (0, 0) } else { (-1, -1) };
    batch_full(producer_id, epoch, seq, attributes, records)
}

/// A RecordBatch v2 with every producer field given.
pub fn batch_full(
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    attributes: i16,
    records: &[(i64, &[u8])],
) -> Bytes {
    let records: Vec<KeyedRecord<'_>> = records
        .iter()
        .map(|(ts, v)| (*ts, None, Some(*v)))
        .collect();
    batch_records(
        producer_id,
        producer_epoch,
        base_sequence,
        attributes,
        &records,
    )
}

/// (timestamp, key, value) of one record to encode.
pub type KeyedRecord<'a> = (i64, Option<&'a [u8]>, Option<&'a [u8]>);

/// An uncompressed RecordBatch v2 of (timestamp, key, value) records, no producer id.
pub fn keyed_batch(records: &[KeyedRecord<'_>]) -> Bytes {
    batch_records(-1, -1, -1, 0, records)
}

/// A RecordBatch v2 of (timestamp, key, value) records with every producer field given.
pub fn batch_records(
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    attributes: i16,
    records: &[KeyedRecord<'_>],
) -> Bytes {
    let base_ts = records.first().map_or(0, |r| r.0);
    let max_ts = records.iter().map(|r| r.0).max().unwrap_or(0);
    let field = |rec: &mut BytesMut, b: Option<&[u8]>| match b {
        None => varint(rec, -1),
        Some(b) => {
            varint(rec, b.len() as i64);
            rec.put_slice(b);
        }
    };
    let mut body = BytesMut::new();
    for (i, (ts, key, value)) in records.iter().enumerate() {
        let mut rec = BytesMut::new();
        rec.put_i8(0);
        varint(&mut rec, ts - base_ts);
        varint(&mut rec, i as i64);
        field(&mut rec, *key);
        field(&mut rec, *value);
        varint(&mut rec, 0);
        varint(&mut body, rec.len() as i64);
        body.put_slice(&rec);
    }
    let mut b = BytesMut::new();
    b.put_i64(0);
    b.put_i32((49 + body.len()) as i32);
    b.put_i32(-1);
    b.put_i8(2);
    b.put_u32(0);
    b.put_i16(attributes);
    b.put_i32(records.len() as i32 - 1);
    b.put_i64(base_ts);
    b.put_i64(max_ts);
    b.put_i64(producer_id);
    b.put_i16(producer_epoch);
    b.put_i32(base_sequence);
    b.put_i32(records.len() as i32);
    b.put_slice(&body);
    let crc = crc32c::crc32c(&b[21..]);
    b[17..21].copy_from_slice(&crc.to_be_bytes());
    b.freeze()
}

/// `batch` as the log stores it: with `base_offset` stamped in.
pub fn stamped(batch: &Bytes, base_offset: i64) -> Vec<u8> {
    let mut v = batch.to_vec();
    v[..8].copy_from_slice(&base_offset.to_be_bytes());
    v
}

/// Concatenate batches into one produce payload.
pub fn concat(batches: &[Bytes]) -> Bytes {
    let mut b = BytesMut::new();
    for x in batches {
        b.put_slice(x);
    }
    b.freeze()
}
