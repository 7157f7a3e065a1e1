//! ListOffsets (key 2) request schema. Flexible from v6.

use super::{always, since, ApiSchema, Kind, Struct, I32, I64, I8, STR};

const PARTITION: Struct = Struct {
    fields: &[
        always(I32),   // partition_index
        since(I32, 4), // current_leader_epoch
        always(I64),   // timestamp
    ],
    tagged: &[],
};

const TOPIC: Struct = Struct {
    fields: &[
        always(STR),                                    // name
        always(Kind::Array(&Kind::Struct(&PARTITION))), // partitions
    ],
    tagged: &[],
};

pub static LIST_OFFSETS: ApiSchema = ApiSchema {
    flexible_since: 6,
    body: Struct {
        fields: &[
            always(I32),                                // replica_id
            since(I8, 2),                               // isolation_level
            always(Kind::Array(&Kind::Struct(&TOPIC))), // topics
            since(I32, 10),                             // timeout_ms
        ],
        tagged: &[],
    },
};
