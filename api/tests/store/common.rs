//! The common part, on every store: migrations, node secrets, master data, centres and sites,
//! period locks.

use api::domain::period_lock::NewPeriodLock;
use api::store::{CommonStore, ConflictKind, Recorded, Reference, StoreError};
use shared::dates::Period;
use shared::dto::auth::Scope;

use crate::data::{date, draft};
use crate::harness::{self, Fresh, CENTER, CENTER_MUNICIPALITY, OTHER_CENTER, OTHER_MUNICIPALITY, SITE};

common_story!(
    migrating_again_applies_nothing,
    a_node_secret_is_made_once_and_kept,
    code_lists_and_municipalities_come_from_the_master_data,
    centres_are_listed_by_code_and_changed_in_place,
    a_centre_needs_a_known_municipality,
    sites_are_listed_by_centre_and_changed_in_place,
    a_period_is_locked_once_and_unlocked_once,
    locks_are_listed_newest_period_first_with_or_without_unlocked_ones,
);

async fn migrating_again_applies_nothing(store: Fresh<dyn CommonStore>) {
    assert_eq!(store.migrate().await.unwrap(), 0);
    assert_eq!(store.migrate().await.unwrap(), 0);
    // Still the same database: the seeded centres are there.
    assert_eq!(store.centers().await.unwrap().len(), 2);
}

async fn a_node_secret_is_made_once_and_kept(store: Fresh<dyn CommonStore>) {
    let jwt = store.node_secret("jwt", 32).await.unwrap();
    assert_eq!(jwt.len(), 32);
    assert!(jwt.iter().any(|b| *b != 0), "random bytes, not zeros");
    assert_eq!(store.node_secret("jwt", 32).await.unwrap(), jwt);
    // The length only matters the first time.
    assert_eq!(store.node_secret("jwt", 64).await.unwrap(), jwt);
    let other = store.node_secret("backup", 16).await.unwrap();
    assert_eq!(other.len(), 16);
    assert_ne!(other[..], jwt[..16]);
}

async fn code_lists_and_municipalities_come_from_the_master_data(store: Fresh<dyn CommonStore>) {
    let sex = store.code_items("sex").await.unwrap();
    let codes: Vec<&str> = sex.iter().map(|i| i.code.as_str()).collect();
    assert_eq!(codes, ["M", "F", "other", "undisclosed"], "in sort order");
    assert_eq!(sex[1].label, "女");
    assert!(sex.iter().all(|i| i.list == "sex"));
    assert!(store.code_items("no_such_list").await.unwrap().is_empty());

    let bands = store.code_items("age_bands").await.unwrap();
    assert_eq!(bands.len(), 8);
    let band = |code: &str| bands.iter().find(|b| b.code == code).unwrap();
    assert_eq!(
        (band("age_65_74").lower, band("age_65_74").upper),
        (Some(65), Some(74))
    );
    assert_eq!(
        (band("age_85_plus").lower, band("age_85_plus").upper),
        (Some(85), None)
    );
    let categories = store.code_items("categories").await.unwrap();
    let elderly = categories.iter().find(|c| c.code == "elderly").unwrap();
    assert_eq!(elderly.parent.as_deref(), Some("elderly"));
    let groups = store.code_items("groups").await.unwrap();
    assert!(
        groups.iter().all(|g| g.rank.is_some()),
        "groups carry their precedence"
    );

    let codes = store.codes().await.unwrap();
    let today = date(2024, 6, 1);
    assert!(codes.is_valid("sex", "F", today));
    assert!(!codes.is_valid("sex", "X", today));
    assert!(codes.get("functions", "tsudoi").is_some());
    assert_eq!(codes.items("functions").len(), 12);
    assert!(codes.is_municipality(CENTER_MUNICIPALITY));
    assert!(!codes.is_municipality("999999"));
    assert_eq!(codes.age_band(80), Some("age_75_84"));

    let municipalities = store.municipalities().await.unwrap();
    assert_eq!(municipalities.len(), 34);
    assert_eq!(
        municipalities[0],
        ("392014".into(), "高知市".into(), "コウチシ".into(), 1)
    );
    assert_eq!(municipalities[33].0, "394289", "in sort order: 黒潮町 last");
    assert!(municipalities.windows(2).all(|w| w[0].3 < w[1].3));
}

async fn centres_are_listed_by_code_and_changed_in_place(store: Fresh<dyn CommonStore>) {
    let centers = store.centers().await.unwrap();
    assert_eq!(
        centers,
        [
            harness::center(CENTER, CENTER_MUNICIPALITY),
            harness::center(OTHER_CENTER, OTHER_MUNICIPALITY)
        ]
    );
    assert_eq!(
        store.center(CENTER).await.unwrap(),
        harness::center(CENTER, CENTER_MUNICIPALITY)
    );
    assert!(matches!(store.center("C999").await, Err(StoreError::NotFound)));

    let mut changed = harness::center(CENTER, OTHER_MUNICIPALITY);
    changed.name = "春野あったかふれあいセンター".into();
    changed.operator_body = "高知市社会福祉協議会".into();
    changed.opened_on = date(2010, 4, 1);
    changed.closed_on = Some(date(2030, 3, 31));
    store.upsert_center(&changed).await.unwrap();
    assert_eq!(store.center(CENTER).await.unwrap(), changed);
    assert_eq!(store.centers().await.unwrap().len(), 2, "updated, not added");

    // A new centre sorts by code among the others.
    store
        .upsert_center(&harness::center("C000", CENTER_MUNICIPALITY))
        .await
        .unwrap();
    let codes: Vec<String> = store
        .centers()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.code)
        .collect();
    assert_eq!(codes, ["C000", CENTER, OTHER_CENTER]);
}

async fn a_centre_needs_a_known_municipality(store: Fresh<dyn CommonStore>) {
    let err = store
        .upsert_center(&harness::center("C003", "999999"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::MissingReference(Reference::Municipality)),
        "{err:?}"
    );
    assert!(matches!(store.center("C003").await, Err(StoreError::NotFound)));
}

async fn sites_are_listed_by_centre_and_changed_in_place(store: Fresh<dyn CommonStore>) {
    assert_eq!(store.sites(None).await.unwrap(), [harness::site(SITE, CENTER)]);
    assert!(store.sites(Some(OTHER_CENTER)).await.unwrap().is_empty());

    store
        .upsert_site(&harness::site("C002-S01", OTHER_CENTER))
        .await
        .unwrap();
    store
        .upsert_site(&harness::site("C001-S02", CENTER))
        .await
        .unwrap();
    let mut renamed = harness::site(SITE, CENTER);
    renamed.name = "春野サテライト".into();
    renamed.closed_on = Some(date(2026, 3, 31));
    store.upsert_site(&renamed).await.unwrap();

    let mine = store.sites(Some(CENTER)).await.unwrap();
    assert_eq!(mine, [renamed, harness::site("C001-S02", CENTER)], "by code");
    let all: Vec<String> = store
        .sites(None)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.code)
        .collect();
    assert_eq!(all, ["C001-S01", "C001-S02", "C002-S01"]);

    let err = store
        .upsert_site(&harness::site("C999-S01", "C999"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::MissingReference(Reference::Center)),
        "{err:?}"
    );
}

fn lock(scope: Scope, period: &str) -> NewPeriodLock {
    NewPeriodLock {
        scope,
        period: Period::parse(period).unwrap(),
    }
}

async fn a_period_is_locked_once_and_unlocked_once(store: Fresh<dyn CommonStore>) {
    let may = lock(Scope::Center(CENTER.into()), "2024-05");
    let first = match store
        .lock_period(&may, "pref", draft("lock_period"))
        .await
        .unwrap()
    {
        Recorded::New(l) => l,
        other => panic!("a first lock is new: {other:?}"),
    };
    assert_eq!(first.scope, Scope::Center(CENTER.into()));
    assert_eq!(first.period.to_string(), "2024-05");
    assert_eq!(first.locked_by, "pref");
    assert_eq!((first.unlocked_by.as_deref(), first.unlocked_at), (None, None));
    assert_eq!(first.hub_lock_id, None);
    assert!(first.is_active());

    // The same lock again is the one there, whoever asks.
    match store
        .lock_period(&may, "someone-else", draft("lock_period"))
        .await
        .unwrap()
    {
        Recorded::Existing(l) => assert_eq!(l, first),
        other => panic!("locking again finds the active lock: {other:?}"),
    }

    let unlocked = store
        .unlock_period(first.id, "pref2", draft("unlock_period"))
        .await
        .unwrap();
    assert_eq!(unlocked.id, first.id);
    assert_eq!(unlocked.unlocked_by.as_deref(), Some("pref2"));
    assert!(unlocked.unlocked_at.is_some_and(|t| t >= first.locked_at));
    assert!(!unlocked.is_active());
    let again = store
        .unlock_period(first.id, "pref2", draft("unlock_period"))
        .await
        .unwrap_err();
    assert!(
        matches!(again, StoreError::Conflict(ConflictKind::AlreadyUnlocked)),
        "{again:?}"
    );
    let missing = store
        .unlock_period(first.id + 1000, "pref", draft("unlock_period"))
        .await
        .unwrap_err();
    assert!(matches!(missing, StoreError::NotFound), "{missing:?}");

    // Once unlocked, the period can be locked anew: a new lock, not the old one revived.
    let relocked = store
        .lock_period(&may, "pref", draft("lock_period"))
        .await
        .unwrap();
    assert!(relocked.is_new());
    assert_ne!(relocked.into_inner().id, first.id);
}

async fn locks_are_listed_newest_period_first_with_or_without_unlocked_ones(store: Fresh<dyn CommonStore>) {
    let fy = store
        .lock_period(&lock(Scope::Prefecture, "FY2024"), "pref", draft("lock_period"))
        .await
        .unwrap()
        .into_inner();
    let may = store
        .lock_period(
            &lock(Scope::Center(CENTER.into()), "2024-05"),
            "pref",
            draft("lock_period"),
        )
        .await
        .unwrap()
        .into_inner();
    let june = store
        .lock_period(
            &lock(Scope::Municipality(CENTER_MUNICIPALITY.into()), "2024-06"),
            "city",
            draft("lock_period"),
        )
        .await
        .unwrap()
        .into_inner();
    // Same period, other scope: a lock of its own.
    let may_other = store
        .lock_period(
            &lock(Scope::Center(OTHER_CENTER.into()), "2024-05"),
            "pref",
            draft("lock_period"),
        )
        .await
        .unwrap();
    assert!(may_other.is_new());
    let may_other = may_other.into_inner();

    let ids = |locks: Vec<api::domain::period_lock::PeriodLock>| -> Vec<i64> {
        locks.into_iter().map(|l| l.id).collect()
    };
    // By the period's first day, newest first; the later lock first among equals.
    assert_eq!(
        ids(store.period_locks(false).await.unwrap()),
        [june.id, may_other.id, may.id, fy.id]
    );
    assert_eq!(
        store.period_locks(false).await.unwrap()[0].scope,
        Scope::Municipality(CENTER_MUNICIPALITY.into())
    );

    store
        .unlock_period(may.id, "pref", draft("unlock_period"))
        .await
        .unwrap();
    assert_eq!(
        ids(store.period_locks(false).await.unwrap()),
        [june.id, may_other.id, fy.id]
    );
    let all = store.period_locks(true).await.unwrap();
    assert_eq!(ids(all.clone()), [june.id, may_other.id, may.id, fy.id]);
    assert!(!all[2].is_active());
}
