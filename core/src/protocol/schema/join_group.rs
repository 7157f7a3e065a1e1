//! JoinGroup (key 11) request schema. Flexible from v6.

use super::{always, since, ApiSchema, Kind, Struct, BYTES, I32, STR};

const PROTOCOL: Struct = Struct {
    fields: &[
        always(STR),   // name
        always(BYTES), // metadata
    ],
    tagged: &[],
};

pub static JOIN_GROUP: ApiSchema = ApiSchema {
    flexible_since: 6,
    body: Struct {
        fields: &[
            always(STR),                                   // group_id
            always(I32),                                   // session_timeout_ms
            since(I32, 1),                                 // rebalance_timeout_ms
            always(STR),                                   // member_id
            since(STR, 5),                                 // group_instance_id
            always(STR),                                   // protocol_type
            always(Kind::Array(&Kind::Struct(&PROTOCOL))), // protocols
            since(STR, 8),                                 // reason
        ],
        tagged: &[],
    },
};
