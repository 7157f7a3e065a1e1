//! DeleteRecords (key 21) request schema. Flexible from v2.

use super::{always, ApiSchema, Kind, Struct, I32, I64, STR};

const PARTITION: Struct = Struct {
    fields: &[
        always(I32), // partition_index
        always(I64), // offset
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

pub static DELETE_RECORDS: ApiSchema = ApiSchema {
    flexible_since: 2,
    body: Struct {
        fields: &[
            always(Kind::Array(&Kind::Struct(&TOPIC))), // topics
            always(I32),                                // timeout_ms
        ],
        tagged: &[],
    },
};
