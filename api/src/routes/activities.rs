//! `/activities` and `/persons/{common_id}/participations`: what the centre did each day and who
//! took part (centre node). Every call that names people is audited.

use crate::domain::stats_change::StatsChange;
use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde_json::json;
use shared::common_id::{CenterCode, CommonId};
use shared::dto::activity::{
    ActivityInput, ActivityList, ActivityView, ParticipationInput, PersonParticipationPage,
};
use shared::error::Problem;
use uuid::Uuid;

use super::audited::CallAudit;
use super::extract::Body;
use super::persons::{own_center, parse_id};
use crate::auth::{Caller, Permission};
use crate::domain::activity::{self, Activity, ActivityQuery, ActivityRecord, Context, Participation};
use crate::domain::clock::today_jst;
use crate::domain::person::Person;
use crate::error::{ApiError, ApiResult};
use crate::startup::AppState;
use crate::store::Recorded;

fn by_id(people: Vec<Person>) -> HashMap<String, Person> {
    people.into_iter().map(|p| (p.common_id.to_string(), p)).collect()
}

/// Loads what the rules need (master data, the centre and its sites, the people named) and
/// turns the request into a record.
async fn parse_activity(
    state: &AppState,
    center: &CenterCode,
    input: &ActivityInput,
) -> ApiResult<ActivityRecord> {
    let codes = state.store.codes().await?;
    let center = state.store.center(center.as_str()).await?;
    let sites = state.store.sites(Some(&center.code)).await?;
    let ids: Vec<CommonId> = input
        .participants
        .iter()
        .filter_map(|p| CommonId::parse(&p.common_id).ok())
        .collect();
    let people = by_id(state.center_store()?.persons_by_ids(&center.code, &ids).await?);
    let ctx = Context {
        codes: &codes,
        today: today_jst(),
        center: &center,
        sites: &sites,
        people: &people,
    };
    Ok(ActivityRecord::parse(input, &ctx)?)
}

/// The activity as shown to staff, with the participants' names.
async fn view(state: &AppState, activity: &Activity) -> ApiResult<ActivityView> {
    let r = &activity.record;
    let ids: Vec<CommonId> = r.participations.iter().map(|p| p.common_id.clone()).collect();
    let people = by_id(state.center_store()?.persons_by_ids(&r.center, &ids).await?);
    Ok(activity.to_view(&people))
}

fn participants(view: &ActivityView) -> Option<serde_json::Value> {
    Some(json!({"participants": view.participants.len()}))
}

/// The row of a write that leaves `Activity`: how many take part, as the view shows.
fn with_participants(e: &mut crate::domain::audit::AuditEntry, a: &Activity) {
    e.set_detail(json!({"participants": a.record.participations.len()}));
}

/// Record an activity with everyone who took part, in one call. The client chooses the `id`
/// (UUID): sending the same activity again returns it unchanged (200) instead of recording it
/// twice; a different activity under an ID already used is refused (409 `activity_id_conflict`).
#[utoipa::path(post, path = "/api/v1/activities", tag = "activities", request_body = ActivityInput,
    security(("bearer" = [])),
    responses((status = 201, description = "recorded", body = ActivityView),
              (status = 200, description = "already recorded with the same content", body = ActivityView),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`activity_id_conflict` or `period_locked`", body = Problem,
               content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    Body(input): Body<ActivityInput>,
) -> ApiResult<HttpResponse> {
    let audit = CallAudit::by(&state, &caller, "activity.create");
    let target = Some(input.id.to_string());
    let result = async {
        let center = own_center(&state, &caller, Permission::WriteActivities)?;
        let record = parse_activity(&state, &center, &input).await?;
        let row = audit
            .draft(target.clone(), None)
            .completed_by(|e, r: &Recorded<Activity>| {
                let (Recorded::New(a) | Recorded::Existing(a)) = r;
                e.set_detail(json!({"participants": a.record.participations.len(), "replayed": !r.is_new()}));
            });
        let recorded = state.center_store()?.create_activity(&record, row).await?;
        state
            .facts_changed(vec![StatsChange::of_date(&record.center, record.date)])
            .await;
        Ok((recorded.is_new(), view(&state, &recorded.into_inner()).await?))
    }
    .await;
    let (new, view) = audit.write(target, None, result).await?;
    let mut res = if new {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(res
        .insert_header(("Location", format!("/api/v1/activities/{}", view.id)))
        .json(view))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `YYYY-MM`: the activities of this month (give this or `date`).
    pub month: Option<String>,
    /// One day's activities.
    pub date: Option<NaiveDate>,
    /// Only this function (`tsudoi`, `houmon`, …).
    pub function: Option<String>,
    /// Only this site.
    pub site: Option<String>,
}

/// A month's (or a day's) activities with their participant counts, and totals by function.
#[utoipa::path(get, path = "/api/v1/activities", tag = "activities", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = ActivityList), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ListQuery>,
) -> ApiResult<web::Json<ActivityList>> {
    let center = own_center(&state, &caller, Permission::ReadActivities)?;
    let q = ActivityQuery::parse(
        query.month.as_deref(),
        query.date,
        query.function.as_deref(),
        query.site.as_deref(),
    )?;
    let items = state.center_store()?.activities(center.as_str(), &q).await?;
    let codes = state.store.codes().await?;
    let list = ActivityList {
        from: q.from,
        to: q.to,
        by_function: activity::totals_by_function(&items, &codes),
        items: items.iter().map(|i| i.to_summary()).collect(),
    };
    // A list that names someone (the sole participant of a visit, say) is a read of their data.
    let named: Vec<&str> = list
        .items
        .iter()
        .filter_map(|i| i.person.as_ref().map(|p| p.common_id.as_str()))
        .collect();
    if !named.is_empty() {
        let target = format!("{}..{}", q.from, q.to);
        let detail = json!({"persons": named});
        CallAudit::by(&state, &caller, "activity.list")
            .read(Some(target), Some(detail), Ok(()))
            .await?;
    }
    Ok(web::Json(list))
}

/// One activity with everyone who took part (names included: centre node only).
#[utoipa::path(get, path = "/api/v1/activities/{id}", tag = "activities", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "activity ID")),
    responses((status = 200, body = ActivityView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<ActivityView>> {
    let result = async {
        let center = own_center(&state, &caller, Permission::ReadActivities)?;
        view(
            &state,
            &state.center_store()?.activity(center.as_str(), *id).await?,
        )
        .await
    }
    .await;
    let detail = result.as_ref().ok().and_then(participants);
    CallAudit::by(&state, &caller, "activity.read")
        .read(Some(id.to_string()), detail, result)
        .await
        .map(web::Json)
}

/// Correct an activity: the body replaces it, participants included. Participations that stay
/// as they were keep the attributes they were recorded with; new or changed ones (all of them
/// when the date changes) take the person's attributes as of the activity date.
#[utoipa::path(put, path = "/api/v1/activities/{id}", tag = "activities", request_body = ActivityInput,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "activity ID")),
    responses((status = 200, body = ActivityView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`period_locked`", body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Body(input): Body<ActivityInput>,
) -> ApiResult<web::Json<ActivityView>> {
    let audit = CallAudit::by(&state, &caller, "activity.update");
    let result = async {
        let center = own_center(&state, &caller, Permission::WriteActivities)?;
        if input.id != *id {
            return Err(ApiError::field("id", "mismatch", "URLの活動IDと一致しません。"));
        }
        let before = state.center_store()?.activity(center.as_str(), *id).await?;
        let mut record = parse_activity(&state, &center, &input).await?;
        record.keep_recorded_snapshots(&before.record);
        let row = audit
            .draft(Some(id.to_string()), None)
            .completed_by(with_participants);
        let updated = state.center_store()?.update_activity(&record, row).await?;
        // The old date may lie in another fiscal year: the whole centre's figures go.
        state
            .facts_changed(vec![StatsChange::Center(record.center.clone())])
            .await;
        view(&state, &updated).await
    }
    .await;
    audit
        .write(Some(id.to_string()), None, result)
        .await
        .map(web::Json)
}

/// Delete an activity and its participations.
#[utoipa::path(delete, path = "/api/v1/activities/{id}", tag = "activities", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "activity ID")),
    responses((status = 204, description = "deleted"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`period_locked`", body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let audit = CallAudit::by(&state, &caller, "activity.delete");
    let result = async {
        let center = own_center(&state, &caller, Permission::WriteActivities)?;
        state
            .center_store()?
            .delete_activity(center.as_str(), *id, audit.draft(Some(id.to_string()), None))
            .await?;
        state
            .facts_changed(vec![StatsChange::Center(center.to_string())])
            .await;
        Ok(())
    }
    .await;
    audit.write(Some(id.to_string()), None, result).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Add one person to an activity, or correct their participation: the detail is replaced and
/// the person's attributes are taken afresh as of the activity date.
#[utoipa::path(put, path = "/api/v1/activities/{id}/participations/{common_id}", tag = "activities",
    request_body = ParticipationInput, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "activity ID"), ("common_id" = String, Path, description = "共通利用者番号")),
    responses((status = 200, body = ActivityView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`period_locked`", body = Problem, content_type = "application/problem+json")))]
pub async fn put_participation(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, String)>,
    Body(input): Body<ParticipationInput>,
) -> ApiResult<web::Json<ActivityView>> {
    let (id, raw) = path.into_inner();
    let audit = CallAudit::by(&state, &caller, "participation.put");
    let target = Some(format!("{id}/{raw}"));
    let result = async {
        let center = own_center(&state, &caller, Permission::WriteActivities)?;
        let activity = state.center_store()?.activity(center.as_str(), id).await?;
        let person = parse_id(&raw)?;
        let people = by_id(
            state
                .center_store()?
                .persons_by_ids(center.as_str(), &[person])
                .await?,
        );
        let codes = state.store.codes().await?;
        let p = Participation::parse_single(&raw, &input, &activity.record, &codes, &people)?;
        let activity = state
            .center_store()?
            .put_participation(center.as_str(), id, &p, audit.draft(target.clone(), None))
            .await?;
        state
            .facts_changed(vec![StatsChange::of_date(center.as_str(), activity.record.date)])
            .await;
        view(&state, &activity).await
    }
    .await;
    audit.write(target, None, result).await.map(web::Json)
}

/// Remove one person from an activity.
#[utoipa::path(delete, path = "/api/v1/activities/{id}/participations/{common_id}", tag = "activities",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "activity ID"), ("common_id" = String, Path, description = "共通利用者番号")),
    responses((status = 200, body = ActivityView), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`period_locked`", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_participation(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, String)>,
) -> ApiResult<web::Json<ActivityView>> {
    let (id, raw) = path.into_inner();
    let audit = CallAudit::by(&state, &caller, "participation.delete");
    let target = Some(format!("{id}/{raw}"));
    let result = async {
        let center = own_center(&state, &caller, Permission::WriteActivities)?;
        let person = parse_id(&raw)?;
        let activity = state
            .center_store()?
            .delete_participation(center.as_str(), id, &person, audit.draft(target.clone(), None))
            .await?;
        state
            .facts_changed(vec![StatsChange::of_date(center.as_str(), activity.record.date)])
            .await;
        view(&state, &activity).await
    }
    .await;
    audit.write(target, None, result).await.map(web::Json)
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Default 0.
    pub offset: Option<u64>,
    /// Default 100, at most 500.
    pub limit: Option<u64>,
}

/// A person's participations at this centre, newest first, with their attributes as recorded.
#[utoipa::path(get, path = "/api/v1/persons/{common_id}/participations", tag = "activities",
    params(("common_id" = String, Path, description = "共通利用者番号"), HistoryQuery), security(("bearer" = [])),
    responses((status = 200, body = PersonParticipationPage), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn person_participations(
    state: web::Data<AppState>,
    caller: Caller,
    raw: web::Path<String>,
    query: web::Query<HistoryQuery>,
) -> ApiResult<web::Json<PersonParticipationPage>> {
    let result = async {
        let center = own_center(&state, &caller, Permission::ReadActivities)?;
        let id = parse_id(&raw)?;
        let limit = query.limit.unwrap_or(100);
        if !(1..=500).contains(&limit) {
            return Err(ApiError::field(
                "limit",
                "out_of_range",
                "limit は1〜500で指定してください。",
            ));
        }
        let offset = query.offset.unwrap_or(0);
        state.center_store()?.person(center.as_str(), &id).await?;
        let (rows, total) = state
            .center_store()?
            .participations_of(center.as_str(), &id, offset, limit)
            .await?;
        Ok(PersonParticipationPage {
            common_id: id.to_string(),
            items: rows.iter().map(|r| r.to_dto()).collect(),
            total,
            offset,
            limit,
        })
    }
    .await;
    let detail = result.as_ref().ok().map(|p| json!({"rows": p.items.len()}));
    CallAudit::by(&state, &caller, "person.participations")
        .read(Some(raw.into_inner()), detail, result)
        .await
        .map(web::Json)
}
