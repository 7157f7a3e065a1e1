//! A recording TCP proxy: clients connect to LISTEN, every byte is relayed to and from UPSTREAM,
//! and the request frames the clients send are appended to OUT as the fuzz corpus
//! (core/tests/corpus/, used by core/tests/fuzz_decode.rs).
//!
//!     capture_frames LISTEN UPSTREAM OUT
//!
//! OUT holds frames as on the wire: a 4-byte big-endian length, then the frame (header and body).
//! At most `PER_VERSION` distinct frames are kept per (API key, version), none larger than
//! `MAX_FRAME`, so a long client run yields a small corpus of the shapes that client sends.
//! The broker must advertise LISTEN (`pg_kafka.advertised_port`), or clients would leave the proxy
//! after their first Metadata. Runs until killed; each kept frame is written at once.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

const PER_VERSION: usize = 3;
const MAX_FRAME: usize = 32 * 1024;
/// Frames larger than this are relayed in pieces without being kept.
const RELAY_CHUNK: usize = 64 * 1024;

#[derive(Default)]
struct Kept {
    per_version: HashMap<(i16, i16), usize>,
    seen: HashSet<Vec<u8>>,
}

struct Corpus {
    out: Mutex<(File, Kept)>,
}

impl Corpus {
    fn offer(&self, frame: &[u8]) {
        if frame.len() < 4 || frame.len() > MAX_FRAME {
            return;
        }
        let key = i16::from_be_bytes([frame[0], frame[1]]);
        let version = i16::from_be_bytes([frame[2], frame[3]]);
        // The correlation id differs between otherwise equal frames; compare without it.
        let mut shape = frame.to_vec();
        if let Some(id) = shape.get_mut(4..8) {
            id.fill(0);
        }
        let mut out = self.out.lock().expect("corpus lock");
        let (file, kept) = &mut *out;
        let count = kept.per_version.entry((key, version)).or_default();
        if *count >= PER_VERSION || !kept.seen.insert(shape) {
            return;
        }
        *count += 1;
        let mut record = (frame.len() as u32).to_be_bytes().to_vec();
        record.extend_from_slice(frame);
        file.write_all(&record).expect("write corpus");
        file.flush().expect("flush corpus");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [listen, upstream, out] = args.as_slice() else {
        eprintln!("usage: capture_frames LISTEN UPSTREAM OUT");
        std::process::exit(2);
    };
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(out)
        .expect("open OUT");
    let corpus = Arc::new(Corpus {
        out: Mutex::new((file, Kept::default())),
    });
    let listener = TcpListener::bind(listen).expect("bind LISTEN");
    for client in listener.incoming() {
        let Ok(client) = client else { continue };
        let Ok(server) = TcpStream::connect(upstream) else {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        let corpus = corpus.clone();
        std::thread::spawn(move || relay(client, server, &corpus));
    }
}

/// Relay one connection: responses are copied back as they come; requests are read frame by
/// frame, offered to the corpus and forwarded.
fn relay(mut client: TcpStream, mut server: TcpStream, corpus: &Corpus) {
    let (Ok(mut server_read), Ok(mut client_write)) = (server.try_clone(), client.try_clone())
    else {
        return;
    };
    let back = std::thread::spawn(move || {
        let _ = std::io::copy(&mut server_read, &mut client_write);
        let _ = client_write.shutdown(Shutdown::Both);
    });
    let _ = forward_frames(&mut client, &mut server, corpus);
    let _ = server.shutdown(Shutdown::Both);
    let _ = back.join();
}

fn forward_frames(
    client: &mut TcpStream,
    server: &mut TcpStream,
    corpus: &Corpus,
) -> std::io::Result<()> {
    loop {
        let mut len = [0u8; 4];
        client.read_exact(&mut len)?;
        server.write_all(&len)?;
        let size = i32::from_be_bytes(len);
        let Ok(mut remaining) = usize::try_from(size) else {
            // A negative size is the broker's to refuse; relay whatever follows unchanged.
            std::io::copy(client, server)?;
            return Ok(());
        };
        let keep = remaining <= MAX_FRAME;
        let mut frame = Vec::new();
        let mut chunk = vec![0u8; RELAY_CHUNK];
        while remaining > 0 {
            let n = client.read(&mut chunk[..remaining.min(RELAY_CHUNK)])?;
            if n == 0 {
                return Ok(());
            }
            server.write_all(&chunk[..n])?;
            if keep {
                frame.extend_from_slice(&chunk[..n]);
            }
            remaining -= n;
        }
        if keep {
            corpus.offer(&frame);
        }
    }
}
