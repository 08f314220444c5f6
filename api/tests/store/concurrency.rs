//! What must hold however writes interleave: eight writers at once on one store, each story on
//! every store its methods exist on.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use api::domain::activity::ActivityQuery;
use api::domain::audit::AuditQuery;
use api::domain::period_lock::NewPeriodLock;
use api::domain::sync::{AppliedBatch, Change};
use api::stats::{Measure, StatsQuery};
use api::store::{
    CenterStore, CommonStore, ConflictKind, HubStore, Recorded, RefreshGrant, RefreshUse, StoreError,
};
use chrono::{Duration, Utc};
use shared::dates::Period;
use shared::dto::auth::{Role, Scope};
use uuid::Uuid;

use crate::data::{
    account, activity, audit_entry, batch, center_code, common_id, date, draft, person_facts, person_record,
};
use crate::harness::{Fresh, CENTER};

const WRITERS: usize = 8;

/// Stories over the common part: on a SQLite centre, a SQLite hub and a SQL Server hub.
mod any_store {
    use super::*;
    common_story!(
        the_audit_chain_never_forks_under_concurrent_appends,
        a_period_is_locked_once_and_unlocked_once_however_many_ask_at_once,
        a_refresh_token_presented_twice_at_once_rotates_once,
    );
}

/// Stories over the centre's part (SQLite only).
mod centre {
    use super::*;
    center_story!(
        common_ids_never_repeat_under_concurrent_registrations,
        no_activity_enters_a_month_once_its_lock_is_taken,
    );
}

/// Stories over the hub's part: on a SQLite hub and a SQL Server hub.
mod hub {
    use super::*;
    hub_story!(the_same_batch_applied_at_once_is_applied_once);
}

/// Runs `WRITERS` copies of `task` at once (task `n` gets `n`), and their results in order.
async fn at_once<S, T, F, Fut>(store: &Arc<S>, task: F) -> Vec<T>
where
    S: ?Sized + Send + Sync + 'static,
    T: Send + 'static,
    F: Fn(Arc<S>, usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let start = Arc::new(tokio::sync::Barrier::new(WRITERS));
    let handles: Vec<_> = (0..WRITERS)
        .map(|n| {
            let (start, run) = (start.clone(), task(store.clone(), n));
            tokio::spawn(async move {
                start.wait().await;
                run.await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(WRITERS);
    for h in handles {
        out.push(h.await.expect("writer task"));
    }
    out
}

/// (1) 8 × 25 appends at once: the chain has every row, each linked to the one before.
async fn the_audit_chain_never_forks_under_concurrent_appends(store: Fresh<dyn CommonStore>) {
    const EACH: usize = 25;
    let before = store.verify_audit_chain().await.unwrap();
    at_once(&store.store, |s, n| async move {
        for i in 0..EACH {
            let entry = audit_entry(
                "test.concurrent",
                &format!("writer-{n}"),
                &i.to_string(),
                Utc::now(),
            );
            s.append_audit(&entry).await.unwrap();
        }
    })
    .await;
    let report = store.verify_audit_chain().await.unwrap();
    assert_eq!(report.broken_at, None, "{report:?}");
    assert_eq!(report.rows, before.rows + (WRITERS * EACH) as u64);
    let rows = store
        .audit(&AuditQuery {
            action_prefix: Some("test.concurrent".into()),
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), WRITERS * EACH);
    let ids: HashSet<i64> = rows.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), WRITERS * EACH);
    for n in 0..WRITERS {
        let mine = rows
            .iter()
            .filter(|r| r.entry.actor.as_deref() == Some(format!("writer-{n}").as_str()))
            .count();
        assert_eq!(mine, EACH, "writer-{n}");
    }
}

/// (4) Eight lock the same period at once: one lock is made, the others find it. Then eight
/// unlock it at once: one unlocks, the others find it unlocked. Twelve rounds (a month each),
/// to give a race in the store many chances to show.
async fn a_period_is_locked_once_and_unlocked_once_however_many_ask_at_once(store: Fresh<dyn CommonStore>) {
    for month in 1..=12 {
        let lock = NewPeriodLock {
            scope: Scope::Center(CENTER.into()),
            period: Period::month(2024, month).unwrap(),
        };
        let results = at_once(&store.store, |s, n| {
            let lock = lock.clone();
            async move {
                s.lock_period(&lock, &format!("pref-{n}"), draft("lock_period"))
                    .await
            }
        })
        .await;
        let new: Vec<_> = results
            .iter()
            .filter_map(|r| match r {
                Ok(Recorded::New(l)) => Some(l.id),
                _ => None,
            })
            .collect();
        assert_eq!(new.len(), 1, "exactly one new lock of month {month}: {results:?}");
        let id = new[0];
        assert!(
            results.iter().all(|r| match r {
                Ok(Recorded::New(_)) => true,
                Ok(Recorded::Existing(l)) => l.id == id,
                Err(_) => false,
            }),
            "the others find it: {results:?}"
        );

        let unlocks = at_once(&store.store, |s, n| async move {
            s.unlock_period(id, &format!("pref-{n}"), draft("unlock_period"))
                .await
        })
        .await;
        let ok = unlocks.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, 1, "exactly one unlock of month {month}: {unlocks:?}");
        assert!(
            unlocks
                .iter()
                .filter_map(|r| r.as_ref().err())
                .all(|e| matches!(e, StoreError::Conflict(ConflictKind::AlreadyUnlocked))),
            "{unlocks:?}"
        );
    }
    assert_eq!(store.period_locks(true).await.unwrap().len(), 12);
    assert!(store.period_locks(false).await.unwrap().is_empty());
}

/// A refresh token is spent once: presented eight times at once, one rotation; the rest see a
/// reuse (and the session ends) or, once it has ended, an invalid token.
async fn a_refresh_token_presented_twice_at_once_rotates_once(store: Fresh<dyn CommonStore>) {
    let id = store
        .create_account(
            &account("gina", Role::CenterStaff, Scope::Center(CENTER.into())),
            draft("create_account"),
        )
        .await
        .unwrap()
        .id;
    store
        .insert_refresh(&RefreshGrant {
            token_hash: "shared-hash".into(),
            account_id: id,
            session: "shared-session".into(),
            expires_at: Utc::now() + Duration::hours(1),
        })
        .await
        .unwrap();
    let uses = at_once(&store.store, |s, _| async move {
        s.use_refresh("shared-hash", Utc::now()).await.unwrap()
    })
    .await;
    let rotated = uses
        .iter()
        .filter(|u| matches!(u, RefreshUse::Rotated { .. }))
        .count();
    let reused = uses.iter().filter(|u| matches!(u, RefreshUse::Reused)).count();
    assert_eq!(rotated, 1, "{uses:?}");
    assert!(reused >= 1, "{uses:?}");
    assert_eq!(store.session_principal("shared-session", id).await.unwrap(), None);
}

/// (2) 8 × 10 registrations at one centre at once: 80 common IDs, none twice, none skipped.
async fn common_ids_never_repeat_under_concurrent_registrations(store: Fresh<dyn CenterStore>) {
    const EACH: usize = 10;
    let issued = at_once(&store.store, |s, _| async move {
        let mut ids = Vec::new();
        for _ in 0..EACH {
            let p = s
                .register_person(
                    &center_code(CENTER),
                    None,
                    &person_record("ヤマモト", "ハナコ"),
                    draft("register_person"),
                )
                .await
                .unwrap();
            ids.push(p.common_id);
        }
        ids
    })
    .await;
    let all: Vec<_> = issued.into_iter().flatten().collect();
    let distinct: HashSet<&str> = all.iter().map(|id| id.as_str()).collect();
    assert_eq!(distinct.len(), WRITERS * EACH, "no ID issued twice");
    let mut serials: Vec<u32> = all.iter().map(|id| id.serial()).collect();
    serials.sort_unstable();
    assert_eq!(serials, (1..=(WRITERS * EACH) as u32).collect::<Vec<_>>());
    let q = api::domain::person::PersonQuery {
        limit: 1,
        ..Default::default()
    };
    assert_eq!(
        store.persons(CENTER, &q).await.unwrap().1,
        (WRITERS * EACH) as u64
    );
}

/// What one writer saw of one create.
struct Attempt {
    id: Uuid,
    /// The write was sent after `lock_period` had returned.
    after_lock: bool,
    result: Result<bool, StoreError>,
}

/// (3) Writers record activities dated in May 2024 while, once some are in, May is locked.
///
/// The invariant: the lock and the writes are serialisable. Every write is either recorded
/// (then committed before the lock: its `created_at` is not later than the lock's `locked_at`,
/// both taken inside their transactions) or refused with `PeriodLocked`; every write sent after
/// `lock_period` returned is refused; and May holds exactly the writes answered `New`, no
/// refused one and no lost one.
async fn no_activity_enters_a_month_once_its_lock_is_taken(store: Fresh<dyn CenterStore>) {
    const BEFORE_LOCK: usize = 20;
    const AFTER_LOCK: usize = 5;
    let locked = Arc::new(AtomicBool::new(false));
    let recorded = Arc::new(AtomicUsize::new(0));

    let locker = {
        let (s, locked, recorded) = (store.store.clone(), locked.clone(), recorded.clone());
        tokio::spawn(async move {
            while recorded.load(Ordering::SeqCst) < BEFORE_LOCK {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
            let lock = NewPeriodLock {
                scope: Scope::Center(CENTER.into()),
                period: Period::parse("2024-05").unwrap(),
            };
            let made = s.lock_period(&lock, "pref", draft("lock_period")).await.unwrap();
            locked.store(true, Ordering::SeqCst);
            made
        })
    };
    let attempts = at_once(&store.store, |s, n| {
        let (locked, recorded) = (locked.clone(), recorded.clone());
        async move {
            let mut seen = Vec::new();
            let mut after = 0;
            // Enough for the lock to come (it waits for 20 recorded writes) and go.
            for i in 0..500u32 {
                let after_lock = locked.load(Ordering::SeqCst);
                let day = (n as u32 * 7 + i) % 31 + 1;
                let a = activity(CENTER, date(2024, 5, day), "tsudoi", &[]);
                let result = s
                    .create_activity(&a, draft("create_activity"))
                    .await
                    .map(|r| r.is_new());
                if matches!(result, Ok(true)) {
                    recorded.fetch_add(1, Ordering::SeqCst);
                }
                seen.push(Attempt {
                    id: a.id,
                    after_lock,
                    result,
                });
                if after_lock {
                    after += 1;
                    if after == AFTER_LOCK {
                        break;
                    }
                }
            }
            seen
        }
    })
    .await;
    let lock = match locker.await.unwrap() {
        Recorded::New(l) => l,
        other => panic!("the lock is new: {other:?}"),
    };
    let attempts: Vec<Attempt> = attempts.into_iter().flatten().collect();

    let mut committed = HashSet::new();
    for a in &attempts {
        match &a.result {
            Ok(true) => {
                assert!(!a.after_lock, "a write sent after the lock was recorded");
                committed.insert(a.id);
            }
            Err(StoreError::PeriodLocked(p)) => assert_eq!(p, "2024年5月"),
            other => panic!("recorded or refused as locked, nothing else: {other:?}"),
        }
    }
    assert!(committed.len() >= BEFORE_LOCK, "writes went in before the lock");
    let refused_after = attempts.iter().filter(|a| a.after_lock).count();
    assert_eq!(refused_after, WRITERS * AFTER_LOCK, "and were refused after it");

    let may = ActivityQuery {
        from: date(2024, 5, 1),
        to: date(2024, 5, 31),
        function: None,
        site: None,
    };
    let held: HashSet<Uuid> = store
        .activities(CENTER, &may)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(held, committed, "May holds exactly the writes answered New");
    for id in &committed {
        let a = store.activity(CENTER, *id).await.unwrap();
        assert!(
            a.created_at <= lock.locked_at,
            "{id} recorded at {} after the lock at {}",
            a.created_at,
            lock.locked_at
        );
    }
}

/// (5) The same first batch of a centre, applied eight times at once: applied once, skipped by
/// the rest, its facts there once.
async fn the_same_batch_applied_at_once_is_applied_once(hub: Fresh<dyn HubStore>) {
    let people = [common_id(CENTER, 1), common_id(CENTER, 2)];
    let a = activity(CENTER, date(2024, 6, 3), "tsudoi", &[&people[0], &people[1]]);
    let first = batch(
        CENTER,
        Uuid::new_v4(),
        1,
        1,
        vec![
            Change::ResetCenter,
            Change::UpsertPerson(person_facts(&people[0], None)),
            Change::UpsertPerson(person_facts(&people[1], None)),
            Change::UpsertActivity(a),
        ],
    );
    let results = at_once(&hub.store, |s, _| {
        let first = first.clone();
        async move {
            s.apply_sync_batch(&first, Utc::now(), draft("apply_sync_batch"))
                .await
                .unwrap()
        }
    })
    .await;
    let applied: Vec<&AppliedBatch> = results.iter().filter(|r| r.applied > 0).collect();
    assert_eq!(applied.len(), 1, "{results:?}");
    assert_eq!(
        *applied[0],
        AppliedBatch {
            last_seq: 4,
            applied: 4,
            skipped: 0,
            // Which years it touched: `applied_batches_name_the_years_they_touch`.
            touched: applied[0].touched.clone(),
        }
    );
    assert!(results
        .iter()
        .all(|r| r.last_seq == 4 && (r.applied, r.skipped) != (0, 0) && r.applied + r.skipped == 4));
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
    assert_eq!(hub.stats(&q).await.unwrap(), [(vec![], vec![2, 2, 1])]);
    let states = hub.sync_centers().await.unwrap();
    assert_eq!((states.len(), states[0].last_seq), (1, 4));
}
