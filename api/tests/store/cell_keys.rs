//! The cell-key method of `/stats` (decision 0020) reads no SQL of its own: it keys each cell
//! from the records the store's extract streams give for the same selection. On every hub
//! store, those records must be exactly the ones behind each figure the store's statistics
//! give, or an integrator's cells would be hidden (or keyed wrongly) on one dialect only.

use std::sync::Arc;

use api::stats::cellkey::{cell_keys, CellKeys};
use api::stats::{Dimension, Measure, StatsQuery};
use api::store::{CommonStore, HubStore};
use chrono::NaiveDate;
use shared::dto::meta::NodeRole;

use crate::harness::{date, sqlite_settings, Fresh};

hub_story!(
    every_cell_key_is_made_of_exactly_the_records_behind_its_figure,
    a_cell_has_the_same_key_however_the_table_around_it_is_asked,
);

/// Two generated centres over FY2024 (people of every group, age band, care level and
/// household; registrations that end; unregistered headcounts).
async fn generated(store: &Fresh<dyn HubStore>) -> Arc<dyn CommonStore> {
    let common: Arc<dyn CommonStore> = store.store.clone();
    let dir = tempfile::tempdir().unwrap();
    let args = api::generate::GenerateArgs {
        centers: 2,
        years: 1,
        last_fiscal_year: Some(2024),
        people: 80,
        seed: 11,
    };
    api::generate::run(common.clone(), &sqlite_settings(NodeRole::Hub, dir.path()), &args)
        .await
        .expect("generated");
    common
}

fn f(d: Dimension, codes: &[&str]) -> (Dimension, Vec<String>) {
    (d, codes.iter().map(|c| (*c).to_owned()).collect())
}

fn q(
    measures: &[Measure],
    dims: &[Dimension],
    (from, to): (NaiveDate, NaiveDate),
    filters: Vec<(Dimension, Vec<String>)>,
) -> StatsQuery {
    StatsQuery {
        measures: measures.to_vec(),
        dims: dims.to_vec(),
        from,
        to,
        filters,
    }
}

/// Checks every non-zero people count of `q`'s rows and totals against its cell's records.
async fn check(store: &Arc<dyn CommonStore>, q: &StatsQuery) -> CellKeys {
    let codes = store.codes().await.unwrap();
    let figures = store.stats(q).await.unwrap();
    let totals = store
        .stats(&StatsQuery {
            dims: Vec::new(),
            ..q.clone()
        })
        .await
        .unwrap();
    let keys = cell_keys(store.clone(), q, true, &codes).await.unwrap();
    assert!(!figures.is_empty(), "{:?} has figures", q.dims);
    let mut checked = 0;
    for (row, values) in &figures {
        for (c, m) in q.measures.iter().enumerate() {
            if m.counts_people() && values[c] > 0 {
                let records = keys.cell(row, c).map(|k| k.records);
                assert_eq!(records, Some(values[c]), "{m:?} at {row:?} of {:?}", q.dims);
                checked += 1;
            }
        }
    }
    for (c, m) in q.measures.iter().enumerate() {
        let total = totals.first().map_or(0, |(_, v)| v[c]);
        if m.counts_people() && total > 0 {
            let records = keys.total(c).map(|k| k.records);
            assert_eq!(records, Some(total), "{m:?} total of {:?}", q.dims);
        }
    }
    assert!(checked > 0, "{:?}: some cell was checked", q.dims);
    keys
}

async fn every_cell_key_is_made_of_exactly_the_records_behind_its_figure(store: Fresh<dyn HubStore>) {
    let store = generated(&store).await;
    let fy = (date(2024, 4, 1), date(2025, 3, 31));
    let all = Measure::ALL;
    let activity = [
        Measure::Participations,
        Measure::UniquePersons,
        Measure::Visits,
        Measure::Consultations,
        Measure::Referrals,
    ];
    let shapes = [
        q(&all, &[], fy, vec![]),
        q(&all, &[Dimension::Month], fy, vec![]),
        q(&all, &[Dimension::Municipality, Dimension::Sex], fy, vec![]),
        q(
            &all,
            &[Dimension::Center, Dimension::AgeBand],
            (date(2024, 7, 1), date(2024, 9, 30)),
            vec![],
        ),
        q(
            &all,
            &[Dimension::Category],
            fy,
            vec![f(Dimension::Category, &["elderly", "disabled"])],
        ),
        q(
            &all,
            &[Dimension::Group, Dimension::Household],
            fy,
            vec![f(Dimension::Sex, &["F"])],
        ),
        q(
            &all,
            &[Dimension::Quarter, Dimension::CareLevel],
            fy,
            vec![f(Dimension::Month, &["2024-05", "2024-11"])],
        ),
        q(&activity, &[Dimension::Function, Dimension::Site], fy, vec![]),
        q(
            &activity,
            &[Dimension::Date],
            (date(2024, 6, 1), date(2024, 6, 30)),
            vec![f(Dimension::Function, &["tsudoi", "soudan"])],
        ),
        q(
            &all,
            &[Dimension::FiscalYear],
            (date(2024, 4, 10), date(2025, 2, 20)),
            vec![f(Dimension::AgeBand, &["age_75_84", "unknown"])],
        ),
    ];
    for shape in &shapes {
        check(&store, shape).await;
    }
}

async fn a_cell_has_the_same_key_however_the_table_around_it_is_asked(store: Fresh<dyn HubStore>) {
    let store = generated(&store).await;
    let fy = (date(2024, 4, 1), date(2025, 3, 31));
    let measures = [
        Measure::Participations,
        Measure::UniquePersons,
        Measure::RegisteredPersons,
    ];
    // The fiscal year's total, alone and as the total of a table by month.
    let alone = check(&store, &q(&measures, &[], fy, vec![])).await;
    let by_month = check(&store, &q(&measures, &[Dimension::Month], fy, vec![])).await;
    for (c, m) in measures.iter().enumerate() {
        assert_eq!(alone.total(c), by_month.total(c), "{m:?}");
        assert_eq!(alone.cell(&[], c), alone.total(c), "{m:?}");
    }
    // One centre's cell, from a table by centre and from the table filtered to that centre.
    let by_center = check(&store, &q(&measures, &[Dimension::Center], fy, vec![])).await;
    let (center, _) = store
        .stats(&q(&measures, &[Dimension::Center], fy, vec![]))
        .await
        .unwrap()[0]
        .clone();
    let one = check(
        &store,
        &q(
            &measures,
            &[],
            fy,
            vec![f(Dimension::Center, &[center[0].as_str()])],
        ),
    )
    .await;
    for (c, m) in measures.iter().enumerate() {
        assert_eq!(by_center.cell(&center, c), one.total(c), "{m:?} of {center:?}");
    }
}
