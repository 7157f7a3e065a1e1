//! SaslAuthenticate (key 36) request schema. Flexible from v2.

use super::{always, ApiSchema, Struct, BYTES};

pub static SASL_AUTHENTICATE: ApiSchema = ApiSchema {
    flexible_since: 2,
    body: Struct {
        fields: &[
            always(BYTES), // auth_bytes
        ],
        tagged: &[],
    },
};
