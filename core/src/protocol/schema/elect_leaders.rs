//! ElectLeaders (key 43) request schema. Flexible from v2.

use super::{always, since, ApiSchema, Kind, Struct, I32, I8, STR};

const TOPIC: Struct = Struct {
    fields: &[
        always(STR),               // topic
        always(Kind::Array(&I32)), // partitions
    ],
    tagged: &[],
};

pub static ELECT_LEADERS: ApiSchema = ApiSchema {
    flexible_since: 2,
    body: Struct {
        fields: &[
            since(I8, 1),                               // election_type
            always(Kind::Array(&Kind::Struct(&TOPIC))), // topic_partitions
            always(I32),                                // timeout_ms
        ],
        tagged: &[],
    },
};
