//! Activity writes in a locked period (SQLite only: the centre's store checks its locks): every
//! kind of write refused, by month, fiscal year and scope.

use api::domain::period_lock::NewPeriodLock;
use api::store::{CenterStore, Recorded, StoreError};
use shared::dates::Period;
use shared::dto::auth::Scope;

use crate::activities::{people, recorded};
use crate::data::{activity, date, draft, participation};
use crate::harness::{Fresh, CENTER, CENTER_MUNICIPALITY, OTHER_CENTER, OTHER_MUNICIPALITY};

center_story!(
    writes_in_a_locked_period_are_refused,
    month_boundaries_and_lock_scopes_decide_what_a_lock_refuses,
);

fn lock(scope: Scope, period: &str) -> NewPeriodLock {
    NewPeriodLock {
        scope,
        period: Period::parse(period).unwrap(),
    }
}

fn refused<T: std::fmt::Debug>(r: Result<T, StoreError>, label: &str) {
    match r {
        Err(StoreError::PeriodLocked(period)) => assert_eq!(period, label),
        other => panic!("refused as {label}: {other:?}"),
    }
}

async fn writes_in_a_locked_period_are_refused(store: Fresh<dyn CenterStore>) {
    let p = people(&*store).await;
    let in_may = activity(CENTER, date(2024, 5, 10), "tsudoi", &[&p[0], &p[1]]);
    let in_april = activity(CENTER, date(2024, 4, 20), "tsudoi", &[&p[0]]);
    recorded(store.create_activity(&in_may, draft("create_activity")).await);
    recorded(store.create_activity(&in_april, draft("create_activity")).await);
    let may = store
        .lock_period(
            &lock(Scope::Center(CENTER.into()), "2024-05"),
            "pref",
            draft("lock_period"),
        )
        .await
        .unwrap()
        .into_inner();

    refused(
        store
            .create_activity(
                &activity(CENTER, date(2024, 5, 20), "tsudoi", &[]),
                draft("create_activity"),
            )
            .await,
        "2024年5月",
    );
    let mut changed = in_may.clone();
    changed.staff_count = 9;
    refused(
        store.update_activity(&changed, draft("update_activity")).await,
        "2024年5月",
    );
    let mut moved_in = in_april.clone();
    moved_in.date = date(2024, 5, 2);
    refused(
        store.update_activity(&moved_in, draft("update_activity")).await,
        "2024年5月",
    );
    let mut moved_out = in_may.clone();
    moved_out.date = date(2024, 6, 2);
    refused(
        store.update_activity(&moved_out, draft("update_activity")).await,
        "2024年5月",
    );
    refused(
        store
            .delete_activity(CENTER, in_may.id, draft("delete_activity"))
            .await,
        "2024年5月",
    );
    refused(
        store
            .put_participation(
                CENTER,
                in_may.id,
                &participation(&p[2]),
                draft("put_participation"),
            )
            .await,
        "2024年5月",
    );
    refused(
        store
            .delete_participation(CENTER, in_may.id, &p[1], draft("delete_participation"))
            .await,
        "2024年5月",
    );
    // Nothing changed, and a resend of what was recorded before the lock is still answered.
    let kept = store.activity(CENTER, in_may.id).await.unwrap();
    assert_eq!(kept.record, in_may);
    assert!(matches!(
        recorded(store.create_activity(&in_may, draft("create_activity")).await),
        Recorded::Existing(_)
    ));
    // April is open.
    let mut april = in_april.clone();
    april.staff_count = 5;
    store
        .update_activity(&april, draft("update_activity"))
        .await
        .unwrap();

    store
        .unlock_period(may.id, "pref", draft("unlock_period"))
        .await
        .unwrap();
    store
        .update_activity(&changed, draft("update_activity"))
        .await
        .unwrap();
    store
        .put_participation(
            CENTER,
            in_may.id,
            &participation(&p[2]),
            draft("put_participation"),
        )
        .await
        .unwrap();
    store
        .delete_activity(CENTER, in_may.id, draft("delete_activity"))
        .await
        .unwrap();
}

async fn month_boundaries_and_lock_scopes_decide_what_a_lock_refuses(store: Fresh<dyn CenterStore>) {
    let create = |on| activity(CENTER, on, "tsudoi", &[]);
    store
        .lock_period(
            &lock(Scope::Center(CENTER.into()), "2024-05"),
            "pref",
            draft("lock_period"),
        )
        .await
        .unwrap();
    refused(
        store
            .create_activity(&create(date(2024, 5, 1)), draft("create_activity"))
            .await,
        "2024年5月",
    );
    refused(
        store
            .create_activity(&create(date(2024, 5, 31)), draft("create_activity"))
            .await,
        "2024年5月",
    );
    recorded(
        store
            .create_activity(&create(date(2024, 4, 30)), draft("create_activity"))
            .await,
    );
    recorded(
        store
            .create_activity(&create(date(2024, 6, 1)), draft("create_activity"))
            .await,
    );

    // Locks of another centre or municipality leave C001 alone.
    store
        .lock_period(
            &lock(Scope::Center(OTHER_CENTER.into()), "2024-06"),
            "pref",
            draft("lock_period"),
        )
        .await
        .unwrap();
    store
        .lock_period(
            &lock(Scope::Municipality(OTHER_MUNICIPALITY.into()), "FY2024"),
            "pref",
            draft("lock_period"),
        )
        .await
        .unwrap();
    recorded(
        store
            .create_activity(&create(date(2024, 6, 15)), draft("create_activity"))
            .await,
    );
    // C002's own lock and its municipality's both cover it: refused, by either.
    let err = store
        .create_activity(
            &activity(OTHER_CENTER, date(2024, 6, 15), "tsudoi", &[]),
            draft("create_activity"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::PeriodLocked(_)), "{err:?}");

    // C001's municipality, and the whole prefecture for a fiscal year.
    store
        .lock_period(
            &lock(Scope::Municipality(CENTER_MUNICIPALITY.into()), "2024-07"),
            "city",
            draft("lock_period"),
        )
        .await
        .unwrap();
    refused(
        store
            .create_activity(&create(date(2024, 7, 1)), draft("create_activity"))
            .await,
        "2024年7月",
    );
    store
        .lock_period(&lock(Scope::Prefecture, "FY2025"), "pref", draft("lock_period"))
        .await
        .unwrap();
    refused(
        store
            .create_activity(&create(date(2025, 4, 1)), draft("create_activity"))
            .await,
        "2025年度",
    );
    refused(
        store
            .create_activity(&create(date(2026, 3, 31)), draft("create_activity"))
            .await,
        "2025年度",
    );
    recorded(
        store
            .create_activity(&create(date(2025, 3, 31)), draft("create_activity"))
            .await,
    );
    recorded(
        store
            .create_activity(&create(date(2026, 4, 1)), draft("create_activity"))
            .await,
    );
}
