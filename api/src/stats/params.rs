//! Parsing the query string of `/stats` and the extracts: repeatable `filter`, periods, formats.
//! Every problem names its parameter.

use chrono::NaiveDate;
use shared::dates::Period;
use shared::error::{FieldError, FieldErrors};

use super::{Dimension, Encoding, Format, Labels, Measure, StatsRequest};

/// The longest range one request may cover.
const MAX_YEARS: i64 = 20;

/// Query parameters as (name, value) pairs, in order, repeats kept.
pub struct RawQuery(Vec<(String, String)>);

impl RawQuery {
    pub fn parse(query_string: &str) -> RawQuery {
        RawQuery(
            form_urlencoded::parse(query_string.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub(crate) fn one(&self, name: &str, e: &mut FieldErrors) -> Option<&str> {
        let mut values = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            e.push(name, "repeated", format!("{name} は1回だけ指定してください。"));
        }
        first
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Refuses parameters outside `known`, so a typo is not silently ignored.
    pub(crate) fn check_known(&self, known: &[&str], e: &mut FieldErrors) {
        for (k, _) in &self.0 {
            if !known.contains(&k.as_str()) {
                e.push(k.clone(), "unknown_parameter", "このパラメータは使えません。");
            }
        }
    }
}

/// `from`/`to` or `period`, inclusive.
pub fn date_range(q: &RawQuery, e: &mut FieldErrors) -> Option<(NaiveDate, NaiveDate)> {
    let period = q.one("period", e);
    let from = q.one("from", e);
    let to = q.one("to", e);
    let date = |name: &str, v: &str, e: &mut FieldErrors| match v.parse::<NaiveDate>() {
        Ok(d) => Some(d),
        Err(_) => {
            e.push(name, "invalid_date", "日付は 2024-04-01 の形で指定してください。");
            None
        }
    };
    let range = match (period, from, to) {
        (Some(p), None, None) => match Period::parse(p) {
            Ok(p) => Some((p.from(), p.to())),
            Err(err) => {
                e.push("period", shared::error::ErrorCode::code(&err), err.to_string());
                None
            }
        },
        (Some(_), _, _) => {
            e.push("period", "conflict", "period と from/to は同時に指定できません。");
            None
        }
        (None, Some(f), Some(t)) => Some((date("from", f, e)?, date("to", t, e)?)),
        (None, None, None) => {
            e.push(
                "period",
                "required",
                "period（例: FY2024, 2024-04, FY2024Q1）か from と to を指定してください。",
            );
            None
        }
        (None, f, _) => {
            let missing = if f.is_none() { "from" } else { "to" };
            e.push(missing, "required", "from と to は両方指定してください。");
            None
        }
    }?;
    if range.0 > range.1 {
        e.push("to", "before_from", "to が from より前です。");
        return None;
    }
    if (range.1 - range.0).num_days() > MAX_YEARS * 366 {
        e.push(
            "to",
            "too_long",
            format!("期間は{MAX_YEARS}年以内にしてください。"),
        );
        return None;
    }
    Some(range)
}

/// Repeatable `filter=dimension:code[;code…]`. Codes are checked against master data later.
pub fn filters(q: &RawQuery, e: &mut FieldErrors) -> Vec<(Dimension, Vec<String>)> {
    let mut out: Vec<(Dimension, Vec<String>)> = Vec::new();
    for raw in q.all("filter") {
        let Some((dim, codes)) = raw.split_once(':') else {
            e.push(
                "filter",
                "format",
                "filter は 次元:コード の形で指定してください（例: function:tsudoi）。",
            );
            continue;
        };
        let Some(dim) = Dimension::parse(dim.trim()) else {
            e.push(
                "filter",
                "unknown_dimension",
                format!("filter の次元「{dim}」はありません。"),
            );
            continue;
        };
        let codes: Vec<String> = codes
            .split(';')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        if codes.is_empty() {
            e.push(
                "filter",
                "format",
                format!("filter {} にコードがありません。", dim.code()),
            );
            continue;
        }
        match out.iter_mut().find(|(d, _)| *d == dim) {
            // Two filters on one dimension must both hold: keep the codes in both.
            Some((_, existing)) => existing.retain(|c| codes.contains(c)),
            None => out.push((dim, codes)),
        }
    }
    out
}

fn format(q: &RawQuery, e: &mut FieldErrors, allowed: &[Format]) -> Format {
    let f = match q.one("format", e) {
        None | Some("json") => Format::Json,
        Some("csv") => Format::Csv,
        Some("ndjson") => Format::Ndjson,
        Some("xlsx") => Format::Xlsx,
        Some(_) => {
            e.push(
                "format",
                "unknown_value",
                "format は json / csv / xlsx / ndjson のいずれかです。",
            );
            return allowed[0];
        }
    };
    if !allowed.contains(&f) {
        e.push("format", "unknown_value", "この形式はここでは使えません。");
    }
    f
}

/// `encoding` and `on_unmappable` (for CSV; a workbook has no character encoding to choose,
/// so either is refused with `format=xlsx`, naming it).
pub(crate) fn encoding(q: &RawQuery, e: &mut FieldErrors, format: Format) -> (Encoding, bool) {
    if format == Format::Xlsx {
        for name in ["encoding", "on_unmappable"] {
            if q.one(name, e).is_some() {
                e.push(
                    name,
                    "csv_only",
                    format!(
                        "{name} は CSV のときだけ指定できます（xlsx には文字コードの指定はありません）。"
                    ),
                );
            }
        }
        return (Encoding::Utf8, false);
    }
    let enc = match q.one("encoding", e) {
        None | Some("utf-8-bom") => Encoding::Utf8Bom,
        Some("utf-8") => Encoding::Utf8,
        Some("cp932") | Some("shift_jis") => Encoding::Cp932,
        Some(_) => {
            e.push(
                "encoding",
                "unknown_value",
                "encoding は utf-8-bom / utf-8 / cp932 のいずれかです。",
            );
            Encoding::Utf8Bom
        }
    };
    let replace = match q.one("on_unmappable", e) {
        None | Some("error") => false,
        Some("replace") => true,
        Some(_) => {
            e.push(
                "on_unmappable",
                "unknown_value",
                "on_unmappable は error か replace です。",
            );
            false
        }
    };
    (enc, replace)
}

pub(crate) fn labels(q: &RawQuery, e: &mut FieldErrors, format: Format) -> Labels {
    match q.one("labels", e) {
        None if matches!(format, Format::Csv | Format::Xlsx) => Labels::Ja,
        None => Labels::Code,
        Some("ja") => Labels::Ja,
        Some("code") => Labels::Code,
        Some(_) => {
            e.push("labels", "unknown_value", "labels は ja か code です。");
            Labels::Code
        }
    }
}

/// `header_block=true|false`: CSV without it by default (scripts read the table from line 1),
/// workbooks with it; other formats have no place for it.
pub(crate) fn header_block(q: &RawQuery, e: &mut FieldErrors, format: Format) -> bool {
    let asked = match q.one("header_block", e) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            e.push(
                "header_block",
                "unknown_value",
                "header_block は true か false です。",
            );
            None
        }
    };
    match (format, asked) {
        (Format::Csv | Format::Xlsx, Some(b)) => b,
        (Format::Xlsx, None) => true,
        (Format::Csv, None) => false,
        (_, Some(_)) => {
            e.push(
                "header_block",
                "csv_or_xlsx_only",
                "header_block は format=csv か xlsx のときだけ指定できます。",
            );
            false
        }
        (_, None) => false,
    }
}

fn list<T>(q: &RawQuery, name: &str, e: &mut FieldErrors, parse: impl Fn(&str) -> Option<T>) -> Vec<T> {
    let Some(raw) = q.one(name, e) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match parse(item) {
            Some(v) => out.push(v),
            None => e.push(
                name,
                "unknown_value",
                format!("{name} に「{item}」は指定できません。"),
            ),
        }
    }
    out
}

/// Parses `/stats` parameters.
pub fn stats_request(query_string: &str) -> Result<StatsRequest, Vec<FieldError>> {
    let q = RawQuery::parse(query_string);
    let mut e = FieldErrors::default();
    q.check_known(
        &[
            "measures",
            "rows",
            "from",
            "to",
            "period",
            "filter",
            "totals",
            "format",
            "encoding",
            "labels",
            "on_unmappable",
            "header_block",
        ],
        &mut e,
    );
    let measures = list(&q, "measures", &mut e, Measure::parse);
    if measures.is_empty() && e.is_empty() {
        e.push(
            "measures",
            "required",
            "measures を1つ以上指定してください（例: participations,unique_persons）。",
        );
    }
    // A measure named twice is always a slip (a column would repeat the other's figures).
    let mut repeated: Vec<Measure> = Vec::new();
    for (i, m) in measures.iter().enumerate() {
        if measures[..i].contains(m) && !repeated.contains(m) {
            repeated.push(*m);
            e.push(
                "measures",
                "duplicate",
                format!(
                    "measures に {} が重複しています。同じ指標は1回だけ指定してください。",
                    m.code()
                ),
            );
        }
    }
    let rows = list(&q, "rows", &mut e, Dimension::parse);
    for (i, d) in rows.iter().enumerate() {
        if rows[..i].contains(d) {
            e.push(
                "rows",
                "duplicate",
                format!("rows に {} が重複しています。", d.code()),
            );
        }
    }
    let range = date_range(&q, &mut e);
    let filters = filters(&q, &mut e);
    let totals = match q.one("totals", &mut e) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            e.push("totals", "unknown_value", "totals は true か false です。");
            false
        }
    };
    let format = format(&q, &mut e, &[Format::Json, Format::Csv, Format::Xlsx]);
    let (encoding, replace_unmappable) = encoding(&q, &mut e, format);
    let labels = labels(&q, &mut e, format);
    let header_block = header_block(&q, &mut e, format);
    e.into_result()?;
    let (from, to) =
        range.ok_or_else(|| vec![FieldError::new("period", "required", "期間を指定してください。")])?;
    Ok(StatsRequest {
        measures,
        rows,
        from,
        to,
        filters,
        totals,
        format,
        encoding,
        labels,
        replace_unmappable,
        header_block,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(r: Result<StatsRequest, Vec<FieldError>>) -> Vec<String> {
        r.err().unwrap_or_default().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_full_request_is_understood() {
        let r = stats_request(
            "measures=participations,unique_persons&rows=municipality,function&period=FY2024\
             &filter=function:tsudoi;houmon&filter=sex:F&totals=true&format=csv&encoding=cp932",
        )
        .unwrap();
        assert_eq!(r.measures, [Measure::Participations, Measure::UniquePersons]);
        assert_eq!(r.rows, [Dimension::Municipality, Dimension::Function]);
        assert_eq!(r.from.to_string(), "2024-04-01");
        assert_eq!(r.to.to_string(), "2025-03-31");
        assert_eq!(
            r.filters[0],
            (
                Dimension::Function,
                vec!["tsudoi".to_owned(), "houmon".to_owned()]
            )
        );
        assert!(r.totals);
        assert_eq!(r.format, Format::Csv);
        assert_eq!(r.encoding, Encoding::Cp932);
        assert_eq!(r.labels, Labels::Ja);
    }

    #[test]
    fn empty_rows_mean_one_total_row() {
        let r = stats_request("measures=activities&from=2024-04-01&to=2024-04-30").unwrap();
        assert!(r.rows.is_empty());
        assert_eq!(r.labels, Labels::Code);
    }

    #[test]
    fn each_bad_parameter_is_named() {
        assert_eq!(fields(stats_request("rows=center&period=FY2024")), ["measures"]);
        assert_eq!(
            fields(stats_request("measures=smiles&period=FY2024")),
            ["measures"]
        );
        assert_eq!(
            fields(stats_request("measures=activities&rows=colour&period=FY2024")),
            ["rows"]
        );
        assert_eq!(
            fields(stats_request("measures=activities&period=FY24")),
            ["period"]
        );
        assert_eq!(fields(stats_request("measures=activities")), ["period"]);
        assert_eq!(
            fields(stats_request("measures=activities&from=2024-04-01")),
            ["to"]
        );
        assert_eq!(
            fields(stats_request("measures=activities&from=2024-05-01&to=2024-04-01")),
            ["to"]
        );
        assert_eq!(
            fields(stats_request(
                "measures=activities&period=FY2024&filter=colour:red"
            )),
            ["filter"]
        );
        assert_eq!(
            fields(stats_request("measures=activities&period=FY2024&format=pdf")),
            ["format"]
        );
        assert_eq!(
            fields(stats_request("measures=activities&period=FY2024&encoding=latin1")),
            ["encoding"]
        );
        assert_eq!(
            fields(stats_request("measures=activities&period=FY2024&colour=red")),
            ["colour"]
        );
        assert_eq!(
            fields(stats_request("measures=activities&period=FY2024&from=2024-01-01")),
            ["period"]
        );
    }

    #[test]
    fn a_measure_named_twice_is_refused_once_naming_measures() {
        let e = stats_request("measures=participations,visits,participations,participations&period=FY2025")
            .unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(
            (e[0].field.as_str(), e[0].code.as_str()),
            ("measures", "duplicate")
        );
        assert!(e[0].message.contains("participations"));
    }

    #[test]
    fn xlsx_takes_japanese_labels_and_a_header_block_by_default_and_no_encoding() {
        let r = stats_request("measures=activities&period=FY2024&format=xlsx").unwrap();
        assert_eq!(
            (r.format, r.labels, r.header_block),
            (Format::Xlsx, Labels::Ja, true)
        );
        let csv = stats_request("measures=activities&period=FY2024&format=csv").unwrap();
        assert!(!csv.header_block);
        let asked = stats_request("measures=activities&period=FY2024&format=csv&header_block=true").unwrap();
        assert!(asked.header_block);
        assert_eq!(
            fields(stats_request(
                "measures=activities&period=FY2024&format=xlsx&encoding=cp932"
            )),
            ["encoding"]
        );
        assert_eq!(
            fields(stats_request(
                "measures=activities&period=FY2024&header_block=true"
            )),
            ["header_block"]
        );
        assert_eq!(
            fields(stats_request(
                "measures=activities&period=FY2024&format=csv&header_block=yes"
            )),
            ["header_block"]
        );
    }

    #[test]
    fn two_filters_on_one_dimension_keep_only_codes_in_both() {
        let r = stats_request("measures=activities&period=FY2024&filter=sex:F;M&filter=sex:F").unwrap();
        assert_eq!(r.filters, [(Dimension::Sex, vec!["F".to_owned()])]);
    }
}
