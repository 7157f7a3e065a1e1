//! ConsumerGroupHeartbeat (key 68) request schema, v0-1. Flexible in every version.

use super::{always, since, ApiSchema, Kind, Struct, I32, STR, UUID};

const TOPIC_PARTITIONS: Struct = Struct {
    fields: &[
        always(UUID),              // topic_id
        always(Kind::Array(&I32)), // partitions
    ],
    tagged: &[],
};

pub static CONSUMER_GROUP_HEARTBEAT: ApiSchema = ApiSchema {
    flexible_since: 0,
    body: Struct {
        fields: &[
            always(STR),                                           // group_id
            always(STR),                                           // member_id
            always(I32),                                           // member_epoch
            always(STR),                                           // instance_id
            always(STR),                                           // rack_id
            always(I32),                                           // rebalance_timeout_ms
            always(Kind::Array(&STR)),                             // subscribed_topic_names
            since(STR, 1),                                         // subscribed_topic_regex
            always(STR),                                           // server_assignor
            always(Kind::Array(&Kind::Struct(&TOPIC_PARTITIONS))), // topic_partitions
        ],
        tagged: &[],
    },
};
