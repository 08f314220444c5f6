//! Tests against a real server (SQL Server or Babelfish), when `ATTAKA_TEST_MSSQL_URL` names
//! one; without it each says it was skipped and why. Several run the same steps on the SQLite
//! hub store and compare what the two give back.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use shared::common_id::{CenterCode, CommonId};
use shared::dates::Period;
use shared::dto::auth::{ExtractGrant, Role, Scope};
use uuid::Uuid;

use super::conn::{int, Conn};
use super::testing::{self, DropGuard};
use super::MssqlStore;
use crate::domain::account::{ApiToken, NewAccountRecord};
use crate::domain::activity::{ActivityRecord, Detail, Participation, Snapshot, Unregistered};
use crate::domain::alert::{NewAlert, Severity};
use crate::domain::audit::{AuditEntry, AuditQuery, Outcome};
use crate::domain::org::{Center, Site};
use crate::domain::period_lock::NewPeriodLock;
use crate::domain::person::{Facts, Identity, Person};
use crate::domain::sync::{Change, PersonFactsRecord, ValidBatch};
use crate::stats::extract::{ExtractKind, ExtractQuery};
use crate::stats::{Dimension, Measure, StatsQuery};
use crate::store::sqlite::{HubNode, SqliteStore};
use crate::store::{
    CommonStore, ConflictKind, HubStore, Recorded, Reference, RefreshGrant, RefreshUse, StoreError,
};

/// A migrated store on a fresh database, or none (and a note) without a test server.
async fn store(test: &str) -> Option<(MssqlStore, DropGuard)> {
    let Some(base) = testing::test_url() else {
        eprintln!(
            "{test}: skipped: {} is not set, so there is no SQL Server to run against",
            testing::ENV
        );
        return None;
    };
    let (url, guard) = testing::fresh_database(&base)
        .await
        .expect("a fresh test database");
    let store = MssqlStore::open(&url, 6)
        .await
        .expect("connecting to the test database");
    store.migrate().await.expect("migrating the test database");
    Some((store, guard))
}

/// The SQLite hub store on a file of its own, migrated.
async fn sqlite_hub(dir: &tempfile::TempDir) -> SqliteStore<HubNode> {
    let path = dir.path().join("hub.sqlite3");
    let store = SqliteStore::<HubNode>::open(path.to_str().unwrap(), 2)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store
}

/// The audit row an audited write commits with.
fn draft<T>(action: &str) -> crate::domain::audit::AuditDraft<T> {
    crate::domain::audit::AuditDraft::new(crate::domain::audit::AuditEntry {
        at: chrono::Utc::now(),
        actor: Some("server-test".into()),
        account_id: None,
        role: None,
        scope: None,
        action: action.into(),
        target: None,
        outcome: crate::domain::audit::Outcome::Ok,
        client: None,
        request_id: None,
        detail: None,
    })
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn center(code: &str, municipality: &str) -> Center {
    Center {
        code: code.into(),
        name: format!("テストセンター{code}"),
        municipality: municipality.into(),
        operator_body: "社会福祉協議会".into(),
        opened_on: date("2009-04-01"),
        closed_on: None,
    }
}

/// A small deterministic generator (no randomness in what the tests compare).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() as usize) % from.len()]
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const FUNCTIONS: &[&str] = &["tsudoi", "houmon", "soudan", "tsunagi", "seikatsu", "kaigoyobou"];
const AGE_BANDS: &[&str] = &[
    "age_0_5",
    "age_13_17",
    "age_40_64",
    "age_65_74",
    "age_75_84",
    "age_85_plus",
];
const SEXES: &[&str] = &["M", "F", "other"];
const CARE: &[&str] = &["independent", "shien1", "kaigo1", "kaigo3", "unknown"];
const HOUSEHOLDS: &[&str] = &["alone", "elderly_only", "with_family"];
const CATEGORIES: &[&str] = &["elderly", "disabled", "child", "childrearing", "other"];

fn categories(g: &mut Gen) -> Vec<String> {
    let mut c: Vec<String> = CATEGORIES
        .iter()
        .filter(|_| g.below(3) == 0)
        .map(|c| (*c).to_owned())
        .collect();
    if c.is_empty() {
        c.push("elderly".into());
    }
    c.sort();
    c
}

fn group_of(categories: &[String]) -> String {
    for g in ["disabled", "child", "elderly"] {
        if categories.iter().any(|c| c == g) {
            return g.into();
        }
    }
    "other".into()
}

fn person_facts(g: &mut Gen, center: &CenterCode, serial: u32) -> PersonFactsRecord {
    let categories = categories(g);
    let year = 1935 + g.below(80) as i32;
    let ended = g.below(5) == 0;
    PersonFactsRecord {
        common_id: CommonId::issue(center, serial).unwrap(),
        facts: Facts {
            sex: g.pick(SEXES).into(),
            birth_year_month: format!("{year:04}-{:02}", 1 + g.below(12)),
            residence_municipality: g.pick(&["392014", "392022", "392031"]).into(),
            categories,
            care_level: g.pick(CARE).into(),
            disabilities: vec![],
            household: g.pick(HOUSEHOLDS).into(),
            registered_on: date("2023-01-01") + Duration::days(g.below(900) as i64),
        },
        ended_on: ended.then(|| date("2025-06-30")),
        end_reason: ended.then(|| "moved".to_owned()),
        match_key: Some(format!("{:064x}", g.next() % 7)),
    }
}

fn participation(g: &mut Gen, id: &CommonId) -> Participation {
    let categories = categories(g);
    Participation {
        common_id: id.clone(),
        detail: Detail {
            visit_purpose: (g.below(3) == 0).then(|| "watching".to_owned()),
            topics: if g.below(3) == 0 {
                vec!["health".into(), "care".into()]
            } else {
                vec![]
            },
            referral_destination: (g.below(4) == 0).then(|| "houkatsu".to_owned()),
        },
        snapshot: Snapshot {
            age_band: g.pick(AGE_BANDS).into(),
            sex: g.pick(SEXES).into(),
            group: group_of(&categories),
            categories,
            care_level: g.pick(CARE).into(),
            household: g.pick(HOUSEHOLDS).into(),
        },
    }
}

fn activity(g: &mut Gen, center: &str, site: Option<&str>, people: &[CommonId]) -> ActivityRecord {
    let on = date("2023-04-01") + Duration::days(g.below(1000) as i64);
    let mut chosen: Vec<CommonId> = people.iter().filter(|_| g.below(3) == 0).cloned().collect();
    chosen.sort();
    chosen.dedup();
    let start = 9 + g.below(6);
    ActivityRecord {
        id: Uuid::from_u64_pair(g.next(), g.next()),
        center: center.into(),
        site: if g.below(3) == 0 {
            site.map(str::to_owned)
        } else {
            None
        },
        date: on,
        function: g.pick(FUNCTIONS).into(),
        title: None,
        start_time: Some(format!("{start:02}:00")),
        end_time: Some(format!("{:02}:30", start + 1)),
        staff_count: 1 + g.below(3) as u16,
        volunteer_count: g.below(4) as u16,
        unregistered: Unregistered {
            elderly: g.below(4) as u16,
            disabled: g.below(2) as u16,
            child: g.below(3) as u16,
            other: g.below(2) as u16,
        },
        note: None,
        participations: chosen.iter().map(|id| participation(g, id)).collect(),
    }
}

/// A centre's stream: a reset, a site, people and activities, then edits of every kind
/// (activities moved, participations replaced and removed, activities deleted).
fn stream(center: &str, seed: u64) -> Vec<Change> {
    let mut g = Gen(seed);
    let code = CenterCode::parse(center).unwrap();
    let site = format!("{center}-S01");
    let mut changes = vec![
        Change::ResetCenter,
        Change::UpsertSite(Site {
            code: site.clone(),
            center: center.into(),
            name: "サテライト".into(),
            opened_on: date("2015-04-01"),
            closed_on: None,
        }),
    ];
    let people: Vec<PersonFactsRecord> = (1..=25).map(|i| person_facts(&mut g, &code, i)).collect();
    let ids: Vec<CommonId> = people.iter().map(|p| p.common_id.clone()).collect();
    changes.extend(people.into_iter().map(Change::UpsertPerson));
    let mut activities: Vec<ActivityRecord> = (0..40)
        .map(|_| activity(&mut g, center, Some(&site), &ids))
        .collect();
    changes.extend(activities.iter().cloned().map(Change::UpsertActivity));
    // Moved to another year and function, one person fewer.
    for a in activities.iter_mut().take(5) {
        a.date += Duration::days(200);
        a.function = "kaigoyobou".into();
        a.participations.pop();
        a.unregistered.child += 1;
        changes.push(Change::UpsertActivity(a.clone()));
    }
    for a in activities.iter().skip(5).take(5) {
        if let Some(first) = a.participations.first() {
            let mut changed = first.clone();
            changed.snapshot.care_level = "kaigo3".into();
            changed.snapshot.categories = vec!["disabled".into(), "other".into()];
            changed.snapshot.group = "disabled".into();
            changes.push(Change::PutParticipation {
                activity: a.id,
                participation: changed,
            });
        }
        changes.push(Change::PutParticipation {
            activity: a.id,
            participation: participation(&mut g, &ids[0]),
        });
    }
    for a in activities.iter().skip(10).take(4) {
        if let Some(last) = a.participations.last() {
            changes.push(Change::DeleteParticipation {
                activity: a.id,
                common_id: last.common_id.clone(),
            });
        }
    }
    for a in activities.iter().skip(14).take(3) {
        changes.push(Change::DeleteActivity(a.id));
    }
    // A person edited again (facts and categories change, the match key goes).
    let mut again = person_facts(&mut g, &code, 3);
    again.match_key = None;
    changes.push(Change::UpsertPerson(again));
    changes
}

fn batches(center: &str, changes: Vec<Change>, stream: Uuid, per_batch: usize) -> Vec<ValidBatch> {
    let entries: Vec<(u64, Change)> = changes
        .into_iter()
        .enumerate()
        .map(|(i, c)| (i as u64 + 1, c))
        .collect();
    entries
        .chunks(per_batch)
        .enumerate()
        .map(|(i, chunk)| ValidBatch {
            center: center.into(),
            stream,
            batch_seq: i as u64 + 1,
            entries: chunk.to_vec(),
        })
        .collect()
}

/// Puts the same organisation and the same sync batches into a store.
async fn load(store: &dyn HubStore) {
    for (code, m) in [("C001", "392014"), ("C002", "392022"), ("C003", "392031")] {
        store.upsert_center(&center(code, m)).await.unwrap();
    }
    let at = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();
    for (center, seed) in [("C001", 1u64), ("C002", 2), ("C003", 3)] {
        let id = Uuid::from_u64_pair(seed, seed);
        for b in batches(center, stream(center, seed), id, 37) {
            let applied = store
                .apply_sync_batch(&b, at, draft("apply_sync_batch"))
                .await
                .unwrap();
            assert_eq!(applied.applied as usize, b.entries.len());
        }
    }
}

/// The three year and three month aggregates against a recount from the facts: rows in one and not the other.
async fn drift(store: &MssqlStore) -> i64 {
    const PAIRS: [(&str, &str); 6] = [
        (
            "SELECT fiscal_year, center, site, [function], common_id, sex, age_band, reporting_group, care_level,
                    household, participations FROM stats_person_years",
            "SELECT a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                    p.reporting_group, p.care_level, p.household, COUNT(*)
             FROM participations p JOIN activities a ON a.id = p.activity_id
             GROUP BY a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                      p.reporting_group, p.care_level, p.household",
        ),
        (
            "SELECT fiscal_year, center, site, [function], common_id, sex, age_band, reporting_group, care_level,
                    household, category, participations FROM stats_person_year_categories",
            "SELECT a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                    p.reporting_group, p.care_level, p.household, pc.category, COUNT(*)
             FROM participation_categories pc
               JOIN participations p ON p.activity_id = pc.activity_id AND p.common_id = pc.common_id
               JOIN activities a ON a.id = p.activity_id
             GROUP BY a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                      p.reporting_group, p.care_level, p.household, pc.category",
        ),
        (
            "SELECT fiscal_year, center, site, [function], activities, unregistered_elderly, unregistered_disabled,
                    unregistered_child, unregistered_other FROM stats_activity_years",
            "SELECT fiscal_year, center, ISNULL(site, N''), [function], COUNT(*), SUM(unregistered_elderly),
                    SUM(unregistered_disabled), SUM(unregistered_child), SUM(unregistered_other)
             FROM activities GROUP BY fiscal_year, center, ISNULL(site, N''), [function]",
        ),
        (
            "SELECT month, center, site, [function], common_id, sex, age_band, reporting_group, care_level,
                    household, participations FROM stats_person_months",
            "SELECT (YEAR(a.date) * 100 + MONTH(a.date)), a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                    p.reporting_group, p.care_level, p.household, COUNT(*)
             FROM participations p JOIN activities a ON a.id = p.activity_id
             GROUP BY (YEAR(a.date) * 100 + MONTH(a.date)), a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                      p.reporting_group, p.care_level, p.household",
        ),
        (
            "SELECT month, center, site, [function], common_id, sex, age_band, reporting_group, care_level,
                    household, category, participations FROM stats_person_month_categories",
            "SELECT (YEAR(a.date) * 100 + MONTH(a.date)), a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                    p.reporting_group, p.care_level, p.household, pc.category, COUNT(*)
             FROM participation_categories pc
               JOIN participations p ON p.activity_id = pc.activity_id AND p.common_id = pc.common_id
               JOIN activities a ON a.id = p.activity_id
             GROUP BY (YEAR(a.date) * 100 + MONTH(a.date)), a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                      p.reporting_group, p.care_level, p.household, pc.category",
        ),
        (
            "SELECT month, center, site, [function], activities, unregistered_elderly, unregistered_disabled,
                    unregistered_child, unregistered_other FROM stats_activity_months",
            "SELECT (YEAR(date) * 100 + MONTH(date)), center, ISNULL(site, N''), [function], COUNT(*), SUM(unregistered_elderly),
                    SUM(unregistered_disabled), SUM(unregistered_child), SUM(unregistered_other)
             FROM activities GROUP BY (YEAR(date) * 100 + MONTH(date)), center, ISNULL(site, N''), [function]",
        ),
    ];
    let mut c = store.conn().await.unwrap();
    let mut total = 0;
    for (kept, fresh) in PAIRS {
        for (a, b) in [(kept, fresh), (fresh, kept)] {
            let sql = format!("SELECT COUNT(*) FROM ({a} EXCEPT {b}) d");
            let row = c.row(&sql, &[]).await.unwrap().unwrap();
            total += int(&row, 0).unwrap();
        }
    }
    total
}

async fn count(c: &mut Conn, table: &str) -> i64 {
    let row = c
        .row(&format!("SELECT COUNT(*) FROM {table}"), &[])
        .await
        .unwrap()
        .unwrap();
    int(&row, 0).unwrap()
}

#[tokio::test]
async fn migrations_apply_once_on_the_server() {
    let Some((store, guard)) = store("migrations_apply_once_on_the_server").await else {
        return;
    };
    assert_eq!(store.migrate().await.unwrap(), 0, "nothing left to apply");
    let mut c = store.conn().await.unwrap();
    assert_eq!(
        count(&mut c, "schema_migrations").await,
        super::migrations::MIGRATIONS.len() as i64
    );
    // The hub's schema has no place for identity or free text.
    for gone in ["person_private", "center_activity_notes", "sync_outbox"] {
        let row = c
            .row(
                "SELECT CASE WHEN OBJECT_ID(@P1, N'U') IS NULL THEN 0 ELSE 1 END",
                &[&gone],
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(int(&row, 0).unwrap(), 0, "{gone}");
    }
    let title = c
        .row(
            "SELECT COUNT(*) FROM sys.columns WHERE object_id = OBJECT_ID(N'activities') AND name = N'title'",
            &[],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(int(&title, 0).unwrap(), 0, "the hub's activities have no title");
    assert_eq!(store.municipalities().await.unwrap().len(), 34);
    drop(c);
    drop(store);
    guard.drop_now().await;
}

#[tokio::test]
async fn master_data_organisation_accounts_and_tokens_work_on_the_server() {
    let Some((store, guard)) = store("master_data_organisation_accounts_and_tokens_work_on_the_server").await
    else {
        return;
    };
    // Node secret: made once, then the same.
    let secret = store.node_secret("jwt_hmac", 32).await.unwrap();
    assert_eq!(secret.len(), 32);
    assert_eq!(store.node_secret("jwt_hmac", 32).await.unwrap(), secret);

    // Master data as on SQLite.
    let dir = tempfile::tempdir().unwrap();
    let lite = sqlite_hub(&dir).await;
    assert_eq!(
        store.code_items("care_levels").await.unwrap(),
        lite.code_items("care_levels").await.unwrap()
    );
    assert_eq!(
        store.municipalities().await.unwrap(),
        lite.municipalities().await.unwrap()
    );
    let codes = store.codes().await.unwrap();
    assert!(codes.get("functions", "tsudoi").is_some());

    // Centres and sites.
    store.upsert_center(&center("C001", "392014")).await.unwrap();
    let mut renamed = center("C001", "392022");
    renamed.name = "高知市中央センター".into();
    renamed.closed_on = Some(date("2030-03-31"));
    store.upsert_center(&renamed).await.unwrap();
    assert_eq!(store.center("C001").await.unwrap(), renamed);
    assert!(matches!(store.center("C999").await, Err(StoreError::NotFound)));
    assert!(matches!(
        store.upsert_center(&center("C002", "999999")).await,
        Err(StoreError::MissingReference(Reference::Municipality))
    ));
    store.upsert_center(&center("C002", "392014")).await.unwrap();
    assert_eq!(store.centers().await.unwrap().len(), 2);
    let site = Site {
        code: "C001-S01".into(),
        center: "C001".into(),
        name: "サテライト".into(),
        opened_on: date("2015-04-01"),
        closed_on: None,
    };
    store.upsert_site(&site).await.unwrap();
    let mut other = site.clone();
    other.center = "C002".into();
    other.name = "乗っ取り".into();
    store.upsert_site(&other).await.unwrap();
    assert_eq!(
        store.sites(None).await.unwrap(),
        vec![site.clone()],
        "another centre's site is left alone"
    );
    assert_eq!(store.sites(Some("C002")).await.unwrap(), vec![]);
    let mut orphan = site.clone();
    orphan.code = "C009-S01".into();
    orphan.center = "C009".into();
    assert!(matches!(
        store.upsert_site(&orphan).await,
        Err(StoreError::MissingReference(Reference::Center))
    ));

    // Accounts.
    let record = NewAccountRecord {
        username: "pref.admin".into(),
        display_name: "県 管理者".into(),
        password_hash: "$argon2id$v=19$stub".into(),
        role: Role::Prefecture,
        scope: Scope::Prefecture,
    };
    let account = store
        .create_account(&record, draft("create_account"))
        .await
        .unwrap();
    assert!(matches!(
        store.create_account(&record, draft("create_account")).await,
        Err(StoreError::Conflict(ConflictKind::Username))
    ));
    let mut upper = record.clone();
    upper.username = "Pref.Admin".into();
    assert!(
        matches!(
            store.create_account(&upper, draft("create_account")).await,
            Err(StoreError::Conflict(ConflictKind::Username))
        ),
        "usernames are case-insensitive (migration 0017), as on SQLite"
    );
    assert_eq!(
        store.find_account("PREF.ADMIN").await.unwrap().unwrap().id,
        account.id
    );
    assert!(store.find_account("nobody").await.unwrap().is_none());
    assert_eq!(store.accounts().await.unwrap().len(), 1);
    let until = Utc::now() + Duration::minutes(15);
    for _ in 0..4 {
        let a = store.record_login_failure(account.id, 5, until).await.unwrap();
        assert!(a.locked_until.is_none());
    }
    let locked = store.record_login_failure(account.id, 5, until).await.unwrap();
    assert!(locked.is_locked(Utc::now()));
    assert_eq!(locked.failed_logins, 0);
    store
        .unlock_account(account.id, draft("unlock_account"))
        .await
        .unwrap();
    assert!(store.account(account.id).await.unwrap().locked_until.is_none());
    store.record_login_success(account.id).await.unwrap();
    store
        .set_password(account.id, "$argon2id$v=19$new")
        .await
        .unwrap();
    assert_eq!(
        store.account(account.id).await.unwrap().password_hash,
        "$argon2id$v=19$new"
    );
    assert!(matches!(
        store.set_password(999_999, "x").await,
        Err(StoreError::NotFound)
    ));

    // Sessions and refresh tokens.
    let grant = |hash: &str, session: &str, expires: chrono::DateTime<Utc>| RefreshGrant {
        token_hash: hash.into(),
        account_id: account.id,
        session: session.into(),
        expires_at: expires,
    };
    let later = Utc::now() + Duration::hours(12);
    store.insert_refresh(&grant("h1", "s1", later)).await.unwrap();
    assert!(store.session_principal("s1", account.id).await.unwrap().is_some());
    match store.use_refresh("h1", Utc::now()).await.unwrap() {
        RefreshUse::Rotated { account: a, session } => {
            assert_eq!((a.id, session.as_str()), (account.id, "s1"));
        }
        other => panic!("{other:?}"),
    }
    store.insert_refresh(&grant("h2", "s1", later)).await.unwrap();
    assert!(matches!(
        store.use_refresh("h1", Utc::now()).await.unwrap(),
        RefreshUse::Reused
    ));
    assert!(
        store.session_principal("s1", account.id).await.unwrap().is_none(),
        "reuse revokes the session"
    );
    assert!(matches!(
        store.use_refresh("h2", Utc::now()).await.unwrap(),
        RefreshUse::Invalid
    ));
    assert!(matches!(
        store.use_refresh("unknown", Utc::now()).await.unwrap(),
        RefreshUse::Invalid
    ));
    store
        .insert_refresh(&grant("h3", "s2", Utc::now() - Duration::seconds(1)))
        .await
        .unwrap();
    assert!(matches!(
        store.use_refresh("h3", Utc::now()).await.unwrap(),
        RefreshUse::Invalid
    ));
    store.revoke_session("s2").await.unwrap();
    store
        .set_account_disabled(account.id, true, draft("set_account_disabled"))
        .await
        .unwrap();
    store.insert_refresh(&grant("h4", "s3", later)).await.unwrap();
    assert!(
        store.session_principal("s3", account.id).await.unwrap().is_none(),
        "disabled account"
    );
    assert!(matches!(
        store
            .set_account_disabled(999_999, true, draft("set_account_disabled"))
            .await,
        Err(StoreError::NotFound)
    ));

    // Integrator tokens.
    let token = ApiToken {
        id: 0,
        name: "集計ツール".into(),
        prefix: "att_abcd".into(),
        scope: Scope::Municipality("392014".into()),
        created_at: Utc::now(),
        expires_on: Some(date("2030-01-01")),
        revoked: false,
        created_by: Some(account.id),
        extracts: ExtractGrant::Coarsened,
    };
    let made = store
        .create_api_token(&token, "tokhash", Some(account.id), draft("create_api_token"))
        .await
        .unwrap();
    assert_eq!(
        (made.name.as_str(), made.scope.clone(), made.revoked),
        ("集計ツール", token.scope.clone(), false)
    );
    assert_eq!(
        made.created_at.timestamp_micros(),
        token.created_at.timestamp_micros()
    );
    assert_eq!(made.extracts, ExtractGrant::Coarsened);
    let found = store.api_token_by_hash("tokhash").await.unwrap().unwrap();
    assert_eq!((found.id, found.extracts), (made.id, ExtractGrant::Coarsened));
    assert!(store.api_token_by_hash("other").await.unwrap().is_none());
    store
        .revoke_api_token(made.id, draft("revoke_api_token"))
        .await
        .unwrap();
    assert!(store.api_tokens().await.unwrap()[0].revoked);
    assert!(matches!(
        store.revoke_api_token(999_999, draft("revoke_api_token")).await,
        Err(StoreError::NotFound)
    ));
    drop(store);
    guard.drop_now().await;
}

#[tokio::test]
async fn locks_imports_audit_alerts_and_uptime_work_on_the_server() {
    let Some((store, guard)) = store("locks_imports_audit_alerts_and_uptime_work_on_the_server").await else {
        return;
    };
    store.upsert_center(&center("C001", "392014")).await.unwrap();

    // Period locks.
    let may = NewPeriodLock {
        scope: Scope::Center("C001".into()),
        period: Period::month(2024, 5).unwrap(),
    };
    let first = store
        .lock_period(&may, "pref.admin", draft("lock_period"))
        .await
        .unwrap();
    assert!(first.is_new());
    let again = store
        .lock_period(&may, "pref.admin", draft("lock_period"))
        .await
        .unwrap();
    assert!(!again.is_new());
    assert_eq!(again.clone().into_inner().id, first.clone().into_inner().id);
    let whole = NewPeriodLock {
        scope: Scope::Prefecture,
        period: Period::fiscal_year(2022).unwrap(),
    };
    assert!(store
        .lock_period(&whole, "pref.admin", draft("lock_period"))
        .await
        .unwrap()
        .is_new());
    assert!(
        !store
            .lock_period(&whole, "pref.admin", draft("lock_period"))
            .await
            .unwrap()
            .is_new(),
        "no code: still one"
    );
    assert_eq!(store.period_locks(false).await.unwrap().len(), 2);

    // Imports: people, then activities (refused in the locked month).
    let code = CenterCode::parse("C001").unwrap();
    let mut g = Gen(9);
    let people: Vec<Person> = (1..=3)
        .map(|i| {
            let f = person_facts(&mut g, &code, i);
            Person {
                common_id: f.common_id,
                center: "C001".into(),
                identity: Identity {
                    family_name: "高知".into(),
                    given_name: "太郎".into(),
                    family_kana: "コウチ".into(),
                    given_kana: "タロウ".into(),
                    birth_date: date("1950-01-01"),
                    postal_code: None,
                    address: None,
                    phone: None,
                    emergency_contact: None,
                    notes: None,
                },
                facts: f.facts,
                ended_on: f.ended_on,
                end_reason: f.end_reason,
                created_at: Utc::now(),
                updated_at: Utc::now(),
            }
        })
        .collect();
    assert_eq!(store.import_persons(&people).await.unwrap(), 3);
    assert!(matches!(
        store.import_persons(&people[..1]).await,
        Err(StoreError::Conflict(ConflictKind::CommonId))
    ));
    let ids: Vec<CommonId> = people.iter().map(|p| p.common_id.clone()).collect();
    let mut a = activity(&mut g, "C001", None, &ids);
    a.date = date("2024-05-10");
    assert!(matches!(
        store.import_activities(&[a.clone()]).await,
        Err(StoreError::PeriodLocked(_))
    ));
    let unlocked = store
        .unlock_period(first.into_inner().id, "pref.admin", draft("unlock_period"))
        .await
        .unwrap();
    assert!(!unlocked.is_active());
    assert!(matches!(
        store
            .unlock_period(unlocked.id, "pref.admin", draft("unlock_period"))
            .await,
        Err(StoreError::Conflict(ConflictKind::AlreadyUnlocked))
    ));
    assert!(matches!(
        store.unlock_period(999_999, "x", draft("unlock_period")).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.period_locks(true).await.unwrap().len(), 2);
    assert_eq!(store.period_locks(false).await.unwrap().len(), 1);
    assert_eq!(store.import_activities(&[a.clone()]).await.unwrap(), 1);
    assert!(matches!(
        store.import_activities(&[a.clone()]).await,
        Err(StoreError::Conflict(ConflictKind::ActivityId))
    ));
    assert_eq!(drift(&store).await, 0, "imports keep the year aggregates");

    // Audit: appended, searched, chained, purged. The audited writes above have rows of their
    // own (now); the three below are dated 2024 and searched in that year.
    let pre = store.verify_audit_chain().await.unwrap().rows;
    let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    for (i, action) in ["auth.login", "person.read", "auth.logout"].iter().enumerate() {
        store
            .append_audit(&AuditEntry {
                at: t0 + Duration::days(i as i64 * 100) + Duration::nanoseconds(123_456_789),
                actor: Some(format!("user{i}")),
                account_id: Some(i as i64),
                role: Some("prefecture".into()),
                scope: Some("prefecture".into()),
                action: (*action).into(),
                target: Some("C001-000001-3".into()),
                outcome: Outcome::Ok,
                client: Some("127.0.0.1".into()),
                request_id: None,
                detail: Some(r#"{"k":"値"}"#.into()),
            })
            .await
            .unwrap();
    }
    let q = |prefix: Option<&str>| AuditQuery {
        action_prefix: prefix.map(str::to_owned),
        until: Some(t0 + Duration::days(365)),
        limit: 100,
        ..Default::default()
    };
    assert_eq!(
        store.audit(&q(Some("AUTH."))).await.unwrap().len(),
        2,
        "prefixes ignore ASCII case, as SQLite's LIKE"
    );
    assert_eq!(store.audit(&q(None)).await.unwrap().len(), 3);
    let newest = store.audit(&q(None)).await.unwrap();
    assert_eq!(newest[0].entry.action, "auth.logout");
    assert_eq!(newest[0].entry.detail.as_deref(), Some(r#"{"k":"値"}"#));
    let limited = AuditQuery {
        limit: 1,
        actor: Some("user1".into()),
        ..Default::default()
    };
    assert_eq!(store.audit(&limited).await.unwrap().len(), 1);
    let report = store.verify_audit_chain().await.unwrap();
    assert_eq!((report.rows, report.broken_at.clone()), (pre + 3, None));
    let purged = store
        .purge_audit(t0 + Duration::days(150), Utc::now())
        .await
        .unwrap();
    // The chain is purged from its start up to the last row before the cutoff: the test's own
    // audited writes (appended before the three 2024 rows) go with the first two.
    assert_eq!(purged as u64, pre + 2);
    let report = store.verify_audit_chain().await.unwrap();
    assert_eq!(
        (report.rows, report.broken_at.clone()),
        (2, None),
        "the purge row links on"
    );
    {
        let mut c = store.conn().await.unwrap();
        c.exec(
            "UPDATE audit_log SET actor = N'mallory' WHERE action = N'auth.logout'",
            &[],
        )
        .await
        .unwrap();
    }
    let report = store.verify_audit_chain().await.unwrap();
    assert!(report.broken_at.is_some(), "a changed row breaks the chain");

    // Alerts.
    let alert = NewAlert {
        event: "sync_backlog_stuck",
        subject: "C001".into(),
        severity: Severity::Warn,
        message: "送信が滞っています".into(),
    };
    assert!(store.raise_alert(&alert, Utc::now()).await.unwrap());
    assert!(!store.raise_alert(&alert, Utc::now()).await.unwrap());
    assert_eq!(store.alerts(true).await.unwrap().len(), 1);
    let unmailed = store.unmailed_alerts(10).await.unwrap();
    assert_eq!(unmailed.len(), 1);
    store.mark_alert_mailed(unmailed[0].id, Utc::now()).await.unwrap();
    assert!(store.unmailed_alerts(10).await.unwrap().is_empty());
    assert!(store
        .clear_alert("sync_backlog_stuck", "C001", Utc::now())
        .await
        .unwrap());
    assert!(!store
        .clear_alert("sync_backlog_stuck", "C001", Utc::now())
        .await
        .unwrap());
    assert!(store.alerts(true).await.unwrap().is_empty());
    assert_eq!(store.alerts(false).await.unwrap().len(), 1);
    let long = NewAlert {
        subject: "/var/lib/attaka/backups/".repeat(20),
        ..alert.clone()
    };
    assert!(
        store.raise_alert(&long, Utc::now()).await.unwrap(),
        "a long subject still takes its lock"
    );

    // Uptime.
    let start = Utc.with_ymd_and_hms(2025, 4, 1, 0, 0, 0).unwrap();
    let run = store.start_uptime_run(start).await.unwrap();
    store
        .uptime_heartbeat(run, start + Duration::hours(5))
        .await
        .unwrap();
    let (runs, first) = store
        .uptime_runs(start - Duration::days(1), start + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].last_seen_at, start + Duration::hours(5));
    assert_eq!(first, Some(start));
    drop(store);
    guard.drop_now().await;
}

#[tokio::test]
async fn sync_credentials_batches_and_duplicate_hints_work_on_the_server() {
    let Some((store, guard)) = store("sync_credentials_batches_and_duplicate_hints_work_on_the_server").await
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let lite = sqlite_hub(&dir).await;
    for s in [&store as &dyn HubStore, &lite] {
        s.upsert_center(&center("C001", "392014")).await.unwrap();
        s.upsert_center(&center("C002", "392022")).await.unwrap();
    }
    // Credentials.
    let k = store
        .create_sync_credential("C001", "hash1", "ats_1", None, draft("create_sync_credential"))
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_sync_credential("C404", "hash2", "ats_2", None, draft("create_sync_credential"))
            .await,
        Err(StoreError::MissingReference(Reference::Center))
    ));
    assert_eq!(
        store.sync_credential_by_hash("hash1").await.unwrap().unwrap().id,
        k.id
    );
    assert_eq!(store.sync_credentials().await.unwrap().len(), 1);
    let revoked = store
        .revoke_sync_credential(k.id, draft("revoke_sync_credential"))
        .await
        .unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(
        store
            .revoke_sync_credential(k.id, draft("revoke_sync_credential"))
            .await
            .unwrap()
            .revoked_at,
        revoked.revoked_at
    );
    assert!(matches!(
        store
            .revoke_sync_credential(999_999, draft("revoke_sync_credential"))
            .await,
        Err(StoreError::NotFound)
    ));

    // Batches: the same answers as SQLite, entry by entry.
    let at = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();
    let stream_id = Uuid::from_u64_pair(1, 1);
    let all = batches("C001", stream("C001", 1), stream_id, 30);
    for b in &all {
        assert_eq!(
            store
                .apply_sync_batch(b, at, draft("apply_sync_batch"))
                .await
                .unwrap(),
            lite.apply_sync_batch(b, at, draft("apply_sync_batch"))
                .await
                .unwrap()
        );
    }
    // Sent again: skipped.
    let again = store
        .apply_sync_batch(&all[0], at, draft("apply_sync_batch"))
        .await
        .unwrap();
    assert_eq!((again.applied, again.skipped as usize), (0, all[0].entries.len()));
    assert_eq!(
        again,
        lite.apply_sync_batch(&all[0], at, draft("apply_sync_batch"))
            .await
            .unwrap()
    );
    // Out of order: refused, nothing applied.
    let mut gap = all[1].clone();
    gap.entries = vec![(10_000, Change::DeleteActivity(Uuid::nil()))];
    assert!(matches!(
        store.apply_sync_batch(&gap, at, draft("apply_sync_batch")).await,
        Err(StoreError::Conflict(ConflictKind::SyncOutOfOrder))
    ));
    assert!(matches!(
        lite.apply_sync_batch(&gap, at, draft("apply_sync_batch")).await,
        Err(StoreError::Conflict(ConflictKind::SyncOutOfOrder))
    ));
    // Another centre may not touch C001's records.
    let foreign = ValidBatch {
        center: "C002".into(),
        stream: Uuid::from_u64_pair(2, 2),
        batch_seq: 1,
        entries: vec![(
            1,
            Change::UpsertSite(Site {
                code: "C001-S01".into(),
                center: "C002".into(),
                name: "x".into(),
                opened_on: date("2020-01-01"),
                closed_on: None,
            }),
        )],
    };
    assert!(matches!(
        store
            .apply_sync_batch(&foreign, at, draft("apply_sync_batch"))
            .await,
        Err(StoreError::Conflict(ConflictKind::SyncForeignRecord))
    ));
    assert!(matches!(
        lite.apply_sync_batch(&foreign, at, draft("apply_sync_batch"))
            .await,
        Err(StoreError::Conflict(ConflictKind::SyncForeignRecord))
    ));
    assert_eq!(
        store.sync_centers().await.unwrap(),
        lite.sync_centers().await.unwrap()
    );
    assert_eq!(drift(&store).await, 0, "sync batches keep the year aggregates");

    // Duplicate hints: C002 asks about the keys C001 sent.
    let key = format!("{:064x}", 3);
    assert_eq!(
        store.duplicate_hint_candidates(&key, "C002").await.unwrap(),
        lite.duplicate_hint_candidates(&key, "C002").await.unwrap()
    );
    assert!(store
        .duplicate_hint_candidates(&key, "C001")
        .await
        .unwrap()
        .is_empty());
    let n = store.clear_duplicate_hints().await.unwrap();
    assert_eq!(n, lite.clear_duplicate_hints().await.unwrap());
    assert!(n > 0);

    // A reset empties the centre's facts and its aggregate rows.
    let reset = ValidBatch {
        center: "C001".into(),
        stream: Uuid::from_u64_pair(3, 3),
        batch_seq: 1,
        entries: vec![(1, Change::ResetCenter)],
    };
    store
        .apply_sync_batch(&reset, at, draft("apply_sync_batch"))
        .await
        .unwrap();
    let mut c = store.conn().await.unwrap();
    for table in [
        "persons",
        "activities",
        "participations",
        "stats_person_years",
        "stats_activity_years",
        "stats_person_months",
        "stats_activity_months",
    ] {
        assert_eq!(count(&mut c, table).await, 0, "{table}");
    }
    drop(c);
    drop(store);
    guard.drop_now().await;
}

fn sorted(mut rows: Vec<(Vec<String>, Vec<u64>)>) -> Vec<(Vec<String>, Vec<u64>)> {
    rows.sort();
    rows
}

async fn extract_rows(store: &dyn CommonStore, q: &ExtractQuery) -> Vec<Vec<String>> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<crate::stats::extract::Rows>(4);
    let read = async {
        let mut out = Vec::new();
        while let Some(chunk) = rx.recv().await {
            for r in 0..chunk.len() {
                out.push(chunk.row(r).map(str::to_owned).collect());
            }
        }
        out
    };
    let (sent, rows) = tokio::join!(store.extract(q, tx), read);
    assert_eq!(sent.unwrap() as usize, rows.len());
    rows
}

#[tokio::test]
async fn statistics_and_extracts_give_the_numbers_sqlite_gives() {
    let Some((store, guard)) = store("statistics_and_extracts_give_the_numbers_sqlite_gives").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let lite = sqlite_hub(&dir).await;
    load(&store).await;
    load(&lite).await;
    assert_eq!(drift(&store).await, 0);
    let mut compared = 0;
    for q in super::parse_tests::questions() {
        let ours = sorted(store.stats(&q).await.unwrap_or_else(|e| panic!("{e:#}\n{q:?}")));
        let theirs = sorted(lite.stats(&q).await.unwrap());
        assert_eq!(ours, theirs, "{q:?}");
        compared += usize::from(!theirs.is_empty());
    }
    assert!(compared > 100, "the questions found data ({compared})");
    // Filters with codes the data has (the matrix's sample codes may match nothing).
    let q = StatsQuery {
        measures: Measure::ALL.to_vec(),
        dims: vec![Dimension::AgeBand, Dimension::Category, Dimension::FiscalYear],
        from: date("2023-04-01"),
        to: date("2026-03-31"),
        filters: vec![
            (Dimension::Category, vec!["disabled".into(), "elderly".into()]),
            (Dimension::Function, vec!["tsudoi".into(), "houmon".into()]),
        ],
    };
    assert_eq!(
        sorted(store.stats(&q).await.unwrap()),
        sorted(lite.stats(&q).await.unwrap())
    );
    assert!(!lite.stats(&q).await.unwrap().is_empty());

    for kind in [
        ExtractKind::Participations,
        ExtractKind::Activities,
        ExtractKind::Persons,
    ] {
        for filters in [
            vec![],
            vec![(Dimension::Center, vec!["C002".to_owned(), "C003".to_owned()])],
            vec![(Dimension::Category, vec!["disabled".to_owned()])],
        ] {
            if filters.iter().any(|(d, _)| !kind.filterable(*d)) {
                continue;
            }
            let q = ExtractQuery {
                kind,
                from: date("2023-04-01"),
                to: date("2026-03-31"),
                filters,
            };
            let ours = extract_rows(&store, &q).await;
            assert!(!ours.is_empty() || q.kind == ExtractKind::Activities, "{q:?}");
            assert_eq!(ours, extract_rows(&lite, &q).await, "{q:?}");
        }
    }
    // A receiver that goes away stops the stream without an error, and the store goes on.
    let q = ExtractQuery {
        kind: ExtractKind::Participations,
        from: date("2023-04-01"),
        to: date("2026-03-31"),
        filters: vec![],
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<crate::stats::extract::Rows>(1);
    drop(rx);
    assert!(store.extract(&q, tx).await.is_ok());
    assert_eq!(
        extract_rows(&store, &q).await.len(),
        extract_rows(&lite, &q).await.len()
    );
    drop(store);
    guard.drop_now().await;
}

#[tokio::test]
async fn kana_compare_and_sort_as_on_sqlite() {
    let Some((store, guard)) = store("kana_compare_and_sort_as_on_sqlite").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let lite = sqlite_hub(&dir).await;
    // Pairs SQLite tells apart: hiragana and katakana, voiced and plain, half and full width,
    // the long-vowel mark, small kana, a character beyond the BMP. (Not ASCII case: usernames
    // fold it on both since migration 0017, a case the store suite's account stories cover.)
    let kana = [
        "ア",
        "あ",
        "ｱ",
        "カ",
        "ガ",
        "ヵ",
        "ハ",
        "バ",
        "パ",
        "ー",
        "ｰ",
        "ヴ",
        "ゔ",
        "ッ",
        "ツ",
        "ﾂ",
        "a",
        "ａ",
        "ﾝ",
        "ン",
        "コウチシ",
        "コウチ",
        "ｺｳﾁｼ",
        "こうちし",
    ];
    for k in kana {
        let account = NewAccountRecord {
            username: k.into(),
            display_name: k.into(),
            password_hash: "h".into(),
            role: Role::Prefecture,
            scope: Scope::Prefecture,
        };
        store
            .create_account(&account, draft("create_account"))
            .await
            .unwrap_or_else(|e| panic!("{k}: {e}"));
        lite.create_account(&account, draft("create_account"))
            .await
            .unwrap();
    }
    // Equality: each name finds only its own account, as on SQLite.
    for k in kana {
        let ours = store.find_account(k).await.unwrap().map(|a| a.username);
        let theirs = lite.find_account(k).await.unwrap().map(|a| a.username);
        assert_eq!(ours, theirs, "{k}");
        assert_eq!(ours.as_deref(), Some(k));
    }
    // Order: by code point on both.
    let mut c = store.conn().await.unwrap();
    let ours: Vec<String> = c
        .rows("SELECT username FROM accounts ORDER BY username", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| super::conn::str(r, 0).unwrap())
        .collect();
    let lite_conn = rusqlite::Connection::open(dir.path().join("hub.sqlite3")).unwrap();
    let theirs: Vec<String> = lite_conn
        .prepare("SELECT username FROM accounts ORDER BY username")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(ours, theirs);
    // And pairwise comparisons in the kana column of the schema.
    for a in kana {
        for b in kana {
            let row = c
                .row(
                    "SELECT CASE WHEN x.k < y.k THEN -1 WHEN x.k = y.k THEN 0 ELSE 1 END
                     FROM (SELECT kana AS k FROM municipalities WHERE code = N'392014') m
                     CROSS APPLY (SELECT CAST(@P1 AS NVARCHAR(200)) COLLATE Latin1_General_100_BIN2 AS k) x
                     CROSS APPLY (SELECT CAST(@P2 AS NVARCHAR(200)) COLLATE Latin1_General_100_BIN2 AS k) y",
                    &[&a, &b],
                )
                .await
                .unwrap()
                .unwrap();
            let expected = match a.cmp(b) {
                std::cmp::Ordering::Less => -1,
                std::cmp::Ordering::Equal => 0,
                std::cmp::Ordering::Greater => 1,
            };
            assert_eq!(int(&row, 0).unwrap(), expected, "{a} vs {b}");
        }
    }
    let collation = c
        .row(
            "SELECT collation_name FROM sys.columns WHERE object_id = OBJECT_ID(N'municipalities') AND name = N'kana'",
            &[],
        )
        .await
        .unwrap()
        .unwrap();
    assert!(
        super::conn::str(&collation, 0)
            .unwrap()
            .to_ascii_lowercase()
            .contains("bin2"),
        "the kana column is binary"
    );
    drop(c);
    drop(store);
    guard.drop_now().await;
}

#[tokio::test]
async fn concurrent_check_then_write_steps_are_serialised() {
    let Some((store, guard)) = store("concurrent_check_then_write_steps_are_serialised").await else {
        return;
    };
    let store = Arc::new(store);
    store.upsert_center(&center("C001", "392014")).await.unwrap();
    let account = store
        .create_account(
            &NewAccountRecord {
                username: "u1".into(),
                display_name: "u".into(),
                password_hash: "h".into(),
                role: Role::Prefecture,
                scope: Scope::Prefecture,
            },
            draft("create_account"),
        )
        .await
        .unwrap();
    const N: usize = 6;
    async fn all<T: Send + 'static>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    }
    // Node secret: one value for everyone.
    let secrets = all((0..N)
        .map(|_| {
            let s = store.clone();
            tokio::spawn(async move { s.node_secret("race", 16).await.unwrap() })
        })
        .collect())
    .await;
    assert!(secrets.windows(2).all(|w| w[0] == w[1]));
    // Period lock: one new, the rest existing.
    let lock = NewPeriodLock {
        scope: Scope::Prefecture,
        period: Period::month(2024, 6).unwrap(),
    };
    let locks = all((0..N)
        .map(|_| {
            let (s, l) = (store.clone(), lock.clone());
            tokio::spawn(async move { s.lock_period(&l, "x", draft("lock_period")).await.unwrap() })
        })
        .collect())
    .await;
    assert_eq!(locks.iter().filter(|l| l.is_new()).count(), 1);
    assert!(locks
        .iter()
        .all(|l| matches!(l, Recorded::New(p) | Recorded::Existing(p) if p.period == lock.period)));
    // Alerts: raised once.
    let alert = NewAlert {
        event: "disk_low",
        subject: "/data".into(),
        severity: Severity::Error,
        message: "残り少ない".into(),
    };
    let raised = all((0..N)
        .map(|_| {
            let (s, a) = (store.clone(), alert.clone());
            tokio::spawn(async move { s.raise_alert(&a, Utc::now()).await.unwrap() })
        })
        .collect())
    .await;
    assert_eq!(raised.iter().filter(|r| **r).count(), 1);
    // A refresh token presented twice at once: one rotation, one reuse.
    store
        .insert_refresh(&RefreshGrant {
            token_hash: "race".into(),
            account_id: account.id,
            session: "race-session".into(),
            expires_at: Utc::now() + Duration::hours(1),
        })
        .await
        .unwrap();
    let uses = all((0..2)
        .map(|_| {
            let s = store.clone();
            tokio::spawn(async move { s.use_refresh("race", Utc::now()).await.unwrap() })
        })
        .collect())
    .await;
    let rotated = uses
        .iter()
        .filter(|u| matches!(u, RefreshUse::Rotated { .. }))
        .count();
    let reused = uses.iter().filter(|u| matches!(u, RefreshUse::Reused)).count();
    assert_eq!((rotated, reused), (1, 1));
    // Audit rows appended at once still form one chain (after the audited writes above).
    let pre = store.verify_audit_chain().await.unwrap().rows;
    let appended = all((0..N * 2)
        .map(|i| {
            let s = store.clone();
            tokio::spawn(async move {
                s.append_audit(&AuditEntry {
                    at: Utc::now(),
                    actor: Some(format!("a{i}")),
                    account_id: None,
                    role: None,
                    scope: None,
                    action: "test.race".into(),
                    target: None,
                    outcome: Outcome::Ok,
                    client: None,
                    request_id: None,
                    detail: None,
                })
                .await
            })
        })
        .collect())
    .await;
    assert!(appended.iter().all(Result::is_ok));
    let chain = store.verify_audit_chain().await.unwrap();
    assert_eq!((chain.rows, chain.broken_at), (pre + (N * 2) as u64, None));
    // One batch delivered twice at once: applied once, skipped once.
    let b = batches("C001", stream("C001", 5), Uuid::from_u64_pair(5, 5), 10_000).remove(0);
    let at = Utc::now();
    let applied = all((0..2)
        .map(|_| {
            let (s, b) = (store.clone(), b.clone());
            tokio::spawn(async move {
                s.apply_sync_batch(&b, at, draft("apply_sync_batch"))
                    .await
                    .unwrap()
            })
        })
        .collect())
    .await;
    let mut counts: Vec<(u64, u64)> = applied.iter().map(|a| (a.applied, a.skipped)).collect();
    counts.sort();
    let n = b.entries.len() as u64;
    assert_eq!(counts, vec![(0, n), (n, 0)]);
    assert_eq!(drift(&store).await, 0);
    let counts: BTreeMap<&str, i64> = {
        let mut c = store.conn().await.unwrap();
        let mut m = BTreeMap::new();
        m.insert("ops_alerts", count(&mut c, "ops_alerts").await);
        m.insert("node_secrets", count(&mut c, "node_secrets").await);
        m
    };
    assert_eq!(counts["ops_alerts"], 1);
    assert_eq!(counts["node_secrets"], 1);
    drop(store);
    guard.drop_now().await;
}
