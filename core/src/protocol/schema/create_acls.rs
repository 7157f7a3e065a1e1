//! CreateAcls (key 30) request schema, v1-3. Flexible from v2.

use super::{always, ApiSchema, Kind, Struct, I8, STR};

const CREATION: Struct = Struct {
    fields: &[
        always(I8),  // resource_type
        always(STR), // resource_name
        always(I8),  // resource_pattern_type (v1+)
        always(STR), // principal
        always(STR), // host
        always(I8),  // operation
        always(I8),  // permission_type
    ],
    tagged: &[],
};

pub static CREATE_ACLS: ApiSchema = ApiSchema {
    flexible_since: 2,
    body: Struct {
        fields: &[always(Kind::Array(&Kind::Struct(&CREATION)))], // creations
        tagged: &[],
    },
};
