//! One client connection: read size-capped frames, decode through the guard, dispatch, and write
//! responses strictly in request order.
//!
//! The reader task decodes and dispatches one request at a time (so ordered side effects such as
//! queuing a produce follow request order); each request's remaining work runs as its own task,
//! and the writer task awaits those tasks in request order. Frame buffers grow with the bytes
//! that actually arrive, never from the size prefix alone. Malformed input closes the connection.
//!
//! Limits: at most `MAX_IN_FLIGHT` requests per connection are worked on at once (then the reader
//! stops reading and TCP pushes back on the client); a frame larger than `READ_CHUNK` first takes
//! its size from `FRAME_BUDGET`, shared by all connections, so many clients sending large frames
//! at once wait for each other instead of growing the worker without bound. The charge is
//! accounting only: memory still grows with the bytes that arrive.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::api_versions_response::{ApiVersion, ApiVersionsResponse};
use kafka_protocol::messages::{ApiKey, ResponseKind};
use kafka_protocol::ResponseError;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch, Semaphore, SemaphorePermit};
use tokio::task::JoinHandle;

use super::NetError;
use crate::broker::{self, Call, Client, Ctx};
use crate::protocol::{self, versions, RequestHead};

/// Requests of one connection being worked on at once; the reader waits beyond this.
pub const MAX_IN_FLIGHT: usize = 256;

/// Bytes read into a frame buffer per step.
const READ_CHUNK: usize = 64 * 1024;

/// Bytes of large frames (above `READ_CHUNK`) buffered at once across all connections. Small
/// frames do not draw from it, so a budget held by slow large frames never stalls ordinary
/// requests; a frame larger than the budget is charged the whole budget.
pub const MAX_BUFFERED_FRAME_BYTES: usize = 512 * 1024 * 1024;

static FRAME_BUDGET: Semaphore = Semaphore::const_new(MAX_BUFFERED_FRAME_BYTES);

/// What one request sends back.
enum Out {
    Frame(Bytes),
    /// acks=0: nothing is sent.
    Nothing,
    /// The response could not be built: close the connection.
    Close,
}

pub(super) async fn serve(
    socket: TcpStream,
    peer: SocketAddr,
    ctx: Arc<Ctx>,
    mut stop: watch::Receiver<bool>,
) {
    let (mut rd, mut wr) = socket.into_split();
    let (tx, mut rx) = mpsc::channel::<JoinHandle<Out>>(MAX_IN_FLIGHT);
    let writer = tokio::spawn(async move {
        while let Some(task) = rx.recv().await {
            match task.await {
                Ok(Out::Frame(bytes)) => {
                    if wr.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                Ok(Out::Nothing) => {}
                Ok(Out::Close) | Err(_) => return,
            }
        }
    });
    tokio::select! {
        r = read_requests(&mut rd, peer, &ctx, &tx) => {
            if let Err(why) = r {
                eprintln!("pg_kafka: closing connection from {peer}: {why}");
            }
        }
        _ = stop.changed() => {}
    }
    drop(tx);
    let _ = writer.await;
}

async fn read_requests<R: AsyncRead + Unpin>(
    rd: &mut R,
    peer: SocketAddr,
    ctx: &Arc<Ctx>,
    tx: &mpsc::Sender<JoinHandle<Out>>,
) -> Result<(), NetError> {
    loop {
        let mut size = [0u8; 4];
        if rd.read_exact(&mut size).await.is_err() {
            return Ok(()); // the client closed the connection
        }
        let size = i32::from_be_bytes(size);
        if size <= 0 || size as usize > ctx.config.max_request_size {
            return Err(NetError::FrameSize {
                size,
                max: ctx.config.max_request_size,
            });
        }
        let (frame, budget) = read_frame(rd, size as usize).await?;
        let head = protocol::parse_head(&frame)?;
        let task = handle(ctx, peer, head, frame).await?;
        drop(budget);
        let Some(task) = task else { continue };
        if tx.send(task).await.is_err() {
            return Ok(()); // the writer stopped: the client is gone
        }
    }
}

/// Read one frame; a large frame returns the share of `FRAME_BUDGET` its bytes hold.
async fn read_frame<R: AsyncRead + Unpin>(
    rd: &mut R,
    size: usize,
) -> Result<(Bytes, Option<SemaphorePermit<'static>>), NetError> {
    let mut buf = BytesMut::with_capacity(size.min(READ_CHUNK));
    // The whole charge is taken before reading: a reader never holds part of the budget while
    // waiting for more, so readers cannot deadlock each other.
    let budget = if size > READ_CHUNK {
        let charge = size.min(MAX_BUFFERED_FRAME_BYTES) as u32;
        Some(
            FRAME_BUDGET
                .acquire_many(charge)
                .await
                .map_err(|_| NetError::Closed)?,
        )
    } else {
        None
    };
    while buf.len() < size {
        let want = (size - buf.len()).min(READ_CHUNK);
        buf.reserve(want);
        let n = (&mut *rd).take(want as u64).read_buf(&mut buf).await?;
        if n == 0 {
            return Err(NetError::Truncated);
        }
    }
    Ok((buf.freeze(), budget))
}

/// Decode and dispatch one request; the returned task yields its response frame.
async fn handle(
    ctx: &Arc<Ctx>,
    peer: SocketAddr,
    head: RequestHead,
    frame: Bytes,
) -> Result<Option<JoinHandle<Out>>, NetError> {
    let (key, version, cid) = (head.api_key, head.api_version, head.correlation_id);
    if !versions::supported(key, version) {
        let response = if key == ApiKey::ApiVersions as i16 {
            // The standard answer clients negotiate from: error 35 and our ranges, in a v0 body.
            return Ok(Some(ready(encode(
                cid,
                key,
                0,
                &unsupported_api_versions(),
            ))));
        } else {
            broker::unsupported_response(key, version)
        };
        return match response {
            Some(r) => Ok(Some(ready(encode(cid, key, version, &r)))),
            None => Err(NetError::Unsupported { key, version }),
        };
    }
    let request = protocol::decode_request(&head, frame)?;
    let client = Client {
        id: head.client_id.clone().unwrap_or_default(),
        host: format!("/{}", peer.ip()),
    };
    let call = Call {
        ctx,
        client: &client,
        version,
    };
    let Ok(reply) = broker::dispatch(call, request).await else {
        // A version-table row without a handler; a test keeps this from happening.
        return match broker::unsupported_response(key, version) {
            Some(r) => Ok(Some(ready(encode(cid, key, version, &r)))),
            None => Err(NetError::Unsupported { key, version }),
        };
    };
    Ok(Some(tokio::spawn(async move {
        match reply.await {
            Some(response) => encode(cid, key, version, &response),
            None => Out::Nothing,
        }
    })))
}

fn ready(out: Out) -> JoinHandle<Out> {
    tokio::spawn(async move { out })
}

fn encode(correlation_id: i32, key: i16, version: i16, response: &ResponseKind) -> Out {
    match protocol::encode_response(correlation_id, key, version, response) {
        Ok(bytes) => Out::Frame(bytes),
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
