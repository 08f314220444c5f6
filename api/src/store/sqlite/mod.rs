//! The SQLite store (rusqlite, bundled; pooled with deadpool): the embedded default.

mod accounts;
mod activities;
mod alerts;
mod audit;
pub mod backup;
mod bulk;
mod duplicate_hints;
mod extracts;
pub mod floor;
mod leases;
pub mod migrate_hub;
pub mod migrations;
mod ops_changes;
mod ops_log;
mod org;
mod outbox;
mod period_locks;
mod persons;
mod stats;
mod stats_changes;
pub(crate) mod stats_months;
pub(crate) mod stats_years;
mod sync;
mod uptime;

use std::sync::Arc;

use anyhow::{anyhow, Context};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use deadpool_sqlite::{Config, Pool, Runtime};
use rusqlite::{Connection, OptionalExtension};
use shared::common_id::{CenterCode, CommonId};
use shared::dto::meta::NodeRole;

use super::{
    CenterStore, CommonStore, HubStore, Recorded, RefreshGrant, RefreshUse, StoreError, StoreResult,
};
use crate::domain::account::{Account, ApiToken, NewAccountRecord, Principal};
use crate::domain::activity::{
    Activity, ActivityListItem, ActivityQuery, ActivityRecord, Participation, PersonParticipationRow,
};
use crate::domain::alert::{Alert, NewAlert};
use crate::domain::audit::{AuditDraft, AuditEntry, AuditQuery, AuditRecord, ChainReport};
use crate::domain::codes::{CodeItem, Codes};
use crate::domain::duplicate_hint::MatchKeyer;
use crate::domain::ops_log::auto_changes::AppliedMigration;
use crate::domain::ops_log::{
    Change, ChangeRecord, Incident, IncidentRecord, Inquiry, InquiryRecord, LogWindow, Maintenance,
    MaintenanceRecord,
};
use crate::domain::org::{Center, Site};
use crate::domain::period_lock::{HubLock, HubLocksApplied, NewPeriodLock, PeriodLock};
use crate::domain::person::{Ending, Person, PersonQuery, PersonRecord};
use crate::domain::sync::{
    AppliedBatch, CenterSyncState, OutboxState, OutgoingBatch, Resend, StreamPosition, SyncCredential,
    ValidBatch,
};
use crate::domain::uptime::Run;
use uuid::Uuid;

/// Which node a store serves, as a type: the centre's and the hub's traits are implemented for
/// one each, so a hub store has no person-data method at all.
pub trait NodeKind: Send + Sync + 'static {
    const ROLE: NodeRole;
}

/// A centre node: identity, activities as staff record them, the outbox.
pub struct CenterNode;
/// The prefecture hub: de-identified facts delivered by the centres.
pub struct HubNode;

impl NodeKind for CenterNode {
    const ROLE: NodeRole = NodeRole::Center;
}
impl NodeKind for HubNode {
    const ROLE: NodeRole = NodeRole::Hub;
}

pub struct SqliteStore<R: NodeKind> {
    pool: Pool,
    role: std::marker::PhantomData<R>,
    /// Centre node with the prefecture's duplicate-hint key: person entries of the outbox carry
    /// a match key.
    keyer: Option<Arc<MatchKeyer>>,
    /// How long the SQL of one statistics request and of one extraction may run before it is
    /// interrupted (`[stats]` limits; none: unbounded).
    budgets: QueryBudgets,
}

/// Time budgets of the expensive reads, enforced by interrupting the connection's SQL.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryBudgets {
    pub stats: Option<std::time::Duration>,
    pub extract: Option<std::time::Duration>,
}

/// Runs `f` on `c`, interrupting its SQL (`sqlite3_interrupt`) once `budget` has passed.
fn within<T>(
    c: &mut Connection,
    budget: Option<std::time::Duration>,
    f: impl FnOnce(&mut Connection) -> StoreResult<T>,
) -> StoreResult<T> {
    let Some(budget) = budget else {
        return f(c);
    };
    let handle = c.get_interrupt_handle();
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(budget) {
            tracing::warn!(
                budget_ms = budget.as_millis() as u64,
                "interrupting a read over its time budget"
            );
            handle.interrupt();
        }
    });
    let result = f(c);
    let _ = done.send(());
    let _ = watchdog.join();
    result
}

impl<R: NodeKind> SqliteStore<R> {
    /// Opens (creating if needed) the database file and sets WAL mode.
    pub async fn open(path: &str, pool_size: usize) -> anyhow::Result<SqliteStore<R>> {
        let file = std::path::Path::new(path);
        if let Some(dir) = file.parent() {
            crate::ops::files::create_owner_only_dir(dir)
                .with_context(|| format!("creating {}", dir.display()))?;
        }
        // Owner-only before SQLite opens it: its WAL and shared-memory files take its mode.
        if path != ":memory:" {
            crate::ops::files::create_owner_only_file(file)
                .with_context(|| format!("making {} owner-only", file.display()))?;
            for side in ["-wal", "-shm"] {
                crate::ops::files::make_owner_only(std::path::Path::new(&format!("{path}{side}")))
                    .with_context(|| format!("making {path}{side} owner-only"))?;
            }
        }
        let mut config = Config::new(path);
        config.pool = Some(deadpool_sqlite::PoolConfig::new(pool_size.max(1)));
        let pool = config
            .create_pool(Runtime::Tokio1)
            .context("creating the SQLite pool")?;
        let store = SqliteStore {
            pool,
            role: std::marker::PhantomData,
            keyer: None,
            budgets: QueryBudgets::default(),
        };
        store
            .run(|c| {
                c.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
                c.execute_batch("PRAGMA synchronous = NORMAL;")?;
                Ok(())
            })
            .await
            .with_context(|| format!("opening SQLite database {path}"))?;
        Ok(store)
    }

    /// Runs `f` on a pooled connection with foreign keys enforced and a busy timeout.
    async fn run<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let conn = self.pool.get().await.context("getting an SQLite connection")?;
        conn.interact(move |c| {
            // Reads go through a memory map: statistics and extracts touch hundreds of MB by
            // index lookups, and each page missing from the small page cache would otherwise be
            // a read() call. The mapping shares the OS page cache; it is not process heap.
            c.execute_batch(
                "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA mmap_size = 1073741824;",
            )?;
            f(c)
        })
        .await
        .map_err(|e| StoreError::Other(anyhow!("SQLite task failed: {e}")))?
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
            e => StoreError::Other(anyhow::Error::new(e)),
        }
    }
}

/// Whether an SQLite error is a constraint violation (unique, foreign key, check).
fn is_constraint(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
}

pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn parse_ts(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

pub(crate) fn parse_date(s: &str) -> rusqlite::Result<NaiveDate> {
    s.parse::<NaiveDate>()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

pub(crate) fn parse_opt_date(s: Option<String>) -> rusqlite::Result<Option<NaiveDate>> {
    s.as_deref().map(parse_date).transpose()
}

#[async_trait]
impl<R: NodeKind> CommonStore for SqliteStore<R> {
    #[tracing::instrument(skip(self))]
    async fn migrate(&self) -> StoreResult<usize> {
        self.run(move |c| Ok(migrations::run(c, R::ROLE)?)).await
    }

    async fn node_secret(&self, name: &str, len: usize) -> StoreResult<Vec<u8>> {
        let name = name.to_owned();
        self.run(move |c| {
            // Check-then-write: BEGIN IMMEDIATE takes the write lock before the secret is looked up, so
            // two first uses cannot generate two different secrets.
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let existing: Option<Vec<u8>> = tx
                .query_row("SELECT value FROM node_secrets WHERE name = ?1", [&name], |r| {
                    r.get(0)
                })
                .optional()?;
            let value = match existing {
                Some(v) => v,
                None => {
                    let mut v = vec![0u8; len];
                    getrandom::fill(&mut v).map_err(|e| anyhow!("random source: {e}"))?;
                    tx.execute(
                        "INSERT INTO node_secrets (name, value, created_at) VALUES (?1, ?2, ?3)",
                        rusqlite::params![name, v, ts(Utc::now())],
                    )?;
                    v
                }
            };
            tx.commit()?;
            Ok(value)
        })
        .await
    }

    async fn codes(&self) -> StoreResult<Codes> {
        self.run(org::codes).await
    }
    async fn code_items(&self, list: &str) -> StoreResult<Vec<CodeItem>> {
        let list = list.to_owned();
        self.run(move |c| org::code_items(c, Some(&list))).await
    }
    async fn municipalities(&self) -> StoreResult<Vec<(String, String, String, i32)>> {
        self.run(org::municipalities).await
    }
    async fn centers(&self) -> StoreResult<Vec<Center>> {
        self.run(org::centers).await
    }
    async fn center(&self, code: &str) -> StoreResult<Center> {
        let code = code.to_owned();
        self.run(move |c| org::center(c, &code)).await
    }
    async fn upsert_center(&self, center: &Center) -> StoreResult<()> {
        let center = center.clone();
        self.run(move |c| org::upsert_center(c, &center)).await
    }
    async fn sites(&self, center: Option<&str>) -> StoreResult<Vec<Site>> {
        let center = center.map(str::to_owned);
        self.run(move |c| org::sites(c, center.as_deref())).await
    }
    async fn upsert_site(&self, site: &Site) -> StoreResult<()> {
        let (site, outbox) = (site.clone(), self.has_identity());
        self.run(move |c| org::upsert_site(c, &site, outbox)).await
    }
    async fn regions(&self) -> StoreResult<Vec<crate::domain::region::Region>> {
        self.run(|c| org::regions(c)).await
    }
    async fn put_region(
        &self,
        region: &crate::domain::region::Region,
        audit: AuditDraft<crate::domain::region::Region>,
    ) -> StoreResult<crate::domain::region::Region> {
        let region = region.clone();
        self.run(move |c| org::put_region(c, &region, audit)).await
    }

    async fn create_account(
        &self,
        account: &NewAccountRecord,
        audit: AuditDraft<Account>,
    ) -> StoreResult<Account> {
        let account = account.clone();
        self.run(move |c| accounts::create(c, &account, audit)).await
    }
    async fn find_account(&self, username: &str) -> StoreResult<Option<Account>> {
        let username = username.to_owned();
        self.run(move |c| accounts::by_username(c, &username)).await
    }
    async fn account(&self, id: i64) -> StoreResult<Account> {
        self.run(move |c| accounts::by_id(c, id)).await
    }
    async fn accounts(&self) -> StoreResult<Vec<Account>> {
        self.run(accounts::all).await
    }
    async fn record_login_failure(
        &self,
        id: i64,
        threshold: i64,
        lock_until: DateTime<Utc>,
    ) -> StoreResult<Account> {
        self.run(move |c| accounts::login_failed(c, id, threshold, lock_until))
            .await
    }
    async fn record_login_success(&self, id: i64) -> StoreResult<()> {
        self.run(move |c| accounts::login_succeeded(c, id)).await
    }
    async fn unlock_account(&self, id: i64, audit: AuditDraft<()>) -> StoreResult<()> {
        self.run(move |c| accounts::unlock(c, id, audit)).await
    }
    async fn set_account_disabled(&self, id: i64, disabled: bool, audit: AuditDraft<()>) -> StoreResult<()> {
        self.run(move |c| accounts::set_disabled(c, id, disabled, audit))
            .await
    }
    async fn set_password(&self, id: i64, password_hash: &str) -> StoreResult<()> {
        let hash = password_hash.to_owned();
        self.run(move |c| accounts::set_password(c, id, &hash)).await
    }
    async fn change_password(
        &self,
        id: i64,
        password_hash: &str,
        must_change: bool,
        audit: AuditDraft<()>,
    ) -> StoreResult<()> {
        let hash = password_hash.to_owned();
        self.run(move |c| accounts::change_password(c, id, &hash, must_change, audit))
            .await
    }
    async fn insert_refresh(&self, grant: &RefreshGrant) -> StoreResult<()> {
        let grant = grant.clone();
        self.run(move |c| accounts::insert_refresh(c, &grant)).await
    }
    async fn use_refresh(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<RefreshUse> {
        let hash = token_hash.to_owned();
        self.run(move |c| accounts::use_refresh(c, &hash, now)).await
    }
    async fn revoke_session(&self, session: &str) -> StoreResult<()> {
        let session = session.to_owned();
        self.run(move |c| accounts::revoke_session(c, &session)).await
    }
    async fn session_principal(&self, session: &str, account_id: i64) -> StoreResult<Option<Principal>> {
        let session = session.to_owned();
        self.run(move |c| accounts::session_principal(c, &session, account_id))
            .await
    }

    async fn create_api_token(
        &self,
        token: &ApiToken,
        token_hash: &str,
        created_by: Option<i64>,
        audit: AuditDraft<ApiToken>,
    ) -> StoreResult<ApiToken> {
        let (token, hash) = (token.clone(), token_hash.to_owned());
        self.run(move |c| accounts::create_api_token(c, &token, &hash, created_by, audit))
            .await
    }
    async fn api_token_by_hash(&self, token_hash: &str) -> StoreResult<Option<ApiToken>> {
        let hash = token_hash.to_owned();
        self.run(move |c| accounts::api_token_by_hash(c, &hash)).await
    }
    async fn api_tokens(&self) -> StoreResult<Vec<ApiToken>> {
        self.run(accounts::api_tokens).await
    }
    async fn revoke_api_token(&self, id: i64, audit: AuditDraft<()>) -> StoreResult<()> {
        self.run(move |c| accounts::revoke_api_token(c, id, audit)).await
    }

    #[tracing::instrument(skip(self, people), fields(n = people.len()))]
    async fn import_persons(&self, people: &[Person]) -> StoreResult<usize> {
        let (people, identity, keyer) = (people.to_vec(), self.has_identity(), self.keyer.clone());
        self.run(move |c| bulk::import_persons(c, &people, identity, keyer.as_deref()))
            .await
    }
    #[tracing::instrument(skip(self, records), fields(n = records.len()))]
    async fn import_activities(&self, records: &[ActivityRecord]) -> StoreResult<usize> {
        let (records, notes) = (records.to_vec(), self.has_identity());
        self.run(move |c| activities::import(c, &records, notes)).await
    }

    async fn period_locks(&self, include_unlocked: bool) -> StoreResult<Vec<PeriodLock>> {
        self.run(move |c| period_locks::list(c, include_unlocked)).await
    }
    #[tracing::instrument(skip(self))]
    async fn lock_period(
        &self,
        lock: &NewPeriodLock,
        by: &str,
        audit: AuditDraft<Recorded<PeriodLock>>,
    ) -> StoreResult<Recorded<PeriodLock>> {
        let (lock, by) = (lock.clone(), by.to_owned());
        self.run(move |c| period_locks::lock(c, &lock, &by, audit)).await
    }
    #[tracing::instrument(skip(self))]
    async fn unlock_period(
        &self,
        id: i64,
        by: &str,
        audit: AuditDraft<PeriodLock>,
    ) -> StoreResult<PeriodLock> {
        let by = by.to_owned();
        self.run(move |c| period_locks::unlock(c, id, &by, audit)).await
    }

    #[tracing::instrument(skip(self))]
    async fn stats(&self, query: &crate::stats::StatsQuery) -> StoreResult<Vec<(Vec<String>, Vec<u64>)>> {
        let (query, budget) = (query.clone(), self.budgets.stats);
        self.run(move |c| within(c, budget, |c| stats::stats(c, &query)))
            .await
    }

    #[tracing::instrument(skip(self, rows))]
    async fn extract(
        &self,
        query: &crate::stats::extract::ExtractQuery,
        rows: tokio::sync::mpsc::Sender<crate::stats::extract::Rows>,
    ) -> StoreResult<u64> {
        let (query, budget) = (query.clone(), self.budgets.extract);
        // The connection's thread blocks on a full channel: memory stays flat however many rows.
        self.run(move |c| {
            within(c, budget, |c| {
                extracts::extract(c, &query, &mut |chunk| rows.blocking_send(chunk).is_ok())
            })
        })
        .await
    }

    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        let entry = entry.clone();
        self.run(move |c| audit::append_alone(c, &entry)).await
    }

    async fn verify_audit_chain(&self) -> StoreResult<ChainReport> {
        self.run(audit::verify_chain).await
    }

    async fn purge_audit(&self, before: DateTime<Utc>, at: DateTime<Utc>) -> StoreResult<usize> {
        self.run(move |c| audit::purge(c, before, at)).await
    }
    async fn audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
        let query = query.clone();
        self.run(move |c| audit::query(c, &query)).await
    }

    async fn raise_alert(&self, alert: &NewAlert, at: DateTime<Utc>) -> StoreResult<bool> {
        let alert = alert.clone();
        self.run(move |c| alerts::raise(c, &alert, at)).await
    }
    async fn clear_alert(&self, event: &str, subject: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        let (event, subject) = (event.to_owned(), subject.to_owned());
        self.run(move |c| alerts::clear(c, &event, &subject, at)).await
    }
    async fn alerts(&self, open_only: bool) -> StoreResult<Vec<Alert>> {
        self.run(move |c| alerts::list(c, open_only)).await
    }

    async fn start_uptime_run(&self, at: DateTime<Utc>) -> StoreResult<i64> {
        self.run(move |c| uptime::start(c, at)).await
    }

    async fn uptime_heartbeat(&self, run: i64, at: DateTime<Utc>) -> StoreResult<()> {
        self.run(move |c| uptime::beat(c, run, at)).await
    }

    async fn uptime_runs(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<(Vec<Run>, Option<DateTime<Utc>>)> {
        self.run(move |c| uptime::runs(c, from, to)).await
    }

    async fn unmailed_alerts(&self, limit: usize) -> StoreResult<Vec<Alert>> {
        self.run(move |c| alerts::unmailed(c, limit)).await
    }

    async fn mark_alert_mailed(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        self.run(move |c| alerts::mark_mailed(c, id, at)).await
    }

    async fn mark_alert_clear_mailed(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        self.run(move |c| alerts::mark_clear_mailed(c, id, at)).await
    }

    async fn create_inquiry(
        &self,
        record: &InquiryRecord,
        by: &str,
        at: DateTime<Utc>,
        audit: AuditDraft<Inquiry>,
    ) -> StoreResult<Inquiry> {
        let (record, by) = (record.clone(), by.to_owned());
        self.run(move |c| ops_log::create_inquiry(c, &record, &by, at, audit))
            .await
    }
    async fn update_inquiry(
        &self,
        id: i64,
        record: &InquiryRecord,
        at: DateTime<Utc>,
        audit: AuditDraft<Inquiry>,
    ) -> StoreResult<Inquiry> {
        let record = record.clone();
        self.run(move |c| ops_log::update_inquiry(c, id, &record, at, audit))
            .await
    }
    async fn inquiry(&self, id: i64) -> StoreResult<Inquiry> {
        self.run(move |c| ops_log::inquiry(c, id)).await
    }
    async fn inquiries(&self, window: LogWindow) -> StoreResult<Vec<Inquiry>> {
        self.run(move |c| ops_log::inquiries(c, window)).await
    }
    async fn create_incident(
        &self,
        record: &IncidentRecord,
        by: &str,
        at: DateTime<Utc>,
        audit: AuditDraft<Incident>,
    ) -> StoreResult<Incident> {
        let (record, by) = (record.clone(), by.to_owned());
        self.run(move |c| ops_log::create_incident(c, &record, &by, at, audit))
            .await
    }
    async fn update_incident(
        &self,
        id: i64,
        record: &IncidentRecord,
        at: DateTime<Utc>,
        audit: AuditDraft<Incident>,
    ) -> StoreResult<Incident> {
        let record = record.clone();
        self.run(move |c| ops_log::update_incident(c, id, &record, at, audit))
            .await
    }
    async fn incident(&self, id: i64) -> StoreResult<Incident> {
        self.run(move |c| ops_log::incident(c, id)).await
    }
    async fn incidents(&self, window: LogWindow) -> StoreResult<Vec<Incident>> {
        self.run(move |c| ops_log::incidents(c, window)).await
    }
    async fn incident_alerts(&self, id: i64) -> StoreResult<Vec<Alert>> {
        self.run(move |c| alerts::of_incident(c, id)).await
    }
    async fn create_change(
        &self,
        record: &ChangeRecord,
        by: &str,
        at: DateTime<Utc>,
        audit: AuditDraft<Change>,
    ) -> StoreResult<Change> {
        let (record, by) = (record.clone(), by.to_owned());
        self.run(move |c| ops_changes::create_change(c, &record, &by, at, audit))
            .await
    }
    async fn update_change(
        &self,
        id: i64,
        record: &ChangeRecord,
        at: DateTime<Utc>,
        audit: AuditDraft<Change>,
    ) -> StoreResult<Change> {
        let record = record.clone();
        self.run(move |c| ops_changes::update_change(c, id, &record, at, audit))
            .await
    }
    async fn changes(&self, window: LogWindow) -> StoreResult<Vec<Change>> {
        self.run(move |c| ops_changes::changes(c, window)).await
    }
    async fn record_auto_change(
        &self,
        key: &str,
        record: &ChangeRecord,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let (key, record) = (key.to_owned(), record.clone());
        self.run(move |c| ops_changes::record_auto_change(c, &key, &record, at))
            .await
    }
    async fn latest_auto_change_key(&self, prefix: &str) -> StoreResult<Option<String>> {
        let prefix = prefix.to_owned();
        self.run(move |c| ops_changes::latest_auto_change_key(c, &prefix))
            .await
    }
    async fn applied_migrations(&self) -> StoreResult<Vec<AppliedMigration>> {
        self.run(ops_changes::applied_migrations).await
    }
    async fn create_maintenance(
        &self,
        record: &MaintenanceRecord,
        by: &str,
        at: DateTime<Utc>,
        audit: AuditDraft<Maintenance>,
    ) -> StoreResult<Maintenance> {
        let (record, by) = (record.clone(), by.to_owned());
        self.run(move |c| ops_changes::create_maintenance(c, &record, &by, at, audit))
            .await
    }
    async fn cancel_maintenance(
        &self,
        id: i64,
        at: DateTime<Utc>,
        audit: AuditDraft<Maintenance>,
    ) -> StoreResult<Maintenance> {
        self.run(move |c| ops_changes::cancel_maintenance(c, id, at, audit))
            .await
    }
    async fn maintenance(&self, id: i64) -> StoreResult<Maintenance> {
        self.run(move |c| ops_changes::maintenance(c, id)).await
    }
    async fn maintenance_windows(&self, window: LogWindow) -> StoreResult<Vec<Maintenance>> {
        self.run(move |c| ops_changes::maintenance_windows(c, window))
            .await
    }
    async fn append_stats_changes(
        &self,
        changes: &[crate::domain::stats_change::StatsChange],
        at: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let changes = changes.to_vec();
        self.run(move |c| stats_changes::append(c, &changes, at)).await
    }
    async fn stats_changes_since(
        &self,
        seq: i64,
        limit: usize,
    ) -> StoreResult<Vec<(i64, crate::domain::stats_change::StatsChange)>> {
        self.run(move |c| stats_changes::since(c, seq, limit)).await
    }
    async fn stats_changes_head(&self) -> StoreResult<i64> {
        self.run(stats_changes::head).await
    }
    async fn take_lease(&self, name: &str, holder: &str, ttl: chrono::Duration) -> StoreResult<bool> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.run(move |c| leases::take_lease(c, &name, &holder, ttl))
            .await
    }
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.run(move |c| leases::release_lease(c, &name, &holder)).await
    }
}

#[async_trait]
impl CenterStore for SqliteStore<CenterNode> {
    #[tracing::instrument(skip(self, record))]
    async fn register_person(
        &self,
        center: &CenterCode,
        existing: Option<&CommonId>,
        record: &PersonRecord,
        audit: AuditDraft<Person>,
    ) -> StoreResult<Person> {
        let (center, existing, record) = (center.clone(), existing.cloned(), record.clone());
        let keyer = self.keyer.clone();
        self.run(move |c| persons::register(c, &center, existing.as_ref(), &record, keyer.as_deref(), audit))
            .await
    }
    async fn person(&self, center: &str, id: &CommonId) -> StoreResult<Person> {
        let (center, id) = (center.to_owned(), id.clone());
        self.run(move |c| persons::get(c, &center, &id)).await
    }
    #[tracing::instrument(skip(self, record))]
    async fn update_person(
        &self,
        center: &str,
        id: &CommonId,
        record: &PersonRecord,
        audit: AuditDraft<Person>,
    ) -> StoreResult<Person> {
        let (center, id, record) = (center.to_owned(), id.clone(), record.clone());
        let keyer = self.keyer.clone();
        self.run(move |c| persons::update(c, &center, &id, &record, keyer.as_deref(), audit))
            .await
    }
    async fn end_person(
        &self,
        center: &str,
        id: &CommonId,
        ending: &Ending,
        audit: AuditDraft<Person>,
    ) -> StoreResult<Person> {
        let (center, id, ending) = (center.to_owned(), id.clone(), ending.clone());
        let keyer = self.keyer.clone();
        self.run(move |c| persons::end(c, &center, &id, &ending, keyer.as_deref(), audit))
            .await
    }
    #[tracing::instrument(skip(self))]
    async fn persons(&self, center: &str, query: &PersonQuery) -> StoreResult<(Vec<Person>, u64)> {
        let (center, query) = (center.to_owned(), query.clone());
        self.run(move |c| persons::list(c, &center, &query)).await
    }

    async fn persons_by_ids(&self, center: &str, ids: &[CommonId]) -> StoreResult<Vec<Person>> {
        let (center, ids) = (center.to_owned(), ids.to_vec());
        self.run(move |c| persons::many(c, &center, &ids)).await
    }

    #[tracing::instrument(skip(self, record), fields(id = %record.id))]
    async fn create_activity(
        &self,
        record: &ActivityRecord,
        audit: AuditDraft<Recorded<Activity>>,
    ) -> StoreResult<Recorded<Activity>> {
        let (record, notes) = (record.clone(), self.has_identity());
        self.run(move |c| activities::create(c, &record, notes, audit))
            .await
    }
    async fn activity(&self, center: &str, id: Uuid) -> StoreResult<Activity> {
        let (center, notes) = (center.to_owned(), self.has_identity());
        self.run(move |c| activities::get(c, &center, id, notes)).await
    }
    #[tracing::instrument(skip(self, record), fields(id = %record.id))]
    async fn update_activity(
        &self,
        record: &ActivityRecord,
        audit: AuditDraft<Activity>,
    ) -> StoreResult<Activity> {
        let (record, notes) = (record.clone(), self.has_identity());
        self.run(move |c| activities::update(c, &record, notes, audit))
            .await
    }
    #[tracing::instrument(skip(self))]
    async fn delete_activity(&self, center: &str, id: Uuid, audit: AuditDraft<()>) -> StoreResult<()> {
        let (center, notes) = (center.to_owned(), self.has_identity());
        self.run(move |c| activities::delete(c, &center, id, notes, audit))
            .await
    }
    #[tracing::instrument(skip(self, participation))]
    async fn put_participation(
        &self,
        center: &str,
        activity: Uuid,
        participation: &Participation,
        audit: AuditDraft<Activity>,
    ) -> StoreResult<Activity> {
        let (center, p, notes) = (center.to_owned(), participation.clone(), self.has_identity());
        self.run(move |c| activities::put_participation(c, &center, activity, &p, notes, audit))
            .await
    }
    #[tracing::instrument(skip(self))]
    async fn delete_participation(
        &self,
        center: &str,
        activity: Uuid,
        common_id: &CommonId,
        audit: AuditDraft<Activity>,
    ) -> StoreResult<Activity> {
        let (center, id, notes) = (center.to_owned(), common_id.clone(), self.has_identity());
        self.run(move |c| activities::delete_participation(c, &center, activity, &id, notes, audit))
            .await
    }
    #[tracing::instrument(skip(self))]
    async fn activities(&self, center: &str, query: &ActivityQuery) -> StoreResult<Vec<ActivityListItem>> {
        let (center, query, notes) = (center.to_owned(), query.clone(), self.has_identity());
        self.run(move |c| activities::list(c, &center, &query, notes))
            .await
    }
    #[tracing::instrument(skip(self))]
    async fn participations_of(
        &self,
        center: &str,
        common_id: &CommonId,
        offset: u64,
        limit: u64,
    ) -> StoreResult<(Vec<PersonParticipationRow>, u64)> {
        let (center, id, notes) = (center.to_owned(), common_id.clone(), self.has_identity());
        self.run(move |c| activities::of_person(c, &center, &id, offset, limit, notes))
            .await
    }
    #[tracing::instrument(skip(self, locks), fields(locks = locks.len()))]
    async fn apply_hub_locks(&self, locks: &[HubLock], at: DateTime<Utc>) -> StoreResult<HubLocksApplied> {
        let locks = locks.to_vec();
        self.run(move |c| period_locks::apply_hub(c, &locks, at)).await
    }
    async fn hub_locks_pull_failed(&self, error: &str) -> StoreResult<()> {
        let error = error.to_owned();
        self.run(move |c| period_locks::hub_pull_failed(c, &error)).await
    }

    #[tracing::instrument(skip(self))]
    async fn sync_start(&self, center: &str) -> StoreResult<bool> {
        let center = center.to_owned();
        let keyer = self.keyer.clone();
        self.run(move |c| outbox::start(c, &center, keyer.as_deref()))
            .await
    }
    #[tracing::instrument(skip(self))]
    async fn sync_resnapshot(&self, center: &str) -> StoreResult<usize> {
        let center = center.to_owned();
        let keyer = self.keyer.clone();
        self.run(move |c| outbox::resnapshot(c, &center, keyer.as_deref()))
            .await
    }
    async fn sync_next_batch(
        &self,
        max_entries: usize,
        max_bytes: usize,
    ) -> StoreResult<Option<OutgoingBatch>> {
        self.run(move |c| outbox::next_batch(c, max_entries, max_bytes))
            .await
    }
    async fn sync_acknowledge(
        &self,
        stream: Uuid,
        batch_seq: u64,
        last_seq: u64,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.run(move |c| outbox::acknowledge(c, stream, batch_seq, last_seq, at))
            .await
    }
    async fn sync_failed(&self, error: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let error = error.to_owned();
        self.run(move |c| outbox::failed(c, &error, at)).await
    }
    async fn sync_outbox(&self) -> StoreResult<Option<OutboxState>> {
        self.run(outbox::state).await
    }
}

#[async_trait]
impl HubStore for SqliteStore<HubNode> {
    #[tracing::instrument(skip(self, batch), fields(center = %batch.center, batch_seq = batch.batch_seq))]
    async fn apply_sync_batch(
        &self,
        batch: &ValidBatch,
        at: DateTime<Utc>,
        audit: AuditDraft<AppliedBatch>,
    ) -> StoreResult<AppliedBatch> {
        let batch = batch.clone();
        self.run(move |c| sync::apply(c, &batch, at, audit)).await
    }
    async fn create_sync_credential(
        &self,
        center: &str,
        token_hash: &str,
        prefix: &str,
        created_by: Option<i64>,
        audit: AuditDraft<SyncCredential>,
    ) -> StoreResult<SyncCredential> {
        let (center, hash, prefix) = (center.to_owned(), token_hash.to_owned(), prefix.to_owned());
        self.run(move |c| sync::create_credential(c, &center, &hash, &prefix, created_by, audit))
            .await
    }
    async fn sync_credentials(&self) -> StoreResult<Vec<SyncCredential>> {
        self.run(sync::credentials).await
    }
    async fn sync_credential_by_hash(&self, token_hash: &str) -> StoreResult<Option<SyncCredential>> {
        let hash = token_hash.to_owned();
        self.run(move |c| sync::credential_by_hash(c, &hash)).await
    }
    async fn revoke_sync_credential(
        &self,
        id: i64,
        audit: AuditDraft<SyncCredential>,
    ) -> StoreResult<SyncCredential> {
        self.run(move |c| sync::revoke_credential(c, id, audit)).await
    }
    async fn duplicate_hint_candidates(
        &self,
        match_key: &str,
        asking_center: &str,
    ) -> StoreResult<Vec<shared::dto::duplicate_hint::DuplicateHintCandidate>> {
        let (match_key, asking_center) = (match_key.to_owned(), asking_center.to_owned());
        self.run(move |c| duplicate_hints::candidates(c, &match_key, &asking_center))
            .await
    }
    async fn clear_duplicate_hints(&self) -> StoreResult<usize> {
        self.run(duplicate_hints::clear).await
    }
    async fn sync_centers(&self) -> StoreResult<Vec<CenterSyncState>> {
        self.run(sync::centers).await
    }
    async fn sync_position(&self, center: &str) -> StoreResult<Option<StreamPosition>> {
        let center = center.to_owned();
        self.run(move |c| sync::position(c, &center)).await
    }
    async fn note_resend(
        &self,
        center: &str,
        acked: &StreamPosition,
        hub: Option<&StreamPosition>,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (center, acked, hub) = (center.to_owned(), *acked, hub.copied());
        self.run(move |c| sync::note_resend(c, &center, &acked, hub.as_ref(), at))
            .await
    }
    async fn end_resend(&self, center: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        let center = center.to_owned();
        self.run(move |c| sync::end_resend(c, &center, at)).await
    }
    async fn resends(&self, since: DateTime<Utc>) -> StoreResult<Vec<Resend>> {
        self.run(move |c| sync::resends(c, since)).await
    }
}

impl SqliteStore<CenterNode> {
    /// With the prefecture's duplicate-hint key (centre nodes): the outbox's person entries carry
    /// their match key.
    pub fn with_match_keyer(mut self, keyer: Option<MatchKeyer>) -> SqliteStore<CenterNode> {
        self.keyer = keyer.map(Arc::new);
        self
    }
}

impl<R: NodeKind> SqliteStore<R> {
    /// With time budgets for statistics and extractions (their SQL is interrupted beyond).
    pub fn with_query_budgets(mut self, budgets: QueryBudgets) -> SqliteStore<R> {
        self.budgets = budgets;
        self
    }

    /// Whether this node keeps identity-grade data (person identity, activity notes).
    fn has_identity(&self) -> bool {
        R::ROLE == NodeRole::Center
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_over_its_time_budget_is_interrupted() {
        let mut c = Connection::open_in_memory().unwrap();
        let started = std::time::Instant::now();
        let endless = within(&mut c, Some(std::time::Duration::from_millis(200)), |c| {
            Ok(c.query_row(
                "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n",
                [],
                |r| r.get::<_, i64>(0),
            )?)
        });
        assert!(endless.is_err(), "interrupted");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // The connection works on afterwards.
        let quick = within(&mut c, Some(std::time::Duration::from_millis(200)), |c| {
            Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?)
        });
        assert_eq!(quick.unwrap(), 1);
    }
}
