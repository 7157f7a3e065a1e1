//! DeleteAcls (key 31) request schema, v1-3. Flexible from v2.

use super::describe_acls::FILTER;
use super::{always, ApiSchema, Kind, Struct};

pub static DELETE_ACLS: ApiSchema = ApiSchema {
    flexible_since: 2,
    body: Struct {
        fields: &[always(Kind::Array(&Kind::Struct(&FILTER)))], // filters
        tagged: &[],
    },
};
