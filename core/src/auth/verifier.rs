//! SCRAM-SHA-256 verifiers as Postgres stores them in `pg_authid.rolpassword`
//! (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64 parts), and the RFC 5802
//! key derivation that both a SCRAM proof and a PLAIN password are checked with.
//!
//! Owns: parsing verifiers, deriving keys from a password, and constant-time comparison. Never
//! logs or keeps a password.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

use super::AuthError;

/// Fewest PBKDF2 iterations a verifier may have: the Java client refuses fewer.
pub const MIN_ITERATIONS: u32 = 4096;
/// Most iterations a verifier may have before a PLAIN check would cost too much CPU per login.
pub const MAX_ITERATIONS: u32 = 1 << 20;

pub type Key = [u8; 32];

/// A role's SCRAM-SHA-256 secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verifier {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub stored_key: Key,
    pub server_key: Key,
}

pub fn hmac(key: &[u8], parts: &[&[u8]]) -> Key {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

pub fn sha256(data: &[u8]) -> Key {
    Sha256::digest(data).into()
}

/// Equal in time that does not depend on where the inputs differ.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn key(b64: &str) -> Option<Key> {
    B64.decode(b64).ok()?.try_into().ok()
}

impl Verifier {
    /// Parse a `rolpassword` value.
    pub fn parse(stored: &str) -> Result<Verifier, AuthError> {
        let rest = stored
            .strip_prefix("SCRAM-SHA-256$")
            .ok_or(AuthError::NotScram)?;
        let (params, keys) = rest.split_once('$').ok_or(AuthError::NotScram)?;
        let (iterations, salt) = params.split_once(':').ok_or(AuthError::NotScram)?;
        let (stored_key, server_key) = keys.split_once(':').ok_or(AuthError::NotScram)?;
        let iterations: u32 = iterations.parse().map_err(|_| AuthError::NotScram)?;
        let salt = B64.decode(salt).map_err(|_| AuthError::NotScram)?;
        let (Some(stored_key), Some(server_key)) = (key(stored_key), key(server_key)) else {
            return Err(AuthError::NotScram);
        };
        if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) || salt.is_empty() {
            return Err(AuthError::Iterations(iterations));
        }
        Ok(Verifier {
            iterations,
            salt,
            stored_key,
            server_key,
        })
    }

    /// The verifier a password gives with this salt and iteration count (RFC 5802: SaltedPassword
    /// is PBKDF2-HMAC-SHA-256 of the password prepared as Postgres prepares it).
    pub fn derive(password: &str, salt: &[u8], iterations: u32) -> Verifier {
        let salted = salted_password(password, salt, iterations);
        let client_key = hmac(&salted, &[b"Client Key"]);
        Verifier {
            iterations,
            salt: salt.to_vec(),
            stored_key: sha256(&client_key),
            server_key: hmac(&salted, &[b"Server Key"]),
        }
    }

    /// Whether `password` is the one this verifier was made from.
    pub fn matches(&self, password: &str) -> bool {
        let other = Verifier::derive(password, &self.salt, self.iterations);
        same(&other.stored_key, &self.stored_key) & same(&other.server_key, &self.server_key)
    }

    /// The form Postgres stores (for tests and for making verifiers).
    pub fn to_stored(&self) -> String {
        format!(
            "SCRAM-SHA-256${}:{}${}:{}",
            self.iterations,
            B64.encode(&self.salt),
            B64.encode(self.stored_key),
            B64.encode(self.server_key)
        )
    }
}

fn salted_password(password: &str, salt: &[u8], iterations: u32) -> Key {
    pbkdf2(prepare(password).as_bytes(), salt, iterations)
}

/// ClientKey of RFC 5802, as a client derives it (tests play the client with it).
pub fn client_key(password: &str, salt: &[u8], iterations: u32) -> Key {
    hmac(
        &salted_password(password, salt, iterations),
        &[b"Client Key"],
    )
}

/// SASLprep the password as Postgres does when it makes a verifier: a password that is not valid
/// UTF-8 or that SASLprep refuses is used as it is.
fn prepare(password: &str) -> std::borrow::Cow<'_, str> {
    stringprep::saslprep(password).unwrap_or(std::borrow::Cow::Borrowed(password))
}

/// PBKDF2-HMAC-SHA-256 with one 32-byte block (RFC 2898 `Hi` of RFC 5802).
fn pbkdf2(password: &[u8], salt: &[u8], iterations: u32) -> Key {
    let mut u = hmac(password, &[salt, &1u32.to_be_bytes()]);
    let mut out = u;
    for _ in 1..iterations {
        u = hmac(password, &[&u]);
        for (o, x) in out.iter_mut().zip(u) {
            *o ^= x;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7677 section 3: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096.
    const RFC_SALT: &str = "W22ZaJ0SNY7soEsUEjb6gQ==";

    #[test]
    fn derivation_gives_the_rfc_7677_server_signature_key() {
        let v = Verifier::derive("pencil", &B64.decode(RFC_SALT).unwrap(), 4096);
        // The RFC's exchange: AuthMessage and the server signature it expects (v=...).
        let auth = "n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let signature = hmac(&v.server_key, &[auth.as_bytes()]);
        assert_eq!(
            B64.encode(signature),
            "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
        // And the client proof p=... verifies against StoredKey.
        let proof = B64
            .decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
            .unwrap();
        let client_signature = hmac(&v.stored_key, &[auth.as_bytes()]);
        let client_key: Vec<u8> = proof
            .iter()
            .zip(client_signature)
            .map(|(p, s)| p ^ s)
            .collect();
        assert_eq!(sha256(&client_key), v.stored_key);
    }

    #[test]
    fn stored_form_round_trips_and_checks_passwords() {
        let v = Verifier::derive("s3cret", b"0123456789abcdef", 4096);
        let parsed = Verifier::parse(&v.to_stored()).unwrap();
        assert_eq!(parsed, v);
        assert!(parsed.matches("s3cret"));
        assert!(!parsed.matches("s3cret "));
        assert!(!parsed.matches(""));
    }

    #[test]
    fn unusable_passwords_are_named() {
        assert_eq!(
            Verifier::parse("md5a3556571e93b0d20722ba62be61e8c2d"),
            Err(AuthError::NotScram)
        );
        assert_eq!(Verifier::parse("plain text"), Err(AuthError::NotScram));
        assert_eq!(
            Verifier::parse("SCRAM-SHA-256$4096:c2FsdA==$AAAA:AAAA"),
            Err(AuthError::NotScram)
        );
        let weak = Verifier::derive("x", b"salt", 1000).to_stored();
        assert_eq!(Verifier::parse(&weak), Err(AuthError::Iterations(1000)));
    }
}
