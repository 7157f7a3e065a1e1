//! DescribeGroups, ListGroups and DeleteGroups over the coordinator's groups, and pruning of
//! groups that hold nothing.
//!
//! Owns: the Empty -> Dead transition. Invariants: only a group without members is deleted, and
//! it leaves memory (with its offsets) only after the deletion is committed.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::ResponseError;

use super::state::GroupState;
use super::{durable, Coordinator, Groups};
use crate::error::KafkaResult;
use crate::writer::GroupWrite;

/// One member in DescribeGroups.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberSummary {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub metadata: Bytes,
    pub assignment: Bytes,
}

/// One group in DescribeGroups; an unknown group is Dead with no members.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSummary {
    pub state: GroupState,
    pub protocol_type: String,
    /// The selected protocol, in Stable only (as Kafka reports it).
    pub protocol_data: String,
    pub members: Vec<MemberSummary>,
}

/// One group in ListGroups.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedGroup {
    pub group_id: String,
    pub protocol_type: String,
    pub state: GroupState,
    /// "classic" or "consumer" (a consumer-protocol group).
    pub group_type: &'static str,
    /// The state name ListGroups reports (a consumer-protocol group has its own states).
    pub state_name: &'static str,
}

/// Drop groups that hold nothing: no members, no handed-out ids, no offsets, never persisted.
pub(super) fn prune_unused(st: &mut Groups) {
    let offsets = &st.offsets;
    let consumer = &st.consumer;
    st.groups.retain(|id, g| {
        !(g.members.is_empty()
            && consumer.get(id).is_none_or(|c| c.members.is_empty())
            && g.pending.is_empty()
            && g.generation == 0
            && offsets.get(id).is_none_or(|o| o.is_empty()))
    });
}

impl Coordinator {
    pub fn describe(self: &Arc<Self>, group_id: &str) -> GroupSummary {
        self.ensure_started();
        let st = self.lock();
        if let Some(c) = super::consumer_admin::active(&st, group_id) {
            // Its members speak the consumer protocol: ConsumerGroupDescribe shows them.
            return GroupSummary {
                state: super::consumer_admin::classic_state(c),
                protocol_type: super::consumer_ops::CONSUMER_PROTOCOL.to_owned(),
                protocol_data: String::new(),
                members: Vec::new(),
            };
        }
        let Some(g) = st.groups.get(group_id) else {
            return GroupSummary {
                state: GroupState::Dead,
                protocol_type: String::new(),
                protocol_data: String::new(),
                members: Vec::new(),
            };
        };
        let stable = g.state == GroupState::Stable;
        let protocol = g.protocol_name.clone().unwrap_or_default();
        GroupSummary {
            state: g.state,
            protocol_type: g.protocol_type.clone().unwrap_or_default(),
            protocol_data: if stable {
                protocol.clone()
            } else {
                String::new()
            },
            members: g
                .members
                .values()
                .map(|m| MemberSummary {
                    member_id: m.id.clone(),
                    instance_id: m.instance_id.clone(),
                    client_id: m.client_id.clone(),
                    client_host: m.client_host.clone(),
                    metadata: if stable {
                        m.metadata_for(&protocol)
                    } else {
                        Bytes::new()
                    },
                    assignment: if stable {
                        m.assignment.clone()
                    } else {
                        Bytes::new()
                    },
                })
                .collect(),
        }
    }

    /// Every live group, sorted by id.
    pub fn list(self: &Arc<Self>) -> Vec<ListedGroup> {
        self.ensure_started();
        let st = self.lock();
        let mut out: Vec<ListedGroup> = st
            .groups
            .values()
            .filter(|g| g.state != GroupState::Dead)
            .map(|g| match st.consumer.get(&g.id) {
                Some(c) if g.members.is_empty() => ListedGroup {
                    group_id: g.id.clone(),
                    protocol_type: super::consumer_ops::CONSUMER_PROTOCOL.to_owned(),
                    state: super::consumer_admin::classic_state(c),
                    group_type: "consumer",
                    state_name: c.state_name(),
                },
                _ => ListedGroup {
                    group_id: g.id.clone(),
                    protocol_type: g.protocol_type.clone().unwrap_or_default(),
                    state: g.state,
                    group_type: "classic",
                    state_name: g.state.name(),
                },
            })
            .collect();
        out.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        out
    }

    /// DeleteGroups: one outcome per group, in request order, after COMMIT.
    pub fn delete_groups(
        self: &Arc<Self>,
        ids: Vec<String>,
    ) -> impl Future<Output = Vec<(String, KafkaResult<()>)>> + Send + 'static {
        self.ensure_started();
        let mut results = Vec::new();
        let mut doomed = Vec::new();
        {
            let mut st = self.lock();
            for id in ids {
                let busy = super::consumer_admin::active(&st, &id).is_some();
                let e = match st.groups.get_mut(&id) {
                    None => Err(ResponseError::GroupIdNotFound.into()),
                    Some(_) if busy => Err(ResponseError::NonEmptyGroup.into()),
                    Some(g) if g.state == GroupState::Dead => {
                        Err(ResponseError::GroupIdNotFound.into())
                    }
                    Some(g) if !g.members.is_empty() => Err(ResponseError::NonEmptyGroup.into()),
                    Some(g) => {
                        g.state = GroupState::Dead;
                        g.pending.clear();
                        doomed.push(id.clone());
                        Ok(())
                    }
                };
                results.push((id, e));
            }
        }
        let rx = (!doomed.is_empty()).then(|| {
            self.persist(GroupWrite {
                delete_groups: doomed.clone(),
                ..GroupWrite::default()
            })
        });
        let coord = self.clone();
        async move {
            let Some(rx) = rx else {
                return results;
            };
            let outcome = durable(rx).await;
            let mut st = coord.lock();
            for id in &doomed {
                match outcome {
                    Ok(()) => {
                        st.groups.remove(id);
                        st.offsets.remove(id);
                        st.consumer.remove(id);
                    }
                    Err(_) => {
                        if let Some(g) = st.groups.get_mut(id) {
                            g.state = GroupState::Empty;
                        }
                    }
                }
            }
            if let Err(e) = outcome {
                for (id, r) in &mut results {
                    if r.is_ok() && doomed.contains(id) {
                        *r = Err(e.clone());
                    }
                }
            }
            results
        }
    }
}
