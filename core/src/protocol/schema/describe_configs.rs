//! DescribeConfigs (key 32) request schema, v1-4. Flexible from v4.

use super::{always, since, ApiSchema, Kind, Struct, BOOL, I8, STR};

const RESOURCE: Struct = Struct {
    fields: &[
        always(I8),                // resource_type
        always(STR),               // resource_name
        always(Kind::Array(&STR)), // configuration_keys
    ],
    tagged: &[],
};

pub static DESCRIBE_CONFIGS: ApiSchema = ApiSchema {
    flexible_since: 4,
    body: Struct {
        fields: &[
            always(Kind::Array(&Kind::Struct(&RESOURCE))), // resources
            always(BOOL),                                  // include_synonyms
            since(BOOL, 3),                                // include_documentation
        ],
        tagged: &[],
    },
};
