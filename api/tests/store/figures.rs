//! Bulk loads, statistics and extracts on every store: exact numbers over a small known data
//! set (fiscal-year and month boundaries), and a load of thousands of rows.

use api::domain::activity::ActivityRecord;
use api::stats::extract::{ExtractKind, ExtractQuery, Rows};
use api::stats::{Dimension, Measure, StatsQuery};
use api::store::{CommonStore, ConflictKind, StoreError};
use chrono::{Duration, NaiveDate};
use shared::common_id::CommonId;

use crate::data::{activity, common_id, date, imported_person, unregistered};
use crate::harness::{Fresh, CENTER, OTHER_CENTER, SITE};

common_story!(
    measures_count_exactly_by_fiscal_year_and_month,
    the_fiscal_year_turns_between_31_march_and_1_april,
    measures_break_down_by_place_function_and_person,
    registrations_are_counted_when_made_and_while_they_last,
    an_extract_gives_each_de_identified_record_once,
    thousands_of_people_and_activities_load_in_one_go_or_not_at_all,
    an_extract_streams_every_row_and_stops_when_nobody_listens,
);

/// The small data set: three people, six activities around the turn of fiscal year 2024/2025.
///
/// | activity | centre | date       | function | registered | unregistered     |
/// |----------|--------|------------|----------|------------|------------------|
/// | a6       | C001   | 2025-03-01 | tsudoi   | —          | —                |
/// | a1       | C001   | 2025-03-31 | tsudoi   | p1, p2     | 3 elderly        |
/// | a2       | C001   | 2025-04-01 | tsudoi   | p1         | —                |
/// | a3       | C001   | 2025-04-30 | houmon   | p2 (site)  | —                |
/// | a4       | C001   | 2025-05-01 | soudan   | p1         | —                |
/// | a5       | C002   | 2025-04-15 | tsudoi   | p3         | 2 children       |
///
/// p1 (C001) registered 2024-04-01; p2 (C001) 2025-03-31, ended 2025-06-30; p3 (C002)
/// 2025-04-01.
struct Known {
    p3: CommonId,
    a1: ActivityRecord,
    a5: ActivityRecord,
}

async fn load_known(store: &dyn CommonStore) -> Known {
    let mut p2 = imported_person(CENTER, 2, date(2025, 3, 31));
    p2.ended_on = Some(date(2025, 6, 30));
    p2.end_reason = Some("moved".into());
    let people = [
        imported_person(CENTER, 1, date(2024, 4, 1)),
        p2,
        imported_person(OTHER_CENTER, 1, date(2025, 4, 1)),
    ];
    assert_eq!(store.import_persons(&people).await.unwrap(), 3);
    let (p1, p2, p3) = (
        common_id(CENTER, 1),
        common_id(CENTER, 2),
        common_id(OTHER_CENTER, 1),
    );
    let a6 = activity(CENTER, date(2025, 3, 1), "tsudoi", &[]);
    let mut a1 = activity(CENTER, date(2025, 3, 31), "tsudoi", &[&p1, &p2]);
    a1.unregistered = unregistered(3, 0);
    let a2 = activity(CENTER, date(2025, 4, 1), "tsudoi", &[&p1]);
    let mut a3 = activity(CENTER, date(2025, 4, 30), "houmon", &[&p2]);
    a3.site = Some(SITE.into());
    a3.participations[0].detail.visit_purpose = Some("watching".into());
    let a4 = activity(CENTER, date(2025, 5, 1), "soudan", &[&p1]);
    let mut a5 = activity(OTHER_CENTER, date(2025, 4, 15), "tsudoi", &[&p3]);
    a5.unregistered = unregistered(0, 2);
    let activities = [a6, a1.clone(), a2, a3, a4, a5.clone()];
    assert_eq!(store.import_activities(&activities).await.unwrap(), 6);
    Known { p3, a1, a5 }
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

/// The answer sorted by its keys (the store promises no order).
async fn stats(store: &dyn CommonStore, q: &StatsQuery) -> Vec<(Vec<String>, Vec<u64>)> {
    let mut rows = store.stats(q).await.unwrap();
    rows.sort();
    rows
}

fn row(keys: &[&str], values: &[u64]) -> (Vec<String>, Vec<u64>) {
    (keys.iter().map(|k| (*k).to_owned()).collect(), values.to_vec())
}

const CORE: [Measure; 3] = [
    Measure::Participations,
    Measure::UniquePersons,
    Measure::Activities,
];

async fn measures_count_exactly_by_fiscal_year_and_month(store: Fresh<dyn CommonStore>) {
    load_known(&*store).await;
    // Whole fiscal years (a store may answer these from year aggregates).
    let years = query(
        &CORE,
        &[Dimension::FiscalYear],
        date(2024, 4, 1),
        date(2026, 3, 31),
    );
    assert_eq!(
        stats(&*store, &years).await,
        [row(&["FY2024"], &[5, 2, 2]), row(&["FY2025"], &[6, 3, 4])]
    );
    // Months, across the turn of the year: 30 April and 1 May fall in different months.
    let months = query(&CORE, &[Dimension::Month], date(2025, 3, 1), date(2025, 5, 31));
    assert_eq!(
        stats(&*store, &months).await,
        [
            row(&["2025-03"], &[5, 2, 2]),
            row(&["2025-04"], &[5, 3, 3]),
            row(&["2025-05"], &[1, 1, 1]),
        ]
    );
    let quarters = query(&CORE, &[Dimension::Quarter], date(2025, 1, 1), date(2025, 6, 30));
    assert_eq!(
        stats(&*store, &quarters).await,
        [row(&["FY2024Q4"], &[5, 2, 2]), row(&["FY2025Q1"], &[6, 3, 4])]
    );
    // Unique people are never summed: over the whole range p1, p2 and p3 once each.
    let total = query(&CORE, &[], date(2024, 4, 1), date(2026, 3, 31));
    assert_eq!(stats(&*store, &total).await, [row(&[], &[11, 3, 6])]);
    // An empty range has no rows at all.
    let empty = query(&CORE, &[Dimension::Month], date(2025, 6, 1), date(2025, 6, 30));
    assert!(stats(&*store, &empty).await.is_empty());
}

async fn the_fiscal_year_turns_between_31_march_and_1_april(store: Fresh<dyn CommonStore>) {
    load_known(&*store).await;
    let turn = query(
        &CORE,
        &[Dimension::FiscalYear],
        date(2025, 3, 31),
        date(2025, 4, 1),
    );
    assert_eq!(
        stats(&*store, &turn).await,
        [row(&["FY2024"], &[5, 2, 1]), row(&["FY2025"], &[1, 1, 1])]
    );
    let days = query(&CORE, &[Dimension::Date], date(2025, 3, 31), date(2025, 4, 1));
    assert_eq!(
        stats(&*store, &days).await,
        [row(&["2025-03-31"], &[5, 2, 1]), row(&["2025-04-01"], &[1, 1, 1])]
    );
    // Filtering on the fiscal year keeps the range's other side out.
    let mut fy2025 = query(&CORE, &[], date(2025, 3, 1), date(2025, 5, 31));
    fy2025.filters = vec![(Dimension::FiscalYear, vec!["FY2025".into()])];
    assert_eq!(stats(&*store, &fy2025).await, [row(&[], &[6, 3, 4])]);
}

async fn measures_break_down_by_place_function_and_person(store: Fresh<dyn CommonStore>) {
    load_known(&*store).await;
    let fy2025 = (date(2025, 4, 1), date(2026, 3, 31));
    let by_place = query(
        &[Measure::Participations, Measure::Visits, Measure::Consultations],
        &[Dimension::Center, Dimension::Function],
        fy2025.0,
        fy2025.1,
    );
    assert_eq!(
        stats(&*store, &by_place).await,
        [
            row(&["C001", "houmon"], &[1, 1, 0]),
            row(&["C001", "soudan"], &[1, 0, 1]),
            row(&["C001", "tsudoi"], &[1, 0, 0]),
            row(&["C002", "tsudoi"], &[3, 0, 0]),
        ]
    );
    let mut c002 = query(&CORE, &[], fy2025.0, fy2025.1);
    c002.filters = vec![(Dimension::Center, vec![OTHER_CENTER.into()])];
    assert_eq!(stats(&*store, &c002).await, [row(&[], &[3, 1, 1])]);
    let mut kochi = query(&CORE, &[Dimension::Municipality], fy2025.0, fy2025.1);
    kochi.filters = vec![(Dimension::Municipality, vec!["392014".into()])];
    assert_eq!(stats(&*store, &kochi).await, [row(&["392014"], &[3, 2, 3])]);
    // Unregistered people have no sex and no identity: counted, never as distinct people.
    let by_sex = query(
        &[Measure::Participations, Measure::UniquePersons],
        &[Dimension::Sex],
        date(2024, 4, 1),
        date(2025, 3, 31),
    );
    assert_eq!(
        stats(&*store, &by_sex).await,
        [row(&["F"], &[2, 2]), row(&["unknown"], &[3, 0])]
    );
    let by_group = query(
        &[Measure::Participations, Measure::UniquePersons],
        &[Dimension::Group],
        fy2025.0,
        fy2025.1,
    );
    assert_eq!(
        stats(&*store, &by_group).await,
        [row(&["child"], &[2, 0]), row(&["elderly"], &[4, 3])]
    );
}

async fn registrations_are_counted_when_made_and_while_they_last(store: Fresh<dyn CommonStore>) {
    load_known(&*store).await;
    let registry = query(
        &[Measure::NewRegistrations, Measure::RegisteredPersons],
        &[Dimension::FiscalYear],
        date(2024, 4, 1),
        date(2026, 3, 31),
    );
    // p2 registered on the last day of FY2024 and ended in FY2025.
    assert_eq!(
        stats(&*store, &registry).await,
        [row(&["FY2024"], &[2, 2]), row(&["FY2025"], &[1, 2])]
    );
    let months = query(
        &[Measure::RegisteredPersons],
        &[Dimension::Month],
        date(2025, 5, 1),
        date(2025, 6, 30),
    );
    // A registration ending on 30 June is over by the end of that day: p2 counts at the end of
    // May, not at the end of June.
    assert_eq!(
        stats(&*store, &months).await,
        [row(&["2025-05"], &[3]), row(&["2025-06"], &[2])]
    );
}

/// Collects everything an extract sends.
async fn extract_all(store: &dyn CommonStore, q: &ExtractQuery) -> (u64, Vec<Vec<String>>) {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Rows>(2);
    let collect = tokio::spawn(async move {
        let mut rows = Vec::new();
        while let Some(chunk) = rx.recv().await {
            for r in 0..chunk.len() {
                rows.push(chunk.row(r).map(str::to_owned).collect::<Vec<String>>());
            }
        }
        rows
    });
    let sent = store.extract(q, tx).await.unwrap();
    (sent, collect.await.unwrap())
}

fn extract_query(kind: ExtractKind, from: NaiveDate, to: NaiveDate) -> ExtractQuery {
    ExtractQuery {
        kind,
        from,
        to,
        filters: Vec::new(),
    }
}

async fn an_extract_gives_each_de_identified_record_once(store: Fresh<dyn CommonStore>) {
    let known = load_known(&*store).await;
    let range = (date(2024, 4, 1), date(2026, 3, 31));
    let (sent, rows) = extract_all(
        &*store,
        &extract_query(ExtractKind::Participations, range.0, range.1),
    )
    .await;
    assert_eq!((sent, rows.len()), (6, 6));

    let mut c002 = extract_query(ExtractKind::Participations, range.0, range.1);
    c002.filters = vec![(Dimension::Center, vec![OTHER_CENTER.into()])];
    let (_, rows) = extract_all(&*store, &c002).await;
    let expected: Vec<String> = [
        known.a5.id.to_string().as_str(),
        known.p3.as_str(),
        "C002",
        "392022",
        "",
        "2025-04-15",
        "FY2025",
        "tsudoi",
        "F",
        "age_75_84",
        "elderly",
        "elderly",
        "shien1",
        "alone",
    ]
    .map(str::to_owned)
    .to_vec();
    assert_eq!(rows, [expected]);

    let (sent, rows) = extract_all(
        &*store,
        &extract_query(ExtractKind::Activities, date(2025, 3, 31), date(2025, 3, 31)),
    )
    .await;
    assert_eq!(sent, 1);
    let expected: Vec<String> = [
        known.a1.id.to_string().as_str(),
        "C001",
        "392014",
        "",
        "2025-03-31",
        "FY2024",
        "tsudoi",
        "2",
        "3",
        "0",
        "0",
        "0",
        "2",
        "1",
    ]
    .map(str::to_owned)
    .to_vec();
    assert_eq!(rows, [expected]);

    // People whose registration overlaps the range: p2 ended on 30 June 2025.
    let (_, rows) = extract_all(
        &*store,
        &extract_query(ExtractKind::Persons, date(2025, 7, 1), date(2025, 7, 31)),
    )
    .await;
    let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        ids,
        [common_id(CENTER, 1).as_str(), known.p3.as_str()],
        "by centre and common ID"
    );
    let (_, rows) = extract_all(
        &*store,
        &extract_query(ExtractKind::Persons, date(2025, 6, 30), date(2025, 6, 30)),
    )
    .await;
    let p2 = rows
        .iter()
        .find(|r| r[0] == common_id(CENTER, 2).as_str())
        .expect("p2 on its last day");
    assert_eq!(&p2[10..], ["2025-03-31", "2025-06-30", "moved"]);
}

const MANY: u32 = 5_000;

async fn load_many(store: &dyn CommonStore) {
    let people: Vec<_> = (1..=MANY)
        .map(|n| imported_person(CENTER, n, date(2024, 4, 1)))
        .collect();
    assert_eq!(store.import_persons(&people).await.unwrap(), MANY as usize);
    let activities: Vec<ActivityRecord> = (1..=MANY)
        .map(|n| {
            let on = date(2024, 4, 1) + Duration::days(i64::from(n % 365));
            activity(CENTER, on, "tsudoi", &[&common_id(CENTER, n)])
        })
        .collect();
    assert_eq!(store.import_activities(&activities).await.unwrap(), MANY as usize);
}

async fn thousands_of_people_and_activities_load_in_one_go_or_not_at_all(store: Fresh<dyn CommonStore>) {
    load_many(&*store).await;
    let fy2024 = (date(2024, 4, 1), date(2025, 3, 31));
    let many = u64::from(MANY);
    assert_eq!(
        stats(&*store, &query(&CORE, &[], fy2024.0, fy2024.1)).await,
        [row(&[], &[many, many, many])]
    );
    let registered = query(&[Measure::RegisteredPersons], &[], fy2024.0, fy2024.1);
    assert_eq!(stats(&*store, &registered).await, [row(&[], &[many])]);

    // One person already there spoils the whole load: nothing of it is kept.
    let again = [
        imported_person(CENTER, MANY + 1, date(2024, 5, 1)),
        imported_person(CENTER, 1, date(2024, 5, 1)),
    ];
    let err = store.import_persons(&again).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ConflictKind::CommonId)),
        "{err:?}"
    );
    assert_eq!(stats(&*store, &registered).await, [row(&[], &[many])]);
}

async fn an_extract_streams_every_row_and_stops_when_nobody_listens(store: Fresh<dyn CommonStore>) {
    load_many(&*store).await;
    let q = extract_query(ExtractKind::Activities, date(2024, 4, 1), date(2025, 3, 31));
    let (sent, rows) = extract_all(&*store, &q).await;
    assert_eq!((sent, rows.len()), (u64::from(MANY), MANY as usize));
    let ids: std::collections::HashSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids.len(), MANY as usize, "each activity once");
    assert!(rows.windows(2).all(|w| w[0][4] <= w[1][4]), "in date order");

    // The receiver is gone before the first chunk: the store stops early, without error.
    let (tx, rx) = tokio::sync::mpsc::channel::<Rows>(1);
    drop(rx);
    let sent = tokio::time::timeout(std::time::Duration::from_secs(60), store.extract(&q, tx))
        .await
        .expect("an extract nobody listens to ends")
        .expect("and is no error");
    assert!(sent < u64::from(MANY), "stopped early: {sent} rows");
}
