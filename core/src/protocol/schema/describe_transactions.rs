//! DescribeTransactions (key 65) request schema. Flexible from v0.

use super::{always, ApiSchema, Kind, Struct, STR};

pub static DESCRIBE_TRANSACTIONS: ApiSchema = ApiSchema {
    flexible_since: 0,
    body: Struct {
        fields: &[always(Kind::Array(&STR))], // transactional_ids
        tagged: &[],
    },
};
