//! Regions (the prefecture's regional offices) on every store: stored and replaced with their
//! memberships, a municipality in at most one region at a time, and figures and extracts that
//! follow each fact's region on its date (decision 0026).

use api::domain::region::{Membership, Region};
use api::stats::extract::{ExtractKind, ExtractQuery, Rows};
use api::stats::{Dimension, Measure, StatsQuery};
use api::store::{CommonStore, ConflictKind, StoreError};
use chrono::NaiveDate;

use crate::data::{activity, common_id, date, draft, imported_person};
use crate::harness::{Fresh, CENTER, CENTER_MUNICIPALITY, OTHER_CENTER, OTHER_MUNICIPALITY};

common_story!(
    regions_are_stored_replaced_and_listed_with_their_members,
    a_municipality_another_region_holds_for_a_day_of_the_period_is_refused_and_nothing_changes,
    figures_and_extracts_follow_each_facts_region_on_its_date,
);

fn all_rows() -> api::domain::audit::AuditQuery {
    api::domain::audit::AuditQuery {
        limit: 10_000,
        ..Default::default()
    }
}

fn member(m: &str, from: NaiveDate, to: Option<NaiveDate>) -> Membership {
    Membership {
        municipality: m.into(),
        valid_from: from,
        valid_to: to,
    }
}

fn region(code: &str, sort_order: i32, members: Vec<Membership>) -> Region {
    Region {
        code: code.into(),
        name: format!("{code} 福祉保健所"),
        sort_order,
        valid_from: date(2009, 4, 1),
        valid_to: None,
        members,
    }
}

/// `central`: 高知市 throughout, 室戸市 until FY2023; `east`: 室戸市 from FY2024.
async fn two_regions(store: &dyn CommonStore) -> (Region, Region) {
    let since = date(2009, 4, 1);
    let central = region(
        "central",
        1,
        vec![
            member(CENTER_MUNICIPALITY, since, None),
            member(OTHER_MUNICIPALITY, since, Some(date(2024, 3, 31))),
        ],
    );
    let east = region(
        "east",
        2,
        vec![member(OTHER_MUNICIPALITY, date(2024, 4, 1), None)],
    );
    for r in [&central, &east] {
        assert_eq!(&store.put_region(r, draft("region.put")).await.unwrap(), r);
    }
    (central, east)
}

async fn regions_are_stored_replaced_and_listed_with_their_members(store: Fresh<dyn CommonStore>) {
    assert!(store.regions().await.unwrap().is_empty());
    let (mut central, east) = two_regions(&*store).await;
    assert_eq!(store.regions().await.unwrap(), [central.clone(), east.clone()]);
    // Replacing: new name and order, a member dropped; the other region untouched.
    central.name = "中央福祉保健所".into();
    central.sort_order = 3;
    central.members.truncate(1);
    store.put_region(&central, draft("region.put")).await.unwrap();
    assert_eq!(store.regions().await.unwrap(), [east, central]);
}

async fn a_municipality_another_region_holds_for_a_day_of_the_period_is_refused_and_nothing_changes(
    store: Fresh<dyn CommonStore>,
) {
    let (central, east) = two_regions(&*store).await;
    let before = store.audit(&all_rows()).await.unwrap().len();
    // 室戸市 for FY2023 is central's.
    let west = region(
        "west",
        3,
        vec![member(
            OTHER_MUNICIPALITY,
            date(2023, 4, 1),
            Some(date(2024, 3, 31)),
        )],
    );
    match store.put_region(&west, draft("region.put")).await {
        Err(StoreError::Conflict(ConflictKind::RegionMembership)) => {}
        other => panic!("expected a membership conflict, got {other:?}"),
    }
    // Nor may central take 室戸市 back from FY2024 while east holds it.
    let mut greedy = central.clone();
    greedy.members[1].valid_to = None;
    assert!(matches!(
        store.put_region(&greedy, draft("region.put")).await,
        Err(StoreError::Conflict(ConflictKind::RegionMembership))
    ));
    assert_eq!(store.regions().await.unwrap(), [central, east]);
    assert_eq!(store.audit(&all_rows()).await.unwrap().len(), before);
    // Right after east's period ends is free.
    let mut east_until = region(
        "east",
        2,
        vec![member(
            OTHER_MUNICIPALITY,
            date(2024, 4, 1),
            Some(date(2025, 3, 31)),
        )],
    );
    store.put_region(&east_until, draft("region.put")).await.unwrap();
    let later = region(
        "west",
        3,
        vec![member(OTHER_MUNICIPALITY, date(2025, 4, 1), None)],
    );
    store.put_region(&later, draft("region.put")).await.unwrap();
    east_until.members.clear();
    store.put_region(&east_until, draft("region.put")).await.unwrap();
    assert_eq!(store.regions().await.unwrap().len(), 3);
}

fn query(measures: &[Measure], dims: &[Dimension], from: NaiveDate, to: NaiveDate) -> StatsQuery {
    StatsQuery {
        measures: measures.to_vec(),
        dims: dims.to_vec(),
        from,
        to,
        filters: Vec::new(),
    }
}

async fn stats(store: &dyn CommonStore, q: &StatsQuery) -> Vec<(Vec<String>, Vec<u64>)> {
    let mut rows = store.stats(q).await.unwrap();
    rows.sort();
    rows
}

fn row(keys: &[&str], values: &[u64]) -> (Vec<String>, Vec<u64>) {
    (keys.iter().map(|k| (*k).to_owned()).collect(), values.to_vec())
}

/// The centres of every row an extract sends, sorted.
async fn extract_centres(store: &dyn CommonStore, q: &ExtractQuery) -> Vec<String> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Rows>(2);
    let column = q.kind.columns().iter().position(|c| c.0 == "center").unwrap();
    let read = async move {
        let mut out = Vec::new();
        while let Some(chunk) = rx.recv().await {
            for r in 0..chunk.len() {
                out.push(chunk.row(r).nth(column).unwrap().to_owned());
            }
        }
        out
    };
    let (sent, mut rows) = tokio::join!(store.extract(q, tx), read);
    sent.unwrap();
    rows.sort();
    rows
}

/// One person at C001 (高知市) and C002 (室戸市) in FY2023 and FY2024, a second only at C002.
async fn figures_and_extracts_follow_each_facts_region_on_its_date(store: Fresh<dyn CommonStore>) {
    two_regions(&*store).await;
    let x = common_id(CENTER, 1);
    let y = common_id(OTHER_CENTER, 1);
    let mut x_at_other = imported_person(OTHER_CENTER, 1, date(2023, 4, 1));
    x_at_other.common_id = x.clone();
    let people = [
        imported_person(CENTER, 1, date(2023, 4, 1)),
        x_at_other,
        imported_person(OTHER_CENTER, 1, date(2023, 4, 1)),
    ];
    assert_eq!(store.import_persons(&people).await.unwrap(), 3);
    let activities = [
        activity(CENTER, date(2023, 6, 1), "tsudoi", &[&x]),
        activity(OTHER_CENTER, date(2023, 6, 1), "tsudoi", &[&x, &y]),
        activity(CENTER, date(2024, 6, 1), "tsudoi", &[&x]),
        activity(OTHER_CENTER, date(2024, 6, 1), "tsudoi", &[&x, &y]),
    ];
    assert_eq!(store.import_activities(&activities).await.unwrap(), 4);
    let core = [
        Measure::Participations,
        Measure::UniquePersons,
        Measure::Activities,
    ];
    // Whole fiscal years (the year aggregates) and months (the facts) give the same regions.
    for dims in [
        vec![Dimension::Region, Dimension::FiscalYear],
        vec![Dimension::Region, Dimension::Month],
    ] {
        let q = query(&core, &dims, date(2023, 4, 1), date(2025, 3, 31));
        let second = if dims[1] == Dimension::Month {
            ["2023-06", "2024-06"]
        } else {
            ["FY2023", "FY2024"]
        };
        assert_eq!(
            stats(&*store, &q).await,
            [
                // FY2023: both centres in central, x once.
                row(&["central", second[0]], &[3, 2, 2]),
                row(&["central", second[1]], &[1, 1, 1]),
                row(&["east", second[1]], &[2, 2, 1]),
            ],
            "{dims:?}"
        );
    }
    // A region filter keeps the facts of its municipalities on their dates.
    let mut central = query(&core, &[Dimension::Center], date(2023, 4, 1), date(2025, 3, 31));
    central.filters = vec![(Dimension::Region, vec!["central".into()])];
    assert_eq!(
        stats(&*store, &central).await,
        [row(&["C001"], &[2, 1, 2]), row(&["C002"], &[2, 2, 1])]
    );
    let mut none = query(&core, &[], date(2023, 4, 1), date(2025, 3, 31));
    none.filters = vec![(Dimension::Region, vec!["unknown".into()])];
    assert!(stats(&*store, &none).await.is_empty());
    // The registry: new registrations by the region on the registration day, the stock on the
    // bucket's day.
    let registry = query(
        &[Measure::NewRegistrations, Measure::RegisteredPersons],
        &[Dimension::Region, Dimension::FiscalYear],
        date(2023, 4, 1),
        date(2025, 3, 31),
    );
    assert_eq!(
        stats(&*store, &registry).await,
        [
            row(&["central", "FY2023"], &[2, 2]),
            row(&["central", "FY2024"], &[0, 1]),
            row(&["east", "FY2024"], &[0, 2]),
        ]
    );
    // Extracts: a record by its date; a person by the period's last day.
    for (kind, fy2023, fy2024) in [
        (
            ExtractKind::Participations,
            vec!["C001", "C002", "C002"],
            vec!["C001"],
        ),
        (ExtractKind::Activities, vec!["C001", "C002"], vec!["C001"]),
        (ExtractKind::Persons, vec!["C001", "C002", "C002"], vec!["C001"]),
    ] {
        for ((from, to), want) in [
            ((date(2023, 4, 1), date(2024, 3, 31)), fy2023),
            ((date(2024, 4, 1), date(2025, 3, 31)), fy2024),
        ] {
            let q = ExtractQuery {
                kind,
                from,
                to,
                filters: vec![(Dimension::Region, vec!["central".into()])],
            };
            assert_eq!(extract_centres(&*store, &q).await, want, "{kind:?} {from}");
        }
    }
}
