//! The centre's mirror of the hub's period locks (SQLite only): applied once, audited, refusing
//! writes like the centre's own locks, and unlocked only by the hub.

use api::domain::audit::AuditQuery;
use api::domain::period_lock::{HubLock, HubLocksApplied};
use api::store::{CenterStore, ConflictKind, StoreError};
use chrono::Duration;
use shared::dates::Period;
use shared::dto::auth::Scope;

use crate::data::{activity, at, date, draft};
use crate::harness::{Fresh, CENTER};

center_story!(the_hubs_locks_are_mirrored_once_and_only_the_hub_unlocks_them);

fn hub_lock(hub_id: i64, scope: Scope, period: &str) -> HubLock {
    HubLock {
        hub_id,
        scope,
        period: Period::parse(period).unwrap(),
        locked_by: "pref".into(),
        locked_at: at(2024, 8, 5, 1, 0, 0),
        unlocked_by: None,
        unlocked_at: None,
    }
}

async fn audited(store: &dyn CenterStore, action: &str) -> usize {
    store
        .audit(&AuditQuery {
            action_prefix: Some(action.into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

async fn the_hubs_locks_are_mirrored_once_and_only_the_hub_unlocks_them(store: Fresh<dyn CenterStore>) {
    store.sync_start(CENTER).await.unwrap();
    store.hub_locks_pull_failed("hub timed out").await.unwrap();
    let state = store.sync_outbox().await.unwrap().unwrap();
    assert_eq!(
        (state.locks_error.as_deref(), state.locks_pulled_at),
        (Some("hub timed out"), None)
    );

    let july = hub_lock(7, Scope::Center(CENTER.into()), "2024-07");
    let t = at(2024, 8, 5, 2, 0, 0);
    let applied = store
        .apply_hub_locks(std::slice::from_ref(&july), t)
        .await
        .unwrap();
    assert_eq!(
        applied,
        HubLocksApplied {
            locked: 1,
            unlocked: 0
        }
    );
    let state = store.sync_outbox().await.unwrap().unwrap();
    assert_eq!(
        (state.locks_error.as_deref(), state.locks_pulled_at),
        (None, Some(t))
    );
    let mirrored = store.period_locks(false).await.unwrap();
    assert_eq!(mirrored.len(), 1);
    let copy = &mirrored[0];
    assert_eq!(
        (
            copy.hub_lock_id,
            &copy.scope,
            copy.period,
            copy.locked_by.as_str(),
            copy.locked_at
        ),
        (Some(7), &july.scope, july.period, "pref", july.locked_at)
    );
    assert_eq!(audited(&*store, "period.lock.from_hub").await, 1);
    let err = store
        .create_activity(
            &activity(CENTER, date(2024, 7, 1), "tsudoi", &[]),
            draft("create_activity"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::PeriodLocked(ref p) if p == "2024年7月"),
        "{err:?}"
    );

    // The same list again changes nothing.
    let again = store
        .apply_hub_locks(std::slice::from_ref(&july), t)
        .await
        .unwrap();
    assert_eq!(again, HubLocksApplied::default());
    assert_eq!(audited(&*store, "period.lock.from_hub").await, 1);
    assert_eq!(store.period_locks(true).await.unwrap().len(), 1);
    let err = store
        .unlock_period(copy.id, "manager", draft("unlock_period"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ConflictKind::PeriodLockFromHub)),
        "{err:?}"
    );

    // Unlocked on the hub: unlocked here, as the hub says.
    let mut unlocked = july.clone();
    unlocked.unlocked_by = Some("pref2".into());
    unlocked.unlocked_at = Some(at(2024, 8, 6, 0, 0, 0));
    let applied = store
        .apply_hub_locks(std::slice::from_ref(&unlocked), t)
        .await
        .unwrap();
    assert_eq!(
        applied,
        HubLocksApplied {
            locked: 0,
            unlocked: 1
        }
    );
    let all = store.period_locks(true).await.unwrap();
    assert_eq!(
        (all[0].unlocked_by.as_deref(), all[0].unlocked_at),
        (Some("pref2"), unlocked.unlocked_at)
    );
    assert!(store.period_locks(false).await.unwrap().is_empty());
    assert_eq!(audited(&*store, "period.unlock.from_hub").await, 1);
    store
        .create_activity(
            &activity(CENTER, date(2024, 7, 1), "tsudoi", &[]),
            draft("create_activity"),
        )
        .await
        .unwrap();

    // Locked again on the hub (restored there from before the unlock): the copy is active again.
    let applied = store
        .apply_hub_locks(std::slice::from_ref(&july), t)
        .await
        .unwrap();
    assert_eq!(
        applied,
        HubLocksApplied {
            locked: 1,
            unlocked: 0
        }
    );
    assert_eq!(store.period_locks(true).await.unwrap().len(), 1);

    // A lock the hub no longer lists (a replaced hub) is unlocked; one the hub lists as already
    // unlocked is kept as history and refuses nothing.
    let mut history = hub_lock(9, Scope::Prefecture, "FY2023");
    history.unlocked_by = Some("pref".into());
    history.unlocked_at = Some(at(2024, 6, 1, 0, 0, 0));
    let applied = store
        .apply_hub_locks(std::slice::from_ref(&history), t)
        .await
        .unwrap();
    assert_eq!(
        applied,
        HubLocksApplied {
            locked: 0,
            unlocked: 1
        }
    );
    assert!(store.period_locks(false).await.unwrap().is_empty());
    let all = store.period_locks(true).await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.iter().any(|l| l.hub_lock_id == Some(9) && !l.is_active()));
    store
        .create_activity(
            &activity(CENTER, date(2023, 10, 1), "tsudoi", &[]),
            draft("create_activity"),
        )
        .await
        .unwrap();
    assert_eq!(audited(&*store, "period.lock.from_hub").await, 2);
    assert_eq!(audited(&*store, "period.unlock.from_hub").await, 2);

    // A lock of the whole prefecture taken on the hub refuses this centre too.
    let fy = hub_lock(10, Scope::Prefecture, "FY2024");
    store
        .apply_hub_locks(&[history, fy], t + Duration::hours(1))
        .await
        .unwrap();
    let err = store
        .create_activity(
            &activity(CENTER, date(2024, 4, 1), "tsudoi", &[]),
            draft("create_activity"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::PeriodLocked(ref p) if p == "2024年度"),
        "{err:?}"
    );
}
