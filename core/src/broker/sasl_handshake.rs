//! SaslHandshake (v0-1): choose the SASL mechanism of a login and list the enabled ones.
//!
//! Owns no state; the login's stage lives in the connection's [`crate::auth::Session`]. PLAIN is
//! offered on a listener without TLS only when `sasl_plain_without_tls` allows it. On a listener
//! without SASL, or with a login already under way, the answer is ILLEGAL_SASL_STATE (and on a
//! SASL listener the net layer then closes the connection, as Kafka does).

use kafka_protocol::messages::{ResponseKind, SaslHandshakeRequest, SaslHandshakeResponse};
use kafka_protocol::ResponseError;

use super::{ready, str_bytes, Call, Reply};
use crate::auth::AuthError;
use crate::config::{BrokerConfig, Listener, Mechanism};
use crate::error::KafkaError;

/// The mechanisms a client may use on `listener`.
pub fn enabled(config: &BrokerConfig, listener: &Listener) -> Vec<Mechanism> {
    config
        .sasl
        .mechanisms
        .iter()
        .copied()
        .filter(|m| {
            *m != Mechanism::Plain || listener.protocol.tls() || config.sasl.plain_without_tls
        })
        .collect()
}

pub(super) async fn handle(c: &Call<'_>, req: SaslHandshakeRequest) -> Reply {
    let config = &c.ctx.config;
    let listener = config.listener(c.client.listener);
    let mechanisms = if listener.protocol.sasl() {
        enabled(config, listener)
    } else {
        Vec::new()
    };
    let chosen = mechanisms
        .iter()
        .copied()
        .find(|m| m.name() == req.mechanism.as_str());
    let mut resp = SaslHandshakeResponse::default();
    resp.mechanisms = mechanisms.iter().map(|m| str_bytes(m.name())).collect();
    resp.error_code = match c.client.session.handshake(chosen, c.version) {
        Ok(()) => 0,
        Err(AuthError::UnsupportedMechanism) => ResponseError::UnsupportedSaslMechanism.code(),
        Err(_) => ResponseError::IllegalSaslState.code(),
    };
    ready(ResponseKind::SaslHandshake(resp))
}

pub(super) fn refuse(_version: i16, _req: SaslHandshakeRequest, e: &KafkaError) -> SaslHandshakeResponse {
    let mut resp = SaslHandshakeResponse::default();
    resp.error_code = e.code();
    resp
}
