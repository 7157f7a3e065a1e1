//! ApiVersions (v0-4): the version table of the APIs this broker serves.
//!
//! Owns nothing; the table itself lives in the protocol module. Unsupported ApiVersions request
//! versions are answered by the net layer, not here.

use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse, ResponseKind};

use super::{ready, Call, Reply};
use crate::error::KafkaError;
use crate::protocol::versions;

pub(super) async fn handle(_c: &Call<'_>, _req: ApiVersionsRequest) -> Reply {
    ready(ResponseKind::ApiVersions(response()))
}

/// The response for every served version (v3+ fields keep their empty defaults).
pub(super) fn response() -> ApiVersionsResponse {
    let mut resp = ApiVersionsResponse::default();
    resp.error_code = 0;
    resp.throttle_time_ms = 0;
    resp.api_keys = versions::api_versions_entries()
        .into_iter()
        .map(|(key, min, max)| {
            let mut v = ApiVersion::default();
            v.api_key = key;
            v.min_version = min;
            v.max_version = max;
            v
        })
        .collect();
    resp
}

/// The version table goes with every ApiVersions error, so the client can still negotiate.
pub(super) fn refuse(_version: i16, _req: ApiVersionsRequest, e: &KafkaError) -> ApiVersionsResponse {
    let mut resp = response();
    resp.error_code = e.code();
    resp
}
