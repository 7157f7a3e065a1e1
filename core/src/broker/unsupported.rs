//! Answers for APIs (or versions) this broker does not serve, where the API's own response can
//! carry the error: a default response with a top-level error_code of UNSUPPORTED_VERSION, at the
//! version the client asked for. For anything else there is no well-formed answer and the net
//! layer closes the connection.
//!
//! Owns nothing. Only response types with a top-level error_code at the requested version are
//! listed, and only versions the protocol crate can encode.

use kafka_protocol::messages::{
    AddOffsetsToTxnResponse, ApiKey, ApiVersionsResponse, EndTxnResponse, InitProducerIdResponse,
    ResponseKind, SaslAuthenticateResponse, SaslHandshakeResponse,
};
use kafka_protocol::protocol::Message;
use kafka_protocol::ResponseError;

fn within<M: Message>(version: i16, error_code_from: i16, error_code_to: i16) -> bool {
    let v = M::VERSIONS;
    version >= v.min.max(error_code_from) && version <= v.max.min(error_code_to)
}

/// A response of the API `api_key` at `version` whose error_code says UNSUPPORTED_VERSION, or
/// `None` when that API has no such response at that version.
pub fn unsupported_response(api_key: i16, version: i16) -> Option<ResponseKind> {
    let code = ResponseError::UnsupportedVersion.code();
    let all = (i16::MIN, i16::MAX);
    macro_rules! respond {
        ($ty:ty, $kind:ident, $range:expr) => {{
            let (from, to) = $range;
            if !within::<$ty>(version, from, to) {
                return None;
            }
            let mut r = <$ty>::default();
            r.error_code = code;
            Some(ResponseKind::$kind(r))
        }};
    }
    match ApiKey::try_from(api_key).ok()? {
        ApiKey::ApiVersions => {
            let mut r = ApiVersionsResponse::default();
            r.error_code = code;
            r.api_keys = super::api_versions::response().api_keys;
            within::<ApiVersionsResponse>(version, 0, i16::MAX)
                .then_some(ResponseKind::ApiVersions(r))
        }
        ApiKey::InitProducerId => respond!(InitProducerIdResponse, InitProducerId, all),
        ApiKey::SaslHandshake => respond!(SaslHandshakeResponse, SaslHandshake, all),
        ApiKey::SaslAuthenticate => respond!(SaslAuthenticateResponse, SaslAuthenticate, all),
        ApiKey::AddOffsetsToTxn => respond!(AddOffsetsToTxnResponse, AddOffsetsToTxn, all),
        ApiKey::EndTxn => respond!(EndTxnResponse, EndTxn, all),
        _ => None,
    }
}
