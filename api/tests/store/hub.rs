//! The hub's part, on every hub store: applying the centres' batches in order and at most once,
//! and how far each centre has been applied.

use api::domain::org::Site;
use api::domain::sync::{AppliedBatch, Change, FactsTouched};
use api::stats::{Measure, StatsQuery};
use api::store::{ConflictKind, HubStore, StoreError};
use chrono::{DateTime, Duration, Utc};
use shared::common_id::CommonId;
use uuid::Uuid;

use crate::data::{activity, at, batch, common_id, date, draft, participation, person_facts};
use crate::harness::{self, Fresh, CENTER, OTHER_CENTER};

hub_story!(
    batches_apply_in_order_and_the_centres_state_follows,
    a_replayed_batch_applies_nothing_twice,
    a_batch_that_does_not_follow_on_is_refused_whole,
    a_new_stream_begins_with_a_reset_that_replaces_the_centres_facts,
    a_record_of_another_centre_is_not_overwritten,
    applied_batches_name_the_years_they_touch,
);

/// Participations, unique people and activities the hub holds for fiscal year 2024.
async fn held(hub: &dyn HubStore) -> Vec<u64> {
    let q = StatsQuery {
        measures: vec![
            Measure::Participations,
            Measure::UniquePersons,
            Measure::Activities,
        ],
        dims: vec![],
        from: date(2024, 4, 1),
        to: date(2025, 3, 31),
        filters: vec![],
    };
    hub.stats(&q)
        .await
        .unwrap()
        .pop()
        .map(|(_, v)| v)
        .unwrap_or_default()
}

pub fn when() -> DateTime<Utc> {
    at(2024, 9, 1, 3, 0, 0)
}

/// The opening of C001's stream: a reset, a site, two people; then an activity with both and
/// one more participation (entries 1–3 and 4–6).
struct Opening {
    stream: Uuid,
    people: [CommonId; 2],
    activity: Uuid,
}

fn new_site() -> Site {
    harness::site("C001-S02", CENTER)
}

fn first_batch(stream: Uuid, people: &[CommonId; 2]) -> api::domain::sync::ValidBatch {
    batch(
        CENTER,
        stream,
        1,
        1,
        vec![
            Change::ResetCenter,
            Change::UpsertSite(new_site()),
            Change::UpsertPerson(person_facts(&people[0], None)),
        ],
    )
}

fn second_batch(o: &Opening) -> api::domain::sync::ValidBatch {
    let mut a = activity(CENTER, date(2024, 6, 3), "tsudoi", &[&o.people[0]]);
    a.id = o.activity;
    batch(
        CENTER,
        o.stream,
        2,
        4,
        vec![
            Change::UpsertPerson(person_facts(&o.people[1], None)),
            Change::UpsertActivity(a),
            Change::PutParticipation {
                activity: o.activity,
                participation: participation(&o.people[1]),
            },
        ],
    )
}

async fn open_stream(hub: &dyn HubStore) -> Opening {
    let o = Opening {
        stream: Uuid::new_v4(),
        people: [common_id(CENTER, 1), common_id(CENTER, 2)],
        activity: Uuid::new_v4(),
    };
    let applied = hub
        .apply_sync_batch(
            &first_batch(o.stream, &o.people),
            when(),
            draft("apply_sync_batch"),
        )
        .await
        .unwrap();
    assert_eq!(
        applied,
        AppliedBatch {
            last_seq: 3,
            applied: 3,
            skipped: 0,
            // Which years it touched: `applied_batches_name_the_years_they_touch`.
            touched: applied.touched.clone(),
        }
    );
    let applied = hub
        .apply_sync_batch(
            &second_batch(&o),
            when() + Duration::minutes(1),
            draft("apply_sync_batch"),
        )
        .await
        .unwrap();
    assert_eq!(
        applied,
        AppliedBatch {
            last_seq: 6,
            applied: 3,
            skipped: 0,
            // Which years it touched: `applied_batches_name_the_years_they_touch`.
            touched: applied.touched.clone(),
        }
    );
    o
}

async fn batches_apply_in_order_and_the_centres_state_follows(hub: Fresh<dyn HubStore>) {
    assert!(hub.sync_centers().await.unwrap().is_empty());
    let o = open_stream(&*hub).await;
    // The activity with its first participant, then the second put on it: in that order.
    assert_eq!(held(&*hub).await, [2, 2, 1]);
    assert!(hub.sites(Some(CENTER)).await.unwrap().contains(&new_site()));

    let states = hub.sync_centers().await.unwrap();
    assert_eq!(states.len(), 1);
    let s = &states[0];
    assert_eq!(
        (
            s.center.as_str(),
            s.last_seq,
            s.last_batch_seq,
            s.last_batch_at,
            s.active_credentials
        ),
        (CENTER, 6, Some(2), Some(when() + Duration::minutes(1)), 0)
    );

    // Within a batch, entries apply in their order: a participation deleted, then put back.
    let third = batch(
        CENTER,
        o.stream,
        3,
        7,
        vec![
            Change::DeleteParticipation {
                activity: o.activity,
                common_id: o.people[0].clone(),
            },
            Change::PutParticipation {
                activity: o.activity,
                participation: participation(&o.people[0]),
            },
        ],
    );
    let applied = hub
        .apply_sync_batch(&third, when(), draft("apply_sync_batch"))
        .await
        .unwrap();
    assert_eq!((applied.last_seq, applied.applied), (8, 2));
    assert_eq!(held(&*hub).await, [2, 2, 1]);
    // And a deletion is one.
    let fourth = batch(CENTER, o.stream, 4, 9, vec![Change::DeleteActivity(o.activity)]);
    hub.apply_sync_batch(&fourth, when(), draft("apply_sync_batch"))
        .await
        .unwrap();
    assert!(held(&*hub).await.is_empty());
    let s = &hub.sync_centers().await.unwrap()[0];
    assert_eq!((s.last_seq, s.last_batch_seq), (9, Some(4)));
    // The position the hub tells the centre with its period locks.
    assert_eq!(
        hub.sync_position(CENTER).await.unwrap(),
        Some(api::domain::sync::StreamPosition {
            stream: o.stream,
            last_seq: 9
        })
    );
    assert_eq!(
        hub.sync_position(crate::harness::OTHER_CENTER).await.unwrap(),
        None
    );
}

async fn a_replayed_batch_applies_nothing_twice(hub: Fresh<dyn HubStore>) {
    let o = open_stream(&*hub).await;
    let replay = hub
        .apply_sync_batch(
            &second_batch(&o),
            when() + Duration::minutes(2),
            draft("apply_sync_batch"),
        )
        .await
        .unwrap();
    assert_eq!(
        replay,
        AppliedBatch {
            last_seq: 6,
            applied: 0,
            skipped: 3,
            // Nothing applied, nothing touched.
            touched: FactsTouched::default(),
        }
    );
    assert_eq!(held(&*hub).await, [2, 2, 1]);

    // A batch overlapping what was applied: only the new part counts.
    let mut overlap = second_batch(&o);
    overlap.batch_seq = 3;
    overlap.entries.push((
        7,
        Change::DeleteParticipation {
            activity: o.activity,
            common_id: o.people[1].clone(),
        },
    ));
    let applied = hub
        .apply_sync_batch(&overlap, when() + Duration::minutes(3), draft("apply_sync_batch"))
        .await
        .unwrap();
    assert_eq!(
        applied,
        AppliedBatch {
            last_seq: 7,
            applied: 1,
            skipped: 3,
            // Only the new part: the FY2024 activity's participation.
            touched: FactsTouched {
                fiscal_years: [2024].into(),
                whole_center: false
            },
        }
    );
    assert_eq!(held(&*hub).await, [1, 1, 1]);
    let s = &hub.sync_centers().await.unwrap()[0];
    assert_eq!((s.last_seq, s.last_batch_seq), (7, Some(3)));
}

async fn a_batch_that_does_not_follow_on_is_refused_whole(hub: Fresh<dyn HubStore>) {
    // First contact must begin at entry 1 (or with a reset).
    let late = batch(
        OTHER_CENTER,
        Uuid::new_v4(),
        1,
        2,
        vec![Change::UpsertPerson(person_facts(
            &common_id(OTHER_CENTER, 1),
            None,
        ))],
    );
    let err = hub
        .apply_sync_batch(&late, when(), draft("apply_sync_batch"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ConflictKind::SyncOutOfOrder)),
        "{err:?}"
    );
    assert!(hub.sync_centers().await.unwrap().is_empty(), "nothing recorded");

    let o = open_stream(&*hub).await;
    // A gap after entry 6: entry 7 is missing. The first entry would apply; nothing does.
    let mut gap = batch(
        CENTER,
        o.stream,
        3,
        7,
        vec![
            Change::DeleteActivity(o.activity),
            Change::UpsertPerson(person_facts(&common_id(CENTER, 3), None)),
        ],
    );
    gap.entries[1].0 = 9;
    let err = hub
        .apply_sync_batch(&gap, when(), draft("apply_sync_batch"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ConflictKind::SyncOutOfOrder)),
        "{err:?}"
    );
    assert_eq!(
        held(&*hub).await,
        [2, 2, 1],
        "the delete before the gap was not kept"
    );
    let s = &hub.sync_centers().await.unwrap()[0];
    assert_eq!((s.last_seq, s.last_batch_seq), (6, Some(2)));

    // A participation put on an activity the hub does not have.
    let orphan = batch(
        CENTER,
        o.stream,
        3,
        7,
        vec![Change::PutParticipation {
            activity: Uuid::new_v4(),
            participation: participation(&o.people[0]),
        }],
    );
    let err = hub
        .apply_sync_batch(&orphan, when(), draft("apply_sync_batch"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ConflictKind::SyncOutOfOrder)),
        "{err:?}"
    );
    assert_eq!(hub.sync_centers().await.unwrap()[0].last_seq, 6);
}

async fn a_new_stream_begins_with_a_reset_that_replaces_the_centres_facts(hub: Fresh<dyn HubStore>) {
    open_stream(&*hub).await;
    let stream = Uuid::new_v4();
    // Not a reset: a new stream cannot start in the middle.
    let middle = batch(
        CENTER,
        stream,
        1,
        1,
        vec![Change::UpsertPerson(person_facts(&common_id(CENTER, 5), None))],
    );
    let err = hub
        .apply_sync_batch(&middle, when(), draft("apply_sync_batch"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ConflictKind::SyncOutOfOrder)),
        "{err:?}"
    );

    let a = activity(CENTER, date(2024, 10, 1), "houmon", &[&common_id(CENTER, 5)]);
    let fresh = batch(
        CENTER,
        stream,
        1,
        1,
        vec![
            Change::ResetCenter,
            Change::UpsertPerson(person_facts(&common_id(CENTER, 5), None)),
            Change::UpsertActivity(a),
        ],
    );
    let applied = hub
        .apply_sync_batch(&fresh, when(), draft("apply_sync_batch"))
        .await
        .unwrap();
    assert_eq!(
        applied,
        AppliedBatch {
            last_seq: 3,
            applied: 3,
            skipped: 0,
            // Which years it touched: `applied_batches_name_the_years_they_touch`.
            touched: applied.touched.clone(),
        }
    );
    // Only what the new stream holds: one activity with one person.
    assert_eq!(held(&*hub).await, [1, 1, 1]);
    let s = &hub.sync_centers().await.unwrap()[0];
    assert_eq!((s.last_seq, s.last_batch_seq), (3, Some(1)));
}

async fn a_record_of_another_centre_is_not_overwritten(hub: Fresh<dyn HubStore>) {
    let o = open_stream(&*hub).await;
    let mut theirs = activity(OTHER_CENTER, date(2024, 6, 3), "tsudoi", &[]);
    theirs.id = o.activity;
    let foreign = batch(
        OTHER_CENTER,
        Uuid::new_v4(),
        1,
        1,
        vec![Change::ResetCenter, Change::UpsertActivity(theirs)],
    );
    let err = hub
        .apply_sync_batch(&foreign, when(), draft("apply_sync_batch"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ConflictKind::SyncForeignRecord)),
        "{err:?}"
    );
    assert_eq!(held(&*hub).await, [2, 2, 1]);
    // A site code of C001 sent by C002.
    let site = batch(
        OTHER_CENTER,
        Uuid::new_v4(),
        1,
        1,
        vec![Change::ResetCenter, Change::UpsertSite(new_site())],
    );
    let err = hub
        .apply_sync_batch(&site, when(), draft("apply_sync_batch"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ConflictKind::SyncForeignRecord)),
        "{err:?}"
    );
    assert_eq!(
        hub.sync_centers().await.unwrap().len(),
        1,
        "C002 recorded nothing"
    );
}

/// What the `/stats` cache invalidates (decision 0029): an applied batch names the fiscal years
/// of the activities it added, moved (before and after), changed or removed, and marks the
/// whole centre when people, sites or everything changed.
async fn applied_batches_name_the_years_they_touch(hub: Fresh<dyn HubStore>) {
    let o = open_stream(&*hub).await;
    let years = |ys: &[i32]| FactsTouched {
        fiscal_years: ys.iter().copied().collect(),
        whole_center: false,
    };
    let send =
        |seq: u64, batch_seq: u64, changes: Vec<Change>| batch(CENTER, o.stream, batch_seq, seq, changes);
    // An activity of FY2022 added: that year only.
    let mut old = activity(CENTER, date(2022, 10, 3), "tsudoi", &[&o.people[0]]);
    let applied = hub
        .apply_sync_batch(
            &send(7, 3, vec![Change::UpsertActivity(old.clone())]),
            when(),
            draft("apply_sync_batch"),
        )
        .await
        .unwrap();
    assert_eq!(applied.touched, years(&[2022]));
    // Moved to FY2025: the year it left and the year it entered.
    old.date = date(2025, 5, 1);
    let applied = hub
        .apply_sync_batch(
            &send(8, 4, vec![Change::UpsertActivity(old.clone())]),
            when(),
            draft("apply_sync_batch"),
        )
        .await
        .unwrap();
    assert_eq!(applied.touched, years(&[2022, 2025]));
    // A participation taken off the FY2024 activity, then the moved one deleted.
    let changes = vec![
        Change::DeleteParticipation {
            activity: o.activity,
            common_id: o.people[1].clone(),
        },
        Change::DeleteActivity(old.id),
    ];
    let applied = hub
        .apply_sync_batch(&send(9, 5, changes), when(), draft("apply_sync_batch"))
        .await
        .unwrap();
    assert_eq!(applied.touched, years(&[2024, 2025]));
    // A person: every figure of the centre.
    let changes = vec![Change::UpsertPerson(person_facts(&o.people[1], None))];
    let applied = hub
        .apply_sync_batch(&send(11, 6, changes), when(), draft("apply_sync_batch"))
        .await
        .unwrap();
    assert!(applied.touched.whole_center && applied.touched.fiscal_years.is_empty());
    // Sent again: nothing applied, nothing touched.
    let applied = hub
        .apply_sync_batch(
            &send(
                11,
                6,
                vec![Change::UpsertPerson(person_facts(&o.people[1], None))],
            ),
            when(),
            draft("apply_sync_batch"),
        )
        .await
        .unwrap();
    assert!(applied.touched.is_empty(), "{applied:?}");
}
