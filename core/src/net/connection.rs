//! One client connection: read size-capped frames, decode through the guard, dispatch, and write
//! responses strictly in request order.
//!
//! The reader task decodes and dispatches one request at a time (so ordered side effects such as
//! queuing a produce follow request order); each request's remaining work runs as its own task,
//! and the writer task awaits those tasks in request order.
//!
//! Limits, all in bytes and time:
//! - a frame's buffer grows with the bytes that arrive (never from the size prefix alone), and
//!   every byte of it is charged to the in-flight [`Budget`] before it is read: a frame up to
//!   [`LARGE_FRAME`] as its buffer grows, a larger one for its whole size before its first byte
//!   is read (large frames each holding part of what they need could otherwise wait for each
//!   other until the timeout). A response is charged from when it is encoded until it is
//!   written. A client over the budget, or over its connection's share, is slowed by not being
//!   read;
//! - a frame that makes no progress (no byte read, no budget obtained) for `request_timeout_ms`
//!   closes the connection, as does a response that cannot be written for that long; a
//!   connection with nothing in flight that sends nothing for `connections_max_idle_ms` is closed;
//! - at most `MAX_IN_FLIGHT` requests of one connection are worked on at once;
//! - when the client goes away, its in-flight work (long polls, reads waiting for the writer) is
//!   cancelled and the connection's slot is free at once.
//!
//! On a SASL listener a connection must log in first ([`crate::auth`]): until then only
//! ApiVersions, SaslHandshake and SaslAuthenticate are served (anything else closes it), frames
//! are capped at [`PRE_AUTH_FRAME`], and the login must finish within `request_timeout_ms`. The
//! SASL requests are handled to the end before the next frame is read, so a request never races
//! the login it follows. A failed login is answered and the connection closed; a session past
//! its lifetime (KIP-368) is closed at its next request other than a re-authentication.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::messages::api_versions_response::{ApiVersion, ApiVersionsResponse};
use kafka_protocol::messages::{ApiKey, ResponseKind};
use kafka_protocol::ResponseError;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::timeout;

use super::budget::{Budget, Charge, ChargedBytes, Pool, LARGE_FRAME};
use super::NetError;
use crate::auth::{self, Session, Step};
use crate::broker::{self, Call, Client, Ctx};
use crate::protocol::{self, versions, RequestHead};

/// Requests of one connection being worked on at once; the reader waits beyond this.
pub const MAX_IN_FLIGHT: usize = 64;

/// Largest frame read before a SASL login completes (Kafka's `sasl.server.max.receive.size`).
pub const PRE_AUTH_FRAME: usize = 512 * 1024;

/// Bytes read into a frame buffer per step.
const READ_CHUNK: usize = 64 * 1024;

/// What one request sends back.
enum Out {
    /// The encoded response and its charge, released once written.
    Frame(Bytes, Charge),
    /// acks=0: nothing is sent.
    Nothing,
    /// The response could not be built, or the client is gone: close the connection.
    Close,
}

/// What a connection shares with its request tasks.
struct Conn {
    ctx: Arc<Ctx>,
    peer: SocketAddr,
    /// The listener's index in the config, and whether it requires SASL.
    listener: usize,
    sasl: bool,
    session: Arc<Session>,
    budget: Arc<Budget>,
    /// This connection's bytes in flight (requests and unsent responses).
    held: Arc<Pool>,
    /// Requests dispatched whose response is not yet written.
    in_flight: Arc<AtomicUsize>,
    /// Becomes true when the connection ends: request tasks stop waiting.
    cancel: watch::Receiver<bool>,
}

/// Where a connection came from: its address, its listener, and the subject CN of the client
/// certificate it presented over TLS.
pub(super) struct Origin {
    pub peer: SocketAddr,
    pub listener: usize,
    pub cert_cn: Option<String>,
}

pub(super) async fn serve<R, W>(
    mut rd: R,
    mut wr: W,
    origin: Origin,
    ctx: Arc<Ctx>,
    budget: Arc<Budget>,
    mut stop: watch::Receiver<bool>,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let Origin {
        peer,
        listener,
        cert_cn,
    } = origin;
    let stall = Duration::from_millis(ctx.config.request_timeout_ms);
    let (cancel_tx, cancel) = watch::channel(false);
    let sasl = ctx.config.listener(listener).protocol.sasl();
    let session = Session::new(sasl);
    if let (Some(cn), false) = (cert_cn, sasl) {
        // A client certificate names the role, as Postgres' cert authentication does.
        match auth::certificate_role(&ctx, &cn).await {
            Ok(principal) => session.set_principal(principal),
            Err(why) => {
                eprintln!("pg_kafka: closing connection from {peer}: certificate CN {cn:?}: {why}");
                return;
            }
        }
    }
    let conn = Conn {
        ctx,
        peer,
        listener,
        sasl,
        session: Arc::new(session),
        budget,
        held: Arc::new(Pool::default()),
        in_flight: Arc::new(AtomicUsize::new(0)),
        cancel,
    };
    let (tx, mut rx) = mpsc::channel::<JoinHandle<Out>>(MAX_IN_FLIGHT);
    let in_flight = conn.in_flight.clone();
    let writer = tokio::spawn(async move {
        while let Some(task) = rx.recv().await {
            let out = task.await;
            in_flight.fetch_sub(1, Ordering::AcqRel);
            match out {
                Ok(Out::Frame(bytes, charge)) => {
                    let written = write_all(&mut wr, &bytes, stall).await;
                    drop(charge);
                    if written.is_err() {
                        return;
                    }
                }
                Ok(Out::Nothing) => {}
                Ok(Out::Close) | Err(_) => return,
            }
        }
    });
    let reason = tokio::select! {
        r = read_requests(&mut rd, &conn, &tx) => r.err(),
        _ = stop.changed() => None,
    };
    if let Some(why) = reason {
        eprintln!("pg_kafka: closing connection from {peer}: {why}");
    }
    // The client is gone or misbehaved: whatever is still waiting for it stops now.
    let _ = cancel_tx.send(true);
    drop(tx);
    let _ = writer.await;
}

async fn read_requests<R: AsyncRead + Unpin>(
    rd: &mut R,
    conn: &Conn,
    tx: &mpsc::Sender<JoinHandle<Out>>,
) -> Result<(), NetError> {
    let config = &conn.ctx.config;
    let idle = Duration::from_millis(config.connections_max_idle_ms);
    let login_by = Instant::now() + Duration::from_millis(config.request_timeout_ms);
    let share = conn.budget.connection_share();
    loop {
        // Pipelining is bounded by bytes too: past its share, a connection is not read.
        conn.held.wait_below(share).await;
        let logged_in =
            conn.session.authenticated(Instant::now()) || conn.session.principal().is_some();
        let wait = if logged_in {
            idle
        } else {
            // The first login has a deadline however the client spends the time.
            login_by.saturating_duration_since(Instant::now())
        };
        if wait.is_zero() {
            return Err(NetError::LoginTimeout);
        }
        let mut size = [0u8; 4];
        match timeout(wait, rd.read_exact(&mut size)).await {
            Ok(Ok(_)) => {}
            Ok(Err(_)) => return Ok(()), // the client closed the connection
            Err(_) if !logged_in => return Err(NetError::LoginTimeout),
            Err(_) if conn.in_flight.load(Ordering::Acquire) == 0 => return Err(NetError::Idle),
            Err(_) => continue, // requests in flight: not idle
        }
        let size = i32::from_be_bytes(size);
        // A frame must fit the part of the budget large frames may use.
        let mut max = config
            .max_request_size
            .min(conn.budget.limit() - conn.budget.reserve());
        if !logged_in {
            max = max.min(PRE_AUTH_FRAME);
        }
        if size <= 0 || size as usize > max {
            return Err(NetError::FrameSize { size, max });
        }
        let frame = read_frame(rd, conn, size as usize).await?;
        let task = if conn.session.expects_raw_token() {
            raw_token(conn, &frame).await?
        } else {
            let head = protocol::parse_head(&frame)?;
            match handle(conn, head, frame).await? {
                Some(task) => task,
                None => continue,
            }
        };
        conn.in_flight.fetch_add(1, Ordering::AcqRel);
        if tx.send(task).await.is_err() {
            return Ok(()); // the writer stopped: the client is gone
        }
        if conn.sasl && conn.session.failed() {
            // The answer is queued; nothing after a failed login is read.
            return Err(NetError::LoginFailed);
        }
    }
}

/// Read one frame of `size` bytes, charging its buffer to the budget as it grows.
async fn read_frame<R: AsyncRead + Unpin>(
    rd: &mut R,
    conn: &Conn,
    size: usize,
) -> Result<Bytes, NetError> {
    let stall = Duration::from_millis(conn.ctx.config.request_timeout_ms);
    let mut charge = Charge::empty(&conn.budget, &conn.held);
    if size > LARGE_FRAME {
        // All or nothing: the buffer still grows only with the bytes that arrive.
        timeout(stall, conn.budget.grow(&mut charge, size, size))
            .await
            .map_err(|_| NetError::Stalled)?;
    }
    let mut buf: Vec<u8> = Vec::new();
    while buf.len() < size {
        if buf.len() == buf.capacity() {
            // Double (bounded by the frame), charging the new capacity before it exists.
            let target = size.min(buf.capacity().max(READ_CHUNK / 2) * 2);
            let more = target - buf.capacity();
            if size <= LARGE_FRAME {
                timeout(stall, conn.budget.grow(&mut charge, more, size))
                    .await
                    .map_err(|_| NetError::Stalled)?;
            }
            buf.reserve_exact(more);
        }
        let want = (size - buf.len()).min(READ_CHUNK);
        let n = timeout(stall, (&mut *rd).take(want as u64).read_buf(&mut buf))
            .await
            .map_err(|_| NetError::Stalled)??;
        if n == 0 {
            return Err(NetError::Truncated);
        }
    }
    Ok(Bytes::from_owner(ChargedBytes {
        data: buf,
        _charge: charge,
    }))
}

/// One raw SASL token after a SaslHandshake v0: the answer is the next token, size-prefixed and
/// without a Kafka header; a failed login closes the connection without an answer.
async fn raw_token(conn: &Conn, token: &[u8]) -> Result<JoinHandle<Out>, NetError> {
    let step = auth::step(&conn.ctx, &conn.session, conn.peer.ip(), token).await;
    let reply = match step {
        Step::Continue(b) => b,
        Step::Done { reply, .. } => reply,
        Step::Failed | Step::Unexpected => return Err(NetError::LoginFailed),
    };
    let mut framed = Vec::with_capacity(4 + reply.len());
    framed.extend_from_slice(&(reply.len() as u32).to_be_bytes());
    framed.extend_from_slice(&reply);
    let charge = conn.budget.force(&conn.held, framed.len());
    Ok(ready(Out::Frame(Bytes::from(framed), charge)))
}

/// Whether a request with API key `key` may be served before a login.
fn before_login(key: i16) -> bool {
    [
        ApiKey::ApiVersions,
        ApiKey::SaslHandshake,
        ApiKey::SaslAuthenticate,
    ]
    .iter()
    .any(|k| *k as i16 == key)
}

/// Decode and dispatch one request; the returned task yields its response frame.
async fn handle(
    conn: &Conn,
    head: RequestHead,
    frame: Bytes,
) -> Result<Option<JoinHandle<Out>>, NetError> {
    let (key, version, cid) = (head.api_key, head.api_version, head.correlation_id);
    if !before_login(key) && !conn.session.authenticated(Instant::now()) {
        return Err(NetError::Unauthenticated { key });
    }
    if !versions::supported(key, version) {
        let response = if key == ApiKey::ApiVersions as i16 {
            // The standard answer clients negotiate from: error 35 and our ranges, in a v0 body.
            return Ok(Some(ready(encode(
                conn,
                cid,
                key,
                0,
                &unsupported_api_versions(),
            ))));
        } else {
            broker::unsupported_response(key, version)
        };
        return match response {
            Some(r) => Ok(Some(ready(encode(conn, cid, key, version, &r)))),
            None => Err(NetError::Unsupported { key, version }),
        };
    }
    let request = protocol::decode_request(&head, frame)?;
    let client = Client {
        id: head.client_id.clone().unwrap_or_default(),
        host: format!("/{}", conn.peer.ip()),
        listener: conn.listener,
        session: conn.session.clone(),
        ip: Some(conn.peer.ip()),
    };
    let sasl_api = key == ApiKey::SaslHandshake as i16 || key == ApiKey::SaslAuthenticate as i16;
    let call = Call {
        ctx: &conn.ctx,
        client: &client,
        version,
    };
    let Ok(reply) = broker::dispatch(call, request).await else {
        // A version-table row without a handler; a test keeps this from happening.
        return match broker::unsupported_response(key, version) {
            Some(r) => Ok(Some(ready(encode(conn, cid, key, version, &r)))),
            None => Err(NetError::Unsupported { key, version }),
        };
    };
    if sasl_api {
        // Finished before the next frame is read: the login's outcome gates what follows.
        let out = match reply.await {
            Some(r) => encode(conn, cid, key, version, &r),
            None => Out::Close,
        };
        if conn.sasl && !conn.session.authenticated(Instant::now()) && !conn.session.in_login() {
            // An unsupported mechanism or an illegal state: Kafka answers, then closes.
            conn.session.fail();
        }
        return Ok(Some(ready(out)));
    }
    let (budget, held, mut cancel) = (conn.budget.clone(), conn.held.clone(), conn.cancel.clone());
    Ok(Some(tokio::spawn(async move {
        tokio::select! {
            r = reply => match r {
                Some(response) => encode_charged(&budget, &held, cid, key, version, &response),
                None => Out::Nothing,
            },
            _ = cancel.wait_for(|gone| *gone) => Out::Close,
        }
    })))
}

/// Write all of `bytes`, closing when the client takes nothing for `stall`.
async fn write_all<W: AsyncWrite + Unpin>(
    wr: &mut W,
    bytes: &[u8],
    stall: Duration,
) -> Result<(), NetError> {
    let mut at = 0;
    while at < bytes.len() {
        let n = timeout(stall, wr.write(&bytes[at..]))
            .await
            .map_err(|_| NetError::Stalled)??;
        if n == 0 {
            return Err(NetError::Truncated);
        }
        at += n;
    }
    Ok(())
}

fn ready(out: Out) -> JoinHandle<Out> {
    tokio::spawn(async move { out })
}

fn encode(conn: &Conn, correlation_id: i32, key: i16, version: i16, r: &ResponseKind) -> Out {
    encode_charged(&conn.budget, &conn.held, correlation_id, key, version, r)
}

fn encode_charged(
    budget: &Arc<Budget>,
    held: &Arc<Pool>,
    correlation_id: i32,
    key: i16,
    version: i16,
    response: &ResponseKind,
) -> Out {
    match protocol::encode_response(correlation_id, key, version, response) {
        Ok(bytes) => {
            let charge = budget.force(held, bytes.len());
            Out::Frame(bytes, charge)
        }
        Err(e) => {
            eprintln!("pg_kafka: cannot encode response to api key {key} v{version}: {e}");
            Out::Close
        }
    }
}

fn unsupported_api_versions() -> ResponseKind {
    let mut r = ApiVersionsResponse::default();
    r.error_code = ResponseError::UnsupportedVersion.code();
    r.api_keys = versions::api_versions_entries()
        .into_iter()
        .map(|(key, min, max)| {
            let mut v = ApiVersion::default();
            v.api_key = key;
            v.min_version = min;
            v.max_version = max;
            v
        })
        .collect();
    ResponseKind::ApiVersions(r)
}
