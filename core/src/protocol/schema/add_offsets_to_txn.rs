//! AddOffsetsToTxn (key 25) request schema. Flexible from v3.

use super::{always, ApiSchema, Struct, I16, I64, STR};

pub static ADD_OFFSETS_TO_TXN: ApiSchema = ApiSchema {
    flexible_since: 3,
    body: Struct {
        fields: &[
            always(STR), // transactional_id
            always(I64), // producer_id
            always(I16), // producer_epoch
            always(STR), // group_id
        ],
        tagged: &[],
    },
};
