//! SaslHandshake (key 17) request schema. Never flexible.

use super::{always, ApiSchema, Struct, STR};

pub static SASL_HANDSHAKE: ApiSchema = ApiSchema {
    flexible_since: i16::MAX,
    body: Struct {
        fields: &[
            always(STR), // mechanism
        ],
        tagged: &[],
    },
};
