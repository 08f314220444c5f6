//! `GET /api/v1/stats`: figures for the caller's scope, as JSON or CSV (api.md).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use shared::dto::stats::{StatsMeta, StatsResponse};
use shared::error::{FieldError, Problem, ProblemCode};

use std::sync::Arc;

use shared::dto::auth::Scope;

use crate::auth::{Caller, Permission};
use crate::domain::account::Principal;
use crate::domain::clock;
use crate::error::{ApiError, ApiResult};
use crate::ops::audit::{self, Event};
use crate::startup::AppState;
use crate::stats::budget::{self, OrgSizes, OverBudget};
use crate::stats::cache::{Answer, Dependency, Key, Refused, Served};
use crate::stats::engine::{self, KnownCodes, Planned};
use crate::stats::table::Labeler;
use crate::stats::{csv_out, params, Format, StatsQuery};

/// Labels and known codes for checking and rendering.
pub async fn labeler(state: &AppState) -> ApiResult<(Labeler, KnownCodes)> {
    let store = state.store.as_ref();
    let codes = store.codes().await?;
    let municipalities = store
        .municipalities()
        .await?
        .into_iter()
        .map(|(c, n, _, _)| (c, n));
    let centers = store.centers().await?;
    let sites = store.sites(None).await?;
    let known = KnownCodes {
        centers: centers.iter().map(|c| c.code.clone()).collect(),
        sites: sites.iter().map(|s| s.code.clone()).collect(),
    };
    let labeler = Labeler::new(
        codes,
        municipalities,
        centers.into_iter().map(|c| (c.code, c.name)),
        sites.into_iter().map(|s| (s.code, s.name)),
    );
    Ok((labeler, known))
}

/// Characters CP932 cannot hold, as a 422 naming each one's place.
pub fn unencodable(lost: Vec<csv_out::Unmappable>) -> ApiError {
    ApiError::Unencodable(
        lost.into_iter()
            .map(|u| {
                // Line 0: found before writing, in what the column could hold on any line.
                let (field, place) = match u.line {
                    0 => (u.column.clone(), format!("{}列", u.column)),
                    n => (format!("line {n} / {}", u.column), format!("{n}行目・{}列", u.column)),
                };
                FieldError::new(
                    field,
                    "unmappable",
                    format!(
                        "「{}」(U+{:04X}) は Shift_JIS (CP932) で表せません（{place}）。encoding=utf-8-bom を使うか on_unmappable=replace を指定してください。",
                        u.character, u.character as u32
                    ),
                )
            })
            .collect(),
    )
}

/// A request over the cost limits, naming the limit's setting.
fn over_budget(over: OverBudget) -> ApiError {
    match over {
        OverBudget::Dimensions { asked, max } => ApiError::OverLimit {
            status: 422,
            code: ProblemCode::TooManyDimensions,
            limit: "stats.max_row_dimensions",
            detail: format!(
                "行の分類（rows）は{max}個までです（指定: {asked}個）。分類を減らすか、分けて集計してください。"
            ),
        },
        OverBudget::Cells { estimated, max } => ApiError::OverLimit {
            status: 413,
            code: ProblemCode::ResultTooLarge,
            limit: "stats.max_cells",
            detail: format!(
                "この集計は最大{estimated}セルになり、上限の{max}セルを超えます。期間を短くするか、分類を減らすか、絞り込み（filter）を加えてください。"
            ),
        },
    }
}

/// The time budget spent: the SQL is interrupted and the caller told which limit it hit.
pub fn over_time(limit: &'static str, ms: u64) -> ApiError {
    ApiError::OverLimit {
        status: 422,
        code: ProblemCode::TimeBudgetExceeded,
        limit,
        detail: format!(
            "集計が制限時間（{ms}ミリ秒）内に終わりませんでした。期間を短くするか、分類を減らしてください。"
        ),
    }
}

/// How the figures were found: `hit` (stored), `shared` (an identical request's computation),
/// `miss` (computed for this request) or `none` (nothing to compute).
pub const CACHE_HEADER: &str = "x-attaka-cache";

/// The store's answer to `q` for the caller: from the cache, or computed on the bounded pool
/// within the time budget (decision 0029).
pub async fn cached(
    state: &AppState,
    p: &Principal,
    q: StatsQuery,
    totals: bool,
) -> ApiResult<(Arc<Answer>, Served)> {
    let scope = match &p.scope {
        Scope::Prefecture => String::new(),
        Scope::Municipality(m) => format!("municipality:{m}"),
        Scope::Center(c) => format!("center:{c}"),
    };
    let key = Key::new(p.role.as_str(), &scope, &q, totals);
    let dep = Dependency::of(&q);
    let limits = &state.settings.stats;
    let budget_time = std::time::Duration::from_millis(limits.timeout_ms);
    let compute = || async move {
        let work = async {
            let rows = state.store.stats(&q).await?;
            let totals = if totals {
                let columns = q.measures.len();
                let all = StatsQuery {
                    dims: Vec::new(),
                    ..q
                };
                let t = state.store.stats(&all).await?;
                Some(
                    t.into_iter()
                        .next()
                        .map(|(_, v)| v)
                        .unwrap_or_else(|| vec![0; columns]),
                )
            } else {
                None
            };
            Ok::<_, ApiError>(Answer { rows, totals })
        };
        tokio::time::timeout(budget_time, work)
            .await
            .map_err(|_| over_time("stats.timeout_ms", limits.timeout_ms))?
    };
    state
        .stats_cache
        .get_or_compute(key, dep, compute)
        .await
        .map_err(|e| match e {
            Refused::Busy { retry_after_secs } => ApiError::Busy { retry_after_secs },
            Refused::Failed(e) => e,
        })
}

/// Figures: measures by dimensions over a period, within the caller's scope.
///
/// Query parameters as in the API contract: `measures`, `rows`, `period` or `from`/`to`,
/// repeatable `filter=dimension:code;code`, `totals`, `format=json|csv`,
/// `encoding=utf-8-bom|utf-8|cp932`, `labels=ja|code`, `on_unmappable=error|replace`.
///
/// Cost limits (configuration `[stats]`, checked before any SQL runs, answered as problem+json
/// naming the setting in `errors[0].field`): at most `max_row_dimensions` row dimensions (422
/// `too_many_dimensions`, default 4); at most `max_cells` cells, estimated as the product of
/// each row dimension's possible values and the measures (413 `result_too_large`, default
/// 200,000); at most `timeout_ms` of work (422 `time_budget_exceeded`, default 30 s; the SQL
/// is interrupted).
#[utoipa::path(get, path = "/api/v1/stats", tag = "stats", security(("bearer" = [])),
    params(
        ("measures" = String, Query, description = "comma list, each measure at most once (a repeated measure is refused: 400 naming `measures`, code `duplicate`): participations, unique_persons, activities, open_days, new_registrations, registered_persons, visits, consultations, referrals"),
        ("rows" = Option<String>, Query, description = "comma list of dimensions: fiscal_year, quarter, month, date, municipality, center, site, function, sex, age_band, group, category, care_level, household"),
        ("period" = Option<String>, Query, description = "FY2024, 2024-04 or FY2024Q1 (or from and to)"),
        ("from" = Option<String>, Query, description = "first day, inclusive"),
        ("to" = Option<String>, Query, description = "last day, inclusive"),
        ("filter" = Option<Vec<String>>, Query, description = "repeatable dimension:code;code"),
        ("totals" = Option<bool>, Query, description = "add a grand-total row computed by the server; in CSV the last line, first code column 合計 (labels=ja) or total (labels=code), and none without rows (the only line is the total)"),
        ("format" = Option<String>, Query, description = "json (default) or csv"),
        ("encoding" = Option<String>, Query, description = "CSV: utf-8-bom (default), utf-8, cp932 (also shift_jis; Windows-31J, writing 〜 − ‖ — ¢ £ ¬ ¦ as Windows does: ～ － ∥ ― ￠ ￡ ￢ ￤)"),
        ("labels" = Option<String>, Query, description = "ja (CSV default) or code (JSON default)"),
        ("on_unmappable" = Option<String>, Query, description = "cp932, for characters it cannot hold even so: error (default, 422 naming each character and its column) or replace (`?`)"),
    ),
    responses(
        (status = 200, body = StatsResponse, description = "JSON, or text/csv with format=csv"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json", description = "result_too_large: over stats.max_cells"),
        (status = 422, body = Problem, content_type = "application/problem+json",
         description = "characters CP932 cannot hold; too_many_dimensions (stats.max_row_dimensions); time_budget_exceeded (stats.timeout_ms)"),
        (status = 503, body = Problem, content_type = "application/problem+json",
         description = "busy: the node's statistics queue is full (stats.pool); retry after `Retry-After` seconds"),
    ))]
pub async fn stats(state: web::Data<AppState>, caller: Caller, req: HttpRequest) -> ApiResult<HttpResponse> {
    let p = caller.require(Permission::ReadStats)?;
    let request = params::stats_request(req.query_string())?;
    let (labeler, known) = labeler(&state).await?;
    engine::check(&request, &labeler, &known)?;
    let limits = &state.settings.stats;
    budget::check_dimensions(&request.rows, limits.max_row_dimensions).map_err(over_budget)?;
    let org = OrgSizes {
        municipalities: labeler.codes().municipality_count(),
        centers: known.centers.len(),
        sites: known.sites.len(),
    };
    let planned = engine::plan(&request, &p.scope, &request.rows);
    if let Planned::Query(q) = &planned {
        budget::check_cells(q, labeler.codes(), org, limits.max_cells).map_err(over_budget)?;
    }
    let (rows, totals, served) = match planned {
        Planned::Nothing => (
            Vec::new(),
            request.totals.then(|| vec![0; request.measures.len()]),
            None,
        ),
        Planned::Query(q) => {
            let (answer, served) = cached(&state, p, q, request.totals).await?;
            (answer.rows.clone(), answer.totals.clone(), Some(served))
        }
    };
    let k = state.settings.stats.threshold(p.role);
    let (table, hidden) = engine::assemble(&request, rows, totals, &labeler, k);
    let detail = serde_json::json!({"query": req.query_string(), "rows": table.rows.len()});
    let event = Event {
        action: "stats.read",
        target: None,
        outcome: crate::domain::audit::Outcome::Ok,
        detail: Some(detail),
    };
    audit::record(state.store.as_ref(), Some(p), None, &caller.client, event).await?;
    match request.format {
        Format::Csv | Format::Ndjson => {
            let bytes = table
                .to_csv(
                    request.encoding,
                    request.labels,
                    request.replace_unmappable,
                    &labeler,
                )
                .map_err(unencodable)?;
            Ok(HttpResponse::Ok()
                .insert_header((CACHE_HEADER, served.map_or("none", Served::as_str)))
                .insert_header((header::CONTENT_TYPE, csv_out::content_type(request.encoding)))
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"attaka-stats.csv\"",
                ))
                .body(bytes))
        }
        Format::Json => {
            let meta = StatsMeta {
                from: request.from,
                to: request.to,
                scope: p.scope_label(),
                suppressed_cells: hidden,
                suppression_threshold: k,
                generated_at: clock::now_jst(),
                notes: engine::notes(&request),
            };
            Ok(HttpResponse::Ok()
                .insert_header((CACHE_HEADER, served.map_or("none", Served::as_str)))
                .json(table.to_json(request.labels, &labeler, meta)))
        }
    }
}
