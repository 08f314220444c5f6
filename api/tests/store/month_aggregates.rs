//! The month aggregates (migration 0025, decision 0030) on every hub store: months, quarters,
//! a half-year and a free range with partial edge months give, cell by cell, the answer the
//! participation facts give, before and after activities and participations are moved,
//! changed and deleted by sync batches (the SQLite triggers, the SQL Server store's upkeep).
//!
//! The facts' answer is the same question with a filter letting through every day of its
//! range: a day filter is something only the facts can answer, so the planner must read them.

use api::domain::activity::{ActivityRecord, Participation};
use api::domain::region::{Membership, Region};
use api::domain::sync::Change;
use api::stats::plan::{plan, FactSource, Step};
use api::stats::{Dimension, Measure, StatsQuery};
use api::store::HubStore;
use chrono::NaiveDate;
use shared::common_id::CommonId;
use uuid::Uuid;

use crate::data::{activity, batch, common_id, date, draft, participation, person_facts, unregistered};
use crate::harness::{Fresh, CENTER, CENTER_MUNICIPALITY, OTHER_CENTER, SITE};

hub_story!(month_aggregates_answer_as_the_facts_do_through_moves_changes_and_deletions);

/// A participation with a snapshot of its own: age band, sex, group and categories vary with `n`.
fn varied(id: &CommonId, n: usize) -> Participation {
    let mut p = participation(id);
    let s = &mut p.snapshot;
    s.age_band = ["age_65_74", "age_75_84", "age_85_plus"][n % 3].into();
    s.sex = ["F", "M"][n % 2].into();
    if n % 4 == 1 {
        s.group = "disabled".into();
        s.categories = vec!["disabled".into(), "other".into()];
    }
    p
}

/// An activity of `center` on `on` with the people `who` picks among `people`.
fn made(center: &str, on: NaiveDate, n: usize, people: &[CommonId]) -> ActivityRecord {
    let function = ["tsudoi", "houmon", "soudan"][n % 3];
    let mut a = activity(center, on, function, &[]);
    a.participations = people
        .iter()
        .enumerate()
        .filter(|(i, _)| !(i + n).is_multiple_of(3))
        .map(|(i, id)| varied(id, i + n))
        .collect();
    a.participations
        .sort_by(|x, y| x.common_id.as_str().cmp(y.common_id.as_str()));
    if center == CENTER && n % 4 == 2 {
        a.site = Some(SITE.into());
    }
    if n.is_multiple_of(5) {
        a.unregistered = unregistered(u16::try_from(n % 7).unwrap_or(0) + 1, 2);
    }
    a
}

/// Every day of `q`'s range as a day filter: the same question, answered from the facts.
fn from_the_facts(q: &StatsQuery) -> StatsQuery {
    let mut days = Vec::new();
    let mut day = q.from;
    while day <= q.to {
        days.push(day.to_string());
        day = day.succ_opt().unwrap();
    }
    let mut f = q.clone();
    f.filters.push((Dimension::Date, days));
    f
}

fn source(q: &StatsQuery) -> FactSource {
    plan(q)
        .steps
        .iter()
        .find_map(|s| match s {
            Step::Facts { source, .. } => Some(*source),
            _ => None,
        })
        .expect("a facts step")
}

async fn sorted(hub: &dyn HubStore, q: &StatsQuery) -> Vec<(Vec<String>, Vec<u64>)> {
    let mut rows = hub.stats(q).await.unwrap();
    rows.sort();
    rows
}

fn q(dims: &[Dimension], from: NaiveDate, to: NaiveDate, filters: &[(Dimension, &[&str])]) -> StatsQuery {
    StatsQuery {
        measures: vec![
            Measure::Participations,
            Measure::UniquePersons,
            Measure::Visits,
            Measure::Consultations,
        ],
        dims: dims.to_vec(),
        from,
        to,
        filters: filters
            .iter()
            .map(|(d, codes)| (*d, codes.iter().map(|c| (*c).to_owned()).collect()))
            .collect(),
    }
}

/// The questions: each with whether the month aggregates answer it with edge days.
fn questions() -> Vec<(StatsQuery, bool)> {
    use Dimension as D;
    let (apr, jun, sep) = (date(2024, 4, 1), date(2024, 6, 30), date(2024, 9, 30));
    let mut out = vec![
        // Months of a quarter, and the quarter's totals (distinct people once each).
        (q(&[D::Month], apr, jun, &[]), false),
        (q(&[], apr, jun, &[]), false),
        // Quarters of a half-year by centre, and the half-year by municipality and in total.
        (q(&[D::Quarter, D::Center], apr, sep, &[]), false),
        (q(&[D::Municipality], apr, sep, &[]), false),
        (q(&[], apr, sep, &[]), false),
        // Across the turn of the fiscal year, by year and region (membership per fiscal year).
        (q(&[D::FiscalYear, D::Region], date(2024, 3, 1), sep, &[]), false),
        // People's attributes, with and without category rows.
        (q(&[D::Month, D::Group, D::Sex], apr, sep, &[]), false),
        (q(&[D::Category, D::AgeBand], apr, sep, &[]), false),
        (
            q(
                &[D::Category, D::Month],
                apr,
                sep,
                &[(D::Category, &["disabled", "child"])],
            ),
            false,
        ),
        // Time filters from the month key.
        (
            q(
                &[D::Site, D::Function],
                apr,
                sep,
                &[(D::Month, &["2024-05", "2024-07"])],
            ),
            false,
        ),
        (
            q(&[D::Month], date(2024, 3, 1), sep, &[(D::Quarter, &["FY2024Q2"])]),
            false,
        ),
        (
            q(&[], date(2024, 3, 1), sep, &[(D::FiscalYear, &["FY2024"])]),
            false,
        ),
        (q(&[D::Month], apr, sep, &[(D::Center, &[OTHER_CENTER])]), false),
    ];
    // Free ranges whose first and last months are partial: by month, and totals.
    for (from, to) in [
        (date(2024, 4, 10), date(2024, 8, 20)),
        (date(2024, 3, 27), date(2024, 6, 30)),
        (date(2024, 4, 1), date(2024, 9, 14)),
    ] {
        out.push((q(&[D::Month], from, to, &[]), true));
        out.push((q(&[], from, to, &[]), true));
        out.push((q(&[D::Category, D::Quarter], from, to, &[]), true));
        out.push((q(&[D::Region, D::Function], from, to, &[]), true));
    }
    out
}

/// Every question against its facts answer; returns the half-year's total.
async fn agree(hub: &dyn HubStore, when: &str) -> Vec<u64> {
    for (question, with_edges) in questions() {
        match source(&question) {
            FactSource::MonthAggregates { head, tail, .. } => {
                assert_eq!(head.is_some() || tail.is_some(), with_edges, "{question:?}");
            }
            other => panic!("{other:?} for {question:?}"),
        }
        let facts = from_the_facts(&question);
        assert_eq!(source(&facts), FactSource::Facts);
        let (months, reference) = (sorted(hub, &question).await, sorted(hub, &facts).await);
        assert!(!reference.is_empty(), "{when}: {question:?} has rows");
        assert_eq!(months, reference, "{when}: {question:?}");
    }
    let total = q(&[], date(2024, 4, 1), date(2024, 9, 30), &[]);
    sorted(hub, &total).await.pop().unwrap().1
}

async fn month_aggregates_answer_as_the_facts_do_through_moves_changes_and_deletions(
    hub: Fresh<dyn HubStore>,
) {
    let since = date(2009, 4, 1);
    let region = Region {
        code: "central".into(),
        name: "中央福祉保健所".into(),
        sort_order: 1,
        valid_from: since,
        valid_to: None,
        members: vec![Membership {
            municipality: CENTER_MUNICIPALITY.into(),
            valid_from: since,
            valid_to: None,
        }],
    };
    hub.put_region(&region, draft("region.put")).await.unwrap();
    let ours: Vec<CommonId> = (1..=6).map(|n| common_id(CENTER, n)).collect();
    let theirs: Vec<CommonId> = (1..=3).map(|n| common_id(OTHER_CENTER, n)).collect();
    // C001 every four days from 20 March to 10 October, C002 every nine.
    let mut c001 = Vec::new();
    let mut day = date(2024, 3, 20);
    while day <= date(2024, 10, 10) {
        c001.push(made(CENTER, day, c001.len(), &ours));
        day += chrono::Duration::days(4);
    }
    let mut c002 = Vec::new();
    let mut day = date(2024, 3, 22);
    while day <= date(2024, 10, 10) {
        c002.push(made(OTHER_CENTER, day, c002.len(), &theirs));
        day += chrono::Duration::days(9);
    }
    let streams = [Uuid::new_v4(), Uuid::new_v4()];
    for ((center, people, activities), stream) in [(CENTER, &ours, &c001), (OTHER_CENTER, &theirs, &c002)]
        .into_iter()
        .zip(streams)
    {
        let mut changes = vec![Change::ResetCenter];
        changes.extend(people.iter().map(|p| Change::UpsertPerson(person_facts(p, None))));
        changes.extend(activities.iter().cloned().map(Change::UpsertActivity));
        hub.apply_sync_batch(
            &batch(center, stream, 1, 1, changes),
            crate::hub::when(),
            draft("apply_sync_batch"),
        )
        .await
        .unwrap();
    }
    let before = agree(&*hub, "as loaded").await;

    // Moves across months and the fiscal year, a changed function and headcount, a deleted
    // activity, a deleted participation and a participation put back with another snapshot.
    let mut changes = Vec::new();
    let mut moved = c001[12].clone(); // 2024-05-07
    moved.date = date(2024, 7, 31);
    moved.function = "soudan".into();
    changes.push(Change::UpsertActivity(moved));
    let mut back = c001[4].clone(); // 2024-04-05
    back.date = date(2024, 3, 30);
    back.unregistered = unregistered(4, 1);
    changes.push(Change::UpsertActivity(back));
    let mut recounted = c001[20].clone(); // 2024-06-08
    recounted.unregistered = unregistered(0, 5);
    recounted.site = None;
    changes.push(Change::UpsertActivity(recounted));
    changes.push(Change::DeleteActivity(c001[30].id)); // 2024-07-18
    let touched = &c001[15]; // 2024-05-19
    let gone = touched.participations[0].common_id.clone();
    changes.push(Change::DeleteParticipation {
        activity: touched.id,
        common_id: gone,
    });
    let changed = &c001[16]; // 2024-05-23
    let mut p = changed.participations[0].clone();
    p.snapshot.age_band = "age_85_plus".into();
    p.snapshot.categories = vec!["child".into(), "elderly".into()];
    changes.push(Change::PutParticipation {
        activity: changed.id,
        participation: p,
    });
    hub.apply_sync_batch(
        &batch(CENTER, streams[0], 2, 2 + 6 + c001.len() as u64, changes),
        crate::hub::when(),
        draft("apply_sync_batch"),
    )
    .await
    .unwrap();
    let after = agree(&*hub, "after the changes").await;
    assert_ne!(before, after, "the changes change the half-year's figures");
}
