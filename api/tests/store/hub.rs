//! The hub's part, on every hub store: applying the centres' batches in order and at most once,
//! sync credentials, the centres' sync state, and the duplicate hint.

use api::domain::org::Site;
use api::domain::sync::{AppliedBatch, Change};
use api::stats::{Measure, StatsQuery};
use api::store::{HubStore, StoreError};
use chrono::{DateTime, Duration, Utc};
use shared::common_id::CommonId;
use uuid::Uuid;

use crate::data::{activity, at, batch, common_id, date, participation, person_facts};
use crate::harness::{self, Fresh, CENTER, OTHER_CENTER};

hub_story!(
    batches_apply_in_order_and_the_centres_state_follows,
    a_replayed_batch_applies_nothing_twice,
    a_batch_that_does_not_follow_on_is_refused_whole,
    a_new_stream_begins_with_a_reset_that_replaces_the_centres_facts,
    a_record_of_another_centre_is_not_overwritten,
    sync_credentials_are_found_by_hash_listed_and_revoked,
    duplicate_hint_candidates_are_other_centres_registrations_with_the_key,
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

fn when() -> DateTime<Utc> {
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
        .apply_sync_batch(&first_batch(o.stream, &o.people), when())
        .await
        .unwrap();
    assert_eq!(
        applied,
        AppliedBatch {
            last_seq: 3,
            applied: 3,
            skipped: 0
        }
    );
    let applied = hub
        .apply_sync_batch(&second_batch(&o), when() + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(
        applied,
        AppliedBatch {
            last_seq: 6,
            applied: 3,
            skipped: 0
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
    let applied = hub.apply_sync_batch(&third, when()).await.unwrap();
    assert_eq!((applied.last_seq, applied.applied), (8, 2));
    assert_eq!(held(&*hub).await, [2, 2, 1]);
    // And a deletion is one.
    let fourth = batch(CENTER, o.stream, 4, 9, vec![Change::DeleteActivity(o.activity)]);
    hub.apply_sync_batch(&fourth, when()).await.unwrap();
    assert!(held(&*hub).await.is_empty());
    let s = &hub.sync_centers().await.unwrap()[0];
    assert_eq!((s.last_seq, s.last_batch_seq), (9, Some(4)));
}

async fn a_replayed_batch_applies_nothing_twice(hub: Fresh<dyn HubStore>) {
    let o = open_stream(&*hub).await;
    let replay = hub
        .apply_sync_batch(&second_batch(&o), when() + Duration::minutes(2))
        .await
        .unwrap();
    assert_eq!(
        replay,
        AppliedBatch {
            last_seq: 6,
            applied: 0,
            skipped: 3
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
        .apply_sync_batch(&overlap, when() + Duration::minutes(3))
        .await
        .unwrap();
    assert_eq!(
        applied,
        AppliedBatch {
            last_seq: 7,
            applied: 1,
            skipped: 3
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
    let err = hub.apply_sync_batch(&late, when()).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("sync_out_of_order")),
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
    let err = hub.apply_sync_batch(&gap, when()).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("sync_out_of_order")),
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
    let err = hub.apply_sync_batch(&orphan, when()).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("sync_out_of_order")),
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
    let err = hub.apply_sync_batch(&middle, when()).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("sync_out_of_order")),
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
    let applied = hub.apply_sync_batch(&fresh, when()).await.unwrap();
    assert_eq!(
        applied,
        AppliedBatch {
            last_seq: 3,
            applied: 3,
            skipped: 0
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
    let err = hub.apply_sync_batch(&foreign, when()).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("sync_foreign_record")),
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
    let err = hub.apply_sync_batch(&site, when()).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("sync_foreign_record")),
        "{err:?}"
    );
    assert_eq!(
        hub.sync_centers().await.unwrap().len(),
        1,
        "C002 recorded nothing"
    );
}

async fn sync_credentials_are_found_by_hash_listed_and_revoked(hub: Fresh<dyn HubStore>) {
    let first = hub
        .create_sync_credential(OTHER_CENTER, "cred-hash-1", "sync_ab12", None)
        .await
        .unwrap();
    assert!(first.id > 0);
    assert_eq!(
        (first.center.as_str(), first.prefix.as_str(), first.revoked_at),
        (OTHER_CENTER, "sync_ab12", None)
    );
    assert!(first.is_active());
    let second = hub
        .create_sync_credential(CENTER, "cred-hash-2", "sync_cd34", None)
        .await
        .unwrap();
    let third = hub
        .create_sync_credential(OTHER_CENTER, "cred-hash-3", "sync_ef56", None)
        .await
        .unwrap();
    let err = hub
        .create_sync_credential("C999", "cred-hash-4", "sync_gh78", None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::MissingReference("center")), "{err:?}");

    assert_eq!(
        hub.sync_credential_by_hash("cred-hash-1").await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(hub.sync_credential_by_hash("cred-hash-9").await.unwrap(), None);
    let ids: Vec<i64> = hub
        .sync_credentials()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, [second.id, first.id, third.id], "by centre, then age");

    // Centres with a credential are listed before they ever synchronise.
    let states = hub.sync_centers().await.unwrap();
    let summary: Vec<(String, u64, Option<u64>, u64)> = states
        .into_iter()
        .map(|s| (s.center, s.last_seq, s.last_batch_seq, s.active_credentials))
        .collect();
    assert_eq!(
        summary,
        [
            (CENTER.to_owned(), 0, None, 1),
            (OTHER_CENTER.to_owned(), 0, None, 2)
        ]
    );

    let revoked = hub.revoke_sync_credential(first.id).await.unwrap();
    let revoked_at = revoked.revoked_at.expect("revoked");
    assert!(!revoked.is_active());
    let again = hub.revoke_sync_credential(first.id).await.unwrap();
    assert_eq!(
        again.revoked_at,
        Some(revoked_at),
        "revoking again changes nothing"
    );
    assert_eq!(
        hub.sync_credential_by_hash("cred-hash-1")
            .await
            .unwrap()
            .and_then(|c| c.revoked_at),
        Some(revoked_at)
    );
    assert!(matches!(
        hub.revoke_sync_credential(third.id + 1000).await,
        Err(StoreError::NotFound)
    ));
    let c002 = hub
        .sync_centers()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.center == OTHER_CENTER)
        .unwrap();
    assert_eq!(c002.active_credentials, 1);
}

async fn duplicate_hint_candidates_are_other_centres_registrations_with_the_key(hub: Fresh<dyn HubStore>) {
    let key = "a".repeat(64);
    let other_key = "b".repeat(64);
    let (x, y, z) = (
        common_id(CENTER, 1),
        common_id(OTHER_CENTER, 1),
        common_id(OTHER_CENTER, 2),
    );
    hub.apply_sync_batch(
        &batch(
            CENTER,
            Uuid::new_v4(),
            1,
            1,
            vec![
                Change::ResetCenter,
                Change::UpsertPerson(person_facts(&x, Some(&key))),
            ],
        ),
        when(),
    )
    .await
    .unwrap();
    let c002 = Uuid::new_v4();
    hub.apply_sync_batch(
        &batch(
            OTHER_CENTER,
            c002,
            1,
            1,
            vec![
                Change::ResetCenter,
                Change::UpsertPerson(person_facts(&y, Some(&key))),
                Change::UpsertPerson(person_facts(&z, Some(&other_key))),
            ],
        ),
        when(),
    )
    .await
    .unwrap();

    let candidates = |key: String, asking: &'static str| {
        let hub = hub.store.clone();
        async move {
            hub.duplicate_hint_candidates(&key, asking)
                .await
                .unwrap()
                .into_iter()
                .map(|c| (c.common_id, c.center_code, c.center_name))
                .collect::<Vec<_>>()
        }
    };
    let name = |code: &str| format!("テストセンター {code}");
    assert_eq!(
        candidates(key.clone(), OTHER_CENTER).await,
        [(x.to_string(), CENTER.to_owned(), name(CENTER))]
    );
    assert_eq!(
        candidates(key.clone(), CENTER).await,
        [(y.to_string(), OTHER_CENTER.to_owned(), name(OTHER_CENTER))]
    );
    assert_eq!(
        candidates(key.clone(), "C003").await,
        [
            (x.to_string(), CENTER.to_owned(), name(CENTER)),
            (y.to_string(), OTHER_CENTER.to_owned(), name(OTHER_CENTER))
        ],
        "by centre"
    );
    assert!(candidates("c".repeat(64), "C003").await.is_empty());

    // C002 registers x too: x is no longer a candidate for C002, which has it already.
    hub.apply_sync_batch(
        &batch(
            OTHER_CENTER,
            c002,
            2,
            4,
            vec![Change::UpsertPerson(person_facts(&x, Some(&key)))],
        ),
        when(),
    )
    .await
    .unwrap();
    assert!(candidates(key.clone(), OTHER_CENTER).await.is_empty());
    // Sent again without a key (the centre lost it): forgotten.
    hub.apply_sync_batch(
        &batch(
            OTHER_CENTER,
            c002,
            3,
            5,
            vec![Change::UpsertPerson(person_facts(&y, None))],
        ),
        when(),
    )
    .await
    .unwrap();
    assert_eq!(
        candidates(key.clone(), "C003").await,
        [
            (x.to_string(), CENTER.to_owned(), name(CENTER)),
            (x.to_string(), OTHER_CENTER.to_owned(), name(OTHER_CENTER))
        ]
    );
    // C001 has x itself, and y no longer carries the key.
    assert!(candidates(key.clone(), CENTER).await.is_empty());

    assert_eq!(hub.clear_duplicate_hints().await.unwrap(), 3);
    assert!(candidates(key.clone(), "C003").await.is_empty());
    assert!(candidates(other_key, "C003").await.is_empty());
    assert_eq!(hub.clear_duplicate_hints().await.unwrap(), 0);
}
