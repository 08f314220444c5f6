//! `/ops/*`: the node's own operations figures (prefecture and operator).

use actix_web::web;
use chrono::{Datelike, Utc};
use shared::dates::{Period, PeriodKind};
use shared::dto::ops::UptimeReport;
use shared::error::Problem;

use crate::auth::{Caller, Permission};
use crate::domain::clock::today_jst;
use crate::error::{ApiError, ApiResult};
use crate::startup::AppState;

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UptimeQuery {
    /// `YYYY-MM` (Japan time); default this month.
    pub month: Option<String>,
}

/// This node's 稼働率 for a month: time up, each outage (the gaps between runs of the server),
/// and whether the target was met. The current month is measured up to now.
#[utoipa::path(get, path = "/api/v1/ops/uptime", tag = "operations", params(UptimeQuery),
    security(("bearer" = [])),
    responses((status = 200, body = UptimeReport),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn uptime(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<UptimeQuery>,
) -> ApiResult<web::Json<UptimeReport>> {
    caller.require(Permission::ReadOperations)?;
    let today = today_jst();
    let first = match query.month.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        None => today.with_day(1).unwrap_or(today),
        Some(m) => match Period::parse(m) {
            Ok(p) if matches!(p.kind(), PeriodKind::Month { .. }) && p.from() <= today => p.from(),
            Ok(p) if matches!(p.kind(), PeriodKind::Month { .. }) => {
                return Err(ApiError::field("month", "future", "未来の月は指定できません。"))
            }
            _ => {
                return Err(ApiError::field(
                    "month",
                    "format",
                    "月は YYYY-MM の形で指定してください（例: 2025-05）。",
                ))
            }
        },
    };
    let report = crate::ops::uptime::report(state.store.as_ref(), &state.settings, first, Utc::now()).await?;
    Ok(web::Json(report))
}
