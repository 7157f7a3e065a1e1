//! ListTransactions (key 66) request schema. Flexible from v0.

use super::{always, since, ApiSchema, Kind, Struct, I64, STR};

pub static LIST_TRANSACTIONS: ApiSchema = ApiSchema {
    flexible_since: 0,
    body: Struct {
        fields: &[
            always(Kind::Array(&STR)), // state_filters
            always(Kind::Array(&I64)), // producer_id_filters
            since(I64, 1),             // duration_filter
            since(STR, 2),             // transactional_id_pattern
        ],
        tagged: &[],
    },
};
