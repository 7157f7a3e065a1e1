//! ConsumerGroupDescribe (key 69) request schema, v0-1. Flexible in every version.

use super::{always, ApiSchema, Kind, Struct, BOOL, STR};

pub static CONSUMER_GROUP_DESCRIBE: ApiSchema = ApiSchema {
    flexible_since: 0,
    body: Struct {
        fields: &[
            always(Kind::Array(&STR)), // group_ids
            always(BOOL),              // include_authorized_operations
        ],
        tagged: &[],
    },
};
