//! `/audit`: search the audit log (prefecture and operator).

use actix_web::web;
use chrono::{DateTime, Utc};
use shared::dto::audit::AuditRecordView;
use shared::error::Problem;

use crate::auth::{Caller, Permission};
use crate::domain::audit::AuditQuery;
use crate::error::{ApiError, ApiResult};
use crate::startup::AppState;

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditSearch {
    /// Actions starting with this, e.g. `person.` or `auth.login`.
    pub action: Option<String>,
    pub actor: Option<String>,
    pub target: Option<String>,
    /// RFC 3339 instant, inclusive.
    pub since: Option<DateTime<Utc>>,
    /// RFC 3339 instant, exclusive.
    pub until: Option<DateTime<Utc>>,
    /// Default 100, at most 1000. Newest first.
    pub limit: Option<u64>,
}

/// Search the audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "operations", params(AuditSearch), security(("bearer" = [])),
    responses((status = 200, body = [AuditRecordView]), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn search(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<AuditSearch>,
) -> ApiResult<web::Json<Vec<AuditRecordView>>> {
    caller.require(Permission::ReadAudit)?;
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::field(
            "limit",
            "out_of_range",
            "limit は1〜1000で指定してください。",
        ));
    }
    let records = state
        .store
        .audit(&AuditQuery {
            action_prefix: q.action,
            actor: q.actor,
            target: q.target,
            since: q.since,
            until: q.until,
            limit,
        })
        .await?;
    Ok(web::Json(
        records
            .into_iter()
            .map(|r| AuditRecordView {
                id: r.id,
                at: r.entry.at,
                actor: r.entry.actor,
                role: r.entry.role,
                scope: r.entry.scope,
                action: r.entry.action,
                target: r.entry.target,
                outcome: r.entry.outcome.as_str().to_owned(),
                client: r.entry.client,
                request_id: r.entry.request_id,
                detail: r.entry.detail,
            })
            .collect(),
    ))
}
