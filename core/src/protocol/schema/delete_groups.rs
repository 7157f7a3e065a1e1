//! DeleteGroups (key 42) request schema. Flexible from v2.

use super::{always, ApiSchema, Kind, Struct, STR};

pub static DELETE_GROUPS: ApiSchema = ApiSchema {
    flexible_since: 2,
    body: Struct {
        fields: &[always(Kind::Array(&STR))], // groups_names
        tagged: &[],
    },
};
