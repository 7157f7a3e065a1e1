//! DescribeLogDirs (key 35) request schema, v1-4. Flexible from v2.

use super::{always, ApiSchema, Kind, Struct, I32, STR};

const TOPIC: Struct = Struct {
    fields: &[
        always(STR),               // topic
        always(Kind::Array(&I32)), // partitions
    ],
    tagged: &[],
};

pub static DESCRIBE_LOG_DIRS: ApiSchema = ApiSchema {
    flexible_since: 2,
    body: Struct {
        fields: &[
            always(Kind::Array(&Kind::Struct(&TOPIC))), // topics
        ],
        tagged: &[],
    },
};
