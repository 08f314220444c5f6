//! De-identified extracts: fixed columns, no identity, scope, audit, streaming, and every
//! `/stats` measure recomputed from the three extracts alone.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use reqwest::StatusCode;
use serde_json::{json, Value};
use shared::dto::auth::Role;
use shared::dto::stats::{ColumnKind, StatsResponse};

use crate::helpers::*;
use crate::stats::fixture;

async fn ndjson(app: &TestApp, token: &str, kind: &str, query: &str) -> Vec<Map> {
    let res = app
        .get(&format!("/api/v1/extracts/{kind}?format=ndjson&{query}"), token)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    let text = res.text().await.unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

type Map = serde_json::Map<String, Value>;

fn s<'a>(row: &'a Map, key: &str) -> &'a str {
    row.get(key).and_then(Value::as_str).unwrap_or("")
}

fn n(row: &Map, key: &str) -> u64 {
    row.get(key).and_then(Value::as_u64).unwrap_or(0)
}

#[tokio::test]
async fn csv_headers_are_exactly_the_contracts_column_names_with_labels_code() {
    let f = fixture().await;
    let t = f.app.token(Role::Prefecture).await;
    let text = f
        .app
        .get(
            "/api/v1/extracts/participations?period=FY2024&labels=code&encoding=utf-8",
            &t,
        )
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "activity_id,common_id,center,municipality,site,date,fiscal_year,function,sex,age_band,group,categories,care_level,household"
    );
    // Registered participations in FY2024: 3 + 3 + 1 + 1 + 2.
    assert_eq!(lines.len() - 1, 10);
    let ja = f
        .app
        .get("/api/v1/extracts/activities?period=FY2024", &t)
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(&ja[..3], b"\xEF\xBB\xBF");
    let ja = std::str::from_utf8(&ja[3..]).unwrap();
    assert!(
        ja.starts_with("活動ID,センターコード,センター,市町村コード,市町村,"),
        "{ja}"
    );
}

#[tokio::test]
async fn extracts_never_carry_identity_and_stay_in_scope() {
    let f = fixture().await;
    let pref = f.app.token(Role::Prefecture).await;
    for kind in ["participations", "activities", "persons"] {
        for labels in ["code", "ja"] {
            let text = f
                .app
                .get(
                    &format!("/api/v1/extracts/{kind}?period=FY2024&format=ndjson&labels={labels}"),
                    &pref,
                )
                .await
                .text()
                .await
                .unwrap();
            for pii in [
                "甲",
                "乙",
                "丙",
                "ヤマモト",
                "1948-05-01",
                "2006-04-02",
                "088-894-0000",
                "春野町",
                "膝",
            ] {
                assert!(!text.contains(pii), "{kind} leaked {pii}");
            }
        }
    }
    let persons = ndjson(&f.app, &pref, "persons", "period=FY2024").await;
    assert_eq!(persons.len(), 3);
    assert_eq!(s(&persons[0], "birth_year_month"), "1948-05");
    // A municipality account gets its own centres' records and nothing of others.
    let city = f.app.token(Role::Municipality).await;
    assert_eq!(
        ndjson(&f.app, &city, "activities", "period=FY2024").await.len(),
        5
    );
    let other = ndjson(
        &f.app,
        &city,
        "activities",
        "period=FY2024&filter=municipality:392022",
    )
    .await;
    assert!(other.is_empty());
    let op = f.app.token(Role::Operator).await;
    let res = f.app.get("/api/v1/extracts/persons?period=FY2024", &op).await;
    expect_problem(res, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn each_extraction_is_audited_before_its_body_and_again_with_its_row_count() {
    let f = fixture().await;
    let pref = f.app.token(Role::Prefecture).await;
    ndjson(
        &f.app,
        &pref,
        "participations",
        "period=FY2024&filter=function:tsudoi",
    )
    .await;
    // One row before the body, with the parameters; one when the stream ends, with the count.
    let start = f
        .app
        .audit_rows()
        .await
        .into_iter()
        .find(|r| r.entry.action == "extract.read")
        .expect("extraction audited before its body");
    assert_eq!(start.entry.target.as_deref(), Some("participations"));
    let detail: Value = serde_json::from_str(start.entry.detail.as_deref().unwrap()).unwrap();
    assert!(detail["query"].as_str().unwrap().contains("function:tsudoi"));
    let mut found = None;
    for _ in 0..50 {
        found = f
            .app
            .audit_rows()
            .await
            .into_iter()
            .find(|r| r.entry.action == "extract.read.end");
        if found.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let end = found.expect("the end of the extraction audited");
    assert!(end.id > start.id);
    assert_eq!(end.entry.target.as_deref(), Some("participations"));
    let detail: Value = serde_json::from_str(end.entry.detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["rows"], json!(8));
    assert!(detail["query"].as_str().unwrap().contains("function:tsudoi"));
}

#[tokio::test]
async fn bad_extract_parameters_are_named() {
    let f = fixture().await;
    let t = f.app.token(Role::Prefecture).await;
    for (path, field) in [
        ("/api/v1/extracts/persons", "period"),
        (
            "/api/v1/extracts/persons?period=FY2024&filter=function:tsudoi",
            "filter",
        ),
        ("/api/v1/extracts/activities?period=FY2024&format=xml", "format"),
        (
            "/api/v1/extracts/activities?period=FY2024&filter=center:C999",
            "filter",
        ),
    ] {
        let p = expect_problem(f.app.get(path, &t).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(p.errors[0].field, field, "{path}");
    }
    expect_problem(
        f.app.get("/api/v1/extracts/people?period=FY2024", &t).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

// ---- Recomputing /stats from the extracts alone ---------------------------------------------

/// A registered or unregistered participation as the extracts give it.
struct Fact {
    activity: String,
    common_id: Option<String>,
    weight: u64,
    attrs: HashMap<&'static str, String>,
    categories: Vec<String>,
}

const ACTIVITY_DIMS: [&str; 7] = [
    "fiscal_year",
    "month",
    "date",
    "municipality",
    "center",
    "site",
    "function",
];

fn activity_attrs(a: &Map) -> HashMap<&'static str, String> {
    let mut m = HashMap::new();
    for d in ACTIVITY_DIMS {
        let v = match d {
            "month" => s(a, "date")[..7].to_owned(),
            _ => s(a, d).to_owned(),
        };
        m.insert(d, v);
    }
    m
}

fn facts(participations: &[Map], activities: &[Map]) -> Vec<Fact> {
    let mut out = Vec::new();
    for p in participations {
        let mut attrs = activity_attrs(p);
        for d in ["sex", "age_band", "group", "care_level", "household"] {
            attrs.insert(d, s(p, d).to_owned());
        }
        out.push(Fact {
            activity: s(p, "activity_id").to_owned(),
            common_id: Some(s(p, "common_id").to_owned()),
            weight: 1,
            attrs,
            categories: s(p, "categories").split(';').map(str::to_owned).collect(),
        });
    }
    for a in activities {
        for g in ["elderly", "disabled", "child", "other"] {
            let count = n(a, &format!("unregistered_{g}"));
            if count == 0 {
                continue;
            }
            let mut attrs = activity_attrs(a);
            for d in ["sex", "age_band", "care_level", "household"] {
                attrs.insert(d, "unknown".to_owned());
            }
            attrs.insert("group", g.to_owned());
            out.push(Fact {
                activity: s(a, "activity_id").to_owned(),
                common_id: None,
                weight: count,
                attrs,
                categories: vec![g.to_owned()],
            });
        }
    }
    out
}

/// The cells a fact falls in for `dims` (several with `category`).
fn keys(attrs: &HashMap<&'static str, String>, categories: &[String], dims: &[&str]) -> Vec<Vec<String>> {
    let mut keys = vec![Vec::new()];
    for d in dims {
        let values: Vec<String> = if *d == "category" {
            categories.to_vec()
        } else {
            vec![attrs[d].clone()]
        };
        keys = keys
            .into_iter()
            .flat_map(|k| {
                values.iter().map(move |v| {
                    let mut k = k.clone();
                    k.push(v.clone());
                    k
                })
            })
            .collect();
    }
    keys
}

#[derive(Default, Debug)]
struct Cell {
    participations: u64,
    people: BTreeSet<String>,
    activities: BTreeSet<String>,
    days: BTreeSet<(String, String)>,
    visits: u64,
    consultations: u64,
    referrals: u64,
}

const MEASURES: &str = "participations,unique_persons,activities,open_days,visits,consultations,referrals";
const PEOPLE_MEASURES: &str = "participations,unique_persons,visits,consultations,referrals";

fn recompute(participations: &[Map], activities: &[Map], dims: &[&str]) -> BTreeMap<Vec<String>, Vec<u64>> {
    let personal = dims.iter().any(|d| !ACTIVITY_DIMS.contains(d));
    let mut cells: BTreeMap<Vec<String>, Cell> = BTreeMap::new();
    for f in facts(participations, activities) {
        for key in keys(&f.attrs, &f.categories, dims) {
            let c = cells.entry(key).or_default();
            c.participations += f.weight;
            if let Some(id) = &f.common_id {
                c.people.insert(id.clone());
            }
            if personal {
                c.activities.insert(f.activity.clone());
                c.days
                    .insert((f.attrs["center"].clone(), f.attrs["date"].clone()));
            }
            match f.attrs["function"].as_str() {
                "houmon" => c.visits += f.weight,
                "soudan" => c.consultations += f.weight,
                "tsunagi" => c.referrals += f.weight,
                _ => {}
            }
        }
    }
    if !personal {
        for a in activities {
            for key in keys(&activity_attrs(a), &[], dims) {
                let c = cells.entry(key).or_default();
                c.activities.insert(s(a, "activity_id").to_owned());
                c.days
                    .insert((s(a, "center").to_owned(), s(a, "date").to_owned()));
            }
        }
    }
    cells
        .into_iter()
        .map(|(k, c)| {
            let v = vec![
                c.participations,
                c.people.len() as u64,
                c.activities.len() as u64,
                c.days.len() as u64,
                c.visits,
                c.consultations,
                c.referrals,
            ];
            (k, v)
        })
        .filter(|(_, v)| v.iter().any(|x| *x > 0))
        .collect()
}

fn as_map(r: &StatsResponse) -> BTreeMap<Vec<String>, Vec<u64>> {
    let dims = r
        .columns
        .iter()
        .filter(|c| c.kind == ColumnKind::Dimension)
        .count();
    r.rows
        .iter()
        .map(|row| {
            let k = row[..dims]
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect();
            let v = row[dims..].iter().map(|v| v.as_u64().unwrap()).collect();
            (k, v)
        })
        .collect()
}

fn registry(persons: &[Map], from: &str, to: &str) -> (u64, u64) {
    let new = persons
        .iter()
        .filter(|p| (from..=to).contains(&s(p, "registered_on")))
        .map(|p| s(p, "common_id"))
        .collect::<BTreeSet<_>>()
        .len() as u64;
    let stock = persons
        .iter()
        .filter(|p| s(p, "registered_on") <= to && (s(p, "ended_on").is_empty() || s(p, "ended_on") > to))
        .map(|p| s(p, "common_id"))
        .collect::<BTreeSet<_>>()
        .len() as u64;
    (new, stock)
}

#[tokio::test]
async fn every_stats_cell_of_a_generated_year_and_month_is_recomputed_from_the_extracts() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = settings(shared::dto::meta::NodeRole::Center, dir.path());
    api::demo::fill(&app.node, &settings, &api::demo::DemoArgs { seed: 7, people: 60 })
        .await
        .expect("demo data");
    let t = app.token(Role::Prefecture).await;
    let today = chrono::Utc::now().date_naive();
    let fy = shared::dates::fiscal_year(today) - 1;
    let periods = [format!("FY{fy}"), format!("{}-10", fy)];
    for period in &periods {
        let participations = ndjson(&app, &t, "participations", &format!("period={period}")).await;
        let activities = ndjson(&app, &t, "activities", &format!("period={period}")).await;
        assert!(
            !participations.is_empty() && !activities.is_empty(),
            "demo data in {period}"
        );
        for dims in [
            vec![],
            vec!["month"],
            vec!["function"],
            vec!["group"],
            vec!["age_band"],
            vec!["sex"],
            vec!["category"],
            vec!["care_level", "household"],
            vec!["center", "site", "function"],
            vec!["month", "group"],
            vec!["fiscal_year", "municipality", "category", "age_band"],
        ] {
            let rows = dims.join(",");
            let url = format!("/api/v1/stats?measures={MEASURES}&period={period}&rows={rows}");
            let stats: StatsResponse = expect_json(app.get(&url, &t).await, StatusCode::OK).await;
            let expected = recompute(&participations, &activities, &dims);
            assert_eq!(as_map(&stats), expected, "{period} rows={rows}");
            // Without activities and open days a fiscal year is answered from the year
            // aggregates, person attributes included: the same cells.
            let url = format!("/api/v1/stats?measures={PEOPLE_MEASURES}&period={period}&rows={rows}");
            let stats: StatsResponse = expect_json(app.get(&url, &t).await, StatusCode::OK).await;
            let expected: BTreeMap<Vec<String>, Vec<u64>> = expected
                .into_iter()
                .map(|(k, v)| (k, vec![v[0], v[1], v[4], v[5], v[6]]))
                .filter(|(_, v)| v.iter().any(|x| *x > 0))
                .collect();
            assert_eq!(
                as_map(&stats),
                expected,
                "{period} rows={rows} without activities"
            );
        }
        let persons = ndjson(&app, &t, "persons", &format!("period={period}")).await;
        let url = format!("/api/v1/stats?measures=new_registrations,registered_persons&period={period}");
        let stats: StatsResponse = expect_json(app.get(&url, &t).await, StatusCode::OK).await;
        let (from, to) = (stats.meta.from.to_string(), stats.meta.to.to_string());
        let (new, stock) = registry(&persons, &from, &to);
        let got = stats
            .rows
            .first()
            .map(|r| (r[0].as_u64().unwrap(), r[1].as_u64().unwrap()));
        assert_eq!(got.unwrap_or((0, 0)), (new, stock), "{period} registry");
    }
}

/// `text` as Windows writes it in CP932: the characters JIS and Unicode map differently
/// (WAVE DASH, MINUS SIGN, …) become the ones CP932 has.
fn as_windows(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{301C}' => '\u{FF5E}',
            '\u{2212}' => '\u{FF0D}',
            '\u{2016}' => '\u{2225}',
            '\u{2014}' => '\u{2015}',
            '\u{00A2}' => '\u{FFE0}',
            '\u{00A3}' => '\u{FFE1}',
            '\u{00AC}' => '\u{FFE2}',
            '\u{00A6}' => '\u{FFE4}',
            c => c,
        })
        .collect()
}

#[tokio::test]
async fn every_extract_and_an_age_band_table_in_cp932_decode_to_their_utf8_text_with_windows_characters() {
    let f = fixture().await;
    let t = f.app.token(Role::Prefecture).await;
    for (path, has_wave_dash) in [
        ("/api/v1/extracts/participations?period=FY2024", true),
        ("/api/v1/extracts/activities?period=FY2024", false),
        ("/api/v1/extracts/persons?period=FY2024", false),
        (
            "/api/v1/stats?measures=participations,registered_persons&rows=age_band&period=FY2024&format=csv&totals=true",
            true,
        ),
    ] {
        let utf8 = f.app.get(&format!("{path}&encoding=utf-8"), &t).await;
        assert_eq!(utf8.status(), StatusCode::OK, "{path}");
        let utf8 = utf8.text().await.unwrap();
        assert_eq!(utf8.contains('\u{301C}'), has_wave_dash, "{path}: {utf8}");
        let res = f.app.get(&format!("{path}&encoding=cp932"), &t).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()["content-type"], "text/csv; charset=Shift_JIS");
        let bytes = res.bytes().await.unwrap();
        let (decoded, _, had_errors) = encoding_rs::SHIFT_JIS.decode(&bytes);
        assert!(!had_errors, "{path}");
        assert!(!decoded.contains('?'), "{path}: nothing replaced: {decoded}");
        assert_eq!(decoded, as_windows(&utf8), "{path}");
    }
}

#[tokio::test]
async fn an_extract_cp932_cannot_hold_is_refused_before_streaming_naming_the_column() {
    let f = fixture().await;
    let pref = f.app.token(Role::Prefecture).await;
    let centre = json!({"code": CENTER, "name": "𠮷田あったかふれあいセンター", "municipality": CENTER_MUNICIPALITY,
                        "operator_body": "社協", "opened_on": "2009-04-01", "closed_on": null});
    let res = f
        .app
        .put(&format!("/api/v1/centers/{CENTER}"), &pref, &centre)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let q = "/api/v1/extracts/activities?period=FY2024&encoding=cp932";
    let p = expect_problem(f.app.get(q, &pref).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p.errors.len(), 1, "{p:?}");
    assert_eq!(p.errors[0].code, "unmappable");
    assert_eq!(p.errors[0].field, "センター", "{p:?}");
    assert!(p.errors[0].message.contains('𠮷'), "{p:?}");
    // With codes only, no label can hold it.
    let coded = f.app.get(&format!("{q}&labels=code"), &pref).await;
    assert_eq!(coded.status(), StatusCode::OK);
}
