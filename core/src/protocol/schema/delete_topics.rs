//! DeleteTopics (key 20) request schema. Flexible from v4.

use super::{always, between, since, ApiSchema, Kind, Struct, I32, STR, UUID};

const TOPIC_STATE: Struct = Struct {
    fields: &[
        since(STR, 6),  // name
        since(UUID, 6), // topic_id
    ],
    tagged: &[],
};

pub static DELETE_TOPICS: ApiSchema = ApiSchema {
    flexible_since: 4,
    body: Struct {
        fields: &[
            since(Kind::Array(&Kind::Struct(&TOPIC_STATE)), 6), // topics
            between(Kind::Array(&STR), 0, 5),                   // topic_names
            always(I32),                                        // timeout_ms
        ],
        tagged: &[],
    },
};
