//! Authentication: a Kafka principal is a Postgres role (`User:<role>`), proven with SASL
//! SCRAM-SHA-256 against the role's verifier in `pg_authid`, or with PLAIN checked against the
//! same verifier. The role is read through the writer (the only thread that may call SPI) at
//! each login, so `ALTER ROLE ... PASSWORD`, `NOLOGIN` and `VALID UNTIL` apply to the next login.
//!
//! Owns: the per-connection [`Session`] (which stage of a login it is in, and who it is), the
//! mechanisms ([`scram`], [`plain`]), verifiers ([`verifier`]), failure delays ([`throttle`]) and
//! one login step ([`login`]). Must not touch: connections or framing (the net layer gates
//! requests on [`Session::authenticated`]), and it never logs a password.

pub mod login;
pub mod plain;
pub mod scram;
mod session;
pub mod throttle;
pub mod verifier;

pub use login::{certificate_role, step, Step};
pub use session::{Principal, Session};

use verifier::{hmac, sha256, Key, Verifier, MIN_ITERATIONS};

/// Why a login step, a handshake or a stored password was refused: logged for the operator (the
/// client learns only that it failed). Never holds a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("malformed SASL message: {0}")]
    Malformed(&'static str),
    #[error("channel binding was asked for, and Kafka has none")]
    ChannelBinding,
    #[error("the tokenauth extension (delegation tokens) is not supported")]
    TokenAuth,
    #[error("the authorization id differs from the user name")]
    AuthzId,
    #[error("the nonce does not match")]
    Nonce,
    #[error("wrong password")]
    WrongPassword,
    #[error("role has no SCRAM-SHA-256 password (md5 or none)")]
    NotScram,
    #[error("role's SCRAM verifier has {0} iterations, outside 4096..=1048576")]
    Iterations(u32),
    #[error("a SASL request out of place")]
    IllegalState,
    #[error("the SASL mechanism is not enabled here")]
    UnsupportedMechanism,
}

/// State shared by every connection's logins.
#[derive(Debug)]
pub struct Authenticator {
    /// Secret from which unknown users get stable mock salts (as Postgres' mock authentication).
    mock_key: Key,
    pub failures: throttle::Failures,
    /// PLAIN checks (PBKDF2, milliseconds of CPU each) running at once: however many clients
    /// send passwords, they take at most this many cores from the host.
    pub password_checks: tokio::sync::Semaphore,
}

/// Most PLAIN password checks computed at once.
pub const PASSWORD_CHECKS: usize = 2;

impl Default for Authenticator {
    fn default() -> Self {
        let mut mock_key = [0u8; 32];
        if getrandom::fill(&mut mock_key).is_err() {
            // No OS randomness: still a per-process secret, only a weaker one.
            let seed = format!("{:?}{}", std::time::SystemTime::now(), std::process::id());
            mock_key = sha256(seed.as_bytes());
        }
        Authenticator {
            mock_key,
            failures: throttle::Failures::default(),
            password_checks: tokio::sync::Semaphore::new(PASSWORD_CHECKS),
        }
    }
}

impl Authenticator {
    /// Mock salts derived from `secret`, which the worker takes from the cluster's
    /// `mock_authentication_nonce` (pg_control), as Postgres' own mock authentication does: an
    /// unknown user's salt then stays the same across restarts too.
    pub fn with_secret(secret: &[u8]) -> Self {
        Authenticator {
            mock_key: hmac(b"pg_kafka mock SCRAM salts", &[secret]),
            failures: throttle::Failures::default(),
            password_checks: tokio::sync::Semaphore::new(PASSWORD_CHECKS),
        }
    }

    /// A verifier for a user that does not exist or may not log in: the same salt for the same
    /// name on every attempt, and keys nobody knows.
    pub fn mock(&self, user: &str) -> Verifier {
        let salt = hmac(&self.mock_key, &[b"salt", user.as_bytes()]);
        Verifier {
            iterations: MIN_ITERATIONS,
            salt: salt[..16].to_vec(),
            stored_key: hmac(&self.mock_key, &[b"stored", user.as_bytes()]),
            server_key: hmac(&self.mock_key, &[b"server", user.as_bytes()]),
        }
    }
}

/// Random printable nonce for server-first (base64 of 18 bytes).
pub fn server_nonce() -> Option<String> {
    use base64::Engine;
    let mut raw = [0u8; 18];
    getrandom::fill(&mut raw).ok()?;
    Some(base64::engine::general_purpose::STANDARD.encode(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mock_salts_follow_the_secret_and_the_user() {
        let (a, b) = (
            Authenticator::with_secret(&[1; 32]),
            Authenticator::with_secret(&[1; 32]),
        );
        let other = Authenticator::with_secret(&[2; 32]);
        assert_eq!(a.mock("ghost").salt, b.mock("ghost").salt);
        assert_ne!(a.mock("ghost").salt, a.mock("phantom").salt);
        assert_ne!(a.mock("ghost").salt, other.mock("ghost").salt);
        assert_eq!(a.mock("ghost").iterations, MIN_ITERATIONS);
    }
}
