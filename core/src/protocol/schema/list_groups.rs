//! ListGroups (key 16) request schema. Flexible from v3.

use super::{since, ApiSchema, Kind, Struct, STR};

pub static LIST_GROUPS: ApiSchema = ApiSchema {
    flexible_since: 3,
    body: Struct {
        fields: &[
            since(Kind::Array(&STR), 4), // states_filter
            since(Kind::Array(&STR), 5), // types_filter
        ],
        tagged: &[],
    },
};
