//! Heartbeat (key 12) request schema. Flexible from v4.

use super::{always, since, ApiSchema, Struct, I32, STR};

pub static HEARTBEAT: ApiSchema = ApiSchema {
    flexible_since: 4,
    body: Struct {
        fields: &[
            always(STR),   // group_id
            always(I32),   // generation_id
            always(STR),   // member_id
            since(STR, 3), // group_instance_id
        ],
        tagged: &[],
    },
};
