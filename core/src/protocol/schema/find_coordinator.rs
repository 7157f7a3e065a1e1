//! FindCoordinator (key 10) request schema. Flexible from v3; batched keys from v4.

use super::{between, since, ApiSchema, Kind, Struct, I8, STR};

pub static FIND_COORDINATOR: ApiSchema = ApiSchema {
    flexible_since: 3,
    body: Struct {
        fields: &[
            between(STR, 0, 3),          // key
            since(I8, 1),                // key_type
            since(Kind::Array(&STR), 4), // coordinator_keys
        ],
        tagged: &[],
    },
};
