//! Disclosure control on `/stats` (decision 0020): the cell keys are made of exactly the
//! records behind each figure; an integrator's figures are perturbed within their bound, the
//! same however often and however the query is spelled, and marked; a municipality with a
//! threshold gets exact figures with linked measures suppressed together.

use api::stats::cellkey::cell_keys;
use api::stats::{Dimension, Measure, StatsQuery};
use chrono::NaiveDate;
use serde_json::Value;
use shared::dto::auth::Role;

use crate::helpers::*;
use crate::privacy_support::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Measures, rows, first and last day, filters.
type Shape<'a> = (
    Vec<Measure>,
    Vec<Dimension>,
    &'a str,
    &'a str,
    Vec<(Dimension, Vec<String>)>,
);

#[tokio::test]
async fn every_cell_key_is_made_of_exactly_the_records_behind_its_figure() {
    let (app, _) = generated_hub(4, 400).await;
    let codes = app.store.codes().await.unwrap();
    let centers = app.store.centers().await.unwrap();
    let town = centers[0].municipality.clone();
    let all = Measure::ALL.to_vec();
    let activity = vec![
        Measure::Participations,
        Measure::UniquePersons,
        Measure::Visits,
        Measure::Consultations,
        Measure::Referrals,
    ];
    let f = |d: Dimension, codes: &[&str]| (d, codes.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>());
    let shapes: Vec<Shape> = vec![
        (all.clone(), vec![], "2024-04-01", "2025-03-31", vec![]),
        (
            all.clone(),
            vec![Dimension::Month],
            "2024-04-01",
            "2025-03-31",
            vec![],
        ),
        (
            all.clone(),
            vec![Dimension::Municipality, Dimension::Sex],
            "2024-04-01",
            "2025-03-31",
            vec![],
        ),
        (
            all.clone(),
            vec![Dimension::Center, Dimension::AgeBand],
            "2024-07-01",
            "2024-09-30",
            vec![],
        ),
        (
            all.clone(),
            vec![Dimension::Category],
            "2024-04-01",
            "2025-03-31",
            vec![f(Dimension::Category, &["elderly", "disabled"])],
        ),
        (
            all.clone(),
            vec![Dimension::Group, Dimension::Household],
            "2024-04-01",
            "2025-03-31",
            vec![f(Dimension::Sex, &["F"])],
        ),
        (
            all.clone(),
            vec![Dimension::Quarter, Dimension::CareLevel],
            "2024-04-01",
            "2025-03-31",
            vec![f(Dimension::Month, &["2024-05", "2024-11"])],
        ),
        (
            activity.clone(),
            vec![Dimension::Function, Dimension::Site],
            "2024-04-01",
            "2025-03-31",
            vec![],
        ),
        (
            activity.clone(),
            vec![Dimension::Date],
            "2024-06-01",
            "2024-06-30",
            vec![f(Dimension::Function, &["tsudoi", "soudan"])],
        ),
        (
            activity,
            vec![Dimension::Group],
            "2024-04-01",
            "2025-03-31",
            vec![
                f(Dimension::Category, &["child"]),
                f(Dimension::Municipality, &[&town]),
            ],
        ),
        (
            all,
            vec![Dimension::FiscalYear, Dimension::Municipality],
            "2024-04-10",
            "2025-02-20",
            vec![f(Dimension::AgeBand, &["age_75_84", "unknown"])],
        ),
    ];
    for (measures, dims, from, to, filters) in shapes {
        let q = StatsQuery {
            measures: measures.clone(),
            dims: dims.clone(),
            from: d(from),
            to: d(to),
            filters,
        };
        let figures = app.store.stats(&q).await.unwrap();
        let totals = app
            .store
            .stats(&StatsQuery {
                dims: vec![],
                ..q.clone()
            })
            .await
            .unwrap();
        let keys = cell_keys(app.store.clone(), &q, true, &codes).await.unwrap();
        assert!(!figures.is_empty(), "{dims:?}");
        for (row, values) in &figures {
            for (c, m) in measures.iter().enumerate() {
                if !m.counts_people() || values[c] == 0 {
                    continue;
                }
                let records = keys.cell(row, c).map(|k| k.records);
                assert_eq!(records, Some(values[c]), "{m:?} at {row:?} of {dims:?}");
            }
        }
        for (c, m) in measures.iter().enumerate() {
            let total = totals.first().map_or(0, |(_, v)| v[c]);
            if m.counts_people() && total > 0 {
                assert_eq!(
                    keys.total(c).map(|k| k.records),
                    Some(total),
                    "{m:?} total of {dims:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn an_integrators_figures_are_perturbed_within_their_bound_marked_and_the_same_however_asked() {
    let (app, pref) = generated_hub(4, 400).await;
    let token = app.token(Role::Integrator).await;
    let q =
        "measures=participations,unique_persons,activities&rows=municipality,group&period=FY2024&totals=true";
    let exact = stats(&app, &pref, q).await;
    let noisy = stats(&app, &token, q).await;
    let perturbation = noisy.meta.perturbation.clone().expect("perturbed");
    assert_eq!(
        (perturbation.method.as_str(), perturbation.max_deviation),
        ("cell_key", 2)
    );
    assert!(exact.meta.perturbation.is_none());
    let flags: Vec<bool> = noisy.columns.iter().map(|c| c.perturbed).collect();
    assert_eq!(
        &flags[flags.len() - 3..],
        [true, true, false],
        "people counts only"
    );
    let (e, n) = (cells(&exact), cells(&noisy));
    let mut moved = 0;
    for (row, values) in &e {
        for c in 0..3 {
            let (Some(truth), Some(published)) = (values[c], n[row][c]) else {
                continue;
            };
            if c == 2 {
                assert_eq!(published, truth, "activities are events, not people");
                continue;
            }
            assert!(
                truth.abs_diff(published) <= 2,
                "{row:?}: {truth} published as {published}"
            );
            moved += u64::from(truth != published);
        }
    }
    assert!(moved > 0, "the noise is there");
    assert_eq!(noisy.meta.perturbation.as_ref().unwrap().cells as usize, {
        let shown = n
            .values()
            .flat_map(|v| &v[..2])
            .filter(|v| v.is_some_and(|x| x > 0))
            .count();
        shown
            + totals(&noisy)[..2]
                .iter()
                .filter(|v| v.is_some_and(|x| x > 0))
                .count()
    });
    // Asked again, the same; spelled otherwise (filter codes reordered, a filter that keeps
    // everything), the same cells the same.
    assert_eq!(cells(&stats(&app, &token, q).await), n);
    let town = &n.keys().next().unwrap()[0];
    let one = format!("measures=participations,unique_persons&period=FY2024&filter=municipality:{town}");
    let respelled = format!("measures=participations,unique_persons&period=FY2024&filter=municipality:{town}&filter=sex:undisclosed;other;F;M;unknown");
    let a = stats(&app, &token, &one).await.rows;
    let b = stats(&app, &token, &respelled).await.rows;
    assert_eq!(a, b);
    // The total of a table with rows is the one row of the table without: the same records.
    let by_group = stats(&app, &token, &format!("{one}&rows=group&totals=true")).await;
    assert_eq!(
        totals(&by_group),
        cells(&stats(&app, &token, &one).await)[&Vec::<String>::new()]
    );
    // CSV marks them too.
    let csv = app
        .get(
            &format!("/api/v1/stats?{q}&format=csv&labels=code&encoding=utf-8"),
            &token,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("municipality,group,participations*,unique_persons*,activities\r\n"),
        "{csv}"
    );
}

#[tokio::test]
async fn a_municipality_with_a_threshold_gets_exact_figures_and_linked_measures_hidden_together() {
    let app = spawn_with(shared::dto::meta::NodeRole::Hub, |s| {
        s.stats.suppression.insert("municipality".into(), 10);
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let args = api::generate::GenerateArgs {
        centers: 5,
        years: 1,
        last_fiscal_year: Some(2024),
        people: 500,
        seed: 5,
    };
    api::generate::run(
        app.store.clone(),
        &settings(shared::dto::meta::NodeRole::Hub, dir.path()),
        &args,
    )
    .await
    .unwrap();
    let pref = app.token(Role::Prefecture).await;
    let city = app.token(Role::Municipality).await;
    let mut linked_rows = 0;
    let mut suppressed = 0;
    let mut r = None;
    for rows in [
        "month,function",
        "group,function",
        "age_band,function",
        "sex,function",
    ] {
        let q = format!("measures=participations,visits,consultations,referrals,unique_persons&rows={rows}&period=FY2024&totals=true");
        let exact = cells(
            &stats(
                &app,
                &pref,
                &format!("{q}&filter=municipality:{CENTER_MUNICIPALITY}"),
            )
            .await,
        );
        let answer = stats(&app, &city, &q).await;
        assert!(answer.meta.perturbation.is_none(), "officers get exact figures");
        suppressed += answer.meta.suppressed_cells;
        for (row, values) in &cells(&answer) {
            for (c, v) in values.iter().enumerate() {
                if let Some(v) = v {
                    assert_eq!(Some(*v), exact[row][c], "shown cells are exact");
                }
            }
            let linked = match row[1].as_str() {
                "houmon" => 1,
                "soudan" => 2,
                "tsunagi" => 3,
                _ => continue,
            };
            linked_rows += 1;
            assert_eq!(
                values[0].is_none(),
                values[linked].is_none(),
                "rows={rows} {row:?}: a hidden participations cell is not printed in its linked column: {values:?}"
            );
        }
        r = Some(answer);
    }
    assert!(
        linked_rows > 20 && suppressed > 20,
        "{linked_rows} linked rows, {suppressed} hidden cells"
    );
    let r = r.unwrap();
    let json: Value = serde_json::to_value(&r).unwrap();
    assert!(json["columns"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c.get("perturbed").is_none()));
}
