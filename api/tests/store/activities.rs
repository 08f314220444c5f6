//! The centre's activities and participations (SQLite only): idempotent recording, corrections,
//! lists, a person's history.

use api::domain::activity::{ActivityListItem, ActivityQuery, ActivityRecord};
use api::store::{CenterStore, ConflictKind, Recorded, StoreError};
use shared::common_id::CommonId;
use uuid::Uuid;

use crate::data::{activity, center_code, date, draft, participation, person_record, unregistered};
use crate::harness::{Fresh, CENTER, OTHER_CENTER, SITE};

center_story!(
    an_activity_is_recorded_once_under_its_id,
    an_activity_is_corrected_and_deleted,
    participations_are_put_and_deleted_one_at_a_time,
    activities_are_listed_by_date_and_start_time_with_counts,
    a_persons_participations_come_newest_first_in_pages,
);

/// Registers three people at C001 (山本 花子, then two more).
pub async fn people(store: &dyn CenterStore) -> [CommonId; 3] {
    let mut ids = Vec::new();
    for kana in ["ヤマモト", "タナカ", "スズキ"] {
        let mut record = person_record(kana, "ハナコ");
        if kana != "ヤマモト" {
            record.identity.family_name = "別人".into();
        }
        ids.push(
            store
                .register_person(&center_code(CENTER), None, &record, draft("register_person"))
                .await
                .unwrap()
                .common_id,
        );
    }
    ids.try_into().unwrap()
}

/// A full record: site, title, times, counts, note and two participants.
fn full(p: &[CommonId; 3]) -> ActivityRecord {
    let mut a = activity(CENTER, date(2024, 5, 10), "tsudoi", &[&p[1], &p[0]]);
    a.site = Some(SITE.into());
    a.title = Some("体操教室".into());
    a.start_time = Some("10:00".into());
    a.end_time = Some("11:30".into());
    a.staff_count = 3;
    a.volunteer_count = 4;
    a.unregistered = unregistered(2, 1);
    a.note = Some("雨のため室内で実施".into());
    a
}

pub fn recorded<T: std::fmt::Debug>(r: Result<Recorded<T>, StoreError>) -> Recorded<T> {
    r.unwrap_or_else(|e| panic!("recorded: {e:?}"))
}

async fn an_activity_is_recorded_once_under_its_id(store: Fresh<dyn CenterStore>) {
    let p = people(&*store).await;
    let record = full(&p);
    let created = match recorded(store.create_activity(&record, draft("create_activity")).await) {
        Recorded::New(a) => a,
        other => panic!("new: {other:?}"),
    };
    assert_eq!(created.record, record, "everything comes back, note included");
    assert!(created.updated_at >= created.created_at);
    assert_eq!(store.activity(CENTER, record.id).await.unwrap(), created);
    assert!(matches!(
        store.activity(OTHER_CENTER, record.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.activity(CENTER, Uuid::new_v4()).await,
        Err(StoreError::NotFound)
    ));

    // Sent again: the one recorded, unchanged (snapshots come from the people, not the request).
    let mut resent = record.clone();
    resent.participations[0].snapshot.care_level = "kaigo5".into();
    match recorded(store.create_activity(&resent, draft("create_activity")).await) {
        Recorded::Existing(a) => assert_eq!(a, created),
        other => panic!("existing: {other:?}"),
    }
    // Another activity under the same ID.
    let mut other = record.clone();
    other.title = Some("別の教室".into());
    let err = store
        .create_activity(&other, draft("create_activity"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ConflictKind::ActivityId)),
        "{err:?}"
    );
    let mut fewer = record.clone();
    fewer.participations.pop();
    let err = store
        .create_activity(&fewer, draft("create_activity"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ConflictKind::ActivityId)),
        "{err:?}"
    );
    assert_eq!(store.activity(CENTER, record.id).await.unwrap(), created);
}

async fn an_activity_is_corrected_and_deleted(store: Fresh<dyn CenterStore>) {
    let p = people(&*store).await;
    let record = full(&p);
    let created = recorded(store.create_activity(&record, draft("create_activity")).await).into_inner();

    let mut corrected = activity(CENTER, date(2024, 5, 11), "kaigoyobou", &[&p[2], &p[0]]);
    corrected.id = record.id;
    corrected.title = Some("介護予防体操".into());
    corrected.start_time = Some("13:00".into());
    let updated = store
        .update_activity(&corrected, draft("update_activity"))
        .await
        .unwrap();
    assert_eq!(
        updated.record, corrected,
        "replaced whole: site, times and note gone"
    );
    assert_eq!(updated.created_at, created.created_at);
    assert!(updated.updated_at >= created.updated_at);
    assert_eq!(store.activity(CENTER, record.id).await.unwrap(), updated);

    let mut stranger = corrected.clone();
    stranger.id = Uuid::new_v4();
    assert!(matches!(
        store.update_activity(&stranger, draft("update_activity")).await,
        Err(StoreError::NotFound)
    ));
    let mut elsewhere = corrected.clone();
    elsewhere.center = OTHER_CENTER.into();
    assert!(matches!(
        store.update_activity(&elsewhere, draft("update_activity")).await,
        Err(StoreError::NotFound)
    ));

    assert!(matches!(
        store
            .delete_activity(OTHER_CENTER, record.id, draft("delete_activity"))
            .await,
        Err(StoreError::NotFound)
    ));
    store
        .delete_activity(CENTER, record.id, draft("delete_activity"))
        .await
        .unwrap();
    assert!(matches!(
        store.activity(CENTER, record.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .delete_activity(CENTER, record.id, draft("delete_activity"))
            .await,
        Err(StoreError::NotFound)
    ));
    // Its ID may be used again.
    assert!(recorded(store.create_activity(&record, draft("create_activity")).await).is_new());
}

async fn participations_are_put_and_deleted_one_at_a_time(store: Fresh<dyn CenterStore>) {
    let p = people(&*store).await;
    let record = full(&p);
    recorded(store.create_activity(&record, draft("create_activity")).await);
    let ids = |a: &api::domain::activity::Activity| -> Vec<CommonId> {
        a.record
            .participations
            .iter()
            .map(|x| x.common_id.clone())
            .collect()
    };

    let added = store
        .put_participation(
            CENTER,
            record.id,
            &participation(&p[2]),
            draft("put_participation"),
        )
        .await
        .unwrap();
    assert_eq!(
        ids(&added),
        [p[0].clone(), p[1].clone(), p[2].clone()],
        "by common ID"
    );
    assert_eq!(added.record.title, record.title, "the rest unchanged");

    let mut changed = participation(&p[0]);
    changed.detail.topics = vec!["health".into(), "care".into()];
    changed.detail.topics.sort();
    changed.snapshot.care_level = "kaigo2".into();
    let replaced = store
        .put_participation(CENTER, record.id, &changed, draft("put_participation"))
        .await
        .unwrap();
    assert_eq!(ids(&replaced).len(), 3, "replaced, not added");
    assert_eq!(replaced.record.participations[0], changed);

    let fewer = store
        .delete_participation(CENTER, record.id, &p[1], draft("delete_participation"))
        .await
        .unwrap();
    assert_eq!(ids(&fewer), [p[0].clone(), p[2].clone()]);
    assert!(matches!(
        store
            .delete_participation(CENTER, record.id, &p[1], draft("delete_participation"))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .put_participation(
                CENTER,
                Uuid::new_v4(),
                &participation(&p[1]),
                draft("put_participation")
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .put_participation(
                OTHER_CENTER,
                record.id,
                &participation(&p[1]),
                draft("put_participation")
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .activity(CENTER, record.id)
            .await
            .unwrap()
            .record
            .participations,
        fewer.record.participations
    );
}

fn at(start: Option<&str>, mut a: ActivityRecord) -> ActivityRecord {
    a.start_time = start.map(str::to_owned);
    a
}

fn month(from: (u32, u32), to: (u32, u32)) -> ActivityQuery {
    ActivityQuery {
        from: date(2024, from.0, from.1),
        to: date(2024, to.0, to.1),
        function: None,
        site: None,
    }
}

async fn listed(store: &dyn CenterStore, q: &ActivityQuery) -> Vec<ActivityListItem> {
    store.activities(CENTER, q).await.unwrap()
}

fn ids_of(items: &[ActivityListItem]) -> Vec<Uuid> {
    items.iter().map(|i| i.id).collect()
}

async fn activities_are_listed_by_date_and_start_time_with_counts(store: Fresh<dyn CenterStore>) {
    let p = people(&*store).await;
    let d = |day: u32| date(2024, 5, day);
    let afternoon = at(Some("13:00"), activity(CENTER, d(10), "tsudoi", &[&p[0], &p[1]]));
    let morning = at(Some("09:30"), activity(CENTER, d(10), "houmon", &[&p[0]]));
    let mut no_time = activity(CENTER, d(10), "soudan", &[]);
    no_time.unregistered = unregistered(1, 0);
    let mut day_before = at(Some("15:00"), activity(CENTER, d(9), "tsudoi", &[&p[2]]));
    day_before.site = Some(SITE.into());
    let last_day = activity(CENTER, d(31), "tsudoi", &[]);
    let june = activity(CENTER, date(2024, 6, 1), "tsudoi", &[]);
    let other_centre = activity(OTHER_CENTER, d(10), "tsudoi", &[]);
    for a in [
        &afternoon,
        &morning,
        &no_time,
        &day_before,
        &last_day,
        &june,
        &other_centre,
    ] {
        recorded(store.create_activity(a, draft("create_activity")).await);
    }

    let may = listed(&*store, &month((5, 1), (5, 31))).await;
    assert_eq!(
        ids_of(&may),
        [day_before.id, morning.id, afternoon.id, no_time.id, last_day.id],
        "by date, then start time with none last"
    );
    let counts: Vec<i64> = may.iter().map(|i| i.participants).collect();
    assert_eq!(counts, [1, 1, 2, 0, 0]);
    assert_eq!(may[3].unregistered, unregistered(1, 0));
    assert_eq!(may[0].site.as_deref(), Some(SITE));
    assert_eq!(
        (may[1].start_time.as_deref(), may[1].function.as_str()),
        (Some("09:30"), "houmon")
    );
    // The one registered participant, named: for a visit or a consultation list.
    assert_eq!(
        may[1].sole_participant,
        Some((p[0].to_string(), Some("山本　花子".into())))
    );
    assert_eq!(may[2].sole_participant, None, "two people");
    assert_eq!(may[3].sole_participant, None, "nobody registered");

    let tsudoi = ActivityQuery {
        function: Some("tsudoi".into()),
        ..month((5, 1), (5, 31))
    };
    assert_eq!(
        ids_of(&listed(&*store, &tsudoi).await),
        [day_before.id, afternoon.id, last_day.id]
    );
    let at_site = ActivityQuery {
        site: Some(SITE.into()),
        ..month((5, 1), (5, 31))
    };
    assert_eq!(ids_of(&listed(&*store, &at_site).await), [day_before.id]);
    assert_eq!(
        ids_of(&listed(&*store, &month((5, 10), (5, 10))).await),
        [morning.id, afternoon.id, no_time.id],
        "a single day, both ends inclusive"
    );
    assert_eq!(
        ids_of(&listed(&*store, &month((5, 31), (6, 1))).await),
        [last_day.id, june.id]
    );
}

async fn a_persons_participations_come_newest_first_in_pages(store: Fresh<dyn CenterStore>) {
    let p = people(&*store).await;
    let mut first = at(
        Some("09:30"),
        activity(CENTER, date(2024, 5, 10), "houmon", &[&p[0]]),
    );
    first.title = Some("見守り訪問".into());
    let second = at(
        Some("13:00"),
        activity(CENTER, date(2024, 5, 10), "tsudoi", &[&p[0], &p[1]]),
    );
    let third = activity(CENTER, date(2024, 5, 31), "tsudoi", &[&p[0]]);
    let fourth = activity(CENTER, date(2024, 6, 1), "tsudoi", &[&p[0]]);
    let not_hers = activity(CENTER, date(2024, 7, 1), "tsudoi", &[&p[1]]);
    for a in [&first, &second, &third, &fourth, &not_hers] {
        recorded(store.create_activity(a, draft("create_activity")).await);
    }
    // The same number registered at the other centre: its activities are not C001's history.
    store
        .register_person(
            &center_code(OTHER_CENTER),
            Some(&p[0]),
            &person_record("ヤマモト", "ハナコ"),
            draft("register_person"),
        )
        .await
        .unwrap();
    recorded(
        store
            .create_activity(
                &activity(OTHER_CENTER, date(2024, 8, 1), "tsudoi", &[&p[0]]),
                draft("create_activity"),
            )
            .await,
    );

    let (rows, total) = store.participations_of(CENTER, &p[0], 0, 10).await.unwrap();
    assert_eq!(total, 4);
    let order: Vec<Uuid> = rows.iter().map(|r| r.activity_id).collect();
    assert_eq!(order, [fourth.id, third.id, second.id, first.id]);
    let last = &rows[3];
    assert_eq!(
        (
            last.date,
            last.function.as_str(),
            last.title.as_deref(),
            &last.participation
        ),
        (
            date(2024, 5, 10),
            "houmon",
            Some("見守り訪問"),
            &first.participations[0]
        )
    );
    let (page, total) = store.participations_of(CENTER, &p[0], 1, 2).await.unwrap();
    assert_eq!(total, 4);
    assert_eq!(
        page.iter().map(|r| r.activity_id).collect::<Vec<_>>(),
        [third.id, second.id]
    );
    let (none, total) = store.participations_of(CENTER, &p[2], 0, 10).await.unwrap();
    assert_eq!((none.len(), total), (0, 0));
}
