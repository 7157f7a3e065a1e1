//! InitProducerId (key 22) request schema. Flexible from v2.

use super::{always, since, ApiSchema, Struct, I16, I32, I64, STR};

pub static INIT_PRODUCER_ID: ApiSchema = ApiSchema {
    flexible_since: 2,
    body: Struct {
        fields: &[
            always(STR),   // transactional_id
            always(I32),   // transaction_timeout_ms
            since(I64, 3), // producer_id
            since(I16, 3), // producer_epoch
        ],
        tagged: &[],
    },
};
