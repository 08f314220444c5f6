//! De-identified record extraction: the three record kinds, their fixed columns (api.md), and
//! how each column is labelled in Japanese. No identity column exists here to leak.

use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;

use shared::error::FieldError;

use super::csv_out::{self, CsvEncoder, Unmappable};
use super::params::{date_range, filters, RawQuery};
use super::table::Labeler;
use super::xlsx_out::CellType;
use super::{Dimension, Encoding, Format, Labels};
use crate::domain::codes::list;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtractKind {
    Participations,
    Activities,
    Persons,
}

/// How a column's code is labelled with `labels=ja`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelOf {
    None,
    Dim(Dimension),
    /// A `;`-joined list of codes of a master list.
    List(&'static str),
    EndReason,
    /// An age band of master data or one of the broad bands of the coarsened view.
    AgeBand,
}

/// `(column name, Japanese header, label)`.
pub type ColumnSpec = (&'static str, &'static str, LabelOf);

impl ExtractKind {
    pub fn name(self) -> &'static str {
        match self {
            ExtractKind::Participations => "participations",
            ExtractKind::Activities => "activities",
            ExtractKind::Persons => "persons",
        }
    }

    /// The columns, exactly as api.md names them.
    pub fn columns(self) -> &'static [ColumnSpec] {
        use Dimension as D;
        use LabelOf::*;
        match self {
            ExtractKind::Participations => &[
                ("activity_id", "活動ID", None),
                ("common_id", "共通利用者番号", None),
                ("center", "センター", Dim(D::Center)),
                ("municipality", "市町村", Dim(D::Municipality)),
                ("site", "サテライト", Dim(D::Site)),
                ("date", "日付", None),
                ("fiscal_year", "年度", Dim(D::FiscalYear)),
                ("function", "機能", Dim(D::Function)),
                ("sex", "性別", Dim(D::Sex)),
                ("age_band", "年齢区分", Dim(D::AgeBand)),
                ("group", "対象区分", Dim(D::Group)),
                ("categories", "該当区分", List(list::CATEGORIES)),
                ("care_level", "要介護度", Dim(D::CareLevel)),
                ("household", "世帯", Dim(D::Household)),
            ],
            ExtractKind::Activities => &[
                ("activity_id", "活動ID", None),
                ("center", "センター", Dim(D::Center)),
                ("municipality", "市町村", Dim(D::Municipality)),
                ("site", "サテライト", Dim(D::Site)),
                ("date", "日付", None),
                ("fiscal_year", "年度", Dim(D::FiscalYear)),
                ("function", "機能", Dim(D::Function)),
                ("participants", "参加者数（登録者）", None),
                ("unregistered_elderly", "未登録 高齢者", None),
                ("unregistered_disabled", "未登録 障害のある人", None),
                ("unregistered_child", "未登録 子ども", None),
                ("unregistered_other", "未登録 それ以外", None),
                ("staff", "職員数", None),
                ("volunteers", "ボランティア数", None),
            ],
            ExtractKind::Persons => &[
                ("common_id", "共通利用者番号", None),
                ("center", "センター", Dim(D::Center)),
                ("municipality", "市町村", Dim(D::Municipality)),
                ("sex", "性別", Dim(D::Sex)),
                ("birth_year_month", "生年月", None),
                ("residence_municipality", "居住市町村", Dim(D::Municipality)),
                ("group", "対象区分", Dim(D::Group)),
                ("categories", "該当区分", List(list::CATEGORIES)),
                ("care_level", "要介護度", Dim(D::CareLevel)),
                ("household", "世帯", Dim(D::Household)),
                ("registered_on", "登録日", None),
                ("ended_on", "終了日", None),
                ("end_reason", "終了理由", EndReason),
            ],
        }
    }

    /// Dimensions a filter may use for this kind.
    pub fn filterable(self, d: Dimension) -> bool {
        match self {
            ExtractKind::Participations => true,
            ExtractKind::Activities => !d.is_personal(),
            ExtractKind::Persons => matches!(
                d,
                Dimension::Municipality
                    | Dimension::Center
                    | Dimension::Sex
                    | Dimension::Group
                    | Dimension::Category
                    | Dimension::CareLevel
                    | Dimension::Household
            ),
        }
    }
}

/// A validated extraction request (before scope is applied).
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractRequest {
    pub kind: ExtractKind,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub filters: Vec<(Dimension, Vec<String>)>,
    pub format: Format,
    pub encoding: Encoding,
    pub labels: Labels,
    pub replace_unmappable: bool,
    /// See `StatsRequest::header_block`.
    pub header_block: bool,
}

/// Parses the query string of `/extracts/{kind}`.
pub fn request(kind: ExtractKind, query_string: &str) -> Result<ExtractRequest, Vec<FieldError>> {
    let q = RawQuery::parse(query_string);
    let mut e = shared::error::FieldErrors::default();
    q.check_known(
        &[
            "from",
            "to",
            "period",
            "filter",
            "format",
            "encoding",
            "labels",
            "on_unmappable",
            "header_block",
        ],
        &mut e,
    );
    let range = date_range(&q, &mut e);
    let filters = filters(&q, &mut e);
    for (d, _) in &filters {
        if !kind.filterable(*d) {
            e.push(
                "filter",
                "not_filterable",
                format!("{} の抽出は {} で絞り込めません。", kind.name(), d.code()),
            );
        }
    }
    let format = match q.one("format", &mut e) {
        None | Some("csv") => Format::Csv,
        Some("ndjson") => Format::Ndjson,
        Some("xlsx") => Format::Xlsx,
        Some(_) => {
            e.push(
                "format",
                "unknown_value",
                "format は csv / xlsx / ndjson のいずれかです。",
            );
            Format::Csv
        }
    };
    let (encoding, replace_unmappable) = super::params::encoding(&q, &mut e, format);
    let labels = super::params::labels(&q, &mut e, format);
    let header_block = super::params::header_block(&q, &mut e, format);
    e.into_result()?;
    let (from, to) =
        range.ok_or_else(|| vec![FieldError::new("period", "required", "期間を指定してください。")])?;
    Ok(ExtractRequest {
        kind,
        from,
        to,
        filters,
        format,
        encoding,
        labels,
        replace_unmappable,
        header_block,
    })
}

/// A query for the store: the request's range and filters, with the caller's scope applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractQuery {
    pub kind: ExtractKind,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub filters: Vec<(Dimension, Vec<String>)>,
}

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
        LabelOf::AgeBand => super::privacy::broad_age_band_label(code)
            .map(str::to_owned)
            .unwrap_or_else(|| labeler.label(Dimension::AgeBand, code)),
    }
}

pub fn header(columns: &[ColumnSpec], labels: Labels) -> Vec<String> {
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

/// A chunk of extracted rows: every field of every row in one string, cut at the recorded
/// ends. A million rows then cost a few thousand allocations instead of fifteen million, and
/// the store's thread and the encoder's do not contend for the allocator.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    columns: usize,
    text: String,
    ends: Vec<usize>,
}

impl Rows {
    /// An empty chunk of rows of `columns` fields, with room for about `rows` of them.
    pub fn new(columns: usize, rows: usize) -> Rows {
        Rows {
            columns: columns.max(1),
            text: String::with_capacity(rows * columns * 8),
            ends: Vec::with_capacity(rows * columns),
        }
    }

    /// Appends the next field (rows fill up left to right).
    pub fn push(&mut self, field: &str) {
        self.text.push_str(field);
        self.ends.push(self.text.len());
    }

    /// Appends a number as the next field.
    pub fn push_int(&mut self, n: i64) {
        use std::fmt::Write as _;
        let _ = write!(self.text, "{n}");
        self.ends.push(self.text.len());
    }

    /// Fields pushed so far (the next field's index).
    pub fn fields(&self) -> usize {
        self.ends.len()
    }

    /// The `i`th field pushed.
    pub fn field(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    /// Complete rows.
    pub fn len(&self) -> usize {
        self.ends.len() / self.columns
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The fields of row `r`.
    pub fn row(&self, r: usize) -> impl Iterator<Item = &str> {
        (r * self.columns..(r + 1) * self.columns).map(move |i| self.field(i))
    }
}

/// Encodes a chunk of rows in the requested format.
pub struct Renderer {
    columns: &'static [ColumnSpec],
    format: Format,
    labels: Labels,
    header: Vec<String>,
    csv: CsvEncoder,
    labeler: Labeler,
    /// Labels already made, per column: a column holds few distinct codes, and making a label
    /// (a wareki year, a name lookup) for each of a million rows would dominate the encoding.
    made: Vec<HashMap<String, String>>,
}

/// Distinct codes per column whose labels are kept (more are labelled afresh each time).
const LABELS_KEPT: usize = 4096;

impl Renderer {
    pub fn new(
        columns: &'static [ColumnSpec],
        format: Format,
        labels: Labels,
        header: Vec<String>,
        csv: CsvEncoder,
        labeler: Labeler,
    ) -> Renderer {
        Renderer {
            made: vec![HashMap::new(); columns.len()],
            columns,
            format,
            labels,
            header,
            csv,
            labeler,
        }
    }

    /// Makes sure the labels of `row`'s coded columns are kept (while there is room).
    fn keep_labels(&mut self, rows: &Rows, r: usize) {
        for (col, ((_, _, how), code)) in self.columns.iter().zip(rows.row(r)).enumerate() {
            if *how != LabelOf::None
                && !self.made[col].contains_key(code)
                && self.made[col].len() < LABELS_KEPT
            {
                let l = label(&self.labeler, *how, code);
                self.made[col].insert(code.to_owned(), l);
            }
        }
    }

    /// The label of `code` in column `col`: kept, or made afresh.
    fn label_of<'a>(
        made: &'a [HashMap<String, String>],
        labeler: &Labeler,
        col: usize,
        how: LabelOf,
        code: &str,
    ) -> Cow<'a, str> {
        match made[col].get(code) {
            Some(l) => Cow::Borrowed(l.as_str()),
            None => Cow::Owned(label(labeler, how, code)),
        }
    }

    /// The header (CSV), before any row, under the header block if any.
    pub fn start(&mut self, block: &[[String; 2]]) -> Vec<u8> {
        let mut out = Vec::new();
        if self.format == Format::Csv {
            self.csv.header_block(block, &mut out);
            let header = self.header.clone();
            self.csv.record(&header, &header, &mut out);
        }
        out
    }

    /// The fields of each row of `rows` as the CSV writes them (codes, and labels beside
    /// coded columns with `labels=ja`), handed to `each` one row at a time.
    pub fn records(&mut self, rows: &Rows, mut each: impl FnMut(&[Cow<str>])) {
        if self.labels == Labels::Ja {
            for r in 0..rows.len() {
                self.keep_labels(rows, r);
            }
        }
        let columns = self.columns;
        let (made, labeler) = (&self.made, &self.labeler);
        let mut fields: Vec<Cow<str>> = Vec::with_capacity(self.header.len());
        for r in 0..rows.len() {
            fields.clear();
            for (col, ((_, _, how), value)) in columns.iter().zip(rows.row(r)).enumerate() {
                fields.push(Cow::Borrowed(value));
                if self.labels == Labels::Ja && *how != LabelOf::None {
                    fields.push(Self::label_of(made, labeler, col, *how, value));
                }
            }
            each(&fields);
        }
    }

    /// One chunk of rows, encoded (CSV or NDJSON; a workbook takes [`Renderer::records`]).
    pub fn chunk(&mut self, rows: Rows) -> Vec<u8> {
        let mut out = Vec::with_capacity(rows.text.len() * 2 + 64);
        match self.format {
            Format::Csv => {
                let mut csv = std::mem::replace(&mut self.csv, CsvEncoder::new(Encoding::Utf8));
                let header = std::mem::take(&mut self.header);
                {
                    let mut batch = csv.batch(&header, &mut out);
                    self.records(&rows, |fields| batch.record(fields));
                    batch.finish(&mut out);
                }
                self.csv = csv;
                self.header = header;
            }
            _ => {
                if self.labels == Labels::Ja {
                    for r in 0..rows.len() {
                        self.keep_labels(&rows, r);
                    }
                }
                let columns = self.columns;
                let (made, labeler) = (&self.made, &self.labeler);
                for r in 0..rows.len() {
                    let mut obj = Map::new();
                    for (col, ((name, _, how), value)) in columns.iter().zip(rows.row(r)).enumerate() {
                        if self.labels == Labels::Ja && *how != LabelOf::None {
                            let l = Self::label_of(made, labeler, col, *how, value);
                            obj.insert(format!("{name}_label"), Value::String(l.into_owned()));
                        }
                        let v = if value.is_empty() {
                            Value::Null
                        } else if is_count(name) {
                            value
                                .parse::<i64>()
                                .map_or_else(|_| Value::String(value.to_owned()), Value::from)
                        } else {
                            Value::String(value.to_owned())
                        };
                        obj.insert((*name).to_owned(), v);
                    }
                    out.extend_from_slice(Value::Object(obj).to_string().as_bytes());
                    out.push(b'\n');
                }
            }
        }
        out
    }
}

/// How each column of [`header`] is typed in a workbook: the record's dates as Excel dates,
/// headcounts as numbers, and every code, ID, month and label as text. A column a recipient's
/// view coarsens (a date to its month) keeps its type, and a field that is not a whole date is
/// written as text.
pub fn cell_types(columns: &[ColumnSpec], labels: Labels) -> Vec<CellType> {
    let mut out = Vec::new();
    for (name, _, how) in columns {
        out.push(if is_count(name) {
            CellType::Count
        } else if is_date(name) {
            CellType::Date
        } else {
            CellType::Text
        });
        if labels == Labels::Ja && *how != LabelOf::None {
            out.push(CellType::Text);
        }
    }
    out
}

/// Columns that hold a day (`2024-04-01`).
fn is_date(name: &str) -> bool {
    name == "date" || name.ends_with("_on")
}

/// Characters CP932 cannot hold (even as their Windows equivalents) among everything the CSV
/// of `columns` can contain: its header and, with labels, every label each label column could
/// take (codes, IDs, dates and numbers are ASCII), named by that column. Checked before
/// streaming, so a refused extraction sends nothing.
pub fn cp932_losses(
    columns: &[ColumnSpec],
    header: &[String],
    labels: Labels,
    labeler: &Labeler,
) -> Vec<Unmappable> {
    let mut lost = Vec::new();
    for h in header {
        for c in csv_out::unmappable_chars(h) {
            lost.push(Unmappable {
                line: 1,
                column: h.clone(),
                character: c,
            });
        }
    }
    if labels == Labels::Ja {
        for (_, ja, how) in columns {
            let possible: Vec<&str> = match how {
                LabelOf::None => continue,
                LabelOf::Dim(d) => labeler.labels_of(*d).collect(),
                LabelOf::List(list) => labeler
                    .codes()
                    .items(list)
                    .iter()
                    .map(|i| i.label.as_str())
                    .collect(),
                LabelOf::EndReason => labeler
                    .codes()
                    .items(list::END_REASONS)
                    .iter()
                    .map(|i| i.label.as_str())
                    .collect(),
                LabelOf::AgeBand => labeler
                    .labels_of(Dimension::AgeBand)
                    .chain(super::privacy::BROAD_AGE_BANDS.iter().map(|(_, label, _)| *label))
                    .collect(),
            };
            let mut seen = Vec::new();
            for c in possible.into_iter().flat_map(csv_out::unmappable_chars) {
                if !seen.contains(&c) {
                    seen.push(c);
                    lost.push(Unmappable {
                        line: 0,
                        column: (*ja).to_owned(),
                        character: c,
                    });
                }
            }
        }
    }
    lost
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_columns_are_exactly_those_of_the_contract() {
        let names = |k: ExtractKind| k.columns().iter().map(|c| c.0).collect::<Vec<_>>().join(",");
        assert_eq!(
            names(ExtractKind::Participations),
            "activity_id,common_id,center,municipality,site,date,fiscal_year,function,sex,age_band,group,categories,care_level,household"
        );
        assert_eq!(
            names(ExtractKind::Activities),
            "activity_id,center,municipality,site,date,fiscal_year,function,participants,unregistered_elderly,unregistered_disabled,unregistered_child,unregistered_other,staff,volunteers"
        );
        assert_eq!(
            names(ExtractKind::Persons),
            "common_id,center,municipality,sex,birth_year_month,residence_municipality,group,categories,care_level,household,registered_on,ended_on,end_reason"
        );
    }

    #[test]
    fn no_column_can_hold_identity() {
        for kind in [
            ExtractKind::Participations,
            ExtractKind::Activities,
            ExtractKind::Persons,
        ] {
            for (name, _, _) in kind.columns() {
                for pii in [
                    "name",
                    "kana",
                    "birth_date",
                    "address",
                    "phone",
                    "note",
                    "contact",
                    "title",
                ] {
                    assert!(!name.contains(pii), "{} has {name}", kind.name());
                }
            }
        }
    }

    #[test]
    fn workbook_columns_type_dates_and_counts_and_keep_codes_as_text() {
        use CellType::*;
        assert_eq!(
            cell_types(ExtractKind::Persons.columns(), Labels::Code),
            [Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Date, Date, Text]
        );
        let ja = cell_types(ExtractKind::Activities.columns(), Labels::Ja);
        assert_eq!(
            ja.len(),
            header(ExtractKind::Activities.columns(), Labels::Ja).len()
        );
        assert_eq!(&ja[..4], [Text, Text, Text, Text]);
        assert_eq!(ja[7], Date);
        assert_eq!(ja[ja.len() - 1], Count);
    }

    #[test]
    fn csv_is_the_default_and_persons_cannot_be_filtered_by_function() {
        let r = request(ExtractKind::Activities, "period=FY2024").unwrap();
        assert_eq!(r.format, Format::Csv);
        assert_eq!(r.labels, Labels::Ja);
        let e = request(ExtractKind::Persons, "period=FY2024&filter=function:tsudoi").unwrap_err();
        assert_eq!(e[0].field, "filter");
    }
}
