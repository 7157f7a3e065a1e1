//! LeaveGroup (key 13) request schema. Flexible from v4; a batch of members from v3.

use super::{always, between, since, ApiSchema, Kind, Struct, STR};

const MEMBER: Struct = Struct {
    fields: &[
        always(STR),   // member_id
        always(STR),   // group_instance_id
        since(STR, 5), // reason
    ],
    tagged: &[],
};

pub static LEAVE_GROUP: ApiSchema = ApiSchema {
    flexible_since: 4,
    body: Struct {
        fields: &[
            always(STR),                                   // group_id
            between(STR, 0, 2),                            // member_id
            since(Kind::Array(&Kind::Struct(&MEMBER)), 3), // members
        ],
        tagged: &[],
    },
};
