//! IncrementalAlterConfigs (key 44) request schema. Flexible from v1.

use super::{always, ApiSchema, Kind, Struct, BOOL, I8, STR};

const CONFIG: Struct = Struct {
    fields: &[
        always(STR), // name
        always(I8),  // config_operation
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

pub static INCREMENTAL_ALTER_CONFIGS: ApiSchema = ApiSchema {
    flexible_since: 1,
    body: Struct {
        fields: &[
            always(Kind::Array(&Kind::Struct(&RESOURCE))), // resources
            always(BOOL),                                  // validate_only
        ],
        tagged: &[],
    },
};
