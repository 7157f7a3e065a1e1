//! DescribeUserScramCredentials (key 50) request schema. Only v0, flexible.

use super::{always, ApiSchema, Kind, Struct, STR};

const USER: Struct = Struct {
    fields: &[always(STR)], // name
    tagged: &[],
};

pub static DESCRIBE_USER_SCRAM_CREDENTIALS: ApiSchema = ApiSchema {
    flexible_since: 0,
    body: Struct {
        fields: &[
            always(Kind::Array(&Kind::Struct(&USER))), // users (null: all)
        ],
        tagged: &[],
    },
};
