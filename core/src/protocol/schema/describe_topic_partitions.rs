//! DescribeTopicPartitions (key 75) request schema. Flexible in every version.

use super::{always, ApiSchema, Kind, Struct, I32, STR};

const TOPIC: Struct = Struct {
    fields: &[
        always(STR), // name
    ],
    tagged: &[],
};

const CURSOR: Struct = Struct {
    fields: &[
        always(STR), // topic_name
        always(I32), // partition_index
    ],
    tagged: &[],
};

pub static DESCRIBE_TOPIC_PARTITIONS: ApiSchema = ApiSchema {
    flexible_since: 0,
    body: Struct {
        fields: &[
            always(Kind::Array(&Kind::Struct(&TOPIC))), // topics
            always(I32),                                // response_partition_limit
            always(Kind::OptionStruct(&CURSOR)),        // cursor
        ],
        tagged: &[],
    },
};
