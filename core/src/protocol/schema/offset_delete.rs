//! OffsetDelete (key 47) request schema. Only v0, never flexible.

use super::{always, ApiSchema, Kind, Struct, I32, STR};

const PARTITION: Struct = Struct {
    fields: &[always(I32)], // partition_index
    tagged: &[],
};

const TOPIC: Struct = Struct {
    fields: &[
        always(STR),                                    // name
        always(Kind::Array(&Kind::Struct(&PARTITION))), // partitions
    ],
    tagged: &[],
};

pub static OFFSET_DELETE: ApiSchema = ApiSchema {
    flexible_since: i16::MAX,
    body: Struct {
        fields: &[
            always(STR),                                // group_id
            always(Kind::Array(&Kind::Struct(&TOPIC))), // topics
        ],
        tagged: &[],
    },
};
