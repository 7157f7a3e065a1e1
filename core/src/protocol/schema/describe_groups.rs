//! DescribeGroups (key 15) request schema. Flexible from v5.

use super::{always, since, ApiSchema, Kind, Struct, BOOL, STR};

pub static DESCRIBE_GROUPS: ApiSchema = ApiSchema {
    flexible_since: 5,
    body: Struct {
        fields: &[
            always(Kind::Array(&STR)), // groups
            since(BOOL, 3),            // include_authorized_operations
        ],
        tagged: &[],
    },
};
