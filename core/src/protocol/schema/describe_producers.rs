//! DescribeProducers (key 61) request schema. Flexible from v0.

use super::{always, ApiSchema, Kind, Struct, I32, STR};

const TOPIC: Struct = Struct {
    fields: &[
        always(STR),               // name
        always(Kind::Array(&I32)), // partition_indexes
    ],
    tagged: &[],
};

pub static DESCRIBE_PRODUCERS: ApiSchema = ApiSchema {
    flexible_since: 0,
    body: Struct {
        fields: &[always(Kind::Array(&Kind::Struct(&TOPIC)))], // topics
        tagged: &[],
    },
};
