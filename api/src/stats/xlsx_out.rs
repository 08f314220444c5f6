//! Excel workbooks (`format=xlsx`) for `/stats` and the extracts: one sheet with the header
//! block (`download::About`), the table's header row frozen under it, and typed cells — codes
//! and IDs as text (a 市町村コード keeps its digits, 2026-04 stays a month code), dates as Excel
//! dates, counts as numbers. The cells hold exactly the CSV's fields, typed.
//!
//! Rows are written in order into the sheet's temporary file (rust_xlsxwriter's
//! `constant_memory` mode flushes each row as the next begins), and the finished workbook into
//! an anonymous temporary file that the route streams: the heap stays bounded whatever the
//! number of rows (docs/benchmarks.md).

use std::fs::File;
use std::io::{Seek, SeekFrom};

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, XlsxError};

/// How a column's fields become cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellType {
    /// Codes, IDs, labels, month codes: text, formatted `@` so Excel keeps it text when edited.
    Text,
    /// `2024-04-01` as an Excel date; anything else in the column as text.
    Date,
    /// Counts as numbers; anything else (the suppression mark `x`) as text.
    Count,
}

/// Why a workbook could not be made.
#[derive(Debug, thiserror::Error)]
pub enum XlsxOutError {
    #[error("writing the workbook: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("the workbook's temporary file: {0}")]
    Io(#[from] std::io::Error),
}

/// Widest column, in Excel's character units.
const MAX_WIDTH: f64 = 60.0;

/// The rows Excel allows in one sheet (1,048,576) less the header block and header row.
pub const MAX_ROWS: u32 = 1_048_576;

/// A workbook being written row by row.
pub struct SheetWriter {
    workbook: Workbook,
    types: Vec<CellType>,
    widths: Vec<f64>,
    row: u32,
    header_row: Option<u32>,
    text: Format,
    date: Format,
    count: Format,
    head: Format,
    key: Format,
    title: Format,
}

/// Display width of `s` in Excel's units: East Asian wide characters count two.
fn width(s: &str) -> f64 {
    s.chars()
        .map(|c| {
            if (c as u32) < 0x1100 || ('\u{FF61}'..='\u{FF9F}').contains(&c) {
                1.0
            } else {
                2.0
            }
        })
        .sum()
}

impl SheetWriter {
    /// A new workbook whose one sheet is named `sheet` (Excel allows 31 characters).
    pub fn new(sheet: &str, title: &str) -> Result<SheetWriter, XlsxOutError> {
        let mut workbook = Workbook::new();
        workbook.set_properties(&DocProperties::new().set_title(title).set_author("Attaka"));
        let ws = workbook.add_worksheet_with_constant_memory()?;
        let name: String = sheet
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        ws.set_name(if name.is_empty() {
            "Sheet1".to_owned()
        } else {
            name
        })?;
        Ok(SheetWriter {
            workbook,
            types: Vec::new(),
            widths: Vec::new(),
            row: 0,
            header_row: None,
            text: Format::new().set_num_format_index(49),
            date: Format::new()
                .set_num_format("yyyy/mm/dd")
                .set_align(FormatAlign::Left),
            count: Format::new().set_num_format_index(3),
            head: Format::new()
                .set_bold()
                .set_num_format_index(49)
                .set_background_color("#DDEBF7")
                .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin),
            key: Format::new().set_bold().set_num_format_index(49),
            title: Format::new()
                .set_bold()
                .set_font_size(13)
                .set_num_format_index(49),
        })
    }

    fn widen(&mut self, col: usize, s: &str) {
        if self.widths.len() <= col {
            self.widths.resize(col + 1, 0.0);
        }
        let w = width(s).min(MAX_WIDTH);
        if w > self.widths[col] {
            self.widths[col] = w;
        }
    }

    /// The header block: `[key, value]` lines, then one empty row. Values are not measured
    /// for column widths (a long note would widen the first data column past use).
    pub fn header_block(&mut self, lines: &[[String; 2]]) -> Result<(), XlsxOutError> {
        let ws = self.workbook.worksheet_from_index(0)?;
        for (i, [key, value]) in lines.iter().enumerate() {
            ws.write_string_with_format(self.row, 0, key.as_str(), &self.key)?;
            let f = if i == 0 { &self.title } else { &self.text };
            ws.write_string_with_format(self.row, 1, value.as_str(), f)?;
            self.row += 1;
        }
        if !lines.is_empty() {
            self.row += 1;
        }
        Ok(())
    }

    /// The table's header row (frozen: it stays in view while scrolling) and its columns' types.
    pub fn header(&mut self, names: &[String], types: Vec<CellType>) -> Result<(), XlsxOutError> {
        let ws = self.workbook.worksheet_from_index(0)?;
        for (col, name) in names.iter().enumerate() {
            ws.write_string_with_format(self.row, col as u16, name.as_str(), &self.head)?;
        }
        ws.set_freeze_panes(self.row + 1, 0)?;
        for (col, name) in names.iter().enumerate() {
            // Room for the header text (bold, plus the filter-less margin).
            self.widen(col, name);
        }
        self.types = types;
        self.header_row = Some(self.row);
        self.row += 1;
        Ok(())
    }

    /// Rows written so far, header block included.
    pub fn rows(&self) -> u32 {
        self.row
    }

    /// One data row: each field typed by its column.
    pub fn record<S: AsRef<str>>(&mut self, fields: &[S]) -> Result<(), XlsxOutError> {
        if self.row >= MAX_ROWS {
            return Err(XlsxOutError::Xlsx(XlsxError::RowColumnLimitError));
        }
        let row = self.row;
        for (col, f) in fields.iter().enumerate() {
            let f = f.as_ref();
            self.widen(col, f);
            if f.is_empty() {
                continue;
            }
            let ty = self.types.get(col).copied().unwrap_or(CellType::Text);
            let c = col as u16;
            let ws = self.workbook.worksheet_from_index(0)?;
            match ty {
                CellType::Count => match f.parse::<u64>() {
                    Ok(n) => ws.write_number_with_format(row, c, n as f64, &self.count)?,
                    Err(_) => ws.write_string_with_format(row, c, f, &self.text)?,
                },
                CellType::Date => match excel_date(f) {
                    Some(d) => ws.write_datetime_with_format(row, c, d, &self.date)?,
                    None => ws.write_string_with_format(row, c, f, &self.text)?,
                },
                CellType::Text => ws.write_string_with_format(row, c, f, &self.text)?,
            };
        }
        self.row += 1;
        Ok(())
    }

    /// Sets the column widths and writes the finished workbook into an anonymous temporary
    /// file (removed when closed), rewound for reading.
    pub fn finish(mut self) -> Result<File, XlsxOutError> {
        let widths = std::mem::take(&mut self.widths);
        let ws = self.workbook.worksheet_from_index(0)?;
        for (col, w) in widths.iter().enumerate() {
            // A little room beyond the text; dates need 10.
            let w = match self.types.get(col) {
                Some(CellType::Date) => w.max(10.0),
                _ => *w,
            };
            ws.set_column_width(col as u16, (w + 2.0).clamp(6.0, MAX_WIDTH))?;
        }
        let mut file = tempfile::tempfile()?;
        self.workbook.save_to_writer(&mut file)?;
        file.seek(SeekFrom::Start(0))?;
        Ok(file)
    }
}

/// `2024-04-01` as an Excel date.
fn excel_date(s: &str) -> Option<ExcelDateTime> {
    if s.len() != 10 {
        return None;
    }
    let d: chrono::NaiveDate = s.parse().ok()?;
    use chrono::Datelike;
    ExcelDateTime::from_ymd(u16::try_from(d.year()).ok()?, d.month() as u8, d.day() as u8).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_count_twice_for_column_widths() {
        assert_eq!(width("392014"), 6.0);
        assert_eq!(width("高知市"), 6.0);
        assert_eq!(width("ｶﾅ"), 2.0);
    }

    #[test]
    fn only_whole_iso_dates_become_excel_dates() {
        assert!(excel_date("2024-04-01").is_some());
        assert!(excel_date("2024-04").is_none());
        assert!(excel_date("FY2024").is_none());
    }
}
