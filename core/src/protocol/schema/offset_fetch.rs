//! OffsetFetch (key 9) request schema, v1-9. Flexible from v6; several groups from v8.

use super::{always, between, since, ApiSchema, Kind, Struct, BOOL, I32, STR};

const TOPIC: Struct = Struct {
    fields: &[
        always(STR),               // name
        always(Kind::Array(&I32)), // partition_indexes
    ],
    tagged: &[],
};

const GROUP: Struct = Struct {
    fields: &[
        always(STR),                                // group_id
        since(STR, 9),                              // member_id
        since(I32, 9),                              // member_epoch
        always(Kind::Array(&Kind::Struct(&TOPIC))), // topics (nullable)
    ],
    tagged: &[],
};

pub static OFFSET_FETCH: ApiSchema = ApiSchema {
    flexible_since: 6,
    body: Struct {
        fields: &[
            between(STR, 0, 7),                                // group_id
            between(Kind::Array(&Kind::Struct(&TOPIC)), 0, 7), // topics (nullable)
            since(Kind::Array(&Kind::Struct(&GROUP)), 8),      // groups
            since(BOOL, 7),                                    // require_stable
        ],
        tagged: &[],
    },
};
