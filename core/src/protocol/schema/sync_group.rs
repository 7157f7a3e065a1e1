//! SyncGroup (key 14) request schema. Flexible from v4.

use super::{always, since, ApiSchema, Kind, Struct, BYTES, I32, STR};

const ASSIGNMENT: Struct = Struct {
    fields: &[
        always(STR),   // member_id
        always(BYTES), // assignment
    ],
    tagged: &[],
};

pub static SYNC_GROUP: ApiSchema = ApiSchema {
    flexible_since: 4,
    body: Struct {
        fields: &[
            always(STR),                                     // group_id
            always(I32),                                     // generation_id
            always(STR),                                     // member_id
            since(STR, 3),                                   // group_instance_id
            since(STR, 5),                                   // protocol_type
            since(STR, 5),                                   // protocol_name
            always(Kind::Array(&Kind::Struct(&ASSIGNMENT))), // assignments
        ],
        tagged: &[],
    },
};
