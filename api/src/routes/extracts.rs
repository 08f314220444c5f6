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
use crate::stats::download::About;
use crate::stats::engine;
use crate::stats::extract::{
    self, cell_types, cp932_losses, header, ExtractKind, ExtractQuery, ExtractRequest, Renderer,
};
use crate::stats::privacy::report::Rendering;
use crate::stats::privacy::{self, Pseudonyms, View};
use crate::stats::table::Labeler;
use crate::stats::xlsx_out::{self, CellType, SheetWriter, XlsxOutError};
use crate::stats::Format;
use shared::dto::auth::Scope;

/// De-identified records of one kind (`participations`, `activities`, `persons`), streamed.
///
/// `period` or `from`/`to`, repeatable `filter`, `format=csv|xlsx|ndjson`, `encoding`, `labels`,
/// `on_unmappable`, `header_block` as for `/stats`. Column names are fixed (see the integrator guide).
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
        ("format" = Option<String>, Query, description = "csv (default), xlsx (an Excel workbook, built whole and then streamed: typed cells, header block, frozen header row; at most 1,048,576 rows, else 413) or ndjson"),
        ("header_block" = Option<bool>, Query, description = "csv and xlsx: lines above the table saying 表題, 範囲, 絞り込み, 期間 (和暦 and 西暦), 作成日時 and 注記, then an empty line. Default false for csv, true for xlsx"),
        ("encoding" = Option<String>, Query, description = "CSV only (refused with xlsx): utf-8-bom (default), utf-8, cp932 (also shift_jis; Windows-31J, writing 〜 − ‖ — ¢ £ ¬ ¦ as Windows does: ～ － ∥ ― ￠ ￡ ￢ ￤)"),
        ("labels" = Option<String>, Query, description = "ja (CSV default: Japanese headers, label columns beside codes) or code"),
        ("on_unmappable" = Option<String>, Query, description = "cp932, for characters it cannot hold even so: error (default, 422 naming each character and its column) or replace (`?`)"),
    ),
    responses(
        (status = 200, description = "text/csv or application/x-ndjson, streamed; or an xlsx workbook. Content-Disposition names what is inside: filename (ASCII, e.g. attaka-participations_392014_FY2024.xlsx) and filename* (RFC 5987 UTF-8, e.g. 抽出_参加記録_高知市_令和6年度.xlsx)"),
        (status = 413, body = Problem, content_type = "application/problem+json", description = "xlsx: more rows than one Excel sheet holds"),
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
    let about = extract_about(kind, view, &request, &p.scope, &labeler);
    let block = if request.header_block {
        about.lines()
    } else {
        Vec::new()
    };
    if request.format == Format::Csv
        && request.encoding == crate::stats::Encoding::Cp932
        && !request.replace_unmappable
    {
        let mut lost = cp932_losses(columns, &header, request.labels, &labeler);
        lost.extend(block_losses(&block));
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
    let types = cell_types(columns, request.labels);
    let rendering = Rendering::of(state.store.as_ref(), view, &Pseudonyms::recipient(&p)).await?;
    let mut renderer = Renderer::new(
        columns,
        request.format,
        request.labels,
        header.clone(),
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
    let first = actix_web::web::Bytes::from(renderer.start(&block));
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
    if request.format == Format::Xlsx {
        // The workbook is built whole (rows into the sheet's temporary file as they come),
        // then streamed: a failure or the time budget is answered as a problem, not a cut-off file.
        let cut_now = cut.clone();
        let build = tokio::task::spawn_blocking(move || {
            xlsx_from_stream(rx, renderer, &header, types, &block, &about, &cut_now).map(|file| (file, about))
        });
        let built = tokio::time::timeout_at(deadline, build).await;
        return match built {
            Ok(Ok(Ok((file, about)))) => Ok(super::stats::xlsx_response(file, &about)),
            Ok(Ok(Err(e))) => Err(e),
            Ok(Err(join)) => Err(ApiError::Internal(anyhow::anyhow!("workbook task: {join}"))),
            Err(_) => {
                cut.store(true, std::sync::atomic::Ordering::SeqCst);
                tracing::warn!(budget_ms, "workbook extraction stopped at its time budget");
                Err(super::stats::over_time("stats.extract_timeout_ms", budget_ms))
            }
        };
    }
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
        .insert_header((header::CONTENT_DISPOSITION, about.content_disposition(file)))
        .streaming(body))
}

/// Japanese name of a record kind.
fn kind_ja(kind: ExtractKind) -> &'static str {
    match kind {
        ExtractKind::Participations => "参加記録",
        ExtractKind::Activities => "活動記録",
        ExtractKind::Persons => "登録者",
    }
}

/// What an extract file says about itself.
fn extract_about(
    kind: ExtractKind,
    view: View,
    request: &ExtractRequest,
    scope: &Scope,
    labeler: &Labeler,
) -> About {
    let (scope_name, scope_ascii) = About::scope_of(scope, &request.filters, labeler);
    let mut notes =
        vec!["氏名・カナ・生年月日・住所・電話番号・メモなど、個人を特定できる情報は含みません。".to_owned()];
    if kind == ExtractKind::Persons {
        notes.push("期間中に登録されていた人の記録です。".to_owned());
    }
    if view == View::Coarsened {
        notes.push(
            "共通利用者番号は受け取る方ごとの仮名に置き換え、日付は月、年齢は大まかな年齢区分にまとめています。"
                .to_owned(),
        );
    }
    About {
        kind: "抽出",
        kind_ascii: kind.name().to_owned(),
        title: format!("{}（個人を特定しない記録）", kind_ja(kind)),
        subject: kind_ja(kind).to_owned(),
        subject_ascii: kind.name().to_owned(),
        scope: scope_name,
        scope_ascii,
        filters: About::filters_ja(&request.filters, labeler),
        from: request.from,
        to: request.to,
        generated_at: crate::domain::clock::now_jst(),
        notes,
    }
}

/// Characters CP932 cannot hold in a header block, named by each line's key.
fn block_losses(block: &[[String; 2]]) -> Vec<csv_out::Unmappable> {
    let mut lost = Vec::new();
    for (i, [key, value]) in block.iter().enumerate() {
        for c in csv_out::unmappable_chars(value) {
            lost.push(csv_out::Unmappable {
                line: i as u64 + 1,
                column: key.clone(),
                character: c,
            });
        }
    }
    lost
}

/// Builds the workbook from the extraction's chunks of rows as the store sends them (on a
/// blocking thread: the sheet is written to its temporary file as it grows). Stops, dropping
/// the receiver (which stops the store), when `cut` is set or the sheet is full.
fn xlsx_from_stream(
    mut rx: tokio::sync::mpsc::Receiver<crate::stats::extract::Rows>,
    mut renderer: Renderer,
    header: &[String],
    types: Vec<CellType>,
    block: &[[String; 2]],
    about: &About,
    cut: &std::sync::atomic::AtomicBool,
) -> Result<std::fs::File, ApiError> {
    let failed = |e: XlsxOutError| ApiError::Internal(e.into());
    let mut sheet = SheetWriter::new(kind_sheet(about), &about.title).map_err(failed)?;
    sheet.header_block(block).map_err(failed)?;
    sheet.header(header, types).map_err(failed)?;
    let mut error = None;
    while let Some(rows) = rx.blocking_recv() {
        if cut.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(ApiError::Internal(anyhow::anyhow!("cut off")));
        }
        if sheet.rows() as usize + rows.len() > xlsx_out::MAX_ROWS as usize {
            return Err(too_many_rows());
        }
        renderer.records(&rows, |fields| {
            if error.is_none() {
                if let Err(e) = sheet.record(fields) {
                    error = Some(e);
                }
            }
        });
        if let Some(e) = error.take() {
            return Err(failed(e));
        }
    }
    sheet.finish().map_err(failed)
}

fn kind_sheet(about: &About) -> &str {
    &about.subject
}

/// More rows than one Excel sheet holds.
fn too_many_rows() -> ApiError {
    ApiError::OverLimit {
        status: 413,
        code: shared::error::ProblemCode::ResultTooLarge,
        limit: "format",
        detail: format!(
            "Excel の1シートに入る{}行を超えます。期間を分けるか、CSV（format=csv）で取り出してください。",
            xlsx_out::MAX_ROWS
        ),
    }
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
