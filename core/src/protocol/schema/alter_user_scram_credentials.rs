//! AlterUserScramCredentials (key 51) request schema. Only v0, flexible.

use super::{always, ApiSchema, Kind, Struct, BYTES, I32, I8, STR};

const DELETION: Struct = Struct {
    fields: &[
        always(STR), // name
        always(I8),  // mechanism
    ],
    tagged: &[],
};

const UPSERTION: Struct = Struct {
    fields: &[
        always(STR),   // name
        always(I8),    // mechanism
        always(I32),   // iterations
        always(BYTES), // salt
        always(BYTES), // salted_password
    ],
    tagged: &[],
};

pub static ALTER_USER_SCRAM_CREDENTIALS: ApiSchema = ApiSchema {
    flexible_since: 0,
    body: Struct {
        fields: &[
            always(Kind::Array(&Kind::Struct(&DELETION))), // deletions
            always(Kind::Array(&Kind::Struct(&UPSERTION))), // upsertions
        ],
        tagged: &[],
    },
};
