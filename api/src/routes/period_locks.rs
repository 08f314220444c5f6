//! `/period-locks`: the prefecture closes a month or a 年度 after the annual report, so nobody
//! changes the figures behind it. Locking and unlocking are audited.

use actix_web::{web, HttpResponse};
use serde_json::json;
use shared::dto::activity::{PeriodLockInput, PeriodLockView};
use shared::dto::auth::Scope;
use shared::error::Problem;

use super::audited::CallAudit;
use super::extract::Body;
use crate::auth::{Caller, Permission};
use crate::domain::period_lock::{NewPeriodLock, PeriodLock};
use crate::error::ApiResult;
use crate::startup::AppState;
use crate::store::Recorded;

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LocksQuery {
    /// Include locks that have been unlocked (default false).
    pub include_unlocked: Option<bool>,
}

/// Period locks that concern the caller's scope, newest period first.
#[utoipa::path(get, path = "/api/v1/period-locks", tag = "activities", params(LocksQuery), security(("bearer" = [])),
    responses((status = 200, body = [PeriodLockView]), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<LocksQuery>,
) -> ApiResult<web::Json<Vec<PeriodLockView>>> {
    let p = caller.require(Permission::ReadPeriodLocks)?;
    let centers = state.store.centers().await?;
    let regions = crate::auth::policy::regions_for(state.store.as_ref(), &p.scope).await?;
    // A lock within the caller's scope, or over a centre in it (everyone's, its municipality's);
    // for a region, its municipalities as of the locked period's first day.
    let concerns_caller = |l: &PeriodLock| {
        let on = l.period.from();
        l.scope == Scope::Prefecture
            || p.covers_scope(&l.scope, &centers, &regions, on)
            || centers
                .iter()
                .any(|c| p.covers_center(c, &regions, on) && l.covers(c))
    };
    let locks = state
        .store
        .period_locks(query.include_unlocked.unwrap_or(false))
        .await?;
    Ok(web::Json(
        locks
            .iter()
            .filter(|l| concerns_caller(l))
            .map(|l| l.to_view())
            .collect(),
    ))
}

/// Lock a month (`2024-05`) or a 年度 (`FY2024`) for a centre, a municipality or the whole
/// prefecture (prefecture). Locking what is already locked returns the existing lock (200).
#[utoipa::path(post, path = "/api/v1/period-locks", tag = "activities", request_body = PeriodLockInput,
    security(("bearer" = [])),
    responses((status = 201, body = PeriodLockView), (status = 200, description = "already locked", body = PeriodLockView),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn lock(
    state: web::Data<AppState>,
    caller: Caller,
    Body(input): Body<PeriodLockInput>,
) -> ApiResult<HttpResponse> {
    let audit = CallAudit::by(&state, &caller, "period.lock");
    let detail = json!({"scope": input.scope, "period": input.period});
    let result = async {
        let p = caller.require(Permission::LockPeriods)?;
        let lock = NewPeriodLock::parse(&input, &state.store.codes().await?, &state.store.centers().await?)?;
        // The lock's ID is known once stored: the store fills it in as the row's target.
        let row = audit
            .draft(None, Some(detail.clone()))
            .completed_by(|e, r: &Recorded<PeriodLock>| {
                let (Recorded::New(l) | Recorded::Existing(l)) = r;
                e.target = Some(l.id.to_string());
            });
        let recorded = state.store.lock_period(&lock, &p.name, row).await?;
        Ok((recorded.is_new(), recorded.into_inner().to_view()))
    }
    .await;
    let (new, view) = audit.write(None, Some(detail), result).await?;
    Ok(if new {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// Unlock a period (prefecture). The lock is kept as history, with who unlocked it and when.
/// On a centre node a lock mirrored from the hub (`hub_lock_id`) is the hub's: only an unlock on
/// the hub releases it (`409 period_lock_from_hub` here).
#[utoipa::path(post, path = "/api/v1/period-locks/{id}/unlock", tag = "activities", security(("bearer" = [])),
    params(("id" = i64, Path, description = "lock ID")),
    responses((status = 200, body = PeriodLockView), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`already_unlocked`, or `period_lock_from_hub` for the hub's lock on a centre node",
               body = Problem, content_type = "application/problem+json")))]
pub async fn unlock(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> ApiResult<web::Json<PeriodLockView>> {
    let audit = CallAudit::by(&state, &caller, "period.unlock");
    let result = async {
        let p = caller.require(Permission::LockPeriods)?;
        let row = audit
            .draft(Some(id.to_string()), None)
            .completed_by(|e, l: &PeriodLock| {
                let v = l.to_view();
                e.set_detail(json!({"scope": v.scope, "period": v.period}));
            });
        Ok(state.store.unlock_period(*id, &p.name, row).await?.to_view())
    }
    .await;
    audit
        .write(Some(id.to_string()), None, result)
        .await
        .map(web::Json)
}
