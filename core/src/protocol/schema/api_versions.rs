//! ApiVersions (key 18) request schema. Flexible from v3.

use super::{since, ApiSchema, Struct, STR};

pub static API_VERSIONS: ApiSchema = ApiSchema {
    flexible_since: 3,
    body: Struct {
        fields: &[
            since(STR, 3), // client_software_name
            since(STR, 3), // client_software_version
        ],
        tagged: &[],
    },
};
