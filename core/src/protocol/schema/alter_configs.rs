//! AlterConfigs (key 33) request schema. Flexible from v2.

use super::{always, ApiSchema, Kind, Struct, BOOL, I8, STR};

const CONFIG: Struct = Struct {
    fields: &[
        always(STR), // name
        always(STR), // value
    ],
    tagged: &[],
};

const RESOURCE: Struct = Struct {
    fields: &[
        always(I8),                                  // resource_type
        always(STR),                                 // resource_name
        always(Kind::Array(&Kind::Struct(&CONFIG))), // configs
    ],
    tagged: &[],
};

pub static ALTER_CONFIGS: ApiSchema = ApiSchema {
    flexible_since: 2,
    body: Struct {
        fields: &[
            always(Kind::Array(&Kind::Struct(&RESOURCE))), // resources
            always(BOOL),                                  // validate_only
        ],
        tagged: &[],
    },
};
