//! librdkafka's idempotent producer with its connections cut mid-flight: every record is stored
//! once, in order, with no gap.
//!
//! The producer talks to the broker through a proxy in this test. The proxy forwards whole
//! frames, rewrites the broker address in Metadata answers to its own (so the client never goes
//! around it), and after forwarding `CUT_EVERY` bytes of requests on a connection drops both
//! sides right after a request frame went to the broker: the broker appends the batch but the
//! client never hears back, so it reconnects and retries, and the broker must deduplicate.
//!
//! reconnect.backoff.max.ms is kept small: with the default (10 s) librdkafka's backoff (seen with 2.0.2)
//! after a dozen quick disconnects outlasts message.timeout.ms (seen: "Delaying next reconnect
//! by 8722ms", then every queued record timed out while the broker had answered every request
//! it received). EOS_PROXY_DEBUG=<librdkafka debug contexts> logs the proxy and the client.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, MetadataResponse, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable};
use pg_kafka_tests::*;

/// Request bytes forwarded on one connection before the proxy cuts it.
const CUT_EVERY: usize = 96 << 10;
/// Cuts in all; afterwards the proxy only forwards, so the test always ends.
const MAX_CUTS: usize = 25;

/// `MAX_CUTS`, or `EOS_PROXY_MAX_CUTS` when set (for investigating).
fn max_cuts() -> usize {
    std::env::var("EOS_PROXY_MAX_CUTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(MAX_CUTS)
}

struct Proxy {
    port: u16,
    cuts: Arc<AtomicUsize>,
}

fn read_frame(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).ok()?;
    let len = i32::from_be_bytes(len);
    if !(0..=(256 << 20)).contains(&len) {
        return None;
    }
    let mut buf = vec![0u8; len as usize];
    s.read_exact(&mut buf).ok()?;
    Some(buf)
}

fn write_frame(s: &mut TcpStream, body: &[u8]) -> bool {
    let mut f = Vec::with_capacity(4 + body.len());
    f.extend_from_slice(&(body.len() as i32).to_be_bytes());
    f.extend_from_slice(body);
    s.write_all(&f).is_ok()
}

/// A Metadata answer with every broker at 127.0.0.1:`port`.
fn rewrite_metadata(frame: &[u8], version: i16, port: u16) -> Vec<u8> {
    let hv = ApiKey::Metadata.response_header_version(version);
    let mut b = Bytes::copy_from_slice(frame);
    let header = ResponseHeader::decode(&mut b, hv).expect("Metadata response header");
    let mut m = MetadataResponse::decode(&mut b, version).expect("Metadata response");
    for broker in m.brokers.iter_mut() {
        broker.host = "127.0.0.1".to_string().into();
        broker.port = port as i32;
    }
    let mut out = BytesMut::new();
    header.encode(&mut out, hv).expect("encode header");
    m.encode(&mut out, version).expect("encode Metadata");
    out.to_vec()
}

fn start_proxy() -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    let port = listener.local_addr().unwrap().port();
    let cuts = Arc::new(AtomicUsize::new(0));
    let cuts2 = cuts.clone();
    thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            if std::env::var("EOS_PROXY_DEBUG").is_ok() {
                eprintln!("proxy: accepted {:?}", client.peer_addr());
            }
            let Ok(server) = TcpStream::connect(bootstrap()) else {
                continue;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            // correlation id -> (api key, version) of requests in flight on this connection.
            let inflight: Arc<Mutex<HashMap<i32, (i16, i16)>>> = Arc::default();
            let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (mut s_in, mut c_out) = (server, client);
            let (c_kill, s_kill) = (c_in.try_clone().unwrap(), s_out.try_clone().unwrap());
            let inflight2 = inflight.clone();
            let cuts = cuts2.clone();
            thread::spawn(move || {
                let mut forwarded = 0usize;
                while let Some(f) = read_frame(&mut c_in) {
                    if f.len() >= 8 {
                        let key = i16::from_be_bytes([f[0], f[1]]);
                        let ver = i16::from_be_bytes([f[2], f[3]]);
                        let cid = i32::from_be_bytes([f[4], f[5], f[6], f[7]]);
                        inflight2.lock().unwrap().insert(cid, (key, ver));
                        if std::env::var("EOS_PROXY_DEBUG").is_ok() {
                            eprintln!(
                                "proxy: request cid {cid} key {key} v{ver} {} bytes",
                                f.len()
                            );
                        }
                    }
                    if !write_frame(&mut s_out, &f) {
                        break;
                    }
                    forwarded += f.len() + 4;
                    let is_produce = f.len() >= 2 && i16::from_be_bytes([f[0], f[1]]) == 0;
                    if is_produce
                        && forwarded >= CUT_EVERY
                        && cuts
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |c| {
                                (c < max_cuts()).then_some(c + 1)
                            })
                            .is_ok()
                    {
                        // The request reached the broker; its answer will not reach the client.
                        if std::env::var("EOS_PROXY_DEBUG").is_ok() {
                            eprintln!("proxy: cut after {forwarded} bytes");
                        }
                        break;
                    }
                }
                let _ = c_kill.shutdown(Shutdown::Both);
                let _ = s_kill.shutdown(Shutdown::Both);
            });
            thread::spawn(move || {
                while let Some(f) = read_frame(&mut s_in) {
                    let cid = if f.len() >= 4 {
                        i32::from_be_bytes([f[0], f[1], f[2], f[3]])
                    } else {
                        -1
                    };
                    let req = inflight.lock().unwrap().remove(&cid);
                    if let Some((0, v)) = req {
                        if std::env::var("EOS_PROXY_DEBUG").is_ok() {
                            let mut b = Bytes::copy_from_slice(&f);
                            let _ = ResponseHeader::decode(
                                &mut b,
                                ApiKey::Produce.response_header_version(v),
                            );
                            if let Ok(r) =
                                kafka_protocol::messages::ProduceResponse::decode(&mut b, v)
                            {
                                for t in &r.responses {
                                    for pr in &t.partition_responses {
                                        eprintln!(
                                            "proxy: Produce v{v} cid {cid} -> error {} base {}",
                                            pr.error_code, pr.base_offset
                                        );
                                    }
                                }
                            }
                        }
                    } else if std::env::var("EOS_PROXY_DEBUG").is_ok() {
                        eprintln!("proxy: response cid {cid} to {req:?}");
                    }
                    let out = match req {
                        Some((k, v)) if k == ApiKey::Metadata as i16 => {
                            rewrite_metadata(&f, v, port)
                        }
                        _ => f,
                    };
                    if !write_frame(&mut c_out, &out) {
                        break;
                    }
                }
                let _ = c_out.shutdown(Shutdown::Both);
                let _ = s_in.shutdown(Shutdown::Both);
            });
        }
    });
    Proxy { port, cuts }
}

/// One delivery report: record index and (partition, offset) or the error.
type Report = (usize, Result<(i32, i64), String>);

/// Delivery reports by record index, and librdkafka's log on stderr.
#[derive(Default)]
struct Ctx {
    reports: Mutex<Vec<Report>>,
}

impl rdkafka::ClientContext for Ctx {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, msg: &str) {
        eprintln!("librdkafka {level:?} {fac}: {msg}");
    }
    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        eprintln!("librdkafka error {error}: {reason}");
    }
}

impl rdkafka::producer::ProducerContext for Ctx {
    type DeliveryOpaque = Box<usize>;
    fn delivery(&self, r: &rdkafka::producer::DeliveryResult<'_>, i: Box<usize>) {
        use rdkafka::Message;
        let res = match r {
            Ok(m) => Ok((m.partition(), m.offset())),
            Err((e, _)) => Err(e.to_string()),
        };
        self.reports.lock().unwrap().push((*i, res));
    }
}

#[test]
fn idempotent_producer_through_cut_connections_stores_each_record_once() {
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    use std::time::{Duration, Instant};

    let proxy = start_proxy();
    let topic = unique_topic("eos-proxy-idem");
    // Create the topic directly, outside the proxy.
    produce_all(
        &producer(&[]),
        &topic,
        &[Rec {
            partition: Some(0),
            value: Some(b"first".to_vec()),
            ..Rec::default()
        }],
    );
    let n = 20_000usize;
    let values: Vec<Vec<u8>> = (0..n)
        .map(|i| format!("idem-{i:06}-{}", "x".repeat(200)).into_bytes())
        .collect();
    let addr = format!("127.0.0.1:{}", proxy.port);
    let mut cfg = producer_config(&[
        ("bootstrap.servers", addr.as_str()),
        ("enable.idempotence", "true"),
        ("max.in.flight.requests.per.connection", "5"),
        ("batch.num.messages", "200"),
        ("linger.ms", "2"),
        ("retry.backoff.ms", "20"),
        ("reconnect.backoff.ms", "20"),
        ("reconnect.backoff.max.ms", "200"),
        ("message.send.max.retries", "1000000"),
        // A hang guard, not a measure: 25 cuts and their reconnects on a loaded machine.
        ("message.timeout.ms", "180000"),
    ]);
    if let Ok(d) = std::env::var("EOS_PROXY_DEBUG") {
        cfg.set("debug", d.as_str())
            .set("log_level", "7")
            .set_log_level(rdkafka::config::RDKafkaLogLevel::Debug);
    }
    let p: BaseProducer<Ctx> = cfg.create_with_context(Ctx::default()).expect("producer");
    for (i, v) in values.iter().enumerate() {
        let mut rec: BaseRecord<'_, (), [u8], Box<usize>> =
            BaseRecord::with_opaque_to(&topic, Box::new(i))
                .partition(0)
                .payload(&v[..]);
        loop {
            match p.send(rec) {
                Ok(()) => break,
                Err((_, back)) => {
                    p.poll(Duration::from_millis(5));
                    rec = back;
                }
            }
        }
        p.poll(Duration::ZERO);
    }
    let deadline = Instant::now() + Duration::from_secs(200);
    while p.context().reports.lock().unwrap().len() < n && Instant::now() < deadline {
        p.poll(Duration::from_millis(50));
    }
    let cuts = proxy.cuts.load(Ordering::SeqCst);
    let reports = p.context().reports.lock().unwrap().clone();
    eprintln!(
        "connections cut mid-flight: {cuts}; delivery reports: {}",
        reports.len()
    );
    let failed: Vec<_> = reports.iter().filter(|r| r.1.is_err()).take(5).collect();
    assert!(failed.is_empty(), "failed deliveries (first 5): {failed:?}");
    assert_eq!(reports.len(), n, "delivery reports within the safety net");
    assert!(
        cuts > 0,
        "the proxy never cut a connection: the test tested nothing"
    );
    let mut offsets = vec![-1i64; n];
    for (i, r) in &reports {
        offsets[*i] = r.as_ref().unwrap().1;
    }
    assert_eq!(
        offsets,
        (1..=n as i64).collect::<Vec<_>>(),
        "delivery reports: offsets 1..=n in send order"
    );
    assert_eq!(
        watermarks(&topic, 0),
        (0, n as i64 + 1),
        "no duplicate appended"
    );
    let got = consume(&topic, 0, 1, n);
    for (i, g) in got.iter().enumerate() {
        assert_eq!(g.offset, i as i64 + 1);
        assert_eq!(g.value.as_deref(), Some(&values[i][..]), "record {i}");
    }
}
