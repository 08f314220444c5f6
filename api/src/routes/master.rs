//! `/master/*` and `/centers`: code lists and the organisation.

use crate::domain::stats_change::StatsChange;
use actix_web::{web, HttpResponse};
use shared::dto::master::{
    CenterInput, CenterView, MasterItem, MunicipalityView, RegionInput, RegionView, SiteInput, SiteView,
};
use shared::error::Problem;

use super::audited::CallAudit;
use super::extract::Body;
use crate::auth::{Caller, Permission};
use crate::domain::codes::list;
use crate::domain::org::{Center, Site};
use crate::domain::region::Region;
use crate::error::{ApiError, ApiResult};
use crate::startup::AppState;
use crate::store::StoreError;

/// The 34 municipalities of Kochi Prefecture.
#[utoipa::path(get, path = "/api/v1/master/municipalities", tag = "master", security(("bearer" = [])),
    responses((status = 200, body = [MunicipalityView]), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn municipalities(
    state: web::Data<AppState>,
    caller: Caller,
) -> ApiResult<web::Json<Vec<MunicipalityView>>> {
    caller.require(Permission::ReadMaster)?;
    let rows = state.store.municipalities().await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|(code, name, kana, sort_order)| MunicipalityView {
                code,
                name,
                kana,
                sort_order,
            })
            .collect(),
    ))
}

/// Centres (拠点).
#[utoipa::path(get, path = "/api/v1/master/centers", tag = "master", security(("bearer" = [])),
    responses((status = 200, body = [CenterView]), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn centers(state: web::Data<AppState>, caller: Caller) -> ApiResult<web::Json<Vec<CenterView>>> {
    caller.require(Permission::ReadMaster)?;
    Ok(web::Json(
        state.store.centers().await?.iter().map(Center::to_view).collect(),
    ))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SitesQuery {
    /// Only the sites of this centre.
    pub center: Option<String>,
}

/// Sites (サテライト).
#[utoipa::path(get, path = "/api/v1/master/sites", tag = "master", params(SitesQuery), security(("bearer" = [])),
    responses((status = 200, body = [SiteView]), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn sites(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<SitesQuery>,
) -> ApiResult<web::Json<Vec<SiteView>>> {
    caller.require(Permission::ReadMaster)?;
    let sites = state.store.sites(query.center.as_deref()).await?;
    Ok(web::Json(sites.iter().map(Site::to_view).collect()))
}

/// A code list: `functions`, `categories`, `groups`, `age_bands`, `care_levels`, `households`,
/// `disability_kinds`, `sex`, `end_reasons`, `referral_destinations`, `visit_purposes`,
/// `consultation_topics`.
#[utoipa::path(get, path = "/api/v1/master/{list}", tag = "master", security(("bearer" = [])),
    params(("list" = String, Path, description = "list name")),
    responses((status = 200, body = [MasterItem]), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn code_list(
    state: web::Data<AppState>,
    caller: Caller,
    name: web::Path<String>,
) -> ApiResult<web::Json<Vec<MasterItem>>> {
    caller.require(Permission::ReadMaster)?;
    if !list::ALL.contains(&name.as_str()) {
        return Err(ApiError::NotFound);
    }
    let items = state.store.code_items(&name).await?;
    Ok(web::Json(
        items
            .into_iter()
            .map(|i| MasterItem {
                code: i.code,
                label: i.label,
                sort_order: i.sort_order,
                valid_from: i.valid_from,
                valid_to: i.valid_to,
            })
            .collect(),
    ))
}

/// Create or update a centre (prefecture).
#[utoipa::path(put, path = "/api/v1/centers/{code}", tag = "master", request_body = CenterInput, security(("bearer" = [])),
    params(("code" = String, Path, description = "centre code, e.g. C001")),
    responses((status = 200, body = CenterView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn put_center(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
    Body(input): Body<CenterInput>,
) -> ApiResult<web::Json<CenterView>> {
    caller.require(Permission::ManageCenters)?;
    let center = Center::parse(&input)?;
    if center.code != code.as_str() {
        return Err(ApiError::field(
            "code",
            "mismatch",
            "URLのセンターコードと一致しません。",
        ));
    }
    if !state.store.codes().await?.is_municipality(&center.municipality) {
        return Err(ApiError::field(
            "municipality",
            "unknown_code",
            "市町村コードが登録されていません。",
        ));
    }
    state.store.upsert_center(&center).await?;
    state.facts_changed(vec![StatsChange::All]).await;
    Ok(web::Json(center.to_view()))
}

/// Create or update a site of a centre (centre manager of that centre, or prefecture).
#[utoipa::path(put, path = "/api/v1/centers/{code}/sites/{site}", tag = "master", request_body = SiteInput,
    security(("bearer" = [])),
    params(("code" = String, Path, description = "centre code"), ("site" = String, Path, description = "site code, e.g. C001-S01")),
    responses((status = 200, body = SiteView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn put_site(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    Body(input): Body<SiteInput>,
) -> ApiResult<HttpResponse> {
    let p = caller.require(Permission::ManageSites)?;
    let (center_code, site_code) = path.into_inner();
    let center = match state.store.center(&center_code).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Err(ApiError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let regions = crate::auth::policy::regions_for(state.store.as_ref(), &p.scope).await?;
    if !p.covers_center(&center, &regions, crate::domain::clock::today_jst()) {
        return Err(ApiError::Forbidden);
    }
    let site = Site::parse(&center.code, &input)?;
    if site.code != site_code.to_ascii_uppercase() {
        return Err(ApiError::field(
            "code",
            "mismatch",
            "URLのサテライトコードと一致しません。",
        ));
    }
    if let Some(existing) = state
        .store
        .sites(None)
        .await?
        .iter()
        .find(|s| s.code == site.code)
    {
        if existing.center != center.code {
            return Err(ApiError::field(
                "code",
                "taken",
                "このコードは別のセンターで使われています。",
            ));
        }
    }
    state.store.upsert_site(&site).await?;
    state.facts_changed(vec![StatsChange::All]).await;
    Ok(HttpResponse::Ok().json(site.to_view()))
}

/// Regions (the prefecture's regional offices, 福祉保健所) with the municipalities each covers
/// and when. Empty on a centre node: regions are kept on the hub.
#[utoipa::path(get, path = "/api/v1/master/regions", tag = "master", security(("bearer" = [])),
    responses((status = 200, body = [RegionView]), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn regions(state: web::Data<AppState>, caller: Caller) -> ApiResult<web::Json<Vec<RegionView>>> {
    caller.require(Permission::ReadMaster)?;
    Ok(web::Json(
        state.store.regions().await?.iter().map(Region::to_view).collect(),
    ))
}

/// Create or replace a region and its municipalities (prefecture, hub). The members are replaced
/// as a whole; each membership runs for whole fiscal years (from an April 1st, to a March 31st
/// or open), and a municipality belongs to at most one region at a time (400 on `members`
/// naming the other region otherwise).
#[utoipa::path(put, path = "/api/v1/regions/{code}", tag = "master", request_body = RegionInput, security(("bearer" = [])),
    params(("code" = String, Path, description = "region code, e.g. aki")),
    responses((status = 200, body = RegionView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json", description = "on a centre node")))]
pub async fn put_region(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
    Body(input): Body<RegionInput>,
) -> ApiResult<web::Json<RegionView>> {
    let audit = CallAudit::by(&state, &caller, "region.put");
    let result = async {
        caller.require(Permission::ManageRegions)?;
        super::sync::hub_only(&state)?;
        let region = Region::parse(&input, &state.store.codes().await?)?;
        if region.code != code.as_str() {
            return Err(ApiError::field(
                "code",
                "mismatch",
                "URLの地域コードと一致しません。",
            ));
        }
        let stored = state.store.regions().await?;
        let clashes = crate::domain::region::clashes(&region, &stored);
        if !clashes.is_empty() {
            return Err(ApiError::Validation(crate::domain::region::clash_errors(
                &clashes,
            )));
        }
        let members: Vec<&str> = region.members.iter().map(|m| m.municipality.as_str()).collect();
        let row = audit.draft(
            Some(region.code.clone()),
            Some(serde_json::json!({"name": region.name, "members": members})),
        );
        Ok(state.store.put_region(&region, row).await?)
    }
    .await;
    let region = audit.write(Some(code.into_inner()), None, result).await?;
    // Which municipalities a region holds changes its figures: every cached answer goes.
    state.facts_changed(vec![StatsChange::All]).await;
    Ok(web::Json(region.to_view()))
}
