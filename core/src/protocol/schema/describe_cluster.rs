//! DescribeCluster (key 60) request schema. Flexible in every version.

use super::{always, since, ApiSchema, Struct, BOOL, I8};

pub static DESCRIBE_CLUSTER: ApiSchema = ApiSchema {
    flexible_since: 0,
    body: Struct {
        fields: &[
            always(BOOL),   // include_cluster_authorized_operations
            since(I8, 1),   // endpoint_type
            since(BOOL, 2), // include_fenced_brokers
        ],
        tagged: &[],
    },
};
