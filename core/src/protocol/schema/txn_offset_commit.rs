//! TxnOffsetCommit (key 28) request schema. Flexible from v3.

use super::{always, since, ApiSchema, Kind, Struct, I16, I32, I64, STR};

const PARTITION: Struct = Struct {
    fields: &[
        always(I32),   // partition_index
        always(I64),   // committed_offset
        since(I32, 2), // committed_leader_epoch
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

pub static TXN_OFFSET_COMMIT: ApiSchema = ApiSchema {
    flexible_since: 3,
    body: Struct {
        fields: &[
            always(STR),                                // transactional_id
            always(STR),                                // group_id
            always(I64),                                // producer_id
            always(I16),                                // producer_epoch
            since(I32, 3),                              // generation_id
            since(STR, 3),                              // member_id
            since(STR, 3),                              // group_instance_id
            always(Kind::Array(&Kind::Struct(&TOPIC))), // topics
        ],
        tagged: &[],
    },
};
