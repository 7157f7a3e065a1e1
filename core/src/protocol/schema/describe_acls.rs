//! DescribeAcls (key 29) request schema, v1-3. Flexible from v2.

use super::{always, ApiSchema, Struct, I8, STR};

/// One ACL filter: the whole DescribeAcls body, and each entry of DeleteAcls.
pub(super) const FILTER: Struct = Struct {
    fields: &[
        always(I8),  // resource_type_filter
        always(STR), // resource_name_filter
        always(I8),  // pattern_type_filter (v1+)
        always(STR), // principal_filter
        always(STR), // host_filter
        always(I8),  // operation
        always(I8),  // permission_type
    ],
    tagged: &[],
};

pub static DESCRIBE_ACLS: ApiSchema = ApiSchema {
    flexible_since: 2,
    body: FILTER,
};
