//! Metadata (key 3) request schema. Flexible from v9.

use super::{always, between, since, ApiSchema, Kind, Struct, BOOL, STR, UUID};

const TOPIC: Struct = Struct {
    fields: &[
        since(UUID, 10), // topic_id
        always(STR),     // name (nullable from v10)
    ],
    tagged: &[],
};

pub static METADATA: ApiSchema = ApiSchema {
    flexible_since: 9,
    body: Struct {
        fields: &[
            always(Kind::Array(&Kind::Struct(&TOPIC))), // topics
            since(BOOL, 4),                             // allow_auto_topic_creation
            between(BOOL, 8, 10),                       // include_cluster_authorized_operations
            since(BOOL, 8),                             // include_topic_authorized_operations
        ],
        tagged: &[],
    },
};
