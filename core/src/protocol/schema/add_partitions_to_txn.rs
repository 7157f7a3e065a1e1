//! AddPartitionsToTxn (key 24) request schema. Flexible from v3; v4+ is the broker-to-broker
//! batched form (described here, not served).

use super::{always, between, since, ApiSchema, Kind, Struct, BOOL, I16, I32, I64, STR};

const TOPIC: Struct = Struct {
    fields: &[
        always(STR),               // name
        always(Kind::Array(&I32)), // partitions
    ],
    tagged: &[],
};

const TRANSACTION: Struct = Struct {
    fields: &[
        always(STR),                                // transactional_id
        always(I64),                                // producer_id
        always(I16),                                // producer_epoch
        always(BOOL),                               // verify_only
        always(Kind::Array(&Kind::Struct(&TOPIC))), // topics
    ],
    tagged: &[],
};

pub static ADD_PARTITIONS_TO_TXN: ApiSchema = ApiSchema {
    flexible_since: 3,
    body: Struct {
        fields: &[
            since(Kind::Array(&Kind::Struct(&TRANSACTION)), 4), // transactions
            between(STR, 0, 3),                                 // transactional_id
            between(I64, 0, 3),                                 // producer_id
            between(I16, 0, 3),                                 // producer_epoch
            between(Kind::Array(&Kind::Struct(&TOPIC)), 0, 3),  // topics
        ],
        tagged: &[],
    },
};
