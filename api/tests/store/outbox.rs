//! The centre's side of synchronisation (SQLite only): the outbox from its first snapshot to
//! acknowledged batches.

use api::domain::sync::OutgoingBatch;
use api::store::{CenterStore, StoreError};
use chrono::Duration;
use shared::dto::sync::SyncOp;

use crate::data::{activity, at, center_code, date, draft, participation, person_record};
use crate::harness::{self, Fresh, CENTER, OTHER_CENTER};

center_story!(
    synchronisation_starts_once_with_a_full_snapshot_without_identity,
    a_batch_is_sent_again_until_acknowledged_then_the_next_follows,
    every_write_to_the_syncing_centres_facts_queues_its_change,
    a_resnapshot_starts_a_new_stream_replacing_what_was_not_acknowledged,
    a_resnapshot_on_a_node_that_never_synchronised_starts_it,
    the_outbox_keeps_the_acknowledged_stream_and_the_last_failure_after_a_success,
);

const ALL: usize = 10_000;
const BIG: usize = 1 << 20;

fn ops(batch: &OutgoingBatch) -> Vec<&'static str> {
    batch
        .entries
        .iter()
        .map(|(_, payload)| {
            serde_json::from_str::<SyncOp>(payload)
                .unwrap_or_else(|e| panic!("{payload}: {e}"))
                .name()
        })
        .collect()
}

fn seqs(batch: &OutgoingBatch) -> Vec<u64> {
    batch.entries.iter().map(|(s, _)| *s).collect()
}

/// Everything waiting, acknowledged: the outbox is empty afterwards.
async fn drain(store: &dyn CenterStore) -> Vec<&'static str> {
    let mut names = Vec::new();
    while let Some(batch) = store.sync_next_batch(ALL, BIG).await.unwrap() {
        names.extend(ops(&batch));
        store
            .sync_acknowledge(
                batch.stream,
                batch.batch_seq,
                batch.last_seq(),
                chrono::Utc::now(),
            )
            .await
            .unwrap();
    }
    names
}

async fn register(store: &dyn CenterStore, center: &str) -> shared::common_id::CommonId {
    store
        .register_person(
            &center_code(center),
            None,
            &person_record("ヤマモト", "ハナコ"),
            draft("register_person"),
        )
        .await
        .unwrap()
        .common_id
}

async fn synchronisation_starts_once_with_a_full_snapshot_without_identity(store: Fresh<dyn CenterStore>) {
    assert_eq!(store.sync_outbox().await.unwrap(), None);
    assert_eq!(store.sync_next_batch(ALL, BIG).await.unwrap(), None);
    // Written before synchronisation starts: in the snapshot, not queued one by one.
    let person = register(&*store, CENTER).await;
    let mut noted = activity(CENTER, date(2024, 5, 10), "tsudoi", &[&person]);
    noted.title = Some("秘密の題名".into());
    noted.note = Some("山本さんは膝が痛む".into());
    store
        .create_activity(&noted, draft("create_activity"))
        .await
        .unwrap();
    store
        .upsert_site(&harness::site("C001-S02", CENTER))
        .await
        .unwrap();
    register(&*store, OTHER_CENTER).await;
    assert_eq!(store.sync_outbox().await.unwrap(), None);

    assert!(store.sync_start(CENTER).await.unwrap());
    assert!(!store.sync_start(CENTER).await.unwrap(), "only once");
    let err = store.sync_start(OTHER_CENTER).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Other(_)),
        "one centre per node: {err:?}"
    );

    let state = store.sync_outbox().await.unwrap().expect("started");
    assert_eq!(state.center, CENTER);
    assert_eq!(state.backlog, 5, "reset, two sites, one person, one activity");
    assert!(state.oldest_pending_at.is_some());
    assert_eq!(
        (
            state.last_acked_seq,
            state.last_attempt_at,
            state.last_success_at,
            state.last_error.as_deref()
        ),
        (0, None, None, None)
    );

    let batch = store.sync_next_batch(ALL, BIG).await.unwrap().expect("a batch");
    assert_eq!(
        (batch.stream, batch.batch_seq, batch.resent),
        (state.stream, 1, false)
    );
    assert_eq!(
        ops(&batch),
        [
            "reset_center",
            "upsert_site",
            "upsert_site",
            "upsert_person",
            "upsert_activity"
        ]
    );
    let s = seqs(&batch);
    assert!(s.windows(2).all(|w| w[1] == w[0] + 1), "consecutive: {s:?}");
    for (_, payload) in &batch.entries {
        for private in ["山本", "ヤマモト", "春野町", "088-894", "秘密", "膝"] {
            assert!(!payload.contains(private), "{private} in {payload}");
        }
        assert!(!payload.contains(OTHER_CENTER), "only C001's facts: {payload}");
    }
}

async fn a_batch_is_sent_again_until_acknowledged_then_the_next_follows(store: Fresh<dyn CenterStore>) {
    register(&*store, CENTER).await;
    register(&*store, CENTER).await;
    store.sync_start(CENTER).await.unwrap();
    // reset, site, two people.
    let first = store.sync_next_batch(2, BIG).await.unwrap().unwrap();
    assert_eq!(
        (first.batch_seq, first.entries.len(), first.resent),
        (1, 2, false)
    );
    let again = store.sync_next_batch(2, BIG).await.unwrap().unwrap();
    assert_eq!(
        (again.batch_seq, &again.entries, again.resent),
        (1, &first.entries, true),
        "unchanged until acknowledged"
    );

    let t1 = at(2025, 6, 1, 0, 0, 0);
    store.sync_failed("hub unreachable", t1).await.unwrap();
    let state = store.sync_outbox().await.unwrap().unwrap();
    assert_eq!(
        (
            state.last_error.as_deref(),
            state.last_attempt_at,
            state.last_success_at
        ),
        (Some("hub unreachable"), Some(t1), None)
    );
    assert_eq!(state.backlog, 4);

    let t2 = t1 + Duration::minutes(1);
    store
        .sync_acknowledge(first.stream, first.batch_seq, first.last_seq(), t2)
        .await
        .unwrap();
    let state = store.sync_outbox().await.unwrap().unwrap();
    assert_eq!(
        (
            state.backlog,
            state.last_acked_seq,
            state.last_error.as_deref(),
            state.last_attempt_at,
            state.last_success_at
        ),
        (2, first.last_seq(), None, Some(t2), Some(t2))
    );

    // At least one entry, however small the byte budget.
    let one = store.sync_next_batch(ALL, 1).await.unwrap().unwrap();
    assert_eq!((one.batch_seq, one.entries.len()), (2, 1));
    assert_eq!(seqs(&one), [first.last_seq() + 1]);
    store
        .sync_acknowledge(one.stream, one.batch_seq, one.last_seq(), t2)
        .await
        .unwrap();
    let rest = store.sync_next_batch(ALL, BIG).await.unwrap().unwrap();
    assert_eq!((rest.batch_seq, seqs(&rest)), (3, vec![one.last_seq() + 1]));
    store
        .sync_acknowledge(rest.stream, rest.batch_seq, rest.last_seq(), t2)
        .await
        .unwrap();
    assert_eq!(store.sync_next_batch(ALL, BIG).await.unwrap(), None);
    let state = store.sync_outbox().await.unwrap().unwrap();
    assert_eq!((state.backlog, state.oldest_pending_at), (0, None));
    assert_eq!(state.last_acked_seq, rest.last_seq());
}

async fn every_write_to_the_syncing_centres_facts_queues_its_change(store: Fresh<dyn CenterStore>) {
    store.sync_start(CENTER).await.unwrap();
    drain(&*store).await;

    let id = register(&*store, CENTER).await;
    let mut changed = person_record("ヤマモト", "ハナコ");
    changed.facts.care_level = "kaigo1".into();
    store
        .update_person(CENTER, &id, &changed, draft("update_person"))
        .await
        .unwrap();
    store
        .end_person(
            CENTER,
            &id,
            &api::domain::person::Ending {
                ended_on: date(2025, 3, 31),
                end_reason: "moved".into(),
            },
            draft("end_person"),
        )
        .await
        .unwrap();
    let other = register(&*store, CENTER).await;
    let mut a = activity(CENTER, date(2024, 5, 10), "tsudoi", &[&id]);
    a.note = Some("メモ".into());
    store.create_activity(&a, draft("create_activity")).await.unwrap();
    a.staff_count = 5;
    store.update_activity(&a, draft("update_activity")).await.unwrap();
    store
        .put_participation(CENTER, a.id, &participation(&other), draft("put_participation"))
        .await
        .unwrap();
    store
        .delete_participation(CENTER, a.id, &other, draft("delete_participation"))
        .await
        .unwrap();
    store
        .delete_activity(CENTER, a.id, draft("delete_activity"))
        .await
        .unwrap();
    store
        .upsert_site(&harness::site("C001-S02", CENTER))
        .await
        .unwrap();
    // Another centre's facts are not this node's to send.
    register(&*store, OTHER_CENTER).await;
    store
        .upsert_site(&harness::site("C002-S01", OTHER_CENTER))
        .await
        .unwrap();
    store
        .create_activity(
            &activity(OTHER_CENTER, date(2024, 5, 10), "tsudoi", &[]),
            draft("create_activity"),
        )
        .await
        .unwrap();

    assert_eq!(
        drain(&*store).await,
        [
            "upsert_person",
            "upsert_person",
            "upsert_person",
            "upsert_person",
            "upsert_activity",
            "upsert_activity",
            "put_participation",
            "delete_participation",
            "delete_activity",
            "upsert_site",
        ]
    );
}

async fn a_resnapshot_starts_a_new_stream_replacing_what_was_not_acknowledged(store: Fresh<dyn CenterStore>) {
    register(&*store, CENTER).await;
    store.sync_start(CENTER).await.unwrap();
    let stream = store.sync_outbox().await.unwrap().unwrap().stream;
    let first = store.sync_next_batch(2, BIG).await.unwrap().unwrap();
    store
        .sync_acknowledge(
            first.stream,
            first.batch_seq,
            first.last_seq(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    register(&*store, CENTER).await;
    // In flight, never acknowledged: replaced by the snapshot.
    let pending = store.sync_next_batch(ALL, BIG).await.unwrap().unwrap();
    assert_eq!(ops(&pending), ["upsert_person", "upsert_person"]);

    let entries = store.sync_resnapshot(CENTER).await.unwrap();
    assert_eq!(entries, 4, "reset, the site, two people");
    let state = store.sync_outbox().await.unwrap().unwrap();
    assert_ne!(state.stream, stream, "a new stream");
    assert_eq!(state.backlog, 4);
    let batch = store.sync_next_batch(ALL, BIG).await.unwrap().unwrap();
    assert_eq!(batch.stream, state.stream);
    assert!(!batch.resent);
    assert_eq!(
        ops(&batch),
        ["reset_center", "upsert_site", "upsert_person", "upsert_person"]
    );
    assert!(
        batch.entries[0].0 > pending.last_seq(),
        "numbers are never reused"
    );
}

async fn a_resnapshot_on_a_node_that_never_synchronised_starts_it(store: Fresh<dyn CenterStore>) {
    register(&*store, CENTER).await;
    assert_eq!(store.sync_resnapshot(CENTER).await.unwrap(), 3);
    let state = store.sync_outbox().await.unwrap().expect("started");
    assert_eq!((state.center.as_str(), state.backlog), (CENTER, 3));
    assert!(!store.sync_start(CENTER).await.unwrap(), "already started");
}

async fn the_outbox_keeps_the_acknowledged_stream_and_the_last_failure_after_a_success(
    store: Fresh<dyn CenterStore>,
) {
    store.sync_start(CENTER).await.unwrap();
    let state = store.sync_outbox().await.unwrap().unwrap();
    assert_eq!(
        (state.acked_stream, state.acknowledged()),
        (None, None),
        "nothing acknowledged yet"
    );
    let t1 = at(2025, 6, 1, 0, 0, 0);
    store
        .sync_failed("the hub refused batch 1: 503", t1)
        .await
        .unwrap();
    let batch = store.sync_next_batch(1, BIG).await.unwrap().unwrap();
    store
        .sync_acknowledge(
            batch.stream,
            batch.batch_seq,
            batch.last_seq(),
            t1 + Duration::minutes(1),
        )
        .await
        .unwrap();
    let state = store.sync_outbox().await.unwrap().unwrap();
    assert_eq!(state.last_error, None, "cleared by the success");
    assert_eq!(
        state.last_failure,
        Some((t1, "the hub refused batch 1: 503".to_owned())),
        "kept for the alert's cause"
    );
    assert_eq!(state.acked_stream, Some(batch.stream));
    let acked = state.acknowledged().expect("acknowledged in the current stream");
    assert_eq!((acked.stream, acked.last_seq), (batch.stream, batch.last_seq()));
    // A new stream: nothing of it acknowledged yet, so nothing to compare with the hub.
    store.sync_resnapshot(CENTER).await.unwrap();
    assert_eq!(store.sync_outbox().await.unwrap().unwrap().acknowledged(), None);
}
