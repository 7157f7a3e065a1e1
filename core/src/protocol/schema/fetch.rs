//! Fetch (key 1) request schema. Flexible from v12. Its known tagged fields are decoded by
//! `kafka_protocol` straight from the stream, so they are listed for the walker to check.

use super::{always, between, since, ApiSchema, Kind, Struct, Tagged, I32, I64, I8, STR, UUID};

const PARTITION: Struct = Struct {
    fields: &[
        always(I32),    // partition
        since(I32, 9),  // current_leader_epoch
        always(I64),    // fetch_offset
        since(I32, 12), // last_fetched_epoch
        since(I64, 5),  // log_start_offset
        always(I32),    // partition_max_bytes
    ],
    tagged: &[
        Tagged {
            tag: 0,
            kind: UUID,
            since: 17,
            until: i16::MAX,
        }, // replica_directory_id
        Tagged {
            tag: 1,
            kind: I64,
            since: 18,
            until: i16::MAX,
        }, // high_watermark
    ],
};

const TOPIC: Struct = Struct {
    fields: &[
        between(STR, 0, 12),                            // topic
        since(UUID, 13),                                // topic_id
        always(Kind::Array(&Kind::Struct(&PARTITION))), // partitions
    ],
    tagged: &[],
};

const FORGOTTEN_TOPIC: Struct = Struct {
    fields: &[
        between(STR, 7, 12),         // topic
        since(UUID, 13),             // topic_id
        since(Kind::Array(&I32), 7), // partitions
    ],
    tagged: &[],
};

const REPLICA_STATE: Struct = Struct {
    fields: &[
        since(I32, 15), // replica_id
        since(I64, 15), // replica_epoch
    ],
    tagged: &[],
};

pub static FETCH: ApiSchema = ApiSchema {
    flexible_since: 12,
    body: Struct {
        fields: &[
            between(I32, 0, 14),                                    // replica_id
            always(I32),                                            // max_wait_ms
            always(I32),                                            // min_bytes
            since(I32, 3),                                          // max_bytes
            since(I8, 4),                                           // isolation_level
            since(I32, 7),                                          // session_id
            since(I32, 7),                                          // session_epoch
            always(Kind::Array(&Kind::Struct(&TOPIC))),             // topics
            since(Kind::Array(&Kind::Struct(&FORGOTTEN_TOPIC)), 7), // forgotten_topics_data
            since(STR, 11),                                         // rack_id
        ],
        tagged: &[
            Tagged {
                tag: 0,
                kind: STR,
                since: 12,
                until: i16::MAX,
            }, // cluster_id
            Tagged {
                tag: 1,
                kind: Kind::Struct(&REPLICA_STATE),
                since: 15,
                until: i16::MAX,
            },
        ],
    },
};
