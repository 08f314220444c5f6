//! A statistics table and its two renderings: the JSON of api.md and CSV for Excel.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde_json::Value;
use shared::dates::{format_wareki, to_wareki};
use shared::dto::stats::{ColumnKind, StatsColumn, StatsMeta, StatsResponse};

use super::csv_out::{CsvEncoder, Unmappable};
use super::xlsx_out::{CellType, SheetWriter, XlsxOutError};
use super::{Dimension, Encoding, Labels, Measure};
use crate::domain::codes::Codes;

/// What the first code column of the CSV totals line holds with `labels=code`.
pub const TOTAL_CODE: &str = "total";

#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    /// One code per dimension of `Table::dims`.
    pub keys: Vec<String>,
    /// One value per measure; `None` where suppressed.
    pub values: Vec<Option<u64>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub dims: Vec<Dimension>,
    pub measures: Vec<Measure>,
    pub rows: Vec<TableRow>,
    pub totals: Option<Vec<Option<u64>>>,
    /// Per measure: whether its cells are published perturbed (the cell-key method).
    pub perturbed: Vec<bool>,
}

/// Japanese labels for dimension codes: master lists, municipalities, centres, sites, periods.
#[derive(Debug, Clone, Default)]
pub struct Labeler {
    codes: Codes,
    names: HashMap<(Dimension, String), String>,
}

impl Labeler {
    pub fn new(
        codes: Codes,
        municipalities: impl IntoIterator<Item = (String, String)>,
        centers: impl IntoIterator<Item = (String, String)>,
        sites: impl IntoIterator<Item = (String, String)>,
    ) -> Labeler {
        let mut names = HashMap::new();
        for (code, name) in municipalities {
            names.insert((Dimension::Municipality, code), name);
        }
        for (code, name) in centers {
            names.insert((Dimension::Center, code), name);
        }
        for (code, name) in sites {
            names.insert((Dimension::Site, code), name);
        }
        Labeler { codes, names }
    }

    pub fn codes(&self) -> &Codes {
        &self.codes
    }

    /// Adds the regions' names (code, name).
    pub fn with_regions(mut self, regions: impl IntoIterator<Item = (String, String)>) -> Labeler {
        for (code, name) in regions {
            self.names.insert((Dimension::Region, code), name);
        }
        self
    }

    /// The labels of the names this labeler holds for `dim` (municipalities, centres, sites)
    /// and of its master list, if any: what a column of `dim` codes can be labelled with,
    /// besides periods (kanji and digits) and 不明 / 本所.
    pub fn labels_of(&self, dim: Dimension) -> impl Iterator<Item = &str> {
        let names = self
            .names
            .iter()
            .filter(move |((d, _), _)| *d == dim)
            .map(|(_, name)| name.as_str());
        let listed = dim
            .code_list()
            .map(|l| self.codes.items(l))
            .unwrap_or_default()
            .iter()
            .map(|i| i.label.as_str());
        names.chain(listed)
    }

    pub fn label(&self, dim: Dimension, code: &str) -> String {
        if code == super::UNKNOWN {
            return match dim {
                Dimension::Region => "所属なし".into(),
                _ => "不明".into(),
            };
        }
        if code.is_empty() {
            return match dim {
                Dimension::Site => "本所".into(),
                _ => String::new(),
            };
        }
        match dim {
            Dimension::FiscalYear => fiscal_year_label(code).unwrap_or_else(|| code.to_owned()),
            Dimension::Quarter => quarter_label(code).unwrap_or_else(|| code.to_owned()),
            Dimension::Month => month_label(code).unwrap_or_else(|| code.to_owned()),
            Dimension::Date => code
                .parse::<NaiveDate>()
                .map(format_wareki)
                .unwrap_or_else(|_| code.to_owned()),
            Dimension::Municipality | Dimension::Region | Dimension::Center | Dimension::Site => self
                .names
                .get(&(dim, code.to_owned()))
                .cloned()
                .unwrap_or_else(|| code.to_owned()),
            _ => dim
                .code_list()
                .and_then(|l| self.codes.get(l, code))
                .map(|i| i.label.clone())
                .unwrap_or_else(|| code.to_owned()),
        }
    }
}

/// `FY2019` → `令和元年度`: a fiscal year takes the era in force on 1 May, so the year of an
/// era change is named after the new era, as Japanese offices do.
pub(crate) fn fiscal_year_label(code: &str) -> Option<String> {
    let fy: i32 = code.strip_prefix("FY")?.parse().ok()?;
    let (era, year) = to_wareki(NaiveDate::from_ymd_opt(fy, 5, 1)?)?;
    let year = if year == 1 {
        "元".to_owned()
    } else {
        year.to_string()
    };
    Some(format!("{}{}年度", era.kanji(), year))
}

fn quarter_label(code: &str) -> Option<String> {
    let (fy, q) = code.split_once('Q')?;
    Some(format!("{} 第{}四半期", fiscal_year_label(fy)?, q))
}

fn month_label(code: &str) -> Option<String> {
    let first = NaiveDate::parse_from_str(&format!("{code}-01"), "%Y-%m-%d").ok()?;
    let full = format_wareki(first);
    // 令和6年4月1日 → 令和6年4月
    Some(full.strip_suffix(&format!("{}日", first.day()))?.to_owned())
}

/// What follows the name of a perturbed measure in a CSV header: `※` after the Japanese one,
/// `*` after the code.
pub const PERTURBED_JA: &str = "※";
pub const PERTURBED_CODE: &str = "*";

impl Table {
    fn is_perturbed(&self, measure: usize) -> bool {
        self.perturbed.get(measure).copied().unwrap_or(false)
    }

    fn columns(&self, labels: Labels) -> Vec<StatsColumn> {
        let mut cols = Vec::new();
        for d in &self.dims {
            cols.push(StatsColumn {
                name: d.code().to_owned(),
                kind: ColumnKind::Dimension,
                perturbed: false,
            });
            if labels == Labels::Ja {
                cols.push(StatsColumn {
                    name: format!("{}_label", d.code()),
                    kind: ColumnKind::Label,
                    perturbed: false,
                });
            }
        }
        for (i, m) in self.measures.iter().enumerate() {
            cols.push(StatsColumn {
                name: m.code().to_owned(),
                kind: ColumnKind::Measure,
                perturbed: self.is_perturbed(i),
            });
        }
        cols
    }

    pub fn to_json(&self, labels: Labels, labeler: &Labeler, meta: StatsMeta) -> StatsResponse {
        let row = |keys: Option<&[String]>, values: &[Option<u64>]| {
            let mut out = Vec::new();
            for (i, d) in self.dims.iter().enumerate() {
                let code = keys.map(|k| k[i].clone());
                if labels == Labels::Ja {
                    let label = code.as_deref().map(|c| labeler.label(*d, c));
                    out.push(code.map_or(Value::Null, Value::String));
                    out.push(label.map_or(Value::Null, Value::String));
                } else {
                    out.push(code.map_or(Value::Null, Value::String));
                }
            }
            out.extend(values.iter().map(|v| v.map_or(Value::Null, Value::from)));
            out
        };
        StatsResponse {
            columns: self.columns(labels),
            rows: self.rows.iter().map(|r| row(Some(&r.keys), &r.values)).collect(),
            totals: self.totals.as_ref().map(|t| row(None, t)),
            meta,
        }
    }

    /// The header of the CSV and the workbook; perturbed measures are marked.
    pub fn header(&self, labels: Labels) -> Vec<String> {
        match labels {
            Labels::Code => self
                .columns(labels)
                .into_iter()
                .map(|c| match c.perturbed {
                    true => format!("{}{PERTURBED_CODE}", c.name),
                    false => c.name,
                })
                .collect(),
            Labels::Ja => {
                let mut h = Vec::new();
                for d in &self.dims {
                    h.push(format!("{}コード", d.label()));
                    h.push(d.label().to_owned());
                }
                h.extend(
                    self.measures
                        .iter()
                        .enumerate()
                        .map(|(i, m)| match self.is_perturbed(i) {
                            true => format!("{}{PERTURBED_JA}", m.label()),
                            false => m.label().to_owned(),
                        }),
                );
                h
            }
        }
    }

    /// How each column of [`Table::header`] is typed in a workbook: dates as dates, measures
    /// as numbers, every code and label as text.
    pub fn cell_types(&self, labels: Labels) -> Vec<CellType> {
        let mut out = Vec::new();
        for d in &self.dims {
            out.push(if *d == Dimension::Date {
                CellType::Date
            } else {
                CellType::Text
            });
            if labels == Labels::Ja {
                out.push(CellType::Text);
            }
        }
        out.extend(self.measures.iter().map(|_| CellType::Count));
        out
    }

    /// The table's lines under its header, as the CSV writes them: codes (and labels), then
    /// the measures (`x` where suppressed), then the totals line if any.
    pub fn records(&self, labels: Labels, labeler: &Labeler) -> Vec<Vec<String>> {
        let cell = |v: &Option<u64>| v.map_or_else(|| "x".to_owned(), |n| n.to_string());
        let line = |keys: Option<&[String]>, values: &[Option<u64>]| {
            let mut fields = Vec::new();
            for (i, d) in self.dims.iter().enumerate() {
                match keys {
                    Some(k) => {
                        fields.push(k[i].clone());
                        if labels == Labels::Ja {
                            fields.push(labeler.label(*d, &k[i]));
                        }
                    }
                    None => {
                        // The totals line: 合計 under Japanese labels, `total` among codes.
                        fields.push(match (i, labels) {
                            (0, Labels::Ja) => "合計".to_owned(),
                            (0, Labels::Code) => TOTAL_CODE.to_owned(),
                            _ => String::new(),
                        });
                        if labels == Labels::Ja {
                            fields.push(String::new());
                        }
                    }
                }
            }
            fields.extend(values.iter().map(cell));
            fields
        };
        let mut out: Vec<Vec<String>> = self.rows.iter().map(|r| line(Some(&r.keys), &r.values)).collect();
        // Without row dimensions the one row is the total already: a second line would repeat it.
        if let (Some(t), false) = (&self.totals, self.dims.is_empty()) {
            out.push(line(None, t));
        }
        out
    }

    /// CSV bytes; with CP932 and `replace` false, characters it cannot hold fail the whole
    /// table (nothing is sent) and are listed.
    pub fn to_csv(
        &self,
        encoding: Encoding,
        labels: Labels,
        replace: bool,
        labeler: &Labeler,
    ) -> Result<Vec<u8>, Vec<Unmappable>> {
        self.to_csv_with(encoding, labels, replace, labeler, &[])
    }

    /// CSV bytes under a header block (`download::About::lines`, an empty line after it).
    pub fn to_csv_with(
        &self,
        encoding: Encoding,
        labels: Labels,
        replace: bool,
        labeler: &Labeler,
        block: &[[String; 2]],
    ) -> Result<Vec<u8>, Vec<Unmappable>> {
        let header = self.header(labels);
        let mut enc = CsvEncoder::new(encoding);
        let mut out = Vec::new();
        let mut lost = enc.header_block(block, &mut out);
        lost.extend(enc.record(&header, &header, &mut out));
        for fields in self.records(labels, labeler) {
            lost.extend(enc.record(&header, &fields, &mut out));
        }
        if lost.is_empty() || replace {
            Ok(out)
        } else {
            Err(lost)
        }
    }

    /// The workbook: the same fields as [`Table::to_csv_with`], typed.
    pub fn to_xlsx(
        &self,
        labels: Labels,
        labeler: &Labeler,
        sheet: &str,
        title: &str,
        block: &[[String; 2]],
    ) -> Result<std::fs::File, XlsxOutError> {
        let mut w = SheetWriter::new(sheet, title)?;
        w.header_block(block)?;
        w.header(&self.header(labels), self.cell_types(labels))?;
        for fields in self.records(labels, labeler) {
            w.record(&fields)?;
        }
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_labelled_in_wareki_with_gannen() {
        assert_eq!(fiscal_year_label("FY2019").unwrap(), "令和元年度");
        assert_eq!(fiscal_year_label("FY2024").unwrap(), "令和6年度");
        assert_eq!(fiscal_year_label("FY1989").unwrap(), "平成元年度");
        assert_eq!(quarter_label("FY2024Q1").unwrap(), "令和6年度 第1四半期");
        assert_eq!(month_label("2025-03").unwrap(), "令和7年3月");
    }

    #[test]
    fn csv_has_japanese_headers_code_columns_beside_labels_and_x_for_hidden_cells() {
        let labeler = Labeler::new(
            Codes::default(),
            [("392014".to_owned(), "高知市".to_owned())],
            Vec::new(),
            Vec::new(),
        );
        let t = Table {
            dims: vec![Dimension::Municipality],
            measures: vec![Measure::Participations, Measure::UniquePersons],
            rows: vec![TableRow {
                keys: vec!["392014".into()],
                values: vec![Some(1234), None],
            }],
            totals: Some(vec![Some(1234), Some(99)]),
            perturbed: vec![false, false],
        };
        let bytes = t.to_csv(Encoding::Utf8Bom, Labels::Ja, false, &labeler).unwrap();
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(
            text,
            "市町村コード,市町村,延べ利用者数,実利用者数\r\n392014,高知市,1234,x\r\n合計,,1234,99\r\n"
        );
        let coded = t.to_csv(Encoding::Utf8, Labels::Code, false, &labeler).unwrap();
        assert_eq!(
            std::str::from_utf8(&coded).unwrap(),
            "municipality,participations,unique_persons\r\n392014,1234,x\r\ntotal,1234,99\r\n"
        );
    }

    #[test]
    fn a_perturbed_measure_is_marked_in_both_csv_headers_and_in_the_json_columns() {
        let t = Table {
            dims: vec![],
            measures: vec![Measure::Participations, Measure::Activities],
            rows: vec![TableRow {
                keys: vec![],
                values: vec![Some(15), Some(3)],
            }],
            totals: None,
            perturbed: vec![true, false],
        };
        let labeler = Labeler::default();
        let ja = t.to_csv(Encoding::Utf8, Labels::Ja, false, &labeler).unwrap();
        assert_eq!(
            std::str::from_utf8(&ja).unwrap(),
            "延べ利用者数※,実施回数\r\n15,3\r\n"
        );
        let code = t.to_csv(Encoding::Utf8, Labels::Code, false, &labeler).unwrap();
        assert_eq!(
            std::str::from_utf8(&code).unwrap(),
            "participations*,activities\r\n15,3\r\n"
        );
        let cols = t.columns(Labels::Code);
        assert!(cols[0].perturbed && !cols[1].perturbed);
    }

    #[test]
    fn without_row_dimensions_the_csv_has_no_second_totals_line() {
        let t = Table {
            dims: vec![],
            measures: vec![Measure::Participations],
            rows: vec![TableRow {
                keys: vec![],
                values: vec![Some(15)],
            }],
            totals: Some(vec![Some(15)]),
            perturbed: vec![false],
        };
        let bytes = t
            .to_csv(Encoding::Utf8, Labels::Ja, false, &Labeler::default())
            .unwrap();
        assert_eq!(std::str::from_utf8(&bytes).unwrap(), "延べ利用者数\r\n15\r\n");
    }
}
