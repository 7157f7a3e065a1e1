//! CreatePartitions (key 37) request schema. Flexible from v2.

use super::{always, ApiSchema, Kind, Struct, BOOL, I32, STR};

const ASSIGNMENT: Struct = Struct {
    fields: &[
        always(Kind::Array(&I32)), // broker_ids
    ],
    tagged: &[],
};

const TOPIC: Struct = Struct {
    fields: &[
        always(STR),                                     // name
        always(I32),                                     // count
        always(Kind::Array(&Kind::Struct(&ASSIGNMENT))), // assignments
    ],
    tagged: &[],
};

pub static CREATE_PARTITIONS: ApiSchema = ApiSchema {
    flexible_since: 2,
    body: Struct {
        fields: &[
            always(Kind::Array(&Kind::Struct(&TOPIC))), // topics
            always(I32),                                // timeout_ms
            always(BOOL),                               // validate_only
        ],
        tagged: &[],
    },
};
