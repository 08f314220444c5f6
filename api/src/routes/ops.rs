//! `/ops/uptime` and `/ops/reports/*`: the node's own operations figures and the contract's
//! reports (prefecture and operator).

use actix_web::{web, HttpResponse};
use chrono::{Datelike, Utc};
use shared::dates::{Period, PeriodKind};
use shared::dto::ops::UptimeReport;
use shared::dto::ops_report::{OpsReport, ReportKind};
use shared::error::Problem;

use crate::auth::{Caller, Permission};
use crate::domain::clock::today_jst;
use crate::error::{ApiError, ApiResult};
use crate::ops::reports::{self, render, ReportPeriod};
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

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `YYYY-MM` (a month) or `FY2025` (a 年度), Japan time; default last month. Not with `incident`.
    pub period: Option<String>,
    /// 障害対応報告書 of this one incident (kind `incidents` only).
    pub incident: Option<i64>,
    /// `json` (default) or `csv` (UTF-8 with BOM, CRLF, for Excel).
    pub format: Option<String>,
}

/// One of the contract's reports for a month or a 年度: `business` (業務報告書), `operations`
/// (運用保守報告書), `availability` (稼働状況報告書), `incidents` (障害対応報告書; with `incident`,
/// for one incident), `changes` (変更状況報告書). Figures come from the operations log and the
/// uptime ledger; the web app prints the same document on A4.
#[utoipa::path(get, path = "/api/v1/ops/reports/{kind}", tag = "operations", params(ReportQuery,
        ("kind" = String, Path, description = "business, operations, availability, incidents, changes")),
    security(("bearer" = [])),
    responses((status = 200, body = OpsReport),
              (status = 200, description = "format=csv", content_type = "text/csv"),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn report(
    state: web::Data<AppState>,
    caller: Caller,
    kind: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::ReadOperations)?;
    let kind = ReportKind::parse(&kind).ok_or(ApiError::NotFound)?;
    let csv = match query.format.as_deref().unwrap_or("json") {
        "json" => false,
        "csv" => true,
        _ => {
            return Err(ApiError::field(
                "format",
                "unknown",
                "format は json か csv で指定してください。",
            ))
        }
    };
    let (store, settings, now) = (state.store.as_ref(), &state.settings, Utc::now());
    let report = match (query.incident, kind) {
        (Some(_), _) if query.period.is_some() => {
            return Err(ApiError::field(
                "incident",
                "conflict",
                "障害番号と期間は同時に指定できません。",
            ))
        }
        (Some(id), ReportKind::Incidents) => {
            store.incident(id).await?;
            reports::incident_report(store, settings, id, now).await?
        }
        (Some(_), _) => {
            return Err(ApiError::field(
                "incident",
                "not_allowed",
                "障害番号は障害対応報告書にだけ指定できます。",
            ))
        }
        (None, _) => {
            let period = match query.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                None => {
                    let today = today_jst();
                    ReportPeriod::month(today.with_day(1).unwrap_or(today) - chrono::Months::new(1))
                }
                Some(p) => super::ops_log::report_period(p)?,
            };
            reports::report(store, settings, kind, period, now).await?
        }
    };
    if csv {
        let name = format!("attaka-{}-{}.csv", kind.as_str(), report.period);
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                actix_web::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ))
            .body(render::csv(&report)?));
    }
    Ok(HttpResponse::Ok().json(report))
}
