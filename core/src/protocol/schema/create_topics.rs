//! CreateTopics (key 19) request schema. Flexible from v5.

use super::{always, since, ApiSchema, Kind, Struct, BOOL, I16, I32, STR};

const ASSIGNMENT: Struct = Struct {
    fields: &[
        always(I32),               // partition_index
        always(Kind::Array(&I32)), // broker_ids
    ],
    tagged: &[],
};

const CONFIG: Struct = Struct {
    fields: &[
        always(STR), // name
        always(STR), // value
    ],
    tagged: &[],
};

const TOPIC: Struct = Struct {
    fields: &[
        always(STR),                                     // name
        always(I32),                                     // num_partitions
        always(I16),                                     // replication_factor
        always(Kind::Array(&Kind::Struct(&ASSIGNMENT))), // assignments
        always(Kind::Array(&Kind::Struct(&CONFIG))),     // configs
    ],
    tagged: &[],
};

pub static CREATE_TOPICS: ApiSchema = ApiSchema {
    flexible_since: 5,
    body: Struct {
        fields: &[
            always(Kind::Array(&Kind::Struct(&TOPIC))), // topics
            always(I32),                                // timeout_ms
            since(BOOL, 1),                             // validate_only
        ],
        tagged: &[],
    },
};
