//! Reads and checks over consumer-protocol groups that other APIs need: ConsumerGroupDescribe,
//! the OffsetCommit membership check (member epochs), and how ListGroups/DescribeGroups show
//! these groups.
//!
//! Owns no state. Must not touch: the writer, timers.
//! Invariants: an OffsetCommit of a consumer-protocol group with members is accepted only from
//! a member at its current epoch or its previous one (a commit racing the epoch change);
//! anything else gets STALE_MEMBER_EPOCH or UNKNOWN_MEMBER_ID, like Kafka.

use std::sync::Arc;

use kafka_protocol::ResponseError;

use super::assignor::TopicAssignment;
use super::consumer::ConsumerGroup;
use super::consumer_ops::{ConsumerGroupSummary, ConsumerMemberSummary};
use super::offsets::CommitArgs;
use super::state::GroupState;
use super::{Coordinator, Groups};
use crate::error::{KafkaError, KafkaResult};
use crate::log::Registry;

/// The OffsetCommit check of a consumer-protocol group that has members.
pub(super) fn check_commit(g: &ConsumerGroup, a: &CommitArgs) -> KafkaResult<()> {
    let Some(m) = g.members.get(&a.member_id) else {
        return Err(KafkaError::from(ResponseError::UnknownMemberId));
    };
    let epoch = a.generation;
    if epoch == m.epoch || (epoch > 0 && epoch == m.previous_epoch) {
        Ok(())
    } else {
        Err(KafkaError::from(ResponseError::StaleMemberEpoch))
    }
}

/// The live consumer-protocol group of `id`, if it has members.
pub(super) fn active<'a>(st: &'a Groups, id: &str) -> Option<&'a ConsumerGroup> {
    st.consumer.get(id).filter(|c| !c.members.is_empty())
}

/// The classic state closest to a consumer-protocol group's, for DescribeGroups v0-5, whose
/// clients know only classic states.
pub(super) fn classic_state(g: &ConsumerGroup) -> GroupState {
    match g.state_name() {
        "Empty" => GroupState::Empty,
        "Stable" => GroupState::Stable,
        _ => GroupState::PreparingRebalance,
    }
}

fn named(registry: &Registry, a: &TopicAssignment) -> Vec<(uuid::Uuid, String, Vec<i32>)> {
    a.iter()
        .filter(|(_, ps)| !ps.is_empty())
        .map(|(id, ps)| {
            let name = registry
                .get_by_id(id)
                .map(|t| t.name.clone())
                .unwrap_or_default();
            (*id, name, ps.iter().copied().collect())
        })
        .collect()
}

impl Coordinator {
    /// ConsumerGroupDescribe of one group.
    pub fn consumer_describe(self: &Arc<Self>, group_id: &str) -> ConsumerGroupSummary {
        self.ensure_started();
        let st = self.lock();
        let Some(g) = st.consumer.get(group_id) else {
            let e = if group_id.is_empty() {
                ResponseError::InvalidGroupId
            } else {
                ResponseError::GroupIdNotFound
            };
            return ConsumerGroupSummary {
                error: Some(e.into()),
                state: "Dead",
                ..ConsumerGroupSummary::default()
            };
        };
        ConsumerGroupSummary {
            error: None,
            state: g.state_name(),
            group_epoch: g.epoch,
            assignment_epoch: g.assignment_epoch,
            assignor: g.assignor.clone(),
            members: g
                .members
                .values()
                .map(|m| ConsumerMemberSummary {
                    member_id: m.id.clone(),
                    instance_id: m.instance_id.clone(),
                    rack_id: m.rack_id.clone(),
                    member_epoch: m.epoch,
                    client_id: m.client_id.clone(),
                    client_host: m.client_host.clone(),
                    subscribed_topic_names: m.subscribed.iter().cloned().collect(),
                    subscribed_topic_regex: m.regex.clone(),
                    assignment: named(&self.registry, &m.assigned),
                    target_assignment: named(
                        &self.registry,
                        g.target.get(&m.id).unwrap_or(&TopicAssignment::new()),
                    ),
                })
                .collect(),
        }
    }
}
