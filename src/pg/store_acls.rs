//! Kafka ACLs in `kafka.acl_bindings`, and what the authorizer needs of `pg_roles`: the
//! superusers, and for each role the roles it is a member of (with INHERIT, as `pg_has_role`
//! USAGE says) that some binding names. Read at start and every second. Also the audit rows of
//! administrative requests (`kafka.audit_log`).

use std::collections::{HashMap, HashSet};

use pg_kafka_core::acl::{
    AclBinding, AclFilter, AclState, Operation, PatternType, Permission, ResourceType,
};
use pgrx::datum::DatumWithOid;
use pgrx::spi::{SpiClient, SpiResult};

/// Up to `limit` stored bindings with their ids; a row whose names do not parse (the table's
/// checks rule that out) is skipped.
fn bindings(client: &SpiClient<'_>, limit: usize) -> SpiResult<Vec<(i64, AclBinding)>> {
    let args: [DatumWithOid; 1] = [(limit as i64).into()];
    let mut out = Vec::new();
    for row in client.select(query!("select_acls"), None, &args)? {
        let text =
            |i: usize| -> SpiResult<String> { Ok(row.get::<String>(i)?.unwrap_or_default()) };
        let parsed = (|| {
            Some(AclBinding {
                resource_type: ResourceType::parse(&text(2).ok()?)?,
                name: text(3).ok()?,
                pattern: PatternType::parse(&text(4).ok()?)?,
                principal: text(5).ok()?,
                host: text(6).ok()?,
                operation: Operation::parse(&text(7).ok()?)?,
                permission: Permission::parse(&text(8).ok()?)?,
            })
        })();
        if let (Some(id), Some(b)) = (row.get::<i64>(1)?, parsed) {
            out.push((id, b));
        }
    }
    Ok(out)
}

pub(crate) fn acl_state(client: &SpiClient<'_>, limit: usize) -> SpiResult<AclState> {
    let mut bindings: Vec<AclBinding> = bindings(client, limit + 1)?
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    let truncated = bindings.len() > limit;
    bindings.truncate(limit);
    let args: [DatumWithOid; 1] = [(limit as i64).into()];
    let mut superusers = HashSet::new();
    let mut member_of = HashMap::new();
    for row in client.select(query!("select_acl_roles"), None, &args)? {
        let Some(name) = row.get::<String>(1)? else {
            continue;
        };
        if row.get::<bool>(2)?.unwrap_or(false) {
            superusers.insert(name.clone());
        }
        let groups = row.get::<Vec<String>>(3)?.unwrap_or_default();
        if !groups.is_empty() {
            member_of.insert(name, groups);
        }
    }
    Ok(AclState {
        bindings,
        superusers,
        member_of,
        truncated,
    })
}

pub(crate) fn create_acls(
    client: &mut SpiClient<'_>,
    new: &[AclBinding],
    by: &str,
) -> SpiResult<()> {
    let column = |f: fn(&AclBinding) -> String| new.iter().map(f).collect::<Vec<String>>();
    let args: [DatumWithOid; 8] = [
        column(|b| b.resource_type.name().to_owned()).into(),
        column(|b| b.name.clone()).into(),
        column(|b| b.pattern.name().to_owned()).into(),
        column(|b| b.principal.clone()).into(),
        column(|b| b.host.clone()).into(),
        column(|b| b.operation.name().to_owned()).into(),
        column(|b| b.permission.name().to_owned()).into(),
        by.into(),
    ];
    client.update(query!("insert_acls"), None, &args)?;
    Ok(())
}

pub(crate) fn append_audit(
    client: &mut SpiClient<'_>,
    rows: &[pg_kafka_core::store::AuditRow],
) -> SpiResult<()> {
    type Row = pg_kafka_core::store::AuditRow;
    let column =
        |f: fn(&Row) -> &String| rows.iter().map(|r| f(r).clone()).collect::<Vec<String>>();
    let args: [DatumWithOid; 8] = [
        column(|r| &r.principal).into(),
        column(|r| &r.client_address).into(),
        column(|r| &r.client_id).into(),
        column(|r| &r.action).into(),
        column(|r| &r.resource_type).into(),
        column(|r| &r.resource_name).into(),
        column(|r| &r.outcome).into(),
        column(|r| &r.detail).into(),
    ];
    client.update(query!("insert_audit"), None, &args)?;
    Ok(())
}

pub(crate) fn delete_acls(
    client: &mut SpiClient<'_>,
    filters: &[AclFilter],
    limit: usize,
) -> SpiResult<Vec<Vec<AclBinding>>> {
    let mut stored = bindings(client, limit)?;
    let mut ids = Vec::new();
    let mut out = Vec::new();
    for f in filters {
        let (hit, rest): (Vec<_>, Vec<_>) = stored.into_iter().partition(|(_, b)| f.matches(b));
        stored = rest;
        ids.extend(hit.iter().map(|(id, _)| *id));
        out.push(hit.into_iter().map(|(_, b)| b).collect());
    }
    if !ids.is_empty() {
        let args: [DatumWithOid; 1] = [ids.into()];
        client.update(query!("delete_acls"), None, &args)?;
    }
    Ok(out)
}
