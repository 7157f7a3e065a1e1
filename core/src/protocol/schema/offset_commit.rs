//! OffsetCommit (key 8) request schema, v2-9. Flexible from v8.

use super::{always, between, since, ApiSchema, Kind, Struct, I32, I64, STR};

const PARTITION: Struct = Struct {
    fields: &[
        always(I32),   // partition_index
        always(I64),   // committed_offset
        since(I32, 6), // committed_leader_epoch
        always(STR),   // committed_metadata
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

pub static OFFSET_COMMIT: ApiSchema = ApiSchema {
    flexible_since: 8,
    body: Struct {
        fields: &[
            always(STR),                                // group_id
            always(I32),                                // generation_id_or_member_epoch
            always(STR),                                // member_id
            since(STR, 7),                              // group_instance_id
            between(I64, 2, 4),                         // retention_time_ms
            always(Kind::Array(&Kind::Struct(&TOPIC))), // topics
        ],
        tagged: &[],
    },
};
