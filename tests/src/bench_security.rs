//! The security benchmark's client side: SASL_SSL settings for librdkafka, and a raw SCRAM-SHA-256
//! login loop (SaslHandshake v1 + two SaslAuthenticate v1 round trips per connection) that counts
//! logins per second. The client caches its salted password per salt, so the rate is the
//! broker's cost of a login, not the client's PBKDF2.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = hmac::Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

fn salted_password(password: &str, salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut u = hmac(password.as_bytes(), &[salt, &1u32.to_be_bytes()].concat());
    let mut out = u;
    for _ in 1..iterations {
        u = hmac(password.as_bytes(), &u);
        out.iter_mut().zip(u).for_each(|(o, x)| *o ^= x);
    }
    out
}

/// One request/response on a blocking socket (request header v1, response header v0).
fn call(s: &mut TcpStream, key: i16, version: i16, body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut frame = Vec::new();
    frame.extend_from_slice(&key.to_be_bytes());
    frame.extend_from_slice(&version.to_be_bytes());
    frame.extend_from_slice(&1i32.to_be_bytes());
    frame.extend_from_slice(&5i16.to_be_bytes());
    frame.extend_from_slice(b"bench");
    frame.extend_from_slice(body);
    s.write_all(&(frame.len() as i32).to_be_bytes())?;
    s.write_all(&frame)?;
    let mut size = [0u8; 4];
    s.read_exact(&mut size)?;
    let size = i32::from_be_bytes(size).clamp(0, 1 << 20) as usize;
    let mut resp = vec![0u8; size];
    s.read_exact(&mut resp)?;
    Ok(resp.split_off(4.min(resp.len())))
}

/// SaslAuthenticate v1: error code and auth bytes.
fn authenticate(s: &mut TcpStream, token: &[u8]) -> std::io::Result<(i16, Vec<u8>)> {
    let mut body = (token.len() as i32).to_be_bytes().to_vec();
    body.extend_from_slice(token);
    let r = call(s, 36, 1, &body)?;
    let bad = || std::io::Error::other("short SaslAuthenticate response");
    let error = i16::from_be_bytes(r.get(0..2).ok_or_else(bad)?.try_into().unwrap());
    let msg_len =
        i16::from_be_bytes(r.get(2..4).ok_or_else(bad)?.try_into().unwrap()).max(0) as usize;
    let at = 4 + msg_len;
    let n =
        i32::from_be_bytes(r.get(at..at + 4).ok_or_else(bad)?.try_into().unwrap()).max(0) as usize;
    Ok((error, r.get(at + 4..at + 4 + n).ok_or_else(bad)?.to_vec()))
}

/// One SCRAM-SHA-256 login on a new connection; true when the broker accepted it and its
/// signature verified.
fn login(addr: &str, user: &str, password: &str, salted: &mut HashMap<Vec<u8>, [u8; 32]>) -> bool {
    let mut run = || -> std::io::Result<bool> {
        let mut s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        let mech = b"SCRAM-SHA-256";
        let mut body = (mech.len() as i16).to_be_bytes().to_vec();
        body.extend_from_slice(mech);
        call(&mut s, 17, 1, &body)?;
        let nonce = format!(
            "{:x}",
            crate::now_ms() as u128 * 7919 + std::process::id() as u128
        );
        let bare = format!("n={user},r={nonce}");
        let (e, first) = authenticate(&mut s, format!("n,,{bare}").as_bytes())?;
        if e != 0 {
            return Ok(false);
        }
        let first = String::from_utf8_lossy(&first).into_owned();
        let attr = |k: &str| {
            first
                .split(',')
                .find_map(|a| a.strip_prefix(k))
                .unwrap_or("")
                .to_owned()
        };
        let salt = B64.decode(attr("s=")).unwrap_or_default();
        let iterations: u32 = attr("i=").parse().unwrap_or(4096);
        let key = *salted
            .entry(salt.clone())
            .or_insert_with(|| salted_password(password, &salt, iterations));
        let without_proof = format!("c=biws,r={}", attr("r="));
        let auth = format!("{bare},{first},{without_proof}");
        let client_key = hmac(&key, b"Client Key");
        let signature = hmac(&Sha256::digest(client_key), auth.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let last = format!("{without_proof},p={}", B64.encode(proof));
        let (e, server_final) = authenticate(&mut s, last.as_bytes())?;
        let expected = format!(
            "v={}",
            B64.encode(hmac(&hmac(&key, b"Server Key"), auth.as_bytes()))
        );
        Ok(e == 0 && server_final == expected.as_bytes())
    };
    run().unwrap_or(false)
}

/// Logins on `threads` threads for `duration`: (good logins, failed ones, seconds).
pub fn scram_logins(
    addr: &str,
    user: &str,
    password: &str,
    threads: usize,
    duration: Duration,
) -> (usize, usize, f64) {
    let (good, bad, stop) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let start = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (good, bad, stop) = (good.clone(), bad.clone(), stop.clone());
            let (addr, user, password) = (addr.to_owned(), user.to_owned(), password.to_owned());
            std::thread::spawn(move || {
                let mut salted = HashMap::new();
                while !stop.load(Ordering::Relaxed) {
                    let counter = if login(&addr, &user, &password, &mut salted) {
                        &good
                    } else {
                        &bad
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.join();
    }
    let secs = start.elapsed().as_secs_f64();
    (
        good.load(Ordering::Relaxed),
        bad.load(Ordering::Relaxed),
        secs,
    )
}
