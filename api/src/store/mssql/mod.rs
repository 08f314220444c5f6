//! The SQL Server store of the prefecture hub: tiberius 0.12 over TDS, pooled by a small
//! deadpool manager, T-SQL migrations in `migrations/sqlserver/`. It implements the common part
//! and the hub part of the store (`CommonStore`, `HubStore`); centre nodes keep personal data in
//! their embedded SQLite database, so there is no `CenterStore` here and `store::open` refuses a
//! centre node configured with a SQL Server URL.
//!
//! The T-SQL runs on SQL Server 2019 and later and on Babelfish for PostgreSQL: no MERGE (an
//! UPDATE, then an INSERT when no row changed, under a lock), no `STRING_AGG … WITHIN GROUP`,
//! and every check-then-write is serialised by an application lock (`sp_getapplock`, owned by
//! the transaction) or by writing first, never by UPDLOCK/HOLDLOCK hints, which Babelfish
//! accepts without enforcing. Each such step says which lock it takes and why.
//!
//! `database.url` forms: see [`connect`].
//!
//! Collation: free text (names, kana, labels, usernames, tokens) is declared
//! `Latin1_General_100_BIN2`, which compares by code point as SQLite does; codes and keys take
//! the database's collation (see `migrations/sqlserver/0001_init.sql` for why). Create the
//! hub's database with a binary collation (`CREATE DATABASE attaka COLLATE
//! Latin1_General_100_BIN2`) so codes compare exactly as on SQLite too; the store warns at
//! start when the database's collation is not binary.

mod accounts;
mod alerts;
mod audit;
pub mod backup;
pub(crate) mod conn;
pub mod connect;
mod duplicate_hints;
mod extracts;
mod facts;
mod leases;
pub mod migrate_hub;
pub mod migrations;
mod ops_changes;
mod ops_log;
mod org;
mod period_locks;
mod stats;
mod stats_changes;
mod sync;
mod sync_resends;
pub mod testing;
mod uptime;

#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod server_tests;

use anyhow::{anyhow, Context};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use self::conn::{at, opt_bytes, Conn, LockMode, Manager, Pool};
use self::connect::ConnectOptions;
use super::{CommonStore, HubStore, Recorded, RefreshGrant, RefreshUse, StoreError, StoreResult};
use crate::domain::account::{Account, ApiToken, NewAccountRecord, Principal};
use crate::domain::activity::ActivityRecord;
use crate::domain::alert::{Alert, NewAlert};
use crate::domain::audit::{AuditDraft, AuditEntry, AuditQuery, AuditRecord, ChainReport};
use crate::domain::codes::{CodeItem, Codes};
use crate::domain::ops_log::auto_changes::AppliedMigration;
use crate::domain::ops_log::{
    Change, ChangeRecord, Incident, IncidentRecord, Inquiry, InquiryRecord, LogWindow, Maintenance,
    MaintenanceRecord,
};
use crate::domain::org::{Center, Site};
use crate::domain::period_lock::{NewPeriodLock, PeriodLock};
use crate::domain::person::Person;
use crate::domain::sync::{
    AppliedBatch, CenterSyncState, Resend, StreamPosition, SyncCredential, ValidBatch,
};
use crate::domain::uptime::Run;

pub(super) const DATABASE_COLLATION: &str =
    "SELECT CONVERT(NVARCHAR(128), DATABASEPROPERTYEX(DB_NAME(), 'Collation'))";
pub(super) const NODE_SECRET: &str = "SELECT value FROM node_secrets WHERE name = @P1";
pub(super) const INSERT_NODE_SECRET: &str =
    "INSERT INTO node_secrets (name, value, created_at) VALUES (@P1, @P2, @P3)";

/// Every SQL statement of the store that is a constant, by module (the parse test reads them;
/// the statistics and extract queries, put together at run time, are checked through their
/// builders).
#[cfg(test)]
pub(crate) const SQL: &[(&str, &[&str])] = &[
    ("mod", &[DATABASE_COLLATION, NODE_SECRET, INSERT_NODE_SECRET]),
    (
        "conn",
        &[
            conn::SESSION_SETUP,
            conn::ROLLBACK_OPEN,
            conn::APPLOCK_EXCLUSIVE,
            conn::APPLOCK_SHARED,
            conn::BEGIN,
            conn::COMMIT,
        ],
    ),
    ("migrations", migrations::SQL),
    ("migrate_hub", migrate_hub::SQL),
    ("org", org::SQL),
    ("accounts", accounts::SQL),
    ("period_locks", period_locks::SQL),
    ("audit", audit::SQL),
    ("alerts", alerts::SQL),
    ("uptime", uptime::SQL),
    ("facts", facts::SQL),
    ("sync", sync::SQL),
    ("sync_resends", sync_resends::SQL),
    ("ops_log", ops_log::SQL),
    ("ops_changes", ops_changes::SQL),
    ("leases", leases::SQL),
    ("stats_changes", stats_changes::SQL),
    ("duplicate_hints", duplicate_hints::SQL),
    ("testing", testing::SQL),
    ("backup", backup::SQL),
];

/// The hub's store on SQL Server.
pub struct MssqlStore {
    pool: Pool,
    options: ConnectOptions,
}

impl MssqlStore {
    /// Reads `url` (see [`connect`]), makes the pool and connects once, so a wrong address, login
    /// or TLS setting fails at start, naming the server (never the password).
    pub async fn open(url: &str, pool_size: usize) -> anyhow::Result<MssqlStore> {
        let options = ConnectOptions::parse(url).context("database.url")?;
        let manager = Manager {
            config: options.tiberius(),
        };
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .runtime(deadpool::Runtime::Tokio1)
            .create_timeout(Some(std::time::Duration::from_secs(30)))
            .wait_timeout(Some(std::time::Duration::from_secs(60)))
            .build()
            .map_err(|e| anyhow!("creating the SQL Server pool: {e}"))?;
        let store = MssqlStore { pool, options };
        let mut c = store
            .conn()
            .await
            .map_err(|e| anyhow!("{e:#}"))
            .with_context(|| format!("connecting to SQL Server at {}", store.options.redacted()))?;
        if let Ok(Some(row)) = c.row(DATABASE_COLLATION, &[]).await {
            let collation = conn::opt_str(&row, 0).ok().flatten().unwrap_or_default();
            if !collation.to_ascii_uppercase().contains("_BIN") {
                tracing::warn!(
                    collation = %collation,
                    "the hub's database does not have a binary collation: codes that differ only in case or width \
                     compare equal here, unlike on SQLite (create it COLLATE Latin1_General_100_BIN2)"
                );
            }
        }
        drop(c);
        Ok(store)
    }

    /// The connection settings (for messages: use [`ConnectOptions::redacted`]).
    pub fn options(&self) -> &ConnectOptions {
        &self.options
    }

    async fn conn(&self) -> StoreResult<Conn> {
        Conn::get(&self.pool).await
    }
}

/// Runs `write` and appends its audit row in one transaction: both commit or neither does
/// (decision 0016). The row takes the audit lock last, after whatever lock `write` took, so
/// every path takes locks in the same order.
async fn audited<T>(
    c: &mut Conn,
    audit: AuditDraft<T>,
    write: impl AsyncFnOnce(&mut Conn) -> StoreResult<T>,
) -> StoreResult<T> {
    c.begin().await?;
    let r = async {
        let done = write(c).await?;
        audit::append(c, &audit.entry_for(&done)).await?;
        Ok(done)
    }
    .await;
    c.finish(r).await
}

#[async_trait]
impl CommonStore for MssqlStore {
    #[tracing::instrument(skip(self))]
    async fn migrate(&self) -> StoreResult<usize> {
        migrations::run(&mut self.conn().await?).await
    }

    /// Read, or generate and insert, under an exclusive application lock on the name: two
    /// processes starting together keep one secret.
    async fn node_secret(&self, name: &str, len: usize) -> StoreResult<Vec<u8>> {
        let mut c = self.conn().await?;
        c.begin().await?;
        let r = async {
            c.lock(&conn::resource("attaka:node_secret", name), LockMode::Exclusive)
                .await?;
            if let Some(r) = c.row(NODE_SECRET, &[&name]).await? {
                return opt_bytes(&r, 0)?
                    .ok_or_else(|| StoreError::Other(anyhow!("empty node secret {name}")));
            }
            let mut v = vec![0u8; len];
            getrandom::fill(&mut v).map_err(|e| anyhow!("random source: {e}"))?;
            c.exec(INSERT_NODE_SECRET, &[&name, &v, &at(Utc::now())]).await?;
            Ok(v)
        }
        .await;
        c.finish(r).await
    }

    async fn codes(&self) -> StoreResult<Codes> {
        org::codes(&mut self.conn().await?).await
    }
    async fn code_items(&self, list: &str) -> StoreResult<Vec<CodeItem>> {
        org::code_items(&mut self.conn().await?, Some(list)).await
    }
    async fn municipalities(&self) -> StoreResult<Vec<(String, String, String, i32)>> {
        org::municipalities(&mut self.conn().await?).await
    }
    async fn centers(&self) -> StoreResult<Vec<Center>> {
        org::centers(&mut self.conn().await?).await
    }
    async fn center(&self, code: &str) -> StoreResult<Center> {
        org::center(&mut self.conn().await?, code).await
    }
    async fn upsert_center(&self, center: &Center) -> StoreResult<()> {
        org::upsert_center(&mut self.conn().await?, center).await
    }
    async fn sites(&self, center: Option<&str>) -> StoreResult<Vec<Site>> {
        org::sites(&mut self.conn().await?, center).await
    }
    async fn upsert_site(&self, site: &Site) -> StoreResult<()> {
        org::upsert_site(&mut self.conn().await?, site).await
    }
    async fn regions(&self) -> StoreResult<Vec<crate::domain::region::Region>> {
        org::regions(&mut self.conn().await?).await
    }
    async fn put_region(
        &self,
        region: &crate::domain::region::Region,
        audit: AuditDraft<crate::domain::region::Region>,
    ) -> StoreResult<crate::domain::region::Region> {
        audited(&mut self.conn().await?, audit, async |c| {
            org::put_region(c, region).await
        })
        .await
    }

    async fn create_account(
        &self,
        account: &NewAccountRecord,
        audit: AuditDraft<Account>,
    ) -> StoreResult<Account> {
        audited(&mut self.conn().await?, audit, async |c| {
            accounts::create(c, account).await
        })
        .await
    }
    async fn find_account(&self, username: &str) -> StoreResult<Option<Account>> {
        accounts::by_username(&mut self.conn().await?, username).await
    }
    async fn account(&self, id: i64) -> StoreResult<Account> {
        accounts::by_id(&mut self.conn().await?, id).await
    }
    async fn accounts(&self) -> StoreResult<Vec<Account>> {
        accounts::all(&mut self.conn().await?).await
    }
    async fn record_login_failure(
        &self,
        id: i64,
        threshold: i64,
        lock_until: DateTime<Utc>,
    ) -> StoreResult<Account> {
        accounts::login_failed(&mut self.conn().await?, id, threshold, lock_until).await
    }
    async fn record_login_success(&self, id: i64) -> StoreResult<()> {
        accounts::login_succeeded(&mut self.conn().await?, id).await
    }
    async fn unlock_account(&self, id: i64, audit: AuditDraft<()>) -> StoreResult<()> {
        audited(&mut self.conn().await?, audit, async |c| {
            accounts::login_succeeded(c, id).await
        })
        .await
    }
    async fn set_account_disabled(&self, id: i64, disabled: bool, audit: AuditDraft<()>) -> StoreResult<()> {
        audited(&mut self.conn().await?, audit, async |c| {
            accounts::set_disabled(c, id, disabled).await
        })
        .await
    }
    async fn set_password(&self, id: i64, password_hash: &str) -> StoreResult<()> {
        accounts::set_password(&mut self.conn().await?, id, password_hash).await
    }
    async fn change_password(
        &self,
        id: i64,
        password_hash: &str,
        must_change: bool,
        audit: AuditDraft<()>,
    ) -> StoreResult<()> {
        audited(&mut self.conn().await?, audit, async |c| {
            accounts::change_password(c, id, password_hash, must_change).await
        })
        .await
    }
    async fn insert_refresh(&self, grant: &RefreshGrant) -> StoreResult<()> {
        accounts::insert_refresh(&mut self.conn().await?, grant).await
    }
    async fn use_refresh(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<RefreshUse> {
        accounts::use_refresh(&mut self.conn().await?, token_hash, now).await
    }
    async fn revoke_session(&self, session: &str) -> StoreResult<()> {
        accounts::revoke_session(&mut self.conn().await?, session).await
    }
    async fn session_principal(&self, session: &str, account_id: i64) -> StoreResult<Option<Principal>> {
        accounts::session_principal(&mut self.conn().await?, session, account_id).await
    }

    async fn create_api_token(
        &self,
        token: &ApiToken,
        token_hash: &str,
        created_by: Option<i64>,
        audit: AuditDraft<ApiToken>,
    ) -> StoreResult<ApiToken> {
        audited(&mut self.conn().await?, audit, async |c| {
            accounts::create_api_token(c, token, token_hash, created_by).await
        })
        .await
    }
    async fn api_token_by_hash(&self, token_hash: &str) -> StoreResult<Option<ApiToken>> {
        accounts::api_token_by_hash(&mut self.conn().await?, token_hash).await
    }
    async fn api_tokens(&self) -> StoreResult<Vec<ApiToken>> {
        accounts::api_tokens(&mut self.conn().await?).await
    }
    async fn revoke_api_token(&self, id: i64, audit: AuditDraft<()>) -> StoreResult<()> {
        audited(&mut self.conn().await?, audit, async |c| {
            accounts::revoke_api_token(c, id).await
        })
        .await
    }

    #[tracing::instrument(skip(self, people), fields(n = people.len()))]
    async fn import_persons(&self, people: &[Person]) -> StoreResult<usize> {
        facts::import_persons(&mut self.conn().await?, people).await
    }
    #[tracing::instrument(skip(self, records), fields(n = records.len()))]
    async fn import_activities(&self, records: &[ActivityRecord]) -> StoreResult<usize> {
        facts::import_activities(&mut self.conn().await?, records).await
    }

    async fn period_locks(&self, include_unlocked: bool) -> StoreResult<Vec<PeriodLock>> {
        period_locks::list(&mut self.conn().await?, include_unlocked).await
    }
    #[tracing::instrument(skip(self))]
    async fn lock_period(
        &self,
        lock: &NewPeriodLock,
        by: &str,
        audit: AuditDraft<Recorded<PeriodLock>>,
    ) -> StoreResult<Recorded<PeriodLock>> {
        period_locks::lock(&mut self.conn().await?, lock, by, audit).await
    }
    #[tracing::instrument(skip(self))]
    async fn unlock_period(
        &self,
        id: i64,
        by: &str,
        audit: AuditDraft<PeriodLock>,
    ) -> StoreResult<PeriodLock> {
        period_locks::unlock(&mut self.conn().await?, id, by, audit).await
    }

    #[tracing::instrument(skip(self))]
    async fn stats(&self, query: &crate::stats::StatsQuery) -> StoreResult<Vec<(Vec<String>, Vec<u64>)>> {
        stats::stats(&mut self.conn().await?, query).await
    }

    #[tracing::instrument(skip(self, rows))]
    async fn extract(
        &self,
        query: &crate::stats::extract::ExtractQuery,
        rows: tokio::sync::mpsc::Sender<crate::stats::extract::Rows>,
    ) -> StoreResult<u64> {
        extracts::extract(&mut self.conn().await?, query, rows).await
    }

    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        audit::append_alone(&mut self.conn().await?, entry).await
    }
    async fn audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
        audit::query(&mut self.conn().await?, query).await
    }
    async fn verify_audit_chain(&self) -> StoreResult<ChainReport> {
        audit::verify_chain(&mut self.conn().await?).await
    }
    async fn purge_audit(&self, before: DateTime<Utc>, at: DateTime<Utc>) -> StoreResult<usize> {
        audit::purge(&mut self.conn().await?, before, at).await
    }

    async fn raise_alert(&self, alert: &NewAlert, at: DateTime<Utc>) -> StoreResult<bool> {
        alerts::raise(&mut self.conn().await?, alert, at).await
    }
    async fn clear_alert(&self, event: &str, subject: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        alerts::clear(&mut self.conn().await?, event, subject, at).await
    }
    async fn alerts(&self, open_only: bool) -> StoreResult<Vec<Alert>> {
        alerts::list(&mut self.conn().await?, open_only).await
    }
    async fn start_uptime_run(&self, at: DateTime<Utc>) -> StoreResult<i64> {
        uptime::start(&mut self.conn().await?, at).await
    }
    async fn uptime_heartbeat(&self, run: i64, at: DateTime<Utc>) -> StoreResult<()> {
        uptime::beat(&mut self.conn().await?, run, at).await
    }
    async fn uptime_runs(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<(Vec<Run>, Option<DateTime<Utc>>)> {
        uptime::runs(&mut self.conn().await?, from, to).await
    }
    async fn unmailed_alerts(&self, limit: usize) -> StoreResult<Vec<Alert>> {
        alerts::unmailed(&mut self.conn().await?, limit).await
    }
    async fn mark_alert_mailed(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        alerts::mark_mailed(&mut self.conn().await?, id, at).await
    }
    async fn mark_alert_clear_mailed(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        alerts::mark_clear_mailed(&mut self.conn().await?, id, at).await
    }

    // The operations log (`ops_log`, `ops_changes`): each write and its audit row in one
    // transaction; an alert's incident is opened in `alerts::raise`.
    async fn create_inquiry(
        &self,
        record: &InquiryRecord,
        by: &str,
        at: DateTime<Utc>,
        audit: AuditDraft<Inquiry>,
    ) -> StoreResult<Inquiry> {
        audited(&mut self.conn().await?, audit, async |c| {
            ops_log::create_inquiry(c, record, by, at).await
        })
        .await
    }
    async fn update_inquiry(
        &self,
        id: i64,
        record: &InquiryRecord,
        at: DateTime<Utc>,
        audit: AuditDraft<Inquiry>,
    ) -> StoreResult<Inquiry> {
        audited(&mut self.conn().await?, audit, async |c| {
            ops_log::update_inquiry(c, id, record, at).await
        })
        .await
    }
    async fn inquiry(&self, id: i64) -> StoreResult<Inquiry> {
        ops_log::inquiry(&mut self.conn().await?, id).await
    }
    async fn inquiries(&self, window: LogWindow) -> StoreResult<Vec<Inquiry>> {
        ops_log::inquiries(&mut self.conn().await?, window).await
    }
    async fn create_incident(
        &self,
        record: &IncidentRecord,
        by: &str,
        at: DateTime<Utc>,
        audit: AuditDraft<Incident>,
    ) -> StoreResult<Incident> {
        audited(&mut self.conn().await?, audit, async |c| {
            ops_log::create_incident(c, record, by, at).await
        })
        .await
    }
    async fn update_incident(
        &self,
        id: i64,
        record: &IncidentRecord,
        at: DateTime<Utc>,
        audit: AuditDraft<Incident>,
    ) -> StoreResult<Incident> {
        audited(&mut self.conn().await?, audit, async |c| {
            ops_log::update_incident(c, id, record, at).await
        })
        .await
    }
    async fn incident(&self, id: i64) -> StoreResult<Incident> {
        ops_log::incident(&mut self.conn().await?, id).await
    }
    async fn incidents(&self, window: LogWindow) -> StoreResult<Vec<Incident>> {
        ops_log::incidents(&mut self.conn().await?, window).await
    }
    async fn incident_alerts(&self, id: i64) -> StoreResult<Vec<Alert>> {
        alerts::of_incident(&mut self.conn().await?, id).await
    }
    async fn create_change(
        &self,
        record: &ChangeRecord,
        by: &str,
        at: DateTime<Utc>,
        audit: AuditDraft<Change>,
    ) -> StoreResult<Change> {
        audited(&mut self.conn().await?, audit, async |c| {
            ops_changes::create_change(c, record, by, at).await
        })
        .await
    }
    async fn update_change(
        &self,
        id: i64,
        record: &ChangeRecord,
        at: DateTime<Utc>,
        audit: AuditDraft<Change>,
    ) -> StoreResult<Change> {
        audited(&mut self.conn().await?, audit, async |c| {
            ops_changes::update_change(c, id, record, at).await
        })
        .await
    }
    async fn changes(&self, window: LogWindow) -> StoreResult<Vec<Change>> {
        ops_changes::changes(&mut self.conn().await?, window).await
    }
    async fn record_auto_change(
        &self,
        key: &str,
        record: &ChangeRecord,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        ops_changes::record_auto_change(&mut self.conn().await?, key, record, at).await
    }
    async fn latest_auto_change_key(&self, prefix: &str) -> StoreResult<Option<String>> {
        ops_changes::latest_auto_change_key(&mut self.conn().await?, prefix).await
    }
    async fn applied_migrations(&self) -> StoreResult<Vec<AppliedMigration>> {
        ops_changes::applied_migrations(&mut self.conn().await?).await
    }
    async fn create_maintenance(
        &self,
        record: &MaintenanceRecord,
        by: &str,
        at: DateTime<Utc>,
        audit: AuditDraft<Maintenance>,
    ) -> StoreResult<Maintenance> {
        audited(&mut self.conn().await?, audit, async |c| {
            ops_changes::create_maintenance(c, record, by, at).await
        })
        .await
    }
    async fn cancel_maintenance(
        &self,
        id: i64,
        at: DateTime<Utc>,
        audit: AuditDraft<Maintenance>,
    ) -> StoreResult<Maintenance> {
        audited(&mut self.conn().await?, audit, async |c| {
            ops_changes::cancel_maintenance(c, id, at).await
        })
        .await
    }
    async fn maintenance(&self, id: i64) -> StoreResult<Maintenance> {
        ops_changes::maintenance(&mut self.conn().await?, id).await
    }
    async fn maintenance_windows(&self, window: LogWindow) -> StoreResult<Vec<Maintenance>> {
        ops_changes::maintenance_windows(&mut self.conn().await?, window).await
    }

    async fn append_stats_changes(
        &self,
        changes: &[crate::domain::stats_change::StatsChange],
        at: DateTime<Utc>,
    ) -> StoreResult<i64> {
        stats_changes::append(&mut self.conn().await?, changes, at).await
    }
    async fn stats_changes_since(
        &self,
        seq: i64,
        limit: usize,
    ) -> StoreResult<Vec<(i64, crate::domain::stats_change::StatsChange)>> {
        stats_changes::since(&mut self.conn().await?, seq, limit).await
    }
    async fn stats_changes_head(&self) -> StoreResult<i64> {
        stats_changes::head(&mut self.conn().await?).await
    }

    async fn take_lease(&self, name: &str, holder: &str, ttl: chrono::Duration) -> StoreResult<bool> {
        leases::take_lease(&mut self.conn().await?, name, holder, ttl).await
    }
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        leases::release_lease(&mut self.conn().await?, name, holder).await
    }
}

#[async_trait]
impl HubStore for MssqlStore {
    #[tracing::instrument(skip(self, batch), fields(center = %batch.center, batch_seq = batch.batch_seq))]
    async fn apply_sync_batch(
        &self,
        batch: &ValidBatch,
        at: DateTime<Utc>,
        audit: AuditDraft<AppliedBatch>,
    ) -> StoreResult<AppliedBatch> {
        sync::apply(&mut self.conn().await?, batch, at, audit).await
    }
    async fn create_sync_credential(
        &self,
        center: &str,
        token_hash: &str,
        prefix: &str,
        created_by: Option<i64>,
        audit: AuditDraft<SyncCredential>,
    ) -> StoreResult<SyncCredential> {
        sync::create_credential(
            &mut self.conn().await?,
            center,
            token_hash,
            prefix,
            created_by,
            audit,
        )
        .await
    }
    async fn sync_credentials(&self) -> StoreResult<Vec<SyncCredential>> {
        sync::credentials(&mut self.conn().await?).await
    }
    async fn sync_credential_by_hash(&self, token_hash: &str) -> StoreResult<Option<SyncCredential>> {
        sync::credential_by_hash(&mut self.conn().await?, token_hash).await
    }
    async fn revoke_sync_credential(
        &self,
        id: i64,
        audit: AuditDraft<SyncCredential>,
    ) -> StoreResult<SyncCredential> {
        sync::revoke_credential(&mut self.conn().await?, id, audit).await
    }
    async fn sync_centers(&self) -> StoreResult<Vec<CenterSyncState>> {
        sync::centers(&mut self.conn().await?).await
    }
    async fn sync_position(&self, center: &str) -> StoreResult<Option<StreamPosition>> {
        sync::position(&mut self.conn().await?, center).await
    }
    async fn note_resend(
        &self,
        center: &str,
        acked: &StreamPosition,
        hub: Option<&StreamPosition>,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sync_resends::note_resend(&mut self.conn().await?, center, acked, hub, at).await
    }
    async fn end_resend(&self, center: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        sync_resends::end_resend(&mut self.conn().await?, center, at).await
    }
    async fn resends(&self, since: DateTime<Utc>) -> StoreResult<Vec<Resend>> {
        sync_resends::resends(&mut self.conn().await?, since).await
    }
    async fn duplicate_hint_candidates(
        &self,
        match_key: &str,
        asking_center: &str,
    ) -> StoreResult<Vec<shared::dto::duplicate_hint::DuplicateHintCandidate>> {
        duplicate_hints::candidates(&mut self.conn().await?, match_key, asking_center).await
    }
    async fn clear_duplicate_hints(&self) -> StoreResult<usize> {
        duplicate_hints::clear(&mut self.conn().await?).await
    }
}
