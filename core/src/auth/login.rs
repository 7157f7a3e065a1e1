//! One step of a login: the token a client sent (SaslAuthenticate's auth_bytes, or a raw token
//! after a v0 handshake) in, the server's next token or the outcome out.
//!
//! The role is read through the writer ([`ReadQuery::Role`]). A role that is missing or refused
//! (NOLOGIN, past VALID UNTIL, no SCRAM verifier, too few iterations) gets the same exchange as a
//! real one over a mock verifier, so the client cannot tell which; the log line names the reason,
//! the user and the address, never the password. Each failure waits for the address' delay
//! ([`super::throttle`]) before it is answered.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::session::{Stage, State};
use super::verifier::Verifier;
use super::{plain, scram, server_nonce, Principal, Session};
use crate::broker::Ctx;
use crate::config::Mechanism;
use crate::store::RoleRow;
use crate::writer::{Command, ReadQuery};

/// What a login step answers.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// The next server message; the client sends another token.
    Continue(Vec<u8>),
    /// Logged in; the last server message (may be empty) and the session lifetime (0: none).
    Done { reply: Vec<u8>, lifetime_ms: i64 },
    /// Refused (after the delay); the connection is closed after answering.
    Failed,
    /// No login was under way: the token was not expected.
    Unexpected,
}

/// Run one step of `session`'s login with `token` from `peer`.
pub async fn step(ctx: &Ctx, session: &Session, peer: IpAddr, token: &[u8]) -> Step {
    let started = Instant::now();
    let stage = std::mem::take(&mut session.lock().stage);
    let (mechanism, outcome) = match stage {
        Stage::Chosen {
            mechanism: Mechanism::ScramSha256,
            raw,
        } => match scram_first(ctx, session, token, raw).await {
            Ok(reply) => return Step::Continue(reply),
            Err(failure) => (Mechanism::ScramSha256, Err(failure)),
        },
        Stage::Scram {
            challenge,
            verifier,
            refused,
            superuser,
            valid_until_ms,
            ..
        } => {
            let user = challenge.user().to_owned();
            let outcome = match (scram::client_final(&challenge, &verifier, token), refused) {
                (Ok(reply), None) => Ok((user.clone(), superuser, valid_until_ms, reply)),
                (_, Some(reason)) => Err((user.clone(), reason)),
                (Err(e), None) => Err((user.clone(), e.to_string())),
            };
            (Mechanism::ScramSha256, outcome)
        }
        Stage::Chosen {
            mechanism: Mechanism::Plain,
            ..
        } => (Mechanism::Plain, plain_login(ctx, token).await),
        Stage::Idle | Stage::Failed => {
            session.lock().stage = Stage::Failed;
            return Step::Unexpected;
        }
    };
    let failure = match outcome {
        Ok((user, superuser, valid_until_ms, reply)) => {
            let finished = finish(ctx, &mut session.lock(), user, superuser, valid_until_ms);
            match finished {
                Ok(lifetime_ms) => {
                    crate::broker::acl_common::follow_login(ctx, started).await;
                    return Step::Done { reply, lifetime_ms };
                }
                Err(f) => f,
            }
        }
        Err(f) => f,
    };
    let (user, reason) = failure;
    session.lock().stage = Stage::Failed;
    eprintln!(
        "pg_kafka: SASL authentication failed for user {user:?} from {peer} ({}): {reason}",
        mechanism.name()
    );
    let delay = ctx.auth.failures.fail(peer, Instant::now());
    tokio::time::sleep(delay).await;
    Step::Failed
}

type Failure = (String, String);
type Success = (String, bool, Option<i64>, Vec<u8>);

/// Parse client-first, look the role up, answer server-first (over a mock verifier if refused).
async fn scram_first(
    ctx: &Ctx,
    session: &Session,
    token: &[u8],
    raw: bool,
) -> Result<Vec<u8>, Failure> {
    let first = scram::client_first(token).map_err(|e| ("?".to_owned(), e.to_string()))?;
    let user = first.user.clone();
    let (verifier, refused, superuser, valid_until_ms) = match usable(ctx, &user).await {
        Ok((v, role)) => (v, None, role.superuser, role.valid_until_ms),
        Err(reason) => (ctx.auth.mock(&user), Some(reason), false, None),
    };
    let nonce =
        server_nonce().ok_or_else(|| (user.clone(), "no randomness for a nonce".to_owned()))?;
    let (reply, challenge) = scram::server_first(first, &verifier, &nonce);
    session.lock().stage = Stage::Scram {
        challenge: Box::new(challenge),
        verifier: Box::new(verifier),
        refused,
        superuser,
        valid_until_ms,
        raw,
    };
    Ok(reply)
}

async fn plain_login(ctx: &Ctx, token: &[u8]) -> Result<Success, Failure> {
    let login = plain::parse(token).map_err(|e| ("?".to_owned(), e.to_string()))?;
    let user = login.user.clone();
    let (verifier, refused, role) = match usable(ctx, &user).await {
        Ok((v, role)) => (v, None, Some(role)),
        Err(reason) => (ctx.auth.mock(&user), Some(reason), None),
    };
    // PBKDF2 costs milliseconds per login: off the runtime's threads, a bounded number at once.
    // A refused role pays the same cost, so timing does not tell it apart.
    let password = login.password;
    let matched = match ctx.auth.password_checks.acquire().await {
        Ok(_permit) => tokio::task::spawn_blocking(move || verifier.matches(&password))
            .await
            .unwrap_or(false),
        Err(_) => false,
    };
    match (refused, role, matched) {
        (Some(reason), _, _) => Err((user, reason)),
        (None, Some(role), true) => Ok((user, role.superuser, role.valid_until_ms, Vec::new())),
        _ => Err((user, super::AuthError::WrongPassword.to_string())),
    }
}

/// The role a verified client certificate's CN names, if it may log in (its password does not
/// matter: the certificate is the credential).
pub async fn certificate_role(ctx: &Ctx, cn: &str) -> Result<Principal, String> {
    let started = Instant::now();
    let role = may_log_in(ctx, cn).await?;
    crate::broker::acl_common::follow_login(ctx, started).await;
    Ok(Principal {
        user: cn.to_owned(),
        superuser: role.superuser,
    })
}

/// The role's verifier, or why it may not log in.
async fn usable(ctx: &Ctx, user: &str) -> Result<(Verifier, RoleRow), String> {
    let role = may_log_in(ctx, user).await?;
    match Verifier::parse(role.password.as_deref().unwrap_or("")) {
        Ok(v) => Ok((v, role)),
        Err(e) => Err(e.to_string()),
    }
}

/// The role named `user`, if it exists, has LOGIN and is within VALID UNTIL.
async fn may_log_in(ctx: &Ctx, user: &str) -> Result<RoleRow, String> {
    let (reply, rx) = oneshot::channel();
    let query = ReadQuery::Role {
        name: user.to_owned(),
        reply,
    };
    ctx.bridge
        .send(Command::Read(query))
        .await
        .map_err(|_| "the broker is shutting down".to_owned())?;
    let role = match rx.await {
        Ok(Ok(Some(role))) => role,
        Ok(Ok(None)) => return Err("role does not exist".into()),
        Ok(Err(e)) => return Err(format!("could not read the role: {e}")),
        Err(_) => return Err("the broker is shutting down".into()),
    };
    if !role.can_login {
        return Err("role cannot log in (NOLOGIN)".into());
    }
    if role
        .valid_until_ms
        .is_some_and(|t| t <= crate::clock::now_ms())
    {
        return Err("role is past its VALID UNTIL".into());
    }
    Ok(role)
}

/// Record the principal; a re-authentication must be the same user. Returns the session
/// lifetime in ms (0 when sessions do not expire).
fn finish(
    ctx: &Ctx,
    s: &mut State,
    user: String,
    superuser: bool,
    valid_until_ms: Option<i64>,
) -> Result<i64, Failure> {
    if s.principal.as_ref().is_some_and(|p| p.user != user) {
        let was = s
            .principal
            .as_ref()
            .map(|p| p.user.clone())
            .unwrap_or_default();
        return Err((
            user,
            format!("re-authentication as another user than {was:?}"),
        ));
    }
    let reauth = ctx.config.sasl.max_reauth_ms;
    let lifetime_ms = if reauth == 0 {
        0
    } else {
        let until_expiry = valid_until_ms.map(|t| (t - crate::clock::now_ms()).max(1));
        (reauth as i64).min(until_expiry.unwrap_or(i64::MAX))
    };
    s.expires_at =
        (lifetime_ms > 0).then(|| Instant::now() + Duration::from_millis(lifetime_ms as u64));
    s.principal = Some(Principal { user, superuser });
    s.stage = Stage::Idle;
    Ok(lifetime_ms)
}
