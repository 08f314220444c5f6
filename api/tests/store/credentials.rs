//! The centres' sync credentials on the hub, and the centres the hub knows of: on every hub
//! store.

use crate::data::draft;
use api::store::{HubStore, Reference, StoreError};

use crate::harness::{Fresh, CENTER, OTHER_CENTER};

hub_story!(sync_credentials_are_found_by_hash_listed_and_revoked);

async fn sync_credentials_are_found_by_hash_listed_and_revoked(hub: Fresh<dyn HubStore>) {
    let first = hub
        .create_sync_credential(
            OTHER_CENTER,
            "cred-hash-1",
            "sync_ab12",
            None,
            draft("create_sync_credential"),
        )
        .await
        .unwrap();
    assert!(first.id > 0);
    assert_eq!(
        (first.center.as_str(), first.prefix.as_str(), first.revoked_at),
        (OTHER_CENTER, "sync_ab12", None)
    );
    assert!(first.is_active());
    let second = hub
        .create_sync_credential(
            CENTER,
            "cred-hash-2",
            "sync_cd34",
            None,
            draft("create_sync_credential"),
        )
        .await
        .unwrap();
    let third = hub
        .create_sync_credential(
            OTHER_CENTER,
            "cred-hash-3",
            "sync_ef56",
            None,
            draft("create_sync_credential"),
        )
        .await
        .unwrap();
    let err = hub
        .create_sync_credential(
            "C999",
            "cred-hash-4",
            "sync_gh78",
            None,
            draft("create_sync_credential"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::MissingReference(Reference::Center)),
        "{err:?}"
    );

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

    let revoked = hub
        .revoke_sync_credential(first.id, draft("revoke_sync_credential"))
        .await
        .unwrap();
    let revoked_at = revoked.revoked_at.expect("revoked");
    assert!(!revoked.is_active());
    let again = hub
        .revoke_sync_credential(first.id, draft("revoke_sync_credential"))
        .await
        .unwrap();
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
        hub.revoke_sync_credential(third.id + 1000, draft("revoke_sync_credential"))
            .await,
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
