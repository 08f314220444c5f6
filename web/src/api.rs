//! The only module that talks HTTP: typed calls to the Attaka REST API (`/api/v1`), sending and
//! receiving `shared` DTOs and turning `application/problem+json` answers into [`ApiError`].
//!
//! Calls made for a signed-in user go through [`send_authed`], which renews the access token
//! shortly before it expires and, if the server still answers 401, renews it once and retries.
//! When the refresh token is refused too, the session ends and the app shows the login page.

use std::cell::RefCell;

use futures::future::{FutureExt, LocalBoxFuture, Shared};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::dto::auth::{
    AccountView, LoginRequest, LogoutRequest, PasswordChange, PasswordReset, RefreshRequest, TokenResponse,
};
use shared::dto::duplicate_hint::{DuplicateHintAnswer, DuplicateHintQuery};
use shared::dto::master::{CenterView, MasterItem, MunicipalityView, SiteView};
use shared::dto::meta::MetaView;
use shared::dto::ops_log::{ChangeView, IncidentView, InquiryView, MaintenanceView, OpsDue};
use shared::dto::ops_report::OpsReport;
use shared::dto::person::{EndRegistration, PersonInput, PersonPage, PersonView};
use shared::dto::stats::StatsResponse;
use shared::dto::sync::SyncStatus;
use shared::error::{Problem, ProblemCode};

use crate::session::Session;

/// Same origin as the SPA: the node serves both.
const API_BASE: &str = "/api/v1";

const UNAUTHORIZED: u16 = 401;

/// Why a call failed, in a form a page can show.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The server refused the request and said why (problem+json). Boxed: a problem is large,
    /// and every call's `Result` carries this type.
    Problem(Box<Problem>),
    /// The server answered with an error status but no readable problem body.
    Status(u16),
    /// The request never got an answer (server down, network cut).
    Network(String),
    /// The answer could not be read as the expected type.
    Decode(String),
    /// No one is signed in (or the session just ended).
    SignedOut,
}

impl ApiError {
    /// Japanese message for the user; for a problem it is the server's `detail`.
    pub fn user_message(&self) -> String {
        match self {
            ApiError::Problem(p) if !p.detail.is_empty() => p.detail.clone(),
            ApiError::Problem(p) => p.title.clone(),
            ApiError::Status(status) => {
                format!("サーバーでエラーが発生しました（HTTP {status}）。しばらくしてからもう一度お試しください。")
            }
            ApiError::Network(_) => {
                "サーバーに接続できませんでした。ネットワークを確認して、もう一度お試しください。".to_owned()
            }
            ApiError::Decode(_) => "サーバーの応答を読み取れませんでした。".to_owned(),
            ApiError::SignedOut => {
                "ログインの有効期限が切れました。もう一度ログインしてください。".to_owned()
            }
        }
    }

    /// The message with every field error spelled out, for places that show no form (a page
    /// whose URL held a malformed common ID, say).
    pub fn full_message(&self) -> String {
        match self.problem() {
            Some(p) if !p.errors.is_empty() => p
                .errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            _ => self.user_message(),
        }
    }

    /// The server's message for one request field (e.g. `username`), if it named that field.
    pub fn field_message(&self, field: &str) -> Option<String> {
        self.problem().and_then(|p| {
            p.errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone())
        })
    }

    /// The problem body, when the server sent one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            ApiError::Problem(p) => Some(p.as_ref()),
            _ => None,
        }
    }

    /// HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Problem(p) => Some(p.status),
            ApiError::Status(s) => Some(*s),
            _ => None,
        }
    }

    /// Stable code of the problem (`validation`, `not_found`, …).
    pub fn code(&self) -> Option<ProblemCode> {
        self.problem().map(|p| p.code)
    }
}

// ---- auth --------------------------------------------------------------------------------

/// `POST /auth/login`.
pub async fn login(request: &LoginRequest) -> Result<TokenResponse, ApiError> {
    let response = send(json_body(Request::post(&url("/auth/login")), request)?).await?;
    read_json(response).await
}

/// `POST /auth/logout`: revokes the session's tokens on the server.
pub async fn logout(session: Session) -> Result<(), ApiError> {
    let Some(tokens) = session.tokens() else {
        return Ok(());
    };
    let body = LogoutRequest {
        refresh_token: tokens.refresh_token,
    };
    let response = send_authed(session, |token| {
        json_body(with_bearer(Request::post(&url("/auth/logout")), token), &body)
    })
    .await?;
    expect_success(response).await
}

/// `POST /auth/password`: changes the caller's password; every session of the account ends and
/// the answer is a new one.
pub async fn change_password(session: Session, change: &PasswordChange) -> Result<TokenResponse, ApiError> {
    let target = url("/auth/password");
    let response = send_authed(session, |token| {
        json_body(with_bearer(Request::post(&target), token), change)
    })
    .await?;
    read_json(response).await
}

/// `GET /accounts`: the accounts the caller administers.
pub async fn accounts(session: Session) -> Result<Vec<AccountView>, ApiError> {
    get_json(session, url("/accounts")).await
}

/// `POST /accounts/{id}/password`: an administrator's reset to a temporary password the account
/// must change at its next login; its sessions end.
pub async fn reset_password(
    session: Session,
    id: i64,
    reset: &PasswordReset,
) -> Result<AccountView, ApiError> {
    let target = url(&format!("/accounts/{id}/password"));
    let response = send_authed(session, |token| {
        json_body(with_bearer(Request::post(&target), token), reset)
    })
    .await?;
    read_json(response).await
}

/// `GET /meta`: the node's role and the caller's role and scope.
pub async fn meta(session: Session) -> Result<MetaView, ApiError> {
    get_json(session, url("/meta")).await
}

// ---- master data -------------------------------------------------------------------------

/// `GET /master/municipalities`.
pub async fn municipalities(session: Session) -> Result<Vec<MunicipalityView>, ApiError> {
    get_json(session, url("/master/municipalities")).await
}

/// `GET /master/regions`: the regional offices and their municipalities (empty on a centre node).
pub async fn regions(session: Session) -> Result<Vec<shared::dto::master::RegionView>, ApiError> {
    get_json(session, url("/master/regions")).await
}

/// `PUT /regions/{code}`: create or replace a region and its municipalities (prefecture, hub).
pub async fn put_region(
    session: Session,
    input: &shared::dto::master::RegionInput,
) -> Result<shared::dto::master::RegionView, ApiError> {
    let target = url(&format!("/regions/{}", encode(&input.code)));
    let response = send_authed(session, |token| {
        json_body(with_bearer(Request::put(&target), token), input)
    })
    .await?;
    read_json(response).await
}

/// `GET /master/centers`.
pub async fn centers(session: Session) -> Result<Vec<CenterView>, ApiError> {
    get_json(session, url("/master/centers")).await
}

/// `GET /master/{list}` for a code list such as `categories` or `end_reasons`.
pub async fn code_list(session: Session, list: &str) -> Result<Vec<MasterItem>, ApiError> {
    get_json(session, url(&format!("/master/{}", encode(list)))).await
}

// ---- people ------------------------------------------------------------------------------

/// Search parameters of `GET /persons`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonQuery {
    /// Common ID, フリガナ (any width or script) or name; the server normalises it.
    pub q: String,
    /// Category code, or empty for all.
    pub category: String,
    pub include_ended: bool,
    pub offset: u64,
    pub limit: u64,
}

/// `GET /persons`.
pub async fn persons(session: Session, query: &PersonQuery) -> Result<PersonPage, ApiError> {
    let mut params = vec![
        ("offset", query.offset.to_string()),
        ("limit", query.limit.to_string()),
    ];
    if !query.q.trim().is_empty() {
        params.push(("q", query.q.trim().to_owned()));
    }
    if !query.category.is_empty() {
        params.push(("category", query.category.clone()));
    }
    if query.include_ended {
        params.push(("include_ended", "true".to_owned()));
    }
    let query_string = params
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    get_json(session, url(&format!("/persons?{query_string}"))).await
}

/// `GET /persons/{common_id}`.
pub async fn person(session: Session, common_id: &str) -> Result<PersonView, ApiError> {
    get_json(session, person_url(common_id, "")).await
}

/// `POST /persons`: registers a person; a new common ID is issued unless the input names one.
pub async fn register_person(session: Session, input: &PersonInput) -> Result<PersonView, ApiError> {
    let target = url("/persons");
    let response = send_authed(session, |token| {
        json_body(with_bearer(Request::post(&target), token), input)
    })
    .await?;
    read_json(response).await
}

/// `POST /persons/duplicate-hints`: whether the person about to be registered may already have
/// a common ID at another centre (the optional duplicate hint; only a keyed hash reaches the hub).
pub async fn duplicate_hints(
    session: Session,
    query: &DuplicateHintQuery,
) -> Result<DuplicateHintAnswer, ApiError> {
    let target = url("/persons/duplicate-hints");
    let response = send_authed(session, |token| {
        json_body(with_bearer(Request::post(&target), token), query)
    })
    .await?;
    read_json(response).await
}

/// `PUT /persons/{common_id}`: replaces a person's record.
pub async fn update_person(
    session: Session,
    common_id: &str,
    input: &PersonInput,
) -> Result<PersonView, ApiError> {
    let target = person_url(common_id, "");
    let response = send_authed(session, |token| {
        json_body(with_bearer(Request::put(&target), token), input)
    })
    .await?;
    read_json(response).await
}

/// `POST /persons/{common_id}/end`: ends a registration.
pub async fn end_registration(
    session: Session,
    common_id: &str,
    input: &EndRegistration,
) -> Result<PersonView, ApiError> {
    let target = person_url(common_id, "/end");
    let response = send_authed(session, |token| {
        json_body(with_bearer(Request::post(&target), token), input)
    })
    .await?;
    read_json(response).await
}

// ---- figures ----------------------------------------------------------------------------

/// What to ask `GET /stats` for. The figures page keeps the same parameters in its own URL.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatsQuery {
    /// Measure codes (`participations`, `unique_persons`, …), at least one.
    pub measures: Vec<String>,
    /// Dimension codes to break down by, in order; empty for one total row.
    pub rows: Vec<String>,
    /// `FY2024`, `FY2024Q1` or `2024-04`; empty when `from` and `to` are given.
    pub period: String,
    pub from: String,
    pub to: String,
    /// `(dimension, codes)`: each becomes one `filter=dimension:code;code`.
    pub filters: Vec<(String, Vec<String>)>,
}

impl StatsQuery {
    /// The query's parameters (without `format`, `labels`, `totals`), unencoded.
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if !self.measures.is_empty() {
            pairs.push(("measures", self.measures.join(",")));
        }
        if !self.rows.is_empty() {
            pairs.push(("rows", self.rows.join(",")));
        }
        if !self.period.is_empty() {
            pairs.push(("period", self.period.clone()));
        } else {
            pairs.push(("from", self.from.clone()));
            pairs.push(("to", self.to.clone()));
        }
        for (dimension, codes) in &self.filters {
            if !codes.is_empty() {
                pairs.push(("filter", format!("{dimension}:{}", codes.join(";"))));
            }
        }
        pairs
    }

    fn url(&self, extra: &[(&'static str, &str)]) -> String {
        let mut pairs = self.query_pairs();
        pairs.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let query_string = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        url(&format!("/stats?{query_string}"))
    }
}

/// `GET /stats` as JSON with Japanese labels beside the codes and the server's grand total.
pub async fn stats(session: Session, query: &StatsQuery) -> Result<StatsResponse, ApiError> {
    get_json(session, query.url(&[("totals", "true"), ("labels", "ja")])).await
}

/// What a download is: an Excel workbook, or CSV in `encoding` (`utf-8-bom` or `cp932`), with
/// or without the header block (表題・範囲・期間…) above the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileFormat {
    Xlsx,
    Csv { encoding: String, header_block: bool },
}

impl FileFormat {
    /// The query parameters that ask for this format.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            FileFormat::Xlsx => vec![("format", "xlsx".to_owned())],
            FileFormat::Csv {
                encoding,
                header_block,
            } => vec![
                ("format", "csv".to_owned()),
                ("encoding", encoding.clone()),
                ("header_block", header_block.to_string()),
            ],
        }
    }

    /// The media type to save the bytes as.
    pub fn mime(&self) -> &'static str {
        match self {
            FileFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileFormat::Csv { encoding, .. } if encoding == "cp932" => "text/csv;charset=shift_jis",
            FileFormat::Csv { .. } => "text/csv;charset=utf-8",
        }
    }

    pub fn extension(&self) -> &'static str {
        match self {
            FileFormat::Xlsx => "xlsx",
            FileFormat::Csv { .. } => "csv",
        }
    }
}

/// A downloaded file: its bytes and the name the server gives it (`Content-Disposition`).
pub struct DownloadedFile {
    pub bytes: Vec<u8>,
    pub name: Option<String>,
}

/// `GET` a file (CSV or workbook) at `target` (a full `/api/v1/…?…` URL). The bearer token
/// goes in the header, never in a URL the browser could keep.
pub async fn fetch_file(session: Session, target: String) -> Result<DownloadedFile, ApiError> {
    let response = send_authed(session, |token| {
        with_bearer(Request::get(&target), token)
            .header(
                "Accept",
                "text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, application/problem+json",
            )
            .build()
            .map_err(|e| ApiError::Decode(e.to_string()))
    })
    .await?;
    if !response.ok() {
        return Err(error_from(response).await);
    }
    let name = response
        .headers()
        .get("content-disposition")
        .and_then(|v| shared::file_name::from_content_disposition(&v));
    let bytes = response
        .binary()
        .await
        .map_err(|e| ApiError::Decode(e.to_string()))?;
    Ok(DownloadedFile { bytes, name })
}

/// The URL of the figures `query` as a file in `format` (with the server's totals line and
/// Japanese labels, as on screen).
pub fn stats_file_url(query: &StatsQuery, format: &FileFormat) -> String {
    let params = format.params();
    let mut extra: Vec<(&'static str, &str)> = vec![("totals", "true"), ("labels", "ja")];
    extra.extend(params.iter().map(|(k, v)| (*k, v.as_str())));
    query.url(&extra)
}

/// The URL of the de-identified records of `kind` (`participations`, `activities`,
/// `persons`) over `period` (`FY2024`, `2024-04`) or `from`..`to`, as a file in `format`.
pub fn extract_file_url(kind: &str, period: &[(&'static str, String)], format: &FileFormat) -> String {
    let mut pairs: Vec<(&'static str, String)> = period.to_vec();
    pairs.push(("labels", "ja".to_owned()));
    pairs.extend(format.params());
    let query = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    url(&format!("/extracts/{}?{query}", encode(kind)))
}

/// `GET /master/sites`: the サテライト of every centre.
pub async fn master_sites(session: Session) -> Result<Vec<SiteView>, ApiError> {
    get_json(session, url("/master/sites")).await
}

// ---- activities --------------------------------------------------------------------------

use shared::dto::activity as activity_dto;

/// `GET /activities?month=YYYY-MM[&function=]`: a month's activities with totals by function.
pub async fn activities_in_month(
    session: Session,
    month: &str,
    function: Option<&str>,
) -> Result<activity_dto::ActivityList, ApiError> {
    let mut target = format!("/activities?month={}", encode(month));
    if let Some(function) = function.filter(|f| !f.is_empty()) {
        target.push_str(&format!("&function={}", encode(function)));
    }
    get_json(session, url(&target)).await
}

/// `GET /activities?date=YYYY-MM-DD`: one day's activities.
pub async fn activities_on(
    session: Session,
    date: chrono::NaiveDate,
) -> Result<activity_dto::ActivityList, ApiError> {
    get_json(
        session,
        url(&format!("/activities?date={}", date.format("%Y-%m-%d"))),
    )
    .await
}

/// `GET /activities/{id}`: an activity with everyone who took part.
pub async fn activity(session: Session, id: &str) -> Result<activity_dto::ActivityView, ApiError> {
    get_json(session, activity_url(id)).await
}

/// `POST /activities`: records an activity; `true` when it is new, `false` when the same
/// activity (same client-chosen ID and content) had already been recorded.
pub async fn record_activity(
    session: Session,
    input: &activity_dto::ActivityInput,
) -> Result<(activity_dto::ActivityView, bool), ApiError> {
    let target = url("/activities");
    let response = send_authed(session, |token| {
        json_body(with_bearer(Request::post(&target), token), input)
    })
    .await?;
    let created = response.status() == 201;
    Ok((read_json(response).await?, created))
}

/// `PUT /activities/{id}`: replaces an activity, participants included.
pub async fn replace_activity(
    session: Session,
    input: &activity_dto::ActivityInput,
) -> Result<activity_dto::ActivityView, ApiError> {
    let target = activity_url(&input.id.to_string());
    let response = send_authed(session, |token| {
        json_body(with_bearer(Request::put(&target), token), input)
    })
    .await?;
    read_json(response).await
}

/// `DELETE /activities/{id}`.
pub async fn delete_activity(session: Session, id: &str) -> Result<(), ApiError> {
    let target = activity_url(id);
    let response = send_authed(session, |token| {
        accept(with_bearer(Request::delete(&target), token))
            .build()
            .map_err(|e| ApiError::Decode(e.to_string()))
    })
    .await?;
    expect_success(response).await
}

/// `GET /persons/{common_id}/participations`: a person's participations, newest first.
pub async fn person_participations(
    session: Session,
    common_id: &str,
    offset: u64,
    limit: u64,
) -> Result<activity_dto::PersonParticipationPage, ApiError> {
    let target = person_url(
        common_id,
        &format!("/participations?offset={offset}&limit={limit}"),
    );
    get_json(session, target).await
}

/// `GET /period-locks`: the locks in force.
pub async fn period_locks(session: Session) -> Result<Vec<activity_dto::PeriodLockView>, ApiError> {
    get_json(session, url("/period-locks")).await
}

/// `GET /period-locks?include_unlocked=true`: every lock, unlocked ones included (the history).
pub async fn period_locks_with_history(
    session: Session,
) -> Result<Vec<activity_dto::PeriodLockView>, ApiError> {
    get_json(session, url("/period-locks?include_unlocked=true")).await
}

/// `POST /period-locks`: locks a month or a 年度; `true` when new, `false` when that period was
/// already locked for that scope (the existing lock comes back).
pub async fn lock_period(
    session: Session,
    input: &activity_dto::PeriodLockInput,
) -> Result<(activity_dto::PeriodLockView, bool), ApiError> {
    let target = url("/period-locks");
    let response = send_authed(session, |token| {
        json_body(with_bearer(Request::post(&target), token), input)
    })
    .await?;
    let created = response.status() == 201;
    Ok((read_json(response).await?, created))
}

/// `POST /period-locks/{id}/unlock`.
pub async fn unlock_period(session: Session, id: i64) -> Result<activity_dto::PeriodLockView, ApiError> {
    let target = url(&format!("/period-locks/{id}/unlock"));
    let response = send_authed(session, |token| {
        accept(with_bearer(Request::post(&target), token))
            .build()
            .map_err(|e| ApiError::Decode(e.to_string()))
    })
    .await?;
    read_json(response).await
}

/// `GET /master/sites`: every centre's サテライト (the activity screens pick their own).
pub async fn activity_sites(session: Session) -> Result<Vec<shared::dto::master::SiteView>, ApiError> {
    get_json(session, url("/master/sites")).await
}

fn activity_url(id: &str) -> String {
    url(&format!("/activities/{}", encode(id)))
}

// ---- synchronisation ---------------------------------------------------------------------

/// `GET /sync/status`: a centre's delivery to the hub, or the centres the hub has heard from.
pub async fn sync_status(session: Session) -> Result<SyncStatus, ApiError> {
    get_json(session, url("/sync/status")).await
}

// ---- the operations log and the contract's reports ---------------------------------------

/// `GET /ops/due`: open items whose service-level clock runs, and maintenance to come.
pub async fn ops_due(session: Session) -> Result<OpsDue, ApiError> {
    get_json(session, url("/ops/due")).await
}

fn period_query(period: Option<&str>) -> String {
    period.map_or_else(String::new, |p| format!("?period={}", encode(p)))
}

/// `GET /ops/inquiries[?period=…]`.
pub async fn ops_inquiries(session: Session, period: Option<&str>) -> Result<Vec<InquiryView>, ApiError> {
    get_json(session, url(&format!("/ops/inquiries{}", period_query(period)))).await
}

/// `GET /ops/incidents[?period=…]`.
pub async fn ops_incidents(session: Session, period: Option<&str>) -> Result<Vec<IncidentView>, ApiError> {
    get_json(session, url(&format!("/ops/incidents{}", period_query(period)))).await
}

/// `GET /ops/changes[?period=…]`.
pub async fn ops_changes(session: Session, period: Option<&str>) -> Result<Vec<ChangeView>, ApiError> {
    get_json(session, url(&format!("/ops/changes{}", period_query(period)))).await
}

/// `GET /ops/maintenance[?period=…]`.
pub async fn ops_maintenance(
    session: Session,
    period: Option<&str>,
) -> Result<Vec<MaintenanceView>, ApiError> {
    get_json(session, url(&format!("/ops/maintenance{}", period_query(period)))).await
}

/// `POST` (no `id`) or `PUT` (with `id`) of an operations-log record under `/ops/{kind}`.
pub async fn ops_save<B: Serialize, T: DeserializeOwned>(
    session: Session,
    kind: &str,
    id: Option<i64>,
    body: &B,
) -> Result<T, ApiError> {
    let target = match id {
        Some(id) => url(&format!("/ops/{kind}/{id}")),
        None => url(&format!("/ops/{kind}")),
    };
    let response = send_authed(session, |token| {
        let builder = match id {
            Some(_) => Request::put(&target),
            None => Request::post(&target),
        };
        json_body(with_bearer(builder, token), body)
    })
    .await?;
    read_json(response).await
}

/// `POST /ops/maintenance/{id}/cancel`.
pub async fn cancel_maintenance(session: Session, id: i64) -> Result<MaintenanceView, ApiError> {
    let target = url(&format!("/ops/maintenance/{id}/cancel"));
    let response = send_authed(session, |token| {
        accept(with_bearer(Request::post(&target), token))
            .build()
            .map_err(|e| ApiError::Decode(e.to_string()))
    })
    .await?;
    read_json(response).await
}

/// The query of a report: a month or 年度, or one incident.
fn report_url(kind: &str, period: &str, incident: Option<i64>, csv: bool) -> String {
    let mut query = match incident {
        Some(id) => format!("incident={id}"),
        None => format!("period={}", encode(period)),
    };
    if csv {
        query.push_str("&format=csv");
    }
    url(&format!("/ops/reports/{kind}?{query}"))
}

/// `GET /ops/reports/{kind}`: the report as the server computed it.
pub async fn ops_report(
    session: Session,
    kind: &str,
    period: &str,
    incident: Option<i64>,
) -> Result<OpsReport, ApiError> {
    get_json(session, report_url(kind, period, incident, false)).await
}

/// `GET /ops/reports/{kind}?format=csv`: the same report as a CSV file for Excel.
pub async fn ops_report_csv(
    session: Session,
    kind: &str,
    period: &str,
    incident: Option<i64>,
) -> Result<Vec<u8>, ApiError> {
    let target = report_url(kind, period, incident, true);
    let response = send_authed(session, |token| {
        with_bearer(Request::get(&target), token)
            .header("Accept", "text/csv, application/problem+json")
            .build()
            .map_err(|e| ApiError::Decode(e.to_string()))
    })
    .await?;
    if !response.ok() {
        return Err(error_from(response).await);
    }
    response
        .binary()
        .await
        .map_err(|e| ApiError::Decode(e.to_string()))
}

// ---- plumbing ----------------------------------------------------------------------------

fn url(path: &str) -> String {
    format!("{API_BASE}{path}")
}

fn person_url(common_id: &str, suffix: &str) -> String {
    url(&format!("/persons/{}{suffix}", encode(common_id)))
}

fn encode(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}

fn with_bearer(builder: RequestBuilder, access_token: &str) -> RequestBuilder {
    builder.header("Authorization", &format!("Bearer {access_token}"))
}

fn accept(builder: RequestBuilder) -> RequestBuilder {
    builder.header("Accept", "application/json, application/problem+json")
}

fn json_body<B: Serialize + ?Sized>(builder: RequestBuilder, body: &B) -> Result<Request, ApiError> {
    accept(builder)
        .json(body)
        .map_err(|e| ApiError::Decode(e.to_string()))
}

async fn send(request: Request) -> Result<Response, ApiError> {
    request.send().await.map_err(|e| ApiError::Network(e.to_string()))
}

async fn get_json<T: DeserializeOwned>(session: Session, target: String) -> Result<T, ApiError> {
    let response = send_authed(session, |token| {
        accept(with_bearer(Request::get(&target), token))
            .build()
            .map_err(|e| ApiError::Decode(e.to_string()))
    })
    .await?;
    read_json(response).await
}

/// Sends a request built by `build` (given the access token) for the signed-in user, renewing
/// the token before expiry and once more on a 401.
async fn send_authed(
    session: Session,
    build: impl Fn(&str) -> Result<Request, ApiError>,
) -> Result<Response, ApiError> {
    let tokens = session.tokens().ok_or(ApiError::SignedOut)?;
    let token = if tokens.expiring() {
        refresh(session).await?
    } else {
        tokens.access_token
    };
    let response = send(build(&token)?).await?;
    if response.status() != UNAUTHORIZED {
        return Ok(response);
    }
    // Another call may have renewed the tokens while this one was on the way; use theirs
    // instead of spending the refresh token again.
    let current = session.tokens().ok_or(ApiError::SignedOut)?;
    let retry_token = if current.access_token != token {
        current.access_token
    } else {
        refresh(session).await?
    };
    let response = send(build(&retry_token)?).await?;
    if response.status() == UNAUTHORIZED {
        let error = error_from(response).await;
        session.expire(ApiError::SignedOut.user_message());
        return Err(error);
    }
    Ok(response)
}

type RefreshFuture = Shared<LocalBoxFuture<'static, Result<String, ApiError>>>;

thread_local! {
    /// The refresh in progress, if any. Refresh tokens are single-use and the server ends the
    /// whole session when one is used twice, so concurrent calls must share one refresh.
    static REFRESHING: RefCell<Option<RefreshFuture>> = const { RefCell::new(None) };
}

/// Renews the tokens (at most one request in flight) and returns the new access token.
async fn refresh(session: Session) -> Result<String, ApiError> {
    let shared = REFRESHING.with(|slot| {
        let mut slot = slot.borrow_mut();
        if let Some(running) = slot.as_ref() {
            return running.clone();
        }
        let running = async move {
            let result = refresh_now(session).await;
            REFRESHING.with(|slot| slot.borrow_mut().take());
            result
        }
        .boxed_local()
        .shared();
        *slot = Some(running.clone());
        running
    });
    shared.await
}

async fn refresh_now(session: Session) -> Result<String, ApiError> {
    let tokens = session.tokens().ok_or(ApiError::SignedOut)?;
    let body = RefreshRequest {
        refresh_token: tokens.refresh_token,
    };
    let response = send(json_body(Request::post(&url("/auth/refresh")), &body)?).await?;
    match read_json::<TokenResponse>(response).await {
        Ok(renewed) => {
            let access_token = renewed.access_token.clone();
            session.replace_tokens(renewed);
            Ok(access_token)
        }
        Err(err) if err.status() == Some(UNAUTHORIZED) => {
            // Expired, revoked or already used: this session is over. Sign in again over the
            // page (the form and its input stay), then carry on with the new token.
            if crate::reauth::wait(session).await {
                session
                    .tokens()
                    .map(|t| t.access_token)
                    .ok_or(ApiError::SignedOut)
            } else {
                Err(ApiError::SignedOut)
            }
        }
        // Network trouble: keep the session, the next call tries again.
        Err(err) => Err(err),
    }
}

async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    if !response.ok() {
        return Err(error_from(response).await);
    }
    response
        .json::<T>()
        .await
        .map_err(|e| ApiError::Decode(e.to_string()))
}

async fn expect_success(response: Response) -> Result<(), ApiError> {
    if response.ok() {
        Ok(())
    } else {
        Err(error_from(response).await)
    }
}

async fn error_from(response: Response) -> ApiError {
    let status = response.status();
    match response.json::<Problem>().await {
        Ok(problem) => ApiError::Problem(Box::new(problem)),
        Err(_) => ApiError::Status(status),
    }
}
