//! Consumer-group state in the kafka tables: groups, their members, committed offsets.
//!
//! Called by `store.rs` inside its transactions. Statements are set-based; duplicate keys within
//! one write set are collapsed first (last write wins), because an upsert may not touch the same
//! row twice in one statement.

use std::collections::BTreeMap;

use pg_kafka_core::store::{GroupRow, MemberRow, OffsetRow, WriteSet};
use pgrx::datum::DatumWithOid;
use pgrx::spi::{SpiClient, SpiResult};

use super::store::{to_uuid, uuid};

/// Write the group parts of a write set inside the current transaction.
pub(crate) fn write(client: &mut SpiClient<'_>, ws: &WriteSet) -> SpiResult<()> {
    if !ws.delete_groups.is_empty() {
        let args: [DatumWithOid; 1] = [ws.delete_groups.clone().into()];
        client.update(query!("delete_groups"), None, &args)?;
    }
    if !ws.put_groups.is_empty() {
        let groups: BTreeMap<&str, &GroupRow> = ws
            .put_groups
            .iter()
            .map(|g| (g.group_id.as_str(), g))
            .collect();
        let ids: Vec<String> = groups.keys().map(|k| k.to_string()).collect();
        let args: [DatumWithOid; 6] = [
            ids.clone().into(),
            groups
                .values()
                .map(|g| g.protocol_type.clone())
                .collect::<Vec<_>>()
                .into(),
            groups
                .values()
                .map(|g| g.protocol_name.clone())
                .collect::<Vec<_>>()
                .into(),
            groups
                .values()
                .map(|g| g.generation_id)
                .collect::<Vec<_>>()
                .into(),
            groups
                .values()
                .map(|g| g.leader_id.clone())
                .collect::<Vec<_>>()
                .into(),
            groups
                .values()
                .map(|g| g.state.clone())
                .collect::<Vec<_>>()
                .into(),
        ];
        client.update(query!("upsert_groups"), None, &args)?;
        let args: [DatumWithOid; 1] = [ids.into()];
        client.update(query!("delete_group_members"), None, &args)?;
        let members: BTreeMap<(&str, &str), &MemberRow> = groups
            .values()
            .flat_map(|g| {
                g.members
                    .iter()
                    .map(move |m| ((g.group_id.as_str(), m.member_id.as_str()), m))
            })
            .collect();
        if !members.is_empty() {
            let args: [DatumWithOid; 9] = [
                members
                    .keys()
                    .map(|k| k.0.to_string())
                    .collect::<Vec<_>>()
                    .into(),
                members
                    .keys()
                    .map(|k| k.1.to_string())
                    .collect::<Vec<_>>()
                    .into(),
                members
                    .values()
                    .map(|m| m.group_instance_id.clone())
                    .collect::<Vec<_>>()
                    .into(),
                members
                    .values()
                    .map(|m| m.client_id.clone())
                    .collect::<Vec<_>>()
                    .into(),
                members
                    .values()
                    .map(|m| m.client_host.clone())
                    .collect::<Vec<_>>()
                    .into(),
                members
                    .values()
                    .map(|m| m.session_timeout_ms)
                    .collect::<Vec<_>>()
                    .into(),
                members
                    .values()
                    .map(|m| m.rebalance_timeout_ms)
                    .collect::<Vec<_>>()
                    .into(),
                members
                    .values()
                    .map(|m| &m.metadata[..])
                    .collect::<Vec<_>>()
                    .into(),
                members
                    .values()
                    .map(|m| &m.assignment[..])
                    .collect::<Vec<_>>()
                    .into(),
            ];
            client.update(query!("insert_group_members"), None, &args)?;
        }
    }
    if !ws.commit_offsets.is_empty() {
        let offsets: BTreeMap<(&str, uuid::Uuid, i32), &OffsetRow> = ws
            .commit_offsets
            .iter()
            .map(|o| ((o.group_id.as_str(), o.topic_id, o.partition), o))
            .collect();
        let args: [DatumWithOid; 7] = [
            offsets
                .keys()
                .map(|k| k.0.to_string())
                .collect::<Vec<_>>()
                .into(),
            offsets
                .keys()
                .map(|k| uuid(&k.1))
                .collect::<Vec<_>>()
                .into(),
            offsets.keys().map(|k| k.2).collect::<Vec<_>>().into(),
            offsets
                .values()
                .map(|o| o.committed_offset)
                .collect::<Vec<_>>()
                .into(),
            offsets
                .values()
                .map(|o| o.leader_epoch)
                .collect::<Vec<_>>()
                .into(),
            offsets
                .values()
                .map(|o| o.metadata.clone())
                .collect::<Vec<_>>()
                .into(),
            offsets
                .values()
                .map(|o| o.commit_timestamp)
                .collect::<Vec<_>>()
                .into(),
        ];
        client.update(query!("upsert_offsets"), None, &args)?;
    }
    if !ws.delete_offsets.is_empty() {
        let args: [DatumWithOid; 3] = [
            ws.delete_offsets
                .iter()
                .map(|d| d.0.clone())
                .collect::<Vec<_>>()
                .into(),
            ws.delete_offsets
                .iter()
                .map(|d| uuid(&d.1))
                .collect::<Vec<_>>()
                .into(),
            ws.delete_offsets
                .iter()
                .map(|d| d.2)
                .collect::<Vec<_>>()
                .into(),
        ];
        client.update(query!("delete_offsets"), None, &args)?;
    }
    Ok(())
}

/// Every group with its members, and every committed offset.
pub(crate) fn load(client: &SpiClient<'_>) -> SpiResult<(Vec<GroupRow>, Vec<OffsetRow>)> {
    let mut groups: BTreeMap<String, GroupRow> = BTreeMap::new();
    for row in client.select(query!("select_groups"), None, &[])? {
        let g = GroupRow {
            group_id: row.get::<String>(1)?.unwrap_or_default(),
            protocol_type: row.get::<String>(2)?,
            protocol_name: row.get::<String>(3)?,
            generation_id: row.get::<i32>(4)?.unwrap_or_default(),
            leader_id: row.get::<String>(5)?,
            state: row.get::<String>(6)?.unwrap_or_default(),
            members: Vec::new(),
        };
        groups.insert(g.group_id.clone(), g);
    }
    for row in client.select(query!("select_group_members"), None, &[])? {
        let group_id = row.get::<String>(1)?.unwrap_or_default();
        let m = MemberRow {
            member_id: row.get::<String>(2)?.unwrap_or_default(),
            group_instance_id: row.get::<String>(3)?,
            client_id: row.get::<String>(4)?.unwrap_or_default(),
            client_host: row.get::<String>(5)?.unwrap_or_default(),
            session_timeout_ms: row.get::<i32>(6)?.unwrap_or_default(),
            rebalance_timeout_ms: row.get::<i32>(7)?.unwrap_or_default(),
            metadata: row.get::<Vec<u8>>(8)?.unwrap_or_default(),
            assignment: row.get::<Vec<u8>>(9)?.unwrap_or_default(),
        };
        if let Some(g) = groups.get_mut(&group_id) {
            g.members.push(m);
        }
    }
    let mut offsets = Vec::new();
    for row in client.select(query!("select_offsets"), None, &[])? {
        offsets.push(OffsetRow {
            group_id: row.get::<String>(1)?.unwrap_or_default(),
            topic_id: row.get::<pgrx::Uuid>(2)?.map(to_uuid).unwrap_or_default(),
            partition: row.get::<i32>(3)?.unwrap_or_default(),
            committed_offset: row.get::<i64>(4)?.unwrap_or_default(),
            leader_epoch: row.get::<i32>(5)?.unwrap_or(-1),
            metadata: row.get::<String>(6)?,
            commit_timestamp: row.get::<i64>(7)?.unwrap_or_default(),
        });
    }
    Ok((groups.into_values().collect(), offsets))
}
