//! SaslAuthenticate (v0-2): one step of the login a SaslHandshake v1 began; the token goes to
//! [`crate::auth::step`], which looks the role up through the writer.
//!
//! Owns no state. A failed login is answered with SASL_AUTHENTICATION_FAILED and a message that
//! names the mechanism only (the reason goes to the server log); v1+ carries the session lifetime
//! (KIP-368). SaslAuthenticate with no login under way is ILLEGAL_SASL_STATE. On a SASL listener
//! the net layer closes the connection after either answer.

use kafka_protocol::messages::{ResponseKind, SaslAuthenticateRequest, SaslAuthenticateResponse};
use kafka_protocol::ResponseError;

use super::{str_bytes, Call, Reply};
use crate::auth::{self, Step};
use crate::error::KafkaError;

pub(super) async fn handle(c: &Call<'_>, req: SaslAuthenticateRequest) -> Reply {
    let (ctx, session, version) = (c.ctx.clone(), c.client.session.clone(), c.version);
    let peer = c.client.ip.unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into());
    Box::pin(async move {
        let mut resp = SaslAuthenticateResponse::default();
        if session.expects_raw_token() {
            // A v0 handshake chose raw tokens; a framed request is out of place.
            resp.error_code = ResponseError::IllegalSaslState.code();
            return Some(ResponseKind::SaslAuthenticate(resp));
        }
        match auth::step(&ctx, &session, peer, &req.auth_bytes).await {
            Step::Continue(token) => resp.auth_bytes = token.into(),
            Step::Done { reply, lifetime_ms } => {
                resp.auth_bytes = reply.into();
                if version >= 1 {
                    resp.session_lifetime_ms = lifetime_ms;
                }
            }
            Step::Failed => {
                resp.error_code = ResponseError::SaslAuthenticationFailed.code();
                resp.error_message = Some(str_bytes(
                    "Authentication failed: invalid credentials",
                ));
            }
            Step::Unexpected => {
                resp.error_code = ResponseError::IllegalSaslState.code();
                resp.error_message = Some(str_bytes("SaslAuthenticate before SaslHandshake"));
            }
        }
        Some(ResponseKind::SaslAuthenticate(resp))
    })
}

pub(super) fn refuse(
    _version: i16,
    _req: SaslAuthenticateRequest,
    e: &KafkaError,
) -> SaslAuthenticateResponse {
    let mut resp = SaslAuthenticateResponse::default();
    resp.error_code = e.code();
    resp.error_message = super::message(e);
    resp
}
