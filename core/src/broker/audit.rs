//! The audit trail of administrative requests: one `kafka.audit_log` row per resource a request
//! acted on, with the principal, client address and id, the outcome (`OK` or Kafka's error name,
//! denials included) and details (partition counts, config names, ACL bindings, offsets).
//!
//! Audited: CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs, IncrementalAlterConfigs,
//! DeleteRecords, CreateAcls, DeleteAcls, DeleteGroups and OffsetDelete. `dispatch` takes a
//! summary of the request before its handler (or the gate) answers, and turns the answer into
//! rows, so a refusal is recorded like a success. The rows go to the writer after the answer, in
//! a transaction of their own: a crash between an action and its rows loses the rows, never the
//! action. At most [`MAX_ROWS`] rows per request; a larger request gets one more row that says
//! how many were left out.

use std::sync::Arc;

use kafka_protocol::messages::{RequestKind, ResponseKind};
use kafka_protocol::ResponseError;
use serde_json::json;

use super::acl_common::principal;
use super::{Call, Ctx};
use crate::acl::{AclBinding, CLUSTER_NAME};
use crate::store::AuditRow;
use crate::writer::Command;

/// Most rows one request writes.
pub const MAX_ROWS: usize = 1000;
/// Longest name or client id kept, in bytes (longer ones are cut at a character boundary).
const MAX_TEXT: usize = 1024;

/// What one audited request was about, taken before it is answered.
pub(super) struct Pending {
    ctx: Arc<Ctx>,
    who: String,
    address: String,
    client_id: String,
    action: &'static str,
    /// Per resource the request names, in request order: (type, name, details).
    items: Vec<(&'static str, String, serde_json::Value)>,
}

fn cut(s: &str) -> String {
    let mut end = s.len().min(MAX_TEXT);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

fn config_type(code: i8) -> &'static str {
    match code {
        2 => "TOPIC",
        4 => "BROKER",
        8 => "BROKER_LOGGER",
        32 => "GROUP",
        _ => "UNKNOWN",
    }
}

fn acl_text(b: &AclBinding) -> serde_json::Value {
    json!({
        "principal": b.principal, "host": b.host, "operation": b.operation.name(),
        "permission": b.permission.name(), "pattern_type": b.pattern.name(),
    })
}

/// The summary of `req` if its API is audited.
pub(super) fn begin(c: &Call<'_>, req: &RequestKind) -> Option<Pending> {
    let topic = |n: &str, d| ("TOPIC", n.to_owned(), d);
    let (action, items): (&'static str, Vec<_>) = match req {
        RequestKind::CreateTopics(r) => (
            "CreateTopics",
            r.topics
                .iter()
                .map(|t| {
                    let d =
                        json!({"partitions": t.num_partitions, "validate_only": r.validate_only});
                    topic(&t.name, d)
                })
                .collect(),
        ),
        RequestKind::DeleteTopics(r) => (
            "DeleteTopics",
            r.topic_names
                .iter()
                .map(|n| topic(n, json!({})))
                .chain(r.topics.iter().map(|t| match &t.name {
                    Some(n) => topic(n, json!({})),
                    None => topic("", json!({"topic_id": t.topic_id.to_string()})),
                }))
                .collect(),
        ),
        RequestKind::CreatePartitions(r) => (
            "CreatePartitions",
            r.topics
                .iter()
                .map(|t| {
                    topic(
                        &t.name,
                        json!({"count": t.count, "validate_only": r.validate_only}),
                    )
                })
                .collect(),
        ),
        RequestKind::AlterConfigs(r) => (
            "AlterConfigs",
            r.resources
                .iter()
                .map(|x| {
                    let set: Vec<&str> = x.configs.iter().map(|c| c.name.as_str()).collect();
                    let d = json!({"set": set, "validate_only": r.validate_only});
                    (config_type(x.resource_type), x.resource_name.to_string(), d)
                })
                .collect(),
        ),
        RequestKind::IncrementalAlterConfigs(r) => (
            "IncrementalAlterConfigs",
            r.resources
                .iter()
                .map(|x| {
                    let ops: Vec<_> = x
                        .configs
                        .iter()
                        .map(|c| json!({"name": c.name.as_str(), "op": c.config_operation}))
                        .collect();
                    let d = json!({"configs": ops, "validate_only": r.validate_only});
                    (config_type(x.resource_type), x.resource_name.to_string(), d)
                })
                .collect(),
        ),
        RequestKind::DeleteRecords(r) => (
            "DeleteRecords",
            r.topics
                .iter()
                .map(|t| {
                    let before: Vec<_> = t
                        .partitions
                        .iter()
                        .map(|p| json!({"partition": p.partition_index, "offset": p.offset}))
                        .collect();
                    topic(&t.name, json!({ "partitions": before }))
                })
                .collect(),
        ),
        RequestKind::CreateAcls(r) => (
            "CreateAcls",
            r.creations
                .iter()
                .map(|a| {
                    let d = match super::create_acls::binding(a) {
                        Ok(b) => acl_text(&b),
                        Err(e) => json!({"invalid": e.0}),
                    };
                    (acl_type(a.resource_type), a.resource_name.to_string(), d)
                })
                .collect(),
        ),
        RequestKind::DeleteAcls(r) => (
            "DeleteAcls",
            r.filters
                .iter()
                .map(|f| {
                    let name = f.resource_name_filter.as_deref().unwrap_or("");
                    let valid = super::delete_acls::filter(f).is_ok();
                    let d = json!({
                        "principal": f.principal_filter.as_deref(),
                        "pattern_type": f.pattern_type_filter, "valid": valid,
                    });
                    (acl_type(f.resource_type_filter), name.to_owned(), d)
                })
                .collect(),
        ),
        RequestKind::DeleteGroups(r) => (
            "DeleteGroups",
            r.groups_names
                .iter()
                .map(|g| ("GROUP", g.to_string(), json!({})))
                .collect(),
        ),
        RequestKind::OffsetDelete(r) => (
            "OffsetDelete",
            std::iter::once(("GROUP", r.group_id.to_string(), json!({})))
                .chain(r.topics.iter().map(|t| {
                    let parts: Vec<i32> = t.partitions.iter().map(|p| p.partition_index).collect();
                    topic(
                        &t.name,
                        json!({"group": r.group_id.as_str(), "partitions": parts}),
                    )
                }))
                .collect(),
        ),
        _ => return None,
    };
    let who = principal(c);
    Some(Pending {
        ctx: c.ctx.clone(),
        who: who.name(),
        address: who.host,
        client_id: cut(&c.client.id),
        action,
        items,
    })
}

fn acl_type(code: i8) -> &'static str {
    crate::acl::ResourceType::from_code(code).map_or("UNKNOWN", |t| t.name())
}

/// Kafka's name of an error code (`TOPIC_AUTHORIZATION_FAILED`), `OK` for none.
fn outcome(code: i16) -> String {
    if code == 0 {
        return "OK".into();
    }
    let Some(e) = ResponseError::try_from_code(code) else {
        return format!("ERROR_{code}");
    };
    let camel = format!("{e:?}");
    let mut out = String::with_capacity(camel.len() + 8);
    for (i, ch) in camel.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(ch.to_ascii_uppercase());
    }
    out
}

/// Per item of the request, the code its answer gave, in the answer's order (the request's);
/// a partitioned item takes its first partition error.
fn codes(resp: &ResponseKind) -> Vec<i16> {
    match resp {
        ResponseKind::CreateTopics(r) => r.topics.iter().map(|t| t.error_code).collect(),
        ResponseKind::DeleteTopics(r) => r.responses.iter().map(|t| t.error_code).collect(),
        ResponseKind::CreatePartitions(r) => r.results.iter().map(|t| t.error_code).collect(),
        ResponseKind::AlterConfigs(r) => r.responses.iter().map(|t| t.error_code).collect(),
        ResponseKind::IncrementalAlterConfigs(r) => {
            r.responses.iter().map(|t| t.error_code).collect()
        }
        ResponseKind::DeleteRecords(r) => r
            .topics
            .iter()
            .map(|t| {
                t.partitions
                    .iter()
                    .map(|p| p.error_code)
                    .find(|c| *c != 0)
                    .unwrap_or(0)
            })
            .collect(),
        ResponseKind::CreateAcls(r) => r.results.iter().map(|x| x.error_code).collect(),
        ResponseKind::DeleteAcls(r) => r.filter_results.iter().map(|x| x.error_code).collect(),
        ResponseKind::DeleteGroups(r) => r.results.iter().map(|g| g.error_code).collect(),
        ResponseKind::OffsetDelete(r) => std::iter::once(r.error_code)
            .chain(r.topics.iter().map(|t| {
                let first = t.partitions.iter().map(|p| p.error_code).find(|c| *c != 0);
                if r.error_code != 0 {
                    r.error_code
                } else {
                    first.unwrap_or(0)
                }
            }))
            .collect(),
        _ => Vec::new(),
    }
}

impl Pending {
    /// The rows for the answer `resp`.
    fn rows(self, resp: &ResponseKind) -> Vec<AuditRow> {
        let codes = codes(resp);
        let deleted: Vec<usize> = match resp {
            ResponseKind::DeleteAcls(r) => r
                .filter_results
                .iter()
                .map(|f| f.matching_acls.len())
                .collect(),
            _ => Vec::new(),
        };
        let total = self.items.len();
        let mut rows: Vec<AuditRow> = self
            .items
            .into_iter()
            .enumerate()
            .take(MAX_ROWS)
            .map(|(i, (resource_type, name, mut detail))| {
                if let (Some(n), Some(obj)) = (deleted.get(i), detail.as_object_mut()) {
                    obj.insert("deleted".into(), json!(n));
                }
                AuditRow {
                    principal: self.who.clone(),
                    client_address: self.address.clone(),
                    client_id: self.client_id.clone(),
                    action: self.action.to_owned(),
                    resource_type: resource_type.to_owned(),
                    resource_name: cut(&name),
                    outcome: outcome(codes.get(i).copied().unwrap_or(0)),
                    detail: detail.to_string(),
                }
            })
            .collect();
        if total > MAX_ROWS {
            rows.push(AuditRow {
                principal: self.who,
                client_address: self.address,
                client_id: self.client_id,
                action: self.action.to_owned(),
                resource_type: "CLUSTER".into(),
                resource_name: CLUSTER_NAME.into(),
                outcome: "TRUNCATED".into(),
                detail: json!({ "rows_left_out": total - MAX_ROWS }).to_string(),
            });
        }
        rows
    }

    /// Record the answer `resp` (nothing when no answer is sent).
    pub(super) async fn finish(self, resp: Option<&ResponseKind>) {
        let Some(resp) = resp else {
            return;
        };
        let ctx = self.ctx.clone();
        let rows = self.rows(resp);
        if !rows.is_empty() {
            let _ = ctx.bridge.send(Command::Audit { rows }).await;
        }
    }
}
