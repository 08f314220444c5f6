//! The optional duplicate hint on the hub: other centres' registrations with the same match
//! key, on every hub store.

use api::domain::sync::Change;
use api::store::HubStore;
use uuid::Uuid;

use crate::data::{batch, common_id, draft, person_facts};
use crate::harness::{Fresh, CENTER, OTHER_CENTER};
use crate::hub::when;

hub_story!(duplicate_hint_candidates_are_other_centres_registrations_with_the_key);

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
        draft("apply_sync_batch"),
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
        draft("apply_sync_batch"),
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
        draft("apply_sync_batch"),
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
        draft("apply_sync_batch"),
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
