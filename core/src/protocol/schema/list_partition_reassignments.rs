//! ListPartitionReassignments (key 46) request schema. Flexible in every version.

use super::{always, ApiSchema, Kind, Struct, I32, STR};

const TOPIC: Struct = Struct {
    fields: &[
        always(STR),               // name
        always(Kind::Array(&I32)), // partition_indexes
    ],
    tagged: &[],
};

pub static LIST_PARTITION_REASSIGNMENTS: ApiSchema = ApiSchema {
    flexible_since: 0,
    body: Struct {
        fields: &[
            always(I32),                                // timeout_ms
            always(Kind::Array(&Kind::Struct(&TOPIC))), // topics
        ],
        tagged: &[],
    },
};
