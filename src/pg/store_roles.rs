//! The role a SASL login names, read from `pg_authid` (the worker connects as the bootstrap
//! superuser, which may read it). Read at every login, so password, LOGIN and VALID UNTIL
//! changes apply to the next one.

use pg_kafka_core::store::RoleRow;
use pgrx::datum::DatumWithOid;
use pgrx::spi::{SpiClient, SpiResult};

pub(crate) fn role(client: &SpiClient<'_>, name: &str) -> SpiResult<Option<RoleRow>> {
    let args: [DatumWithOid; 1] = [name.into()];
    let table = client.select(query!("select_role"), Some(1), &args)?;
    let Some(row) = table.into_iter().next() else {
        return Ok(None);
    };
    Ok(Some(RoleRow {
        can_login: row.get::<bool>(1)?.unwrap_or(false),
        superuser: row.get::<bool>(2)?.unwrap_or(false),
        valid_until_ms: row.get::<i64>(3)?,
        password: row.get::<String>(4)?,
    }))
}

pub(crate) fn scram_roles(
    client: &SpiClient<'_>,
    limit: usize,
) -> SpiResult<Vec<(String, String)>> {
    let args: [DatumWithOid; 1] = [(limit as i64).into()];
    let mut out = Vec::new();
    for row in client.select(query!("select_scram_roles"), None, &args)? {
        if let (Some(name), Some(verifier)) = (row.get::<String>(1)?, row.get::<String>(2)?) {
            out.push((name, verifier));
        }
    }
    Ok(out)
}
