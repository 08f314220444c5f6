//! Excel workbooks (`format=xlsx`) and the header block and file names they share with CSV:
//! every cell read back with calamine equals the CSV field of the same request, typed (codes
//! and month codes as text, dates as dates, counts as numbers); the header row is frozen and
//! the columns sized; roles and scopes are what they are for CSV.

use std::io::{Cursor, Read};

use calamine::{open_workbook_from_rs, Data, DataType, Reader, Xlsx};
use reqwest::StatusCode;
use shared::dto::auth::Role;

use crate::helpers::*;
use crate::stats::{fixture, fixture_with};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn download(app: &TestApp, token: &str, path: &str) -> (String, Vec<u8>) {
    let res = app.get(path, token).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let cd = res.headers()["content-disposition"].to_str().unwrap().to_owned();
    (cd, res.bytes().await.unwrap().to_vec())
}

/// The sheet's cells, row by row, as the CSV would write them, plus each cell's type.
fn sheet(bytes: &[u8]) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("a workbook");
    let range = wb.worksheet_range_at(0).expect("one sheet").expect("readable");
    assert_eq!(range.start(), Some((0, 0)));
    range.rows().map(|r| r.to_vec()).collect()
}

fn as_csv_field(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => {
            assert_eq!(f.fract(), 0.0, "a count is whole: {f}");
            format!("{}", *f as u64)
        }
        Data::Int(i) => i.to_string(),
        Data::DateTime(_) => cell.as_date().expect("a date").to_string(),
        other => panic!("unexpected cell {other:?}"),
    }
}

/// Lines without their trailing empty fields; empty lines dropped.
fn trimmed(lines: Vec<Vec<String>>) -> Vec<Vec<String>> {
    lines
        .into_iter()
        .map(|mut l| {
            while l.last().is_some_and(String::is_empty) {
                l.pop();
            }
            l
        })
        .filter(|l| !l.is_empty())
        .collect()
}

fn csv_lines(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).unwrap();
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    trimmed(
        r.records()
            .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
            .collect(),
    )
}

fn sheet_lines(rows: &[Vec<Data>]) -> Vec<Vec<String>> {
    trimmed(
        rows.iter()
            .map(|r| r.iter().map(as_csv_field).collect())
            .collect(),
    )
}

/// The row whose first cell is `first`.
fn row<'a>(rows: &'a [Vec<Data>], first: &str) -> &'a [Data] {
    rows.iter()
        .find(|r| matches!(r.first(), Some(Data::String(s)) if s == first))
        .unwrap_or_else(|| panic!("no row starting {first}"))
}

/// The XML of the first sheet.
fn sheet_xml(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

#[tokio::test]
async fn a_stats_workbook_holds_every_field_of_the_csv_of_the_same_request_typed() {
    let f = fixture().await;
    let t = f.app.token(Role::Prefecture).await;
    let q = "measures=participations,unique_persons,activities&rows=municipality,month,date&period=FY2024&totals=true&header_block=true";
    let (_, csv) = download(&f.app, &t, &format!("/api/v1/stats?{q}&format=csv")).await;
    let (_, xlsx) = download(&f.app, &t, &format!("/api/v1/stats?{q}&format=xlsx")).await;
    let rows = sheet(&xlsx);
    assert_eq!(sheet_lines(&rows), csv_lines(&csv));
    // Typed: the municipality code and the month code stay text, the date is a date, counts are numbers.
    let first = row(&rows, "392014");
    assert_eq!(first[0], Data::String("392014".into()));
    assert_eq!(first[1], Data::String("高知市".into()));
    assert_eq!(first[2], Data::String("2024-04".into()));
    assert!(matches!(first[4], Data::DateTime(_)), "{:?}", first[4]);
    assert_eq!(first[4].as_date().unwrap().to_string(), "2024-04-01");
    assert_eq!(first[6], Data::Float(6.0));
    let total = row(&rows, "合計");
    assert_eq!(total[6], Data::Float(15.0));
    assert_eq!(total[7], Data::Float(3.0));
    // The header block: title, scope, period in 和暦 and 西暦, time in 和暦.
    assert_eq!(row(&rows, "範囲")[1], Data::String("高知県全域".into()));
    let period = as_csv_field(&row(&rows, "期間")[1]);
    assert!(
        period.starts_with("令和6年度（令和6年4月1日～令和7年3月31日／2024年4月1日～2025年3月31日"),
        "{period}"
    );
    assert!(as_csv_field(&row(&rows, "作成日時")[1]).starts_with("令和"));
}

#[tokio::test]
async fn every_extract_workbook_holds_every_field_of_its_csv_typed() {
    let f = fixture().await;
    let t = f.app.token(Role::Prefecture).await;
    for kind in ["participations", "activities", "persons"] {
        for labels in ["ja", "code"] {
            let q = format!("/api/v1/extracts/{kind}?period=FY2024&labels={labels}&header_block=true");
            let (_, csv) = download(&f.app, &t, &format!("{q}&format=csv")).await;
            let (cd, xlsx) = download(&f.app, &t, &format!("{q}&format=xlsx")).await;
            let rows = sheet(&xlsx);
            assert_eq!(sheet_lines(&rows), csv_lines(&csv), "{kind} {labels}");
            assert!(
                cd.contains(&format!("attaka-{kind}_prefecture_FY2024.xlsx")),
                "{cd}"
            );
        }
    }
    let (_, xlsx) = download(
        &f.app,
        &t,
        "/api/v1/extracts/participations?period=FY2024&format=xlsx&labels=code",
    )
    .await;
    let rows = sheet(&xlsx);
    let header = rows
        .iter()
        .position(|r| r.first() == Some(&Data::String("activity_id".into())))
        .unwrap();
    let first = &rows[header + 1];
    // common_id is text, the centre and municipality codes are text, the date a date.
    assert!(matches!(first[1], Data::String(_)));
    assert_eq!(first[3], Data::String("392014".into()));
    assert!(matches!(first[5], Data::DateTime(_)), "{:?}", first[5]);
    assert_eq!(first[6], Data::String("FY2024".into()));
    let (_, xlsx) = download(
        &f.app,
        &t,
        "/api/v1/extracts/activities?period=FY2024&format=xlsx&labels=code",
    )
    .await;
    let rows = sheet(&xlsx);
    let header = rows
        .iter()
        .position(|r| r.first() == Some(&Data::String("activity_id".into())))
        .unwrap();
    assert!(
        matches!(rows[header + 1][7], Data::Float(_)),
        "participants is a number"
    );
    let (_, xlsx) = download(
        &f.app,
        &t,
        "/api/v1/extracts/persons?period=FY2024&format=xlsx&labels=code",
    )
    .await;
    let rows = sheet(&xlsx);
    let header = rows
        .iter()
        .position(|r| r.first() == Some(&Data::String("common_id".into())))
        .unwrap();
    assert_eq!(
        rows[header + 1][4],
        Data::String("1948-05".into()),
        "a year-month stays text"
    );
    assert!(
        matches!(rows[header + 1][10], Data::DateTime(_)),
        "registered_on is a date"
    );
}

#[tokio::test]
async fn the_workbook_freezes_its_header_row_sizes_its_columns_and_formats_codes_as_text() {
    let f = fixture().await;
    let t = f.app.token(Role::Prefecture).await;
    let (_, xlsx) = download(
        &f.app,
        &t,
        "/api/v1/stats?measures=participations&rows=municipality&period=FY2024&format=xlsx",
    )
    .await;
    let rows = sheet(&xlsx);
    let header = rows
        .iter()
        .position(|r| r.first() == Some(&Data::String("市町村コード".into())))
        .unwrap();
    let xml = sheet_xml(&xlsx);
    // Frozen below the header row (rows are 1-based in the XML).
    let split = format!("ySplit=\"{}\"", header + 1);
    assert!(
        xml.contains("<pane ") && xml.contains(&split) && xml.contains("state=\"frozen\""),
        "{xml}"
    );
    assert!(xml.contains("<cols>") && xml.contains("customWidth=\"1\""));
    // Text cells carry Excel's text format (`@`, built-in 49), so an edit keeps the digits.
    let mut zip = zip::ZipArchive::new(Cursor::new(xlsx.clone())).unwrap();
    let mut styles = String::new();
    zip.by_name("xl/styles.xml")
        .unwrap()
        .read_to_string(&mut styles)
        .unwrap();
    assert!(styles.contains("numFmtId=\"49\""), "{styles}");
    // Without the block the table starts on the first row, and the pane under it.
    let (_, bare) = download(
        &f.app,
        &t,
        "/api/v1/stats?measures=participations&rows=municipality&period=FY2024&format=xlsx&header_block=false",
    )
    .await;
    assert_eq!(sheet(&bare)[0][0], Data::String("市町村コード".into()));
    assert!(sheet_xml(&bare).contains("ySplit=\"1\""));
}

#[tokio::test]
async fn file_names_say_what_is_inside_for_xlsx_and_csv_alike() {
    let f = fixture().await;
    let city = f.app.token(Role::Municipality).await;
    let q = "/api/v1/stats?measures=participations&rows=municipality,function&period=FY2024";
    for ext in ["xlsx", "csv"] {
        let (cd, _) = download(&f.app, &city, &format!("{q}&format={ext}")).await;
        let name = format!("集計_高知市_令和6年度_市町村×機能.{ext}");
        let encoded: String = name
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        assert_eq!(
            cd,
            format!(
                "attachment; filename=\"attaka-stats_392014_FY2024_municipality-function.{ext}\"; filename*=UTF-8''{encoded}"
            )
        );
    }
    let res = f.app.get(&format!("{q}&format=xlsx"), &city).await;
    assert_eq!(res.headers()["content-type"], XLSX);
    let (cd, _) = download(&f.app, &city, "/api/v1/extracts/activities?period=2024-05").await;
    assert!(cd.contains("attaka-activities_392014_2024-05.csv"), "{cd}");
}

#[tokio::test]
async fn csv_starts_with_the_header_block_only_when_asked() {
    let f = fixture().await;
    let t = f.app.token(Role::Municipality).await;
    let q = "/api/v1/stats?measures=activities&rows=function&period=FY2024&format=csv";
    let (_, plain) = download(&f.app, &t, q).await;
    assert!(plain.starts_with("\u{FEFF}機能コード,機能,実施回数\r\n".as_bytes()));
    let (_, block) = download(&f.app, &t, &format!("{q}&header_block=true")).await;
    let text = std::str::from_utf8(&block[3..]).unwrap();
    assert!(
        text.starts_with("表題,実施回数（機能）\r\n範囲,高知市\r\n期間,令和6年度"),
        "{text}"
    );
    assert!(text.contains("\r\n\r\n機能コード,機能,実施回数\r\n"), "{text}");
    // The same block for an extract, in Shift_JIS too.
    let (_, sjis) = download(
        &f.app,
        &t,
        "/api/v1/extracts/activities?period=FY2024&header_block=true&encoding=cp932",
    )
    .await;
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&sjis);
    assert!(!bad);
    assert!(text.starts_with("表題,活動記録"), "{text}");
    assert!(
        text.contains("期間,令和6年度（令和6年4月1日～令和7年3月31日"),
        "{text}"
    );
    let res = f
        .app
        .get(
            "/api/v1/stats?measures=activities&period=FY2024&header_block=true",
            &t,
        )
        .await;
    let p = expect_problem(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(p.errors[0].field, "header_block");
    let res = f
        .app
        .get(
            "/api/v1/stats?measures=activities&period=FY2024&format=xlsx&encoding=cp932",
            &t,
        )
        .await;
    let p = expect_problem(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(p.errors[0].field, "encoding");
}

#[tokio::test]
async fn suppressed_cells_read_x_in_the_workbook_as_in_the_csv_and_the_block_says_why() {
    let f = fixture_with(|s| {
        s.stats.suppression.insert("municipality".into(), 3);
    })
    .await;
    let t = f.app.token(Role::Municipality).await;
    let q = "/api/v1/stats?measures=participations,unique_persons&rows=function,sex&period=FY2024&totals=true&header_block=true";
    let (_, csv) = download(&f.app, &t, &format!("{q}&format=csv")).await;
    let (_, xlsx) = download(&f.app, &t, &format!("{q}&format=xlsx")).await;
    let rows = sheet(&xlsx);
    assert_eq!(sheet_lines(&rows), csv_lines(&csv));
    assert!(
        rows.iter().flatten().any(|c| *c == Data::String("x".into())),
        "some cell is hidden"
    );
    let note = rows
        .iter()
        .filter(|r| r.first() == Some(&Data::String("注記".into())))
        .map(|r| as_csv_field(&r[1]))
        .find(|n| n.contains(" x "))
        .expect("a suppression note");
    assert!(note.contains("1～2人"), "{note}");
}

#[tokio::test]
async fn a_role_refused_figures_or_records_is_refused_the_workbook_alike() {
    let f = fixture().await;
    let op = f.app.token(Role::Operator).await;
    for path in [
        "/api/v1/stats?measures=activities&period=FY2024",
        "/api/v1/extracts/persons?period=FY2024",
    ] {
        let csv = expect_problem(
            f.app.get(&format!("{path}&format=csv"), &op).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        let xlsx = expect_problem(
            f.app.get(&format!("{path}&format=xlsx"), &op).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_eq!(
            (csv.kind, csv.title, csv.detail),
            (xlsx.kind, xlsx.title, xlsx.detail)
        );
    }
    // Scope holds: a municipality officer's workbook of another municipality is empty.
    let city = f.app.token(Role::Municipality).await;
    let (_, xlsx) = download(
        &f.app,
        &city,
        "/api/v1/extracts/activities?period=FY2024&format=xlsx&labels=code&header_block=false&filter=municipality:392022",
    )
    .await;
    assert_eq!(sheet(&xlsx).len(), 1, "only the header row");
}
