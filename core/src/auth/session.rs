//! One connection's authentication state.
//!
//! A connection on a SASL listener starts unauthenticated; SaslHandshake picks a mechanism,
//! SaslAuthenticate (or, after a v0 handshake, raw tokens) runs it, and success sets the
//! principal and, with `connections_max_reauth_ms`, when the session expires (KIP-368: a client
//! re-authenticates on the same connection before then, as the same principal). A failed login
//! is final: the connection is closed after the answer.
//!
//! The reader task runs a connection's logins one step at a time, so the lock is never contended.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use super::scram::Challenge;
use super::verifier::Verifier;
use super::AuthError;
use crate::config::Mechanism;

/// Who a connection is, once authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The Postgres role.
    pub user: String,
    pub superuser: bool,
}

impl Principal {
    /// Kafka's form: `User:<role>`.
    pub fn name(&self) -> String {
        format!("User:{}", self.user)
    }
}

#[derive(Debug, Default)]
pub(super) enum Stage {
    /// No login under way.
    #[default]
    Idle,
    /// A mechanism was chosen; `raw`: tokens arrive without Kafka framing (SaslHandshake v0).
    Chosen { mechanism: Mechanism, raw: bool },
    /// SCRAM server-first was sent; `refused` is why the login will fail whatever the proof.
    Scram {
        challenge: Box<Challenge>,
        verifier: Box<Verifier>,
        refused: Option<String>,
        superuser: bool,
        valid_until_ms: Option<i64>,
        raw: bool,
    },
    /// A login failed: nothing more is served.
    Failed,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) stage: Stage,
    pub(super) principal: Option<Principal>,
    pub(super) expires_at: Option<Instant>,
    /// Whether the connection's listener requires SASL.
    pub(super) required: bool,
}

/// A connection's login state (shared with its request handlers).
#[derive(Debug, Default)]
pub struct Session {
    state: Mutex<State>,
}

impl Session {
    /// A session for a connection on a listener that does (`required`) or does not need SASL.
    pub fn new(required: bool) -> Self {
        Session {
            state: Mutex::new(State {
                required,
                ..State::default()
            }),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether requests other than ApiVersions and the SASL APIs may be served at `now`: on a
    /// listener without SASL always; otherwise once logged in and until the session expires.
    pub fn authenticated(&self, now: Instant) -> bool {
        let s = self.lock();
        if !s.required {
            return true;
        }
        s.principal.is_some()
            && !matches!(s.stage, Stage::Failed)
            && s.expires_at.is_none_or(|at| now < at)
    }

    /// The authenticated principal, if any (None on a listener without SASL: ANONYMOUS).
    pub fn principal(&self) -> Option<Principal> {
        self.lock().principal.clone()
    }

    /// Who the connection is without a SASL login (a verified client certificate).
    pub fn set_principal(&self, principal: Principal) {
        self.lock().principal = Some(principal);
    }

    /// Whether the next frame is a raw SASL token (after a v0 handshake).
    pub fn expects_raw_token(&self) -> bool {
        matches!(
            self.lock().stage,
            Stage::Chosen { raw: true, .. } | Stage::Scram { raw: true, .. }
        )
    }

    /// Whether a login (or re-authentication) is between its handshake and its outcome.
    pub fn in_login(&self) -> bool {
        matches!(
            self.lock().stage,
            Stage::Chosen { .. } | Stage::Scram { .. }
        )
    }

    /// End the session: nothing more is served (a refused handshake).
    pub fn fail(&self) {
        self.lock().stage = Stage::Failed;
    }

    /// Whether the login failed (the connection closes after answering).
    pub fn failed(&self) -> bool {
        matches!(self.lock().stage, Stage::Failed)
    }

    /// SaslHandshake: choose `mechanism` (None: not one this broker knows or enables). A v0
    /// handshake switches to raw tokens. Re-authentication (KIP-368) needs v1.
    pub fn handshake(&self, mechanism: Option<Mechanism>, version: i16) -> Result<(), AuthError> {
        let mut s = self.lock();
        let reauth = s.principal.is_some();
        if !s.required || !matches!(s.stage, Stage::Idle) || (reauth && version < 1) {
            return Err(AuthError::IllegalState);
        }
        let mechanism = mechanism.ok_or(AuthError::UnsupportedMechanism)?;
        s.stage = Stage::Chosen {
            mechanism,
            raw: version == 0,
        };
        Ok(())
    }
}
