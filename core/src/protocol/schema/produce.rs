//! Produce (key 0) request schema. Flexible from v9. `records` stays opaque here: the batch
//! module validates it separately, after decode, with its own bounds.

use super::{always, between, since, ApiSchema, Kind, Struct, BYTES, I16, I32, STR, UUID};

const PARTITION: Struct = Struct {
    fields: &[
        always(I32),   // index
        always(BYTES), // records
    ],
    tagged: &[],
};

const TOPIC: Struct = Struct {
    fields: &[
        between(STR, 0, 12),                            // name
        since(UUID, 13),                                // topic_id
        always(Kind::Array(&Kind::Struct(&PARTITION))), // partition_data
    ],
    tagged: &[],
};

pub static PRODUCE: ApiSchema = ApiSchema {
    flexible_since: 9,
    body: Struct {
        fields: &[
            since(STR, 3),                              // transactional_id
            always(I16),                                // acks
            always(I32),                                // timeout_ms
            always(Kind::Array(&Kind::Struct(&TOPIC))), // topic_data
        ],
        tagged: &[],
    },
};
