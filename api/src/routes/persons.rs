//! `/persons`: the people registry of a centre node. Every call is audited.

use crate::domain::stats_change::StatsChange;
use actix_web::{web, HttpResponse};
use shared::common_id::{CenterCode, CommonId};
use shared::dto::person::{EndRegistration, PersonInput, PersonPage, PersonView};
use shared::error::Problem;

use super::audited::CallAudit;
use super::extract::Body;
use crate::auth::{Caller, Permission};
use crate::domain::clock::today_jst;
use crate::domain::person::{Ending, Person, PersonQuery, PersonRecord};
use crate::error::{ApiError, ApiResult};
use crate::startup::AppState;

/// The centre whose people the caller may see on this node: the node's own centre, and only
/// for an account scoped to it.
pub(crate) fn own_center(state: &AppState, caller: &Caller, permission: Permission) -> ApiResult<CenterCode> {
    let p = caller.require(permission)?;
    let center = state.node_center.clone().ok_or(ApiError::NotFound)?;
    match p.scope.code() {
        Some(code) if p.scope.level() == "center" && code == center.as_str() => Ok(center),
        _ => Err(ApiError::Forbidden),
    }
}

pub(crate) fn parse_id(raw: &str) -> ApiResult<CommonId> {
    CommonId::parse(raw).map_err(|e| ApiError::field("common_id", e.code(), e.to_string()))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// A common ID, フリガナ (hiragana, katakana or half-width) or a name; partial matches.
    pub q: Option<String>,
    /// Only people in this category.
    pub category: Option<String>,
    /// Include people whose registration has ended (default false).
    pub include_ended: Option<bool>,
    /// Default 0.
    pub offset: Option<u64>,
    /// Default 50, at most 200.
    pub limit: Option<u64>,
}

/// List and search the people registered at this centre.
#[utoipa::path(get, path = "/api/v1/persons", tag = "persons", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = PersonPage), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ListQuery>,
) -> ApiResult<web::Json<PersonPage>> {
    let result = async {
        let center = own_center(&state, &caller, Permission::ReadPersons)?;
        let limit = query.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(ApiError::field(
                "limit",
                "out_of_range",
                "limit は1〜200で指定してください。",
            ));
        }
        let q = PersonQuery {
            q: query.q.clone(),
            category: query.category.clone(),
            include_ended: query.include_ended.unwrap_or(false),
            offset: query.offset.unwrap_or(0),
            limit,
        };
        let (people, total) = state.center_store()?.persons(center.as_str(), &q).await?;
        let today = today_jst();
        Ok(PersonPage {
            items: people.iter().map(|p| p.to_summary(today)).collect(),
            total,
            offset: q.offset,
            limit,
        })
    }
    .await;
    let detail = result
        .as_ref()
        .ok()
        .map(|p| serde_json::json!({"rows": p.items.len(), "search": query.q.is_some()}));
    CallAudit::by(&state, &caller, "person.list")
        .read(None, detail, result)
        .await
        .map(web::Json)
}

/// Register a person at this centre. A new common ID is issued unless `common_id` gives the
/// one they already have from another centre.
#[utoipa::path(post, path = "/api/v1/persons", tag = "persons", request_body = PersonInput, security(("bearer" = [])),
    responses((status = 201, body = PersonView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn register(
    state: web::Data<AppState>,
    caller: Caller,
    Body(input): Body<PersonInput>,
) -> ApiResult<HttpResponse> {
    let audit = CallAudit::by(&state, &caller, "person.register");
    let result = async {
        let center = own_center(&state, &caller, Permission::WritePersons)?;
        let existing = match input
            .common_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => Some(parse_id(raw)?),
            None => None,
        };
        let today = today_jst();
        let record = PersonRecord::parse(&input, &state.store.codes().await?, today)?;
        // The common ID is known once issued: the store fills it in as the row's target.
        let row = audit
            .draft(None, None)
            .completed_by(|e, p: &Person| e.target = Some(p.common_id.to_string()));
        let person = state
            .center_store()?
            .register_person(&center, existing.as_ref(), &record, row)
            .await?;
        state
            .facts_changed(vec![StatsChange::Center(center.to_string())])
            .await;
        Ok(person.to_view(today))
    }
    .await;
    let view = audit.write(None, None, result).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/persons/{}", view.common_id)))
        .json(view))
}

/// The dates of a person's first and last participation at the centre, if any: a registration
/// must cover them all.
async fn participation_span(
    state: &AppState,
    center: &str,
    id: &CommonId,
) -> ApiResult<Option<(chrono::NaiveDate, chrono::NaiveDate)>> {
    let (newest, total) = state.center_store()?.participations_of(center, id, 0, 1).await?;
    let Some(last) = newest.first().map(|r| r.date) else {
        return Ok(None);
    };
    let (oldest, _) = state
        .center_store()?
        .participations_of(center, id, total.saturating_sub(1), 1)
        .await?;
    Ok(Some((oldest.first().map_or(last, |r| r.date), last)))
}

async fn load(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    permission: Permission,
) -> ApiResult<(CenterCode, Person)> {
    let center = own_center(state, caller, permission)?;
    let id = parse_id(raw)?;
    let person = state.center_store()?.person(center.as_str(), &id).await?;
    Ok((center, person))
}

/// One person, with identity.
#[utoipa::path(get, path = "/api/v1/persons/{common_id}", tag = "persons", security(("bearer" = [])),
    params(("common_id" = String, Path, description = "共通利用者番号, e.g. C001-000001-3")),
    responses((status = 200, body = PersonView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<PersonView>> {
    let result = load(&state, &caller, &id, Permission::ReadPersons)
        .await
        .map(|(_, p)| p.to_view(today_jst()));
    CallAudit::by(&state, &caller, "person.read")
        .read(Some(id.into_inner()), None, result)
        .await
        .map(web::Json)
}

/// Replace a person's record. Past participations keep the attributes they were recorded with.
#[utoipa::path(put, path = "/api/v1/persons/{common_id}", tag = "persons", request_body = PersonInput,
    security(("bearer" = [])), params(("common_id" = String, Path, description = "共通利用者番号")),
    responses((status = 200, body = PersonView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    Body(input): Body<PersonInput>,
) -> ApiResult<web::Json<PersonView>> {
    let audit = CallAudit::by(&state, &caller, "person.update");
    let result = async {
        let (center, person) = load(&state, &caller, &id, Permission::WritePersons).await?;
        let today = today_jst();
        let record = PersonRecord::parse(&input, &state.store.codes().await?, today)?;
        if person.ended_on.is_some_and(|e| e < record.facts.registered_on) {
            return Err(ApiError::field(
                "registered_on",
                "after_end",
                "登録日が終了日より後です。",
            ));
        }
        if let Some((first, _)) = participation_span(&state, center.as_str(), &person.common_id).await? {
            if record.facts.registered_on > first {
                return Err(ApiError::field(
                    "registered_on",
                    "participations_before_registration",
                    format!("登録日より前の参加記録があります（{first}）。"),
                ));
            }
        }
        let updated = state
            .center_store()?
            .update_person(
                center.as_str(),
                &person.common_id,
                &record,
                audit.draft(Some(id.to_string()), None),
            )
            .await?;
        state
            .facts_changed(vec![StatsChange::Center(center.to_string())])
            .await;
        Ok(updated.to_view(today))
    }
    .await;
    audit
        .write(Some(id.into_inner()), None, result)
        .await
        .map(web::Json)
}

/// End a registration (転居, 死亡, …). The record and its history are kept.
#[utoipa::path(post, path = "/api/v1/persons/{common_id}/end", tag = "persons", request_body = EndRegistration,
    security(("bearer" = [])), params(("common_id" = String, Path, description = "共通利用者番号")),
    responses((status = 200, body = PersonView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn end(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    Body(input): Body<EndRegistration>,
) -> ApiResult<web::Json<PersonView>> {
    let audit = CallAudit::by(&state, &caller, "person.end");
    let result = async {
        let (center, person) = load(&state, &caller, &id, Permission::WritePersons).await?;
        let today = today_jst();
        let ending = Ending::parse(
            &input,
            person.facts.registered_on,
            &state.store.codes().await?,
            today,
        )?;
        if let Some((_, last)) = participation_span(&state, center.as_str(), &person.common_id).await? {
            if last > ending.ended_on {
                return Err(ApiError::field(
                    "ended_on",
                    "participations_after_end",
                    format!("終了日より後の参加記録があります（{last}）。"),
                ));
            }
        }
        let ended = state
            .center_store()?
            .end_person(
                center.as_str(),
                &person.common_id,
                &ending,
                audit.draft(Some(id.to_string()), None),
            )
            .await?;
        state
            .facts_changed(vec![StatsChange::Center(center.to_string())])
            .await;
        Ok(ended.to_view(today))
    }
    .await;
    audit
        .write(Some(id.into_inner()), None, result)
        .await
        .map(web::Json)
}
