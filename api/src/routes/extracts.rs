//! `GET /api/v1/extracts/{participations,activities,persons}`: de-identified records, streamed
//! as CSV or NDJSON within the caller's scope, each extraction audited with its row count.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{Map, Value};
use shared::error::Problem;

use super::stats::{labeler, unencodable};
use crate::auth::{Caller, Permission};
use crate::domain::audit::Outcome;
use crate::error::{ApiError, ApiResult};
use crate::ops::audit::{self, Event};
use crate::startup::AppState;
use crate::stats::csv_out::{self, CsvEncoder, Unmappable};
use crate::stats::engine;
use crate::stats::extract::{self, ColumnSpec, ExtractKind, ExtractQuery, LabelOf};
use crate::stats::table::Labeler;
use crate::stats::{Format, Labels};

fn label(labeler: &Labeler, how: LabelOf, code: &str) -> String {
    match how {
        LabelOf::None => String::new(),
        LabelOf::Dim(d) => labeler.label(d, code),
        LabelOf::List(list) => code
            .split(';')
            .filter(|c| !c.is_empty())
            .map(|c| labeler.codes().get(list, c).map_or(c, |i| i.label.as_str()))
            .collect::<Vec<_>>()
            .join(";"),
        LabelOf::EndReason => labeler
            .codes()
            .get(crate::domain::codes::list::END_REASONS, code)
            .map(|i| i.label.clone())
            .unwrap_or_default(),
    }
}

fn header(columns: &[ColumnSpec], labels: Labels) -> Vec<String> {
    let mut h = Vec::new();
    for (name, ja, how) in columns {
        match (labels, how) {
            (Labels::Code, _) => h.push((*name).to_owned()),
            (Labels::Ja, LabelOf::None) => h.push((*ja).to_owned()),
            (Labels::Ja, _) => {
                h.push(format!("{ja}コード"));
                h.push((*ja).to_owned());
            }
        }
    }
    h
}

/// Columns that hold counts (typed as numbers in NDJSON).
fn is_count(name: &str) -> bool {
    matches!(name, "participants" | "staff" | "volunteers") || name.starts_with("unregistered_")
}

/// Encodes a chunk of rows in the requested format.
struct Renderer {
    kind: ExtractKind,
    format: Format,
    labels: Labels,
    header: Vec<String>,
    csv: CsvEncoder,
    labeler: Labeler,
}

impl Renderer {
    fn start(&mut self) -> Bytes {
        let mut out = Vec::new();
        if self.format == Format::Csv {
            let header = self.header.clone();
            self.csv.record(&header, &header, &mut out);
        }
        Bytes::from(out)
    }

    fn chunk(&mut self, rows: Vec<Vec<String>>) -> Bytes {
        let columns = self.kind.columns();
        let mut out = Vec::with_capacity(rows.len() * 120);
        for row in rows {
            match self.format {
                Format::Csv => {
                    let fields: Vec<String> = if self.labels == Labels::Code {
                        row
                    } else {
                        let mut f = Vec::with_capacity(self.header.len());
                        for ((_, _, how), value) in columns.iter().zip(row) {
                            if *how != LabelOf::None {
                                let l = label(&self.labeler, *how, &value);
                                f.push(value);
                                f.push(l);
                            } else {
                                f.push(value);
                            }
                        }
                        f
                    };
                    self.csv.record(&self.header, &fields, &mut out);
                }
                _ => {
                    let mut obj = Map::new();
                    for ((name, _, how), value) in columns.iter().zip(row) {
                        if self.labels == Labels::Ja && *how != LabelOf::None {
                            obj.insert(
                                format!("{name}_label"),
                                Value::String(label(&self.labeler, *how, &value)),
                            );
                        }
                        let v = if value.is_empty() {
                            Value::Null
                        } else if is_count(name) {
                            value.parse::<i64>().map_or(Value::String(value), Value::from)
                        } else {
                            Value::String(value)
                        };
                        obj.insert((*name).to_owned(), v);
                    }
                    out.extend_from_slice(Value::Object(obj).to_string().as_bytes());
                    out.push(b'\n');
                }
            }
        }
        Bytes::from(out)
    }
}

/// Characters CP932 cannot hold among everything the CSV can contain: its header and, with
/// labels, every label (codes, IDs, dates and numbers are ASCII). Checked before streaming, so
/// a refused extraction sends nothing.
fn cp932_losses(header: &[String], labels: Labels, labeler: &Labeler) -> Vec<Unmappable> {
    let mut lost = Vec::new();
    let mut seen = Vec::new();
    for (i, h) in header.iter().enumerate() {
        for c in csv_out::unmappable_chars(h) {
            lost.push(Unmappable {
                line: 1,
                column: header[i].clone(),
                character: c,
            });
        }
    }
    if labels == Labels::Ja {
        for l in labeler.all_labels() {
            for c in csv_out::unmappable_chars(l) {
                if !seen.contains(&c) {
                    seen.push(c);
                    lost.push(Unmappable {
                        line: 0,
                        column: l.to_owned(),
                        character: c,
                    });
                }
            }
        }
    }
    lost
}

/// De-identified records of one kind (`participations`, `activities`, `persons`), streamed.
///
/// `period` or `from`/`to`, repeatable `filter`, `format=csv|ndjson`, `encoding`, `labels`,
/// `on_unmappable` as for `/stats`. Column names are fixed (see the integrator guide).
#[utoipa::path(get, path = "/api/v1/extracts/{kind}", tag = "stats", security(("bearer" = [])),
    params(
        ("kind" = String, Path, description = "participations, activities or persons"),
        ("period" = Option<String>, Query, description = "FY2024, 2024-04 or FY2024Q1 (or from and to)"),
        ("from" = Option<String>, Query, description = "first day, inclusive"),
        ("to" = Option<String>, Query, description = "last day, inclusive"),
        ("filter" = Option<Vec<String>>, Query, description = "repeatable dimension:code;code"),
        ("format" = Option<String>, Query, description = "csv (default) or ndjson"),
        ("encoding" = Option<String>, Query, description = "CSV: utf-8-bom (default), utf-8, cp932"),
        ("labels" = Option<String>, Query, description = "ja (CSV default: Japanese headers, label columns beside codes) or code"),
        ("on_unmappable" = Option<String>, Query, description = "cp932: error (default, 422) or replace"),
    ),
    responses(
        (status = 200, description = "text/csv or application/x-ndjson, streamed"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
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
    let request = extract::request(kind, req.query_string())?;
    let (labeler, known) = labeler(&state).await?;
    let errors = engine::filter_code_errors(&request.filters, &labeler, &known);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let header = header(kind.columns(), request.labels);
    if request.format == Format::Csv
        && request.encoding == crate::stats::Encoding::Cp932
        && !request.replace_unmappable
    {
        let lost = cp932_losses(&header, request.labels, &labeler);
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
    let mut renderer = Renderer {
        kind,
        format: request.format,
        labels: request.labels,
        header,
        csv: CsvEncoder::new(request.encoding),
        labeler,
    };
    let first = renderer.start();
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<Vec<String>>>(4);
    let store = state.store.clone();
    let client = caller.client.clone();
    let params = req.query_string().to_owned();
    tokio::spawn(async move {
        let result = match query {
            Some(q) => store.extract(&q, tx).await,
            None => Ok(0),
        };
        let (outcome, rows) = match &result {
            Ok(n) => (Outcome::Ok, *n),
            Err(e) => {
                tracing::error!(error = ?e, "extraction failed");
                (Outcome::Failed, 0)
            }
        };
        let event = Event {
            action: "extract.read",
            target: Some(kind.name().to_owned()),
            outcome,
            detail: Some(serde_json::json!({"query": params, "rows": rows})),
        };
        if let Err(e) = audit::record(store.as_ref(), Some(&p), None, &client, event).await {
            tracing::error!(error = ?e, "auditing an extraction failed");
        }
    });
    let body =
        futures_util::stream::unfold((Some(first), rx, renderer), |(first, mut rx, mut r)| async move {
            if let Some(bytes) = first {
                return Some((Ok::<_, actix_web::Error>(bytes), (None, rx, r)));
            }
            let chunk = rx.recv().await?;
            let bytes = r.chunk(chunk);
            Some((Ok(bytes), (None, rx, r)))
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
