//! `GET /api/v1/stats`: figures for the caller's scope, as JSON or CSV (api.md).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use shared::dto::stats::{Perturbation, StatsMeta, StatsResponse};
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
use crate::stats::download::About;
use crate::stats::engine::{self, KnownCodes, Planned};
use crate::stats::table::Labeler;
use crate::stats::{csv_out, params, Format, StatsQuery, StatsRequest};

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
    let regions = store.regions().await?;
    let known = KnownCodes {
        centers: centers.iter().map(|c| c.code.clone()).collect(),
        sites: sites.iter().map(|s| s.code.clone()).collect(),
        regions: regions.iter().map(|r| r.code.clone()).collect(),
    };
    let labeler = Labeler::new(
        codes,
        municipalities,
        centers.into_iter().map(|c| (c.code, c.name)),
        sites.into_iter().map(|s| (s.code, s.name)),
    )
    .with_regions(regions.into_iter().map(|r| (r.code, r.name)));
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

/// The media type of a workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A finished workbook (an anonymous temporary file), streamed in 64 KiB chunks.
pub fn xlsx_response(file: std::fs::File, about: &About) -> HttpResponse {
    let file = tokio::fs::File::from_std(file);
    let body = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024);
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, XLSX))
        .insert_header((header::CONTENT_DISPOSITION, about.content_disposition("xlsx")))
        .streaming(body)
}

/// The suppression note of a header block: what `x` means, and how many cells hold it.
pub fn suppression_note(k: Option<u64>, hidden: u64) -> Option<String> {
    k.map(|k| {
        format!(
            "人数が1～{}人のセルは、個人が特定されないよう x と表示しています（合計から逆算できないよう、ほかのセルも x にすることがあります）。x のセル: {hidden}個",
            k - 1
        )
    })
}

/// What a `/stats` file says about itself.
fn stats_about(
    request: &StatsRequest,
    scope: &shared::dto::auth::Scope,
    labeler: &Labeler,
    disclosure: &engine::Disclosure,
    done: engine::Controlled,
) -> About {
    let (scope_name, scope_ascii) = About::scope_of(scope, &request.filters, labeler);
    let subject = if request.rows.is_empty() {
        "合計".to_owned()
    } else {
        request
            .rows
            .iter()
            .map(|d| d.label())
            .collect::<Vec<_>>()
            .join("×")
    };
    let subject_ascii = if request.rows.is_empty() {
        "total".to_owned()
    } else {
        request
            .rows
            .iter()
            .map(|d| d.code())
            .collect::<Vec<_>>()
            .join("-")
    };
    let measures: Vec<&str> = request.measures.iter().map(|m| m.label()).collect();
    let mut notes: Vec<String> = suppression_note(disclosure.threshold, done.suppressed)
        .into_iter()
        .collect();
    if let Some((max, _)) = &disclosure.perturbation {
        notes.push(format!(
            "※の列の人数は、個人が特定されないよう最大±{max}の範囲で調整した値です（同じ集計には常に同じ値が出ます）。調整したセル: {}個",
            done.perturbed
        ));
    }
    notes.extend(engine::notes(request));
    About {
        kind: "集計",
        kind_ascii: "stats".to_owned(),
        title: format!("{}（{subject}）", measures.join("・")),
        subject,
        subject_ascii,
        scope: scope_name,
        scope_ascii,
        filters: About::filters_ja(&request.filters, labeler),
        from: request.from,
        to: request.to,
        generated_at: clock::now_jst(),
        notes,
    }
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
        Scope::Region(r) => format!("region:{r}"),
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
    // Writes by other processes on the same database first (decision 0033).
    state.generations().catch_up(state.store.as_ref()).await?;
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
/// repeatable `filter=dimension:code;code`, `totals`, `format=json|csv|xlsx`, `header_block`,
/// `encoding=utf-8-bom|utf-8|cp932`, `labels=ja|code`, `on_unmappable=error|replace`.
///
/// Cost limits (configuration `[stats]`, checked before any SQL runs, answered as problem+json
/// naming the setting in `errors[0].field`): at most `max_row_dimensions` row dimensions (422
/// `too_many_dimensions`, default 4); at most `max_cells` cells, estimated as the product of
/// each row dimension's possible values and the measures (413 `result_too_large`, default
/// 200,000); at most `timeout_ms` of work (422 `time_budget_exceeded`, default 30 s; the SQL
/// is interrupted).
///
/// Disclosure control (docs/privacy.md, decision 0020), by the caller's role:
///
/// | caller | people counts |
/// |---|---|
/// | prefecture, centre accounts | exact |
/// | municipality | exact; with a configured threshold k (`stats.suppression.municipality`), cells 1 ≤ v < k hidden |
/// | integrator token | cells 1 ≤ v < 10 hidden, then every other non-zero people count (totals too) perturbed by the cell-key method, at most ±2 |
///
/// Hidden cells are `null` in JSON and `x` in CSV, with complementary cells hidden so that no
/// margin gives them back; 延べ利用者数 and 訪問・相談・つなぎ件数, which add up on the rows of
/// those functions, are hidden together. Perturbed measures are marked: `perturbed: true` on
/// their JSON column, `meta.perturbation` (`method`, `max_deviation`, `cells`), and `*` after
/// the code (`participations*`) or `※` after the Japanese header in CSV. A perturbed cell
/// always shows the same value for the same records — asked again, spelled otherwise, or as
/// the total of another table — so repeating or differencing queries does not average the
/// noise away; zeros stay exact, and rows need not add up to a perturbed total. 実施回数 and
/// 開所日数 count events and days, not people: never hidden or perturbed.
#[utoipa::path(get, path = "/api/v1/stats", tag = "stats", security(("bearer" = [])),
    params(
        ("measures" = String, Query, description = "comma list, each measure at most once (a repeated measure is refused: 400 naming `measures`, code `duplicate`): participations, unique_persons, activities, open_days, new_registrations, registered_persons, visits, consultations, referrals"),
        ("rows" = Option<String>, Query, description = "comma list of dimensions: fiscal_year, quarter, month, date, municipality, center, site, function, sex, age_band, group, category, care_level, household"),
        ("period" = Option<String>, Query, description = "FY2024, 2024-04 or FY2024Q1 (or from and to)"),
        ("from" = Option<String>, Query, description = "first day, inclusive"),
        ("to" = Option<String>, Query, description = "last day, inclusive"),
        ("filter" = Option<Vec<String>>, Query, description = "repeatable dimension:code;code"),
        ("totals" = Option<bool>, Query, description = "add a grand-total row computed by the server; in CSV the last line, first code column 合計 (labels=ja) or total (labels=code), and none without rows (the only line is the total)"),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx (an Excel workbook: the CSV's fields typed — codes and IDs as text, dates as dates, counts as numbers — under a header block, header row frozen)"),
        ("header_block" = Option<bool>, Query, description = "csv and xlsx: lines above the table saying 表題, 範囲 (scope by name), 絞り込み, 期間 (和暦 and 西暦), 作成日時 (和暦) and 注記 (suppression), then an empty line. Default false for csv (scripts read the table from line 1), true for xlsx"),
        ("encoding" = Option<String>, Query, description = "CSV only (refused with xlsx): utf-8-bom (default), utf-8, cp932 (also shift_jis; Windows-31J, writing 〜 − ‖ — ¢ £ ¬ ¦ as Windows does: ～ － ∥ ― ￠ ￡ ￢ ￤)"),
        ("labels" = Option<String>, Query, description = "ja (CSV default) or code (JSON default)"),
        ("on_unmappable" = Option<String>, Query, description = "cp932, for characters it cannot hold even so: error (default, 422 naming each character and its column) or replace (`?`)"),
    ),
    responses(
        (status = 200, body = StatsResponse, description = "JSON; text/csv with format=csv; application/vnd.openxmlformats-officedocument.spreadsheetml.sheet with format=xlsx. Files come with Content-Disposition naming what is inside: filename (ASCII, e.g. attaka-stats_392014_FY2024_municipality-function.xlsx) and filename* (RFC 5987 UTF-8, e.g. 集計_高知市_令和6年度_市町村×機能.xlsx)"),
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
        regions: known.regions.len(),
    };
    let planned = engine::plan(&request, &p.scope, &request.rows);
    if let Planned::Query(q) = &planned {
        budget::check_cells(q, labeler.codes(), org, limits.max_cells).map_err(over_budget)?;
    }
    let (query, rows, totals, served) = match planned {
        Planned::Nothing => (
            None,
            Vec::new(),
            request.totals.then(|| vec![0; request.measures.len()]),
            None,
        ),
        Planned::Query(q) => {
            let (answer, served) = cached(&state, p, q.clone(), request.totals).await?;
            (Some(q), answer.rows.clone(), answer.totals.clone(), Some(served))
        }
    };
    // The cell keys of a perturbed role are read within the same time budget as the figures
    // (not cached: they are only read for the roles whose figures are perturbed).
    let budget_time = std::time::Duration::from_millis(limits.timeout_ms);
    let disclosure = tokio::time::timeout(
        budget_time,
        disclosure(&state, p.role, query.as_ref(), request.totals, &labeler),
    )
    .await
    .map_err(|_| over_time("stats.timeout_ms", limits.timeout_ms))??;
    let (table, done) = engine::assemble(&request, rows, totals, &labeler, &disclosure);
    let detail = serde_json::json!({"query": req.query_string(), "rows": table.rows.len()});
    let event = Event {
        action: "stats.read",
        target: None,
        outcome: crate::domain::audit::Outcome::Ok,
        detail: Some(detail),
    };
    audit::record(state.store.as_ref(), Some(p), None, &caller.client, event).await?;
    let about = || stats_about(&request, &p.scope, &labeler, &disclosure, done);
    match request.format {
        Format::Csv | Format::Ndjson => {
            let about = about();
            let block = if request.header_block {
                about.lines()
            } else {
                Vec::new()
            };
            let bytes = table
                .to_csv_with(
                    request.encoding,
                    request.labels,
                    request.replace_unmappable,
                    &labeler,
                    &block,
                )
                .map_err(unencodable)?;
            Ok(HttpResponse::Ok()
                .insert_header((CACHE_HEADER, served.map_or("none", Served::as_str)))
                .insert_header((header::CONTENT_TYPE, csv_out::content_type(request.encoding)))
                .insert_header((header::CONTENT_DISPOSITION, about.content_disposition("csv")))
                .body(bytes))
        }
        Format::Xlsx => {
            let about = about();
            let block = if request.header_block {
                about.lines()
            } else {
                Vec::new()
            };
            let labels = request.labels;
            let file = web::block(move || {
                table
                    .to_xlsx(labels, &labeler, "集計", &about.title, &block)
                    .map(|f| (f, about))
            })
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("workbook task: {e}")))?
            .map_err(|e| ApiError::Internal(e.into()))?;
            let (file, about) = file;
            Ok(xlsx_response(file, &about))
        }
        Format::Json => {
            let meta = StatsMeta {
                from: request.from,
                to: request.to,
                scope: p.scope_label(),
                suppressed_cells: done.suppressed,
                suppression_threshold: disclosure.threshold,
                perturbation: disclosure.perturbation.as_ref().map(|(max, _)| Perturbation {
                    method: "cell_key".into(),
                    max_deviation: *max,
                    cells: done.perturbed,
                }),
                generated_at: clock::now_jst(),
                notes: engine::notes(&request),
            };
            Ok(HttpResponse::Ok()
                .insert_header((CACHE_HEADER, served.map_or("none", Served::as_str)))
                .json(table.to_json(request.labels, &labeler, meta)))
        }
    }
}

/// The disclosure control for `role` (decision 0020): its suppression threshold, and for a
/// perturbed role the cell keys of the answer's cells, from the records of the same query.
async fn disclosure(
    state: &AppState,
    role: shared::dto::auth::Role,
    query: Option<&crate::stats::StatsQuery>,
    totals: bool,
    labeler: &Labeler,
) -> ApiResult<engine::Disclosure> {
    let threshold = state.settings.stats.threshold(role);
    let perturbation = match (state.settings.stats.max_perturbation(role), query) {
        (Some(max), Some(q)) => {
            let keys =
                crate::stats::cellkey::cell_keys(state.store.clone(), q, totals, labeler.codes()).await?;
            Some((max, keys))
        }
        (Some(max), None) => Some((max, Default::default())),
        (None, _) => None,
    };
    Ok(engine::Disclosure {
        threshold,
        perturbation,
    })
}
