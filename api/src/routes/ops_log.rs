//! `/ops/inquiries`, `/ops/incidents`, `/ops/changes`, `/ops/maintenance`, `/ops/due`: the
//! operations log the maintenance contract reports on (operator and prefecture). Writes are
//! audited; no person data goes in (a common ID in free text is refused naming the field).

use std::future::Future;

use actix_web::{web, HttpResponse};
use chrono::Utc;
use shared::dto::ops_log::{
    ChangeInput, ChangeView, IncidentInput, IncidentView, InquiryInput, InquiryView, MaintenanceInput,
    MaintenanceView, OpsDue,
};
use shared::error::Problem;

use super::audited::CallAudit;
use super::extract::Body;
use crate::auth::{Caller, Permission};
use crate::domain::audit::AuditDraft;
use crate::domain::ops_log::LogWindow;
use crate::error::{ApiError, ApiResult};
use crate::ops::log::{self, LogError};
use crate::ops::reports::{PeriodRefusal, ReportPeriod};
use crate::startup::AppState;

impl From<LogError> for ApiError {
    fn from(e: LogError) -> Self {
        match e {
            LogError::Invalid(errors) => ApiError::Validation(errors),
            LogError::Begun => ApiError::field(
                "starts_at",
                "begun",
                "始まった計画停止は取り消せません（停止は稼働率の計算に含めるか、障害として記録してください）。",
            ),
            LogError::Store(e) => e.into(),
        }
    }
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// `YYYY-MM` or `FY2025`: the records active in that period; default every record.
    pub period: Option<String>,
}

/// The month or 年度 a `period` parameter names (not in the future).
pub(crate) fn report_period(p: &str) -> ApiResult<ReportPeriod> {
    ReportPeriod::parse(p, crate::domain::clock::today_jst()).map_err(|e| match e {
        PeriodRefusal::Future => ApiError::field("period", "future", "未来の期間は指定できません。"),
        PeriodRefusal::Format => ApiError::field(
            "period",
            "format",
            "期間は月（2025-05）または年度（FY2025）で指定してください。",
        ),
    })
}

/// The window a `period` parameter names; every record without one.
pub(crate) fn window(period: Option<&str>) -> ApiResult<LogWindow> {
    match period.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(LogWindow::all()),
        Some(p) => report_period(p).map(|p| LogWindow {
            from: p.from,
            to: p.to,
        }),
    }
}

fn by(caller: &Caller) -> String {
    caller.principal.name.clone()
}

/// Every write of the operations log: the caller needs `WriteOperationsLog`; `write` gets the
/// audit row of `action` on `target` for the store to append with the write (decision 0016),
/// and a refusal or failure is audited on its own (`CallAudit::write`).
async fn audited_write<T, V, F, Fut>(
    state: &AppState,
    caller: &Caller,
    action: &'static str,
    target: Option<String>,
    write: F,
) -> ApiResult<V>
where
    F: FnOnce(AuditDraft<T>) -> Fut,
    Fut: Future<Output = Result<V, LogError>>,
{
    let audit = CallAudit::by(state, caller, action);
    let result = async {
        caller.require(Permission::WriteOperationsLog)?;
        Ok(write(audit.draft(target.clone(), None)).await?)
    }
    .await;
    audit.write(target, None, result).await
}

/// Inquiries (問い合わせ), oldest first, each with its 24-hour first-answer clock.
#[utoipa::path(get, path = "/api/v1/ops/inquiries", tag = "operations", params(LogQuery), security(("bearer" = [])),
    responses((status = 200, body = [InquiryView]), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_inquiries(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<LogQuery>,
) -> ApiResult<web::Json<Vec<InquiryView>>> {
    caller.require(Permission::ReadOperations)?;
    let (policy, now) = (state.settings.ops.sla(), Utc::now());
    let all = state.store.inquiries(window(query.period.as_deref())?).await?;
    Ok(web::Json(all.iter().map(|i| i.to_view(&policy, now)).collect()))
}

#[utoipa::path(get, path = "/api/v1/ops/inquiries/{id}", tag = "operations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "inquiry number")),
    responses((status = 200, body = InquiryView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_inquiry(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> ApiResult<web::Json<InquiryView>> {
    caller.require(Permission::ReadOperations)?;
    let i = state.store.inquiry(*id).await?;
    Ok(web::Json(i.to_view(&state.settings.ops.sla(), Utc::now())))
}

/// Record an inquiry. Free text holding a common ID is refused (400, `person_data`, naming the field).
#[utoipa::path(post, path = "/api/v1/ops/inquiries", tag = "operations", request_body = InquiryInput, security(("bearer" = [])),
    responses((status = 201, body = InquiryView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn create_inquiry(
    state: web::Data<AppState>,
    caller: Caller,
    Body(input): Body<InquiryInput>,
) -> ApiResult<HttpResponse> {
    let (store, now, who) = (state.store.as_ref(), Utc::now(), by(&caller));
    let made = audited_write(&state, &caller, "ops.inquiry.create", None, |row| {
        log::add_inquiry(store, &input, &who, row, now)
    })
    .await?;
    Ok(HttpResponse::Created().json(made.to_view(&state.settings.ops.sla(), now)))
}

/// Replace an inquiry's record (e.g. its first answer, its closing, more work minutes).
#[utoipa::path(put, path = "/api/v1/ops/inquiries/{id}", tag = "operations", request_body = InquiryInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "inquiry number")),
    responses((status = 200, body = InquiryView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn update_inquiry(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Body(input): Body<InquiryInput>,
) -> ApiResult<web::Json<InquiryView>> {
    let (store, now) = (state.store.as_ref(), Utc::now());
    let target = Some(log::target("inquiry", *id));
    let edited = audited_write(&state, &caller, "ops.inquiry.update", target, |row| {
        log::edit_inquiry(store, *id, &input, row, now)
    })
    .await?;
    Ok(web::Json(edited.to_view(&state.settings.ops.sla(), now)))
}

/// Incidents (障害), oldest first, each with its 12-hour triage clock; alert events open theirs.
#[utoipa::path(get, path = "/api/v1/ops/incidents", tag = "operations", params(LogQuery), security(("bearer" = [])),
    responses((status = 200, body = [IncidentView]), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_incidents(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<LogQuery>,
) -> ApiResult<web::Json<Vec<IncidentView>>> {
    caller.require(Permission::ReadOperations)?;
    let (policy, now) = (state.settings.ops.sla(), Utc::now());
    let all = state.store.incidents(window(query.period.as_deref())?).await?;
    Ok(web::Json(all.iter().map(|i| i.to_view(&policy, now)).collect()))
}

#[utoipa::path(get, path = "/api/v1/ops/incidents/{id}", tag = "operations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "incident number")),
    responses((status = 200, body = IncidentView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_incident(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> ApiResult<web::Json<IncidentView>> {
    caller.require(Permission::ReadOperations)?;
    let i = state.store.incident(*id).await?;
    Ok(web::Json(i.to_view(&state.settings.ops.sla(), Utc::now())))
}

#[utoipa::path(post, path = "/api/v1/ops/incidents", tag = "operations", request_body = IncidentInput, security(("bearer" = [])),
    responses((status = 201, body = IncidentView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn create_incident(
    state: web::Data<AppState>,
    caller: Caller,
    Body(input): Body<IncidentInput>,
) -> ApiResult<HttpResponse> {
    let (store, now, who) = (state.store.as_ref(), Utc::now(), by(&caller));
    let made = audited_write(&state, &caller, "ops.incident.create", None, |row| {
        log::add_incident(store, &input, &who, row, now)
    })
    .await?;
    Ok(HttpResponse::Created().json(made.to_view(&state.settings.ops.sla(), now)))
}

/// Replace an incident's record (triage, resolution, cause, impact, handling, work minutes).
#[utoipa::path(put, path = "/api/v1/ops/incidents/{id}", tag = "operations", request_body = IncidentInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "incident number")),
    responses((status = 200, body = IncidentView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn update_incident(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Body(input): Body<IncidentInput>,
) -> ApiResult<web::Json<IncidentView>> {
    let (store, now) = (state.store.as_ref(), Utc::now());
    let target = Some(log::target("incident", *id));
    let edited = audited_write(&state, &caller, "ops.incident.update", target, |row| {
        log::edit_incident(store, *id, &input, row, now)
    })
    .await?;
    Ok(web::Json(edited.to_view(&state.settings.ops.sla(), now)))
}

/// Changes (変更), oldest first; version upgrades and migrations are recorded by the node.
#[utoipa::path(get, path = "/api/v1/ops/changes", tag = "operations", params(LogQuery), security(("bearer" = [])),
    responses((status = 200, body = [ChangeView]), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_changes(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<LogQuery>,
) -> ApiResult<web::Json<Vec<ChangeView>>> {
    caller.require(Permission::ReadOperations)?;
    let all = state.store.changes(window(query.period.as_deref())?).await?;
    Ok(web::Json(all.iter().map(|c| c.to_view()).collect()))
}

#[utoipa::path(post, path = "/api/v1/ops/changes", tag = "operations", request_body = ChangeInput, security(("bearer" = [])),
    responses((status = 201, body = ChangeView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn create_change(
    state: web::Data<AppState>,
    caller: Caller,
    Body(input): Body<ChangeInput>,
) -> ApiResult<HttpResponse> {
    let (store, who) = (state.store.as_ref(), by(&caller));
    let made = audited_write(&state, &caller, "ops.change.create", None, |row| {
        log::add_change(store, &input, &who, row, Utc::now())
    })
    .await?;
    Ok(HttpResponse::Created().json(made.to_view()))
}

#[utoipa::path(put, path = "/api/v1/ops/changes/{id}", tag = "operations", request_body = ChangeInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "change number")),
    responses((status = 200, body = ChangeView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn update_change(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Body(input): Body<ChangeInput>,
) -> ApiResult<web::Json<ChangeView>> {
    let store = state.store.as_ref();
    let target = Some(log::target("change", *id));
    let edited = audited_write(&state, &caller, "ops.change.update", target, |row| {
        log::edit_change(store, *id, &input, row, Utc::now())
    })
    .await?;
    Ok(web::Json(edited.to_view()))
}

/// Scheduled maintenance windows (計画停止), by start, cancelled ones included.
#[utoipa::path(get, path = "/api/v1/ops/maintenance", tag = "operations", params(LogQuery), security(("bearer" = [])),
    responses((status = 200, body = [MaintenanceView]), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_maintenance(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<LogQuery>,
) -> ApiResult<web::Json<Vec<MaintenanceView>>> {
    caller.require(Permission::ReadOperations)?;
    let all = state
        .store
        .maintenance_windows(window(query.period.as_deref())?)
        .await?;
    Ok(web::Json(all.iter().map(|m| m.to_view()).collect()))
}

/// Announce a maintenance window; it must begin later than now, and its time is then left out
/// of the contract's 稼働率.
#[utoipa::path(post, path = "/api/v1/ops/maintenance", tag = "operations", request_body = MaintenanceInput, security(("bearer" = [])),
    responses((status = 201, body = MaintenanceView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn create_maintenance(
    state: web::Data<AppState>,
    caller: Caller,
    Body(input): Body<MaintenanceInput>,
) -> ApiResult<HttpResponse> {
    let (store, who) = (state.store.as_ref(), by(&caller));
    let made = audited_write(&state, &caller, "ops.maintenance.create", None, |row| {
        log::add_maintenance(store, &input, &who, row, Utc::now())
    })
    .await?;
    Ok(HttpResponse::Created().json(made.to_view()))
}

/// Cancel a window that has not begun (again: no change).
#[utoipa::path(post, path = "/api/v1/ops/maintenance/{id}/cancel", tag = "operations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "maintenance window number")),
    responses((status = 200, body = MaintenanceView), (status = 400, description = "`begun`", body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn cancel_maintenance(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> ApiResult<web::Json<MaintenanceView>> {
    let store = state.store.as_ref();
    let target = Some(log::target("maintenance", *id));
    let cancelled = audited_write(&state, &caller, "ops.maintenance.cancel", target, |row| {
        log::cancel_maintenance(store, *id, row, Utc::now())
    })
    .await?;
    Ok(web::Json(cancelled.to_view()))
}

/// Open items whose service-level clock runs (inquiries without a first answer, incidents not
/// triaged), soonest limit first, and the maintenance windows to come: the operator's home screen.
#[utoipa::path(get, path = "/api/v1/ops/due", tag = "operations", security(("bearer" = [])),
    responses((status = 200, body = OpsDue), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn due(state: web::Data<AppState>, caller: Caller) -> ApiResult<web::Json<OpsDue>> {
    caller.require(Permission::ReadOperations)?;
    let now = Utc::now();
    let ops = &state.settings.ops;
    let items = crate::ops::sla::due_items(state.store.as_ref(), &ops.sla(), now).await?;
    let coming = LogWindow {
        from: now,
        to: LogWindow::all().to,
    };
    let maintenance = state
        .store
        .maintenance_windows(coming)
        .await?
        .iter()
        .filter(|m| m.cancelled_at.is_none())
        .map(|m| m.to_view())
        .collect();
    Ok(web::Json(OpsDue {
        warn_before_minutes: ops.warn_before_minutes,
        items,
        maintenance,
    }))
}
