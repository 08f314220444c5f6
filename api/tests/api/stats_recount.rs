//! Figures over any period agree with a recount of the extracts: generated facts of three
//! centres over two fiscal years, `/stats` asked for months, quarters, a half-year, free ranges
//! with partial edge months, a one-month table and a two-year monthly trend, each compared cell
//! by cell (延べ and 実, totals included) with what the participation and activity extracts say
//! when counted by hand here. Whatever source the planner picks for a period (facts, year or
//! month aggregates), the answer must be the one the records give.

use std::collections::{BTreeMap, BTreeSet};

use api::generate::{self, GenerateArgs};
use reqwest::StatusCode;
use serde_json::Value;
use shared::dto::auth::Role;
use shared::dto::meta::NodeRole;
use shared::dto::stats::{ColumnKind, StatsResponse};

use crate::helpers::*;

type Map = serde_json::Map<String, Value>;

fn s<'a>(row: &'a Map, key: &str) -> &'a str {
    row.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The code of a time or place dimension for a fact on `date` at `row`.
fn code(dim: &str, row: &Map) -> String {
    let date = s(row, "date");
    let (year, month): (i32, u32) = (date[..4].parse().unwrap(), date[5..7].parse().unwrap());
    let fiscal_year = if month >= 4 { year } else { year - 1 };
    match dim {
        "month" => date[..7].to_owned(),
        "quarter" => format!("FY{fiscal_year}Q{}", (month + 8) % 12 / 3 + 1),
        "fiscal_year" => format!("FY{fiscal_year}"),
        "center" | "municipality" | "function" => s(row, dim).to_owned(),
        other => panic!("no recount for {other}"),
    }
}

/// 延べ (participations and unregistered headcounts) and 実 (distinct people) per cell.
#[derive(Debug, Default, PartialEq)]
struct Cell {
    participations: u64,
    people: BTreeSet<String>,
}

struct Records {
    participations: Vec<Map>,
    activities: Vec<Map>,
}

impl Records {
    /// The cells of `dims` over `[from, to]` (and the total as the key `[]`), from the records.
    fn recount(&self, dims: &[&str], from: &str, to: &str) -> BTreeMap<Vec<String>, (u64, u64)> {
        let within = |r: &&Map| (from..=to).contains(&s(r, "date"));
        let mut cells: BTreeMap<Vec<String>, Cell> = BTreeMap::new();
        for p in self.participations.iter().filter(within) {
            let key: Vec<String> = dims.iter().map(|d| code(d, p)).collect();
            for k in [key, Vec::new()] {
                let cell = cells.entry(k).or_default();
                cell.participations += 1;
                cell.people
                    .insert(format!("{}/{}", s(p, "center"), s(p, "common_id")));
            }
        }
        for a in self.activities.iter().filter(within) {
            let headcount: u64 = ["elderly", "disabled", "child", "other"]
                .iter()
                .map(|g| a[&format!("unregistered_{g}")].as_u64().unwrap())
                .sum();
            if headcount == 0 {
                continue;
            }
            let key: Vec<String> = dims.iter().map(|d| code(d, a)).collect();
            for k in [key, Vec::new()] {
                cells.entry(k).or_default().participations += headcount;
            }
        }
        cells
            .into_iter()
            .map(|(k, c)| (k, (c.participations, c.people.len() as u64)))
            .collect()
    }
}

/// The same shape from an answer: its dimension codes, 延べ and 実, and the totals as `[]`.
fn answered(r: &StatsResponse) -> BTreeMap<Vec<String>, (u64, u64)> {
    let dims: Vec<usize> = (0..r.columns.len())
        .filter(|i| r.columns[*i].kind == ColumnKind::Dimension)
        .collect();
    let at = |name: &str| r.columns.iter().position(|c| c.name == name).unwrap();
    let (p, u) = (at("participations"), at("unique_persons"));
    let n = |v: &Value| v.as_u64().unwrap_or_else(|| panic!("a count, not {v}"));
    let mut out: BTreeMap<_, _> = r
        .rows
        .iter()
        .map(|row| {
            let key = dims
                .iter()
                .map(|i| row[*i].as_str().unwrap().to_owned())
                .collect();
            (key, (n(&row[p]), n(&row[u])))
        })
        .collect();
    let totals = r.totals.as_ref().expect("totals");
    out.insert(Vec::new(), (n(&totals[p]), n(&totals[u])));
    out
}

#[tokio::test]
async fn figures_over_any_period_agree_with_a_recount_of_the_extracts() {
    let hub = spawn_node(NodeRole::Hub).await;
    let dir = tempfile::tempdir().unwrap();
    let args = GenerateArgs {
        centers: 3,
        years: 2,
        last_fiscal_year: Some(2024),
        people: 300,
        seed: 7,
    };
    generate::run(hub.store.clone(), &settings(NodeRole::Hub, dir.path()), &args)
        .await
        .expect("generated");
    let pref = hub.token(Role::Prefecture).await;
    let ndjson = |kind: &'static str| {
        let (hub, pref) = (&hub, &pref);
        async move {
            let path = format!("/api/v1/extracts/{kind}?from=2023-04-01&to=2025-03-31&format=ndjson");
            let res = hub.get(&path, pref).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            res.text()
                .await
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<Map>(l).unwrap())
                .collect::<Vec<_>>()
        }
    };
    let records = Records {
        participations: ndjson("participations").await,
        activities: ndjson("activities").await,
    };
    assert!(records.participations.len() > 2_000, "two years of three centres");

    let questions: [(&[&str], &str, &str); 9] = [
        (&["month"], "2024-04-01", "2025-03-31"),
        (&["quarter", "center"], "2023-04-01", "2025-03-31"),
        (&["municipality", "function"], "2024-04-01", "2024-09-30"),
        (&["center"], "2023-11-17", "2024-06-03"),
        (&["month", "function"], "2024-02-10", "2024-05-20"),
        (&["center", "function"], "2024-07-01", "2024-07-31"),
        (&["month", "center"], "2023-04-01", "2025-03-31"),
        (&["fiscal_year"], "2023-04-01", "2025-03-31"),
        (&["quarter"], "2023-10-01", "2024-12-31"),
    ];
    for (dims, from, to) in questions {
        let query = format!(
            "measures=participations,unique_persons&rows={}&from={from}&to={to}&totals=true&labels=code",
            dims.join(",")
        );
        let res = hub.get(&format!("/api/v1/stats?{query}"), &pref).await;
        let r: StatsResponse = expect_json(res, StatusCode::OK).await;
        assert_eq!(
            r.meta.suppressed_cells, 0,
            "the prefecture gets every cell: {query}"
        );
        let (got, want) = (answered(&r), records.recount(dims, from, to));
        assert!(want.len() > 1, "{query} has figures");
        let differ: Vec<_> = want
            .iter()
            .filter(|(k, v)| got.get(*k) != Some(v))
            .map(|(k, v)| (k.clone(), *v, got.get(k).copied()))
            .chain(
                got.iter()
                    .filter(|(k, _)| !want.contains_key(*k))
                    .map(|(k, v)| (k.clone(), (0, 0), Some(*v))),
            )
            .collect();
        assert!(
            differ.is_empty(),
            "{query}: cells (key, recounted, answered) differ: {differ:?}"
        );
    }
}
