//! `GET /api/v1/extracts/{participations,activities,persons}`: de-identified records, streamed
//! as CSV or NDJSON within the caller's scope and in the view its role receives (the policy
//! table's `extract_access`: exact, coarsened with per-recipient pseudonyms, or refused). Each
//! extraction is audited before the first byte of its body (`extract.read`, with its
//! parameters and view), and again with its row count when the stream ends (`extract.read.end`).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use shared::error::Problem;

use super::audited::CallAudit;
use super::stats::{labeler, unencodable};
use crate::auth::policy::{extract_access, ExtractAccess};
use crate::auth::{Caller, Permission};
use crate::domain::audit::Outcome;
use crate::error::{ApiError, ApiResult};
use crate::ops::audit::{self, Event};
use crate::startup::AppState;
use crate::stats::csv_out::{self, CsvEncoder};
use crate::stats::engine;
use crate::stats::extract::{self, cp932_losses, header, ExtractKind, ExtractQuery, Renderer};
use crate::stats::privacy::report::Rendering;
use crate::stats::privacy::{self, Pseudonyms, View};
use crate::stats::Format;

/// De-identified records of one kind (`participations`, `activities`, `persons`), streamed.
///
/// `period` or `from`/`to`, repeatable `filter`, `format=csv|ndjson`, `encoding`, `labels`,
/// `on_unmappable` as for `/stats`. Column names are fixed (see the integrator guide).
///
/// Time budget: an extraction streams for at most `stats.extract_timeout_ms` (default ten
/// minutes); beyond it the response is cut off before its end (the transfer ends in error, so
/// a client never mistakes a partial file for a whole one) and the SQL is interrupted.
///
/// What each role receives (docs/privacy.md):
///
/// | caller | extracts | `common_id` | quasi-identifiers |
/// |---|---|---|---|
/// | prefecture | all centres | common ID | exact |
/// | center_staff, center_admin | their centre | common ID | exact |
/// | municipality | its own municipality's centres | per-recipient pseudonym | coarsened |
/// | integrator token, grant `none` (the default; every token made before grants) | 403 | | |
/// | integrator token, grant `coarsened` | the token's scope | per-recipient pseudonym | coarsened |
/// | integrator token, grant `detailed` (prefecture-wide tokens only) | all centres | common ID | exact |
/// | operator | 403 | | |
///
/// Coarsened: `activity_id` empty; `date` a month (`2024-05`); `age_band` broad (0〜17, 18〜64,
/// then master data's bands) on 1 April of the fiscal year, in place of persons'
/// `birth_year_month`; `residence_municipality`, `care_level`, `household`, `registered_on`,
/// `ended_on` and `end_reason` empty. Whole months only (400 on `period`, code
/// `not_whole_months`), and no filter on `date`, `age_band`, `care_level` or `household` (400
/// on `filter`, code `withheld`).
#[utoipa::path(get, path = "/api/v1/extracts/{kind}", tag = "stats", security(("bearer" = [])),
    params(
        ("kind" = String, Path, description = "participations, activities or persons"),
        ("period" = Option<String>, Query, description = "FY2024, 2024-04 or FY2024Q1 (or from and to)"),
        ("from" = Option<String>, Query, description = "first day, inclusive"),
        ("to" = Option<String>, Query, description = "last day, inclusive"),
        ("filter" = Option<Vec<String>>, Query, description = "repeatable dimension:code;code"),
        ("format" = Option<String>, Query, description = "csv (default) or ndjson"),
        ("encoding" = Option<String>, Query, description = "CSV: utf-8-bom (default), utf-8, cp932 (also shift_jis; Windows-31J, writing 〜 − ‖ — ¢ £ ¬ ¦ as Windows does: ～ － ∥ ― ￠ ￡ ￢ ￤)"),
        ("labels" = Option<String>, Query, description = "ja (CSV default: Japanese headers, label columns beside codes) or code"),
        ("on_unmappable" = Option<String>, Query, description = "cp932, for characters it cannot hold even so: error (default, 422 naming each character and its column) or replace (`?`)"),
    ),
    responses(
        (status = 200, description = "text/csv or application/x-ndjson, streamed"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "the caller receives no record-level extract (an integrator token without an extracts grant, the operator)"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn extract(
    state: web::Data<AppState>,
    caller: Caller,
    kind: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let p = caller.require(Permission::ReadExtracts)?.clone();
    let kind = match kind.as_str() {
        "participations" => ExtractKind::Participations,
        "activities" => ExtractKind::Activities,
        "persons" => ExtractKind::Persons,
        _ => return Err(ApiError::NotFound),
    };
    let view = view_of(&state, &p).await?;
    let request = extract::request(kind, req.query_string())?;
    let (labeler, known) = labeler(&state).await?;
    let mut errors = engine::filter_code_errors(&request.filters, &labeler, &known);
    errors.extend(privacy::refusals(view, &request));
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let columns = privacy::columns(kind, view);
    let header = header(columns, request.labels);
    if request.format == Format::Csv
        && request.encoding == crate::stats::Encoding::Cp932
        && !request.replace_unmappable
    {
        let lost = cp932_losses(columns, &header, request.labels, &labeler);
        if !lost.is_empty() {
            return Err(unencodable(lost));
        }
    }
    let query = engine::scoped_filters(&request.filters, &p.scope).map(|filters| ExtractQuery {
        kind,
        from: request.from,
        to: request.to,
        filters,
    });
    let rendering = Rendering::of(state.store.as_ref(), view, &Pseudonyms::recipient(&p)).await?;
    let mut renderer = Renderer::new(
        columns,
        request.format,
        request.labels,
        header,
        CsvEncoder::new(request.encoding),
        labeler,
    );
    let params = req.query_string().to_owned();
    let view_name = match view {
        View::Exact => "exact",
        View::Coarsened => "coarsened",
    };
    // Nothing leaves before the extraction is audited: when the row cannot be written the
    // answer is a problem, with no body.
    CallAudit::by(&state, &caller, "extract.read")
        .read(
            Some(kind.name().to_owned()),
            Some(serde_json::json!({"query": params, "view": view_name})),
            Ok(()),
        )
        .await?;
    let first = actix_web::web::Bytes::from(renderer.start());
    let (tx, rx) = tokio::sync::mpsc::channel::<crate::stats::extract::Rows>(4);
    let store = state.store.clone();
    let client = caller.client.clone();
    let budget_ms = state.settings.stats.extract_timeout_ms;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(budget_ms);
    let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let cut_seen = cut.clone();
    tokio::spawn(async move {
        let result = match query {
            Some(q) => privacy::report::extract(store.clone(), q, rendering, tx).await,
            None => Ok(0),
        };
        let over_time = cut_seen.load(std::sync::atomic::Ordering::SeqCst);
        let (outcome, rows) = match &result {
            Ok(n) if !over_time => (Outcome::Ok, *n),
            Ok(n) => (Outcome::Failed, *n),
            Err(e) => {
                tracing::error!(error = ?e, "extraction failed");
                (Outcome::Failed, 0)
            }
        };
        // How many rows went out is known only now, with the body already under way: this row
        // completes the one above, and a failure to write it can only be logged.
        let mut detail = serde_json::json!({"query": params, "view": view_name, "rows": rows});
        if over_time {
            detail["cut_off"] = serde_json::json!("stats.extract_timeout_ms");
        }
        let event = Event {
            action: "extract.read.end",
            target: Some(kind.name().to_owned()),
            outcome,
            detail: Some(detail),
        };
        if let Err(e) = audit::record(store.as_ref(), Some(&p), None, &client, event).await {
            tracing::error!(error = ?e, "auditing the end of an extraction failed");
        }
    });
    // The receiver is dropped when the budget is spent, which stops the store's extraction.
    let body = futures_util::stream::unfold((Some(first), Some(rx), renderer), move |(first, rx, mut r)| {
        let cut = cut.clone();
        async move {
            if let Some(bytes) = first {
                return Some((Ok::<_, actix_web::Error>(bytes), (None, rx, r)));
            }
            let mut rx = rx?;
            // Checked before waiting too: with rows always ready (a slow reader, a full channel)
            // the wait alone would never time out.
            let next = if tokio::time::Instant::now() < deadline {
                tokio::time::timeout_at(deadline, rx.recv()).await
            } else {
                tokio::time::timeout_at(deadline, std::future::pending()).await
            };
            match next {
                Ok(chunk) => {
                    let bytes = actix_web::web::Bytes::from(r.chunk(chunk?));
                    Some((Ok(bytes), (None, Some(rx), r)))
                }
                Err(_) => {
                    cut.store(true, std::sync::atomic::Ordering::SeqCst);
                    tracing::warn!(budget_ms, "extraction cut off at its time budget");
                    let e = super::stats::over_time("stats.extract_timeout_ms", budget_ms);
                    Some((Err(e.into()), (None, None, r)))
                }
            }
        }
    });
    let (content_type, file) = match request.format {
        Format::Csv => (csv_out::content_type(request.encoding), "csv"),
        _ => ("application/x-ndjson", "ndjson"),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"attaka-{}.{file}\"", kind.name()),
        ))
        .streaming(body))
}

/// The view the caller receives, or 403: by role, and for an integrator token by the grant
/// recorded with it.
async fn view_of(state: &AppState, p: &crate::domain::account::Principal) -> ApiResult<View> {
    let grant = match p.api_token_id {
        Some(id) => Some(
            state
                .store
                .api_tokens()
                .await?
                .into_iter()
                .find(|t| t.id == id)
                .map(|t| t.extracts)
                .unwrap_or_default(),
        ),
        None => None,
    };
    match extract_access(p.role, grant) {
        ExtractAccess::Refused => Err(ApiError::Forbidden),
        ExtractAccess::Exact => Ok(View::Exact),
        ExtractAccess::Coarsened => Ok(View::Coarsened),
    }
}
