//! Storage: one trait per node role (the common part, the centre's, the hub's), one module per
//! SQL dialect. All SQL lives below this module.

pub mod mssql;
pub mod sqlite;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::common_id::{CenterCode, CommonId};
use uuid::Uuid;

use crate::config::Settings;
use crate::domain::account::{Account, ApiToken, NewAccountRecord, Principal};
use crate::domain::activity::{
    Activity, ActivityListItem, ActivityQuery, ActivityRecord, Participation, PersonParticipationRow,
};
use crate::domain::alert::{Alert, NewAlert};
use crate::domain::audit::{AuditDraft, AuditEntry, AuditQuery, AuditRecord, ChainReport};
use crate::domain::codes::{CodeItem, Codes};
use crate::domain::ops_log::auto_changes::AppliedMigration;
use crate::domain::ops_log::{
    Change, ChangeRecord, Incident, IncidentRecord, Inquiry, InquiryRecord, LogWindow, Maintenance,
    MaintenanceRecord,
};
use crate::domain::org::{Center, Site};
use crate::domain::period_lock::{HubLock, HubLocksApplied, NewPeriodLock, PeriodLock};
use crate::domain::person::{Ending, Person, PersonQuery, PersonRecord};
use crate::domain::sync::{
    AppliedBatch, CenterSyncState, OutboxState, OutgoingBatch, StreamPosition, SyncCredential, ValidBatch,
};
use shared::dto::meta::NodeRole;

/// What can go wrong in storage, in storage words.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or state rule was hit; the kind names which.
    #[error("conflict: {0}")]
    Conflict(ConflictKind),
    /// A reference to something that does not exist (a centre, a municipality).
    #[error("missing reference: {0}")]
    MissingReference(Reference),
    /// The write falls in a locked period; the string names the period (e.g. `2024年5月`).
    #[error("period locked: {0}")]
    PeriodLocked(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Which rule a write ran into ([`StoreError::Conflict`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// The username is taken.
    Username,
    /// The person is already registered at the centre under this common ID.
    CommonId,
    /// Another activity was recorded under this ID.
    ActivityId,
    /// The period lock is already unlocked.
    AlreadyUnlocked,
    /// Centre node: the lock is the hub's mirrored lock.
    PeriodLockFromHub,
    /// Hub: the batch does not follow on from what was applied.
    SyncOutOfOrder,
    /// Hub: the record belongs to another centre.
    SyncForeignRecord,
    /// The centre has issued every serial a common ID can have.
    SerialExhausted,
    /// The registration date breaks a rule of the stored record.
    RegisteredOn,
    /// The end date breaks a rule of the stored record.
    EndedOn,
    /// A municipality would belong to two regions at once.
    RegionMembership,
}

// The domain's decisions in store words: every dialect's store reaches them through `?`.
impl From<crate::domain::period_lock::PeriodLocked> for StoreError {
    fn from(e: crate::domain::period_lock::PeriodLocked) -> Self {
        StoreError::PeriodLocked(e.0)
    }
}

impl From<crate::domain::period_lock::UnlockRefusal> for StoreError {
    fn from(e: crate::domain::period_lock::UnlockRefusal) -> Self {
        use crate::domain::period_lock::UnlockRefusal;
        StoreError::Conflict(match e {
            UnlockRefusal::AlreadyUnlocked => ConflictKind::AlreadyUnlocked,
            UnlockRefusal::FromHub => ConflictKind::PeriodLockFromHub,
        })
    }
}

impl From<crate::domain::sync::OutOfOrder> for StoreError {
    fn from(_: crate::domain::sync::OutOfOrder) -> Self {
        StoreError::Conflict(ConflictKind::SyncOutOfOrder)
    }
}

impl From<crate::domain::sync::ForeignRecord> for StoreError {
    fn from(_: crate::domain::sync::ForeignRecord) -> Self {
        StoreError::Conflict(ConflictKind::SyncForeignRecord)
    }
}

impl ConflictKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::Username => "username",
            ConflictKind::CommonId => "common_id",
            ConflictKind::ActivityId => "activity_id",
            ConflictKind::AlreadyUnlocked => "already_unlocked",
            ConflictKind::PeriodLockFromHub => "period_lock_from_hub",
            ConflictKind::SyncOutOfOrder => "sync_out_of_order",
            ConflictKind::SyncForeignRecord => "sync_foreign_record",
            ConflictKind::SerialExhausted => "serial_exhausted",
            ConflictKind::RegisteredOn => "registered_on",
            ConflictKind::EndedOn => "ended_on",
            ConflictKind::RegionMembership => "region_membership",
        }
    }
}

impl std::fmt::Display for ConflictKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a write referred to that does not exist ([`StoreError::MissingReference`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    Center,
    Municipality,
    Site,
    /// A common ID of this centre that it has not issued.
    CommonId,
}

impl Reference {
    /// The request field that names it.
    pub fn field(self) -> &'static str {
        match self {
            Reference::Center => "center",
            Reference::Municipality => "municipality",
            Reference::Site => "site",
            Reference::CommonId => "common_id",
        }
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.field())
    }
}

/// The result of an idempotent create: made now, or found already there with the same content.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded<T> {
    New(T),
    Existing(T),
}

impl<T> Recorded<T> {
    pub fn is_new(&self) -> bool {
        matches!(self, Recorded::New(_))
    }
    pub fn into_inner(self) -> T {
        match self {
            Recorded::New(t) | Recorded::Existing(t) => t,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A new refresh token, stored as a hash.
#[derive(Debug, Clone)]
pub struct RefreshGrant {
    pub token_hash: String,
    pub account_id: i64,
    pub session: String,
    pub expires_at: DateTime<Utc>,
}

/// Result of presenting a refresh token.
#[derive(Debug)]
pub enum RefreshUse {
    /// Valid and now spent: the session and account it belongs to.
    Rotated { account: Account, session: String },
    /// Unknown, expired or revoked.
    Invalid,
    /// Already used once: a sign of theft; the whole session has been revoked.
    Reused,
}

/// What both node roles store: organisation and master data, accounts and tokens, period locks,
/// statistics and extracts over the facts, audit, alerts, uptime and backups.
///
/// Every audited write (here and in [`CenterStore`], [`HubStore`]) takes its audit row as an
/// [`AuditDraft`] and appends it in the write's own transaction: the write and its row commit
/// together or not at all. A write that fails appends nothing.
#[async_trait]
pub trait CommonStore: Send + Sync {
    /// Applies pending migrations; returns how many were applied.
    async fn migrate(&self) -> StoreResult<usize>;
    /// Returns the named node secret, generating `len` random bytes on first use.
    async fn node_secret(&self, name: &str, len: usize) -> StoreResult<Vec<u8>>;

    // Master data and organisation.
    async fn codes(&self) -> StoreResult<Codes>;
    async fn code_items(&self, list: &str) -> StoreResult<Vec<CodeItem>>;
    async fn municipalities(&self) -> StoreResult<Vec<(String, String, String, i32)>>;
    async fn centers(&self) -> StoreResult<Vec<Center>>;
    async fn center(&self, code: &str) -> StoreResult<Center>;
    async fn upsert_center(&self, center: &Center) -> StoreResult<()>;
    async fn sites(&self, center: Option<&str>) -> StoreResult<Vec<Site>>;
    async fn upsert_site(&self, site: &Site) -> StoreResult<()>;
    /// Every region with its memberships, by sort order and code (none on a centre node, where
    /// nobody maintains them).
    async fn regions(&self) -> StoreResult<Vec<crate::domain::region::Region>>;
    /// Creates or replaces a region and its memberships, audited in the same transaction.
    /// Refuses ([`ConflictKind::RegionMembership`]) a membership that another region holds for
    /// a day of the same period, checked on what the transaction reads.
    async fn put_region(
        &self,
        region: &crate::domain::region::Region,
        audit: AuditDraft<crate::domain::region::Region>,
    ) -> StoreResult<crate::domain::region::Region>;

    // The `/stats` result cache's change log (decision 0033).
    /// Appends what a committed write changed; returns the last entry's number.
    async fn append_stats_changes(
        &self,
        changes: &[crate::domain::stats_change::StatsChange],
        at: DateTime<Utc>,
    ) -> StoreResult<i64>;
    /// The entries after `seq`, oldest first, at most `limit`.
    async fn stats_changes_since(
        &self,
        seq: i64,
        limit: usize,
    ) -> StoreResult<Vec<(i64, crate::domain::stats_change::StatsChange)>>;
    /// The newest entry's number (0 when the log is empty).
    async fn stats_changes_head(&self) -> StoreResult<i64>;

    // Accounts and sessions.
    async fn create_account(
        &self,
        account: &NewAccountRecord,
        audit: AuditDraft<Account>,
    ) -> StoreResult<Account>;
    async fn find_account(&self, username: &str) -> StoreResult<Option<Account>>;
    async fn account(&self, id: i64) -> StoreResult<Account>;
    async fn accounts(&self) -> StoreResult<Vec<Account>>;
    /// Counts a failed login; locks the account until `lock_until` when the count reaches
    /// `threshold`. Returns the account after the update.
    async fn record_login_failure(
        &self,
        id: i64,
        threshold: i64,
        lock_until: DateTime<Utc>,
    ) -> StoreResult<Account>;
    async fn record_login_success(&self, id: i64) -> StoreResult<()>;
    async fn unlock_account(&self, id: i64, audit: AuditDraft<()>) -> StoreResult<()>;
    /// Disabling also ends the account's sessions.
    async fn set_account_disabled(&self, id: i64, disabled: bool, audit: AuditDraft<()>) -> StoreResult<()>;
    async fn set_password(&self, id: i64, password_hash: &str) -> StoreResult<()>;
    /// Replaces an account's password; `must_change` makes it choose another at its next login
    /// (an administrator's reset). Clears failed logins and revokes every session of the account
    /// with its refresh tokens, in one transaction with the audit row. `NotFound` when there is
    /// no such account.
    async fn change_password(
        &self,
        id: i64,
        password_hash: &str,
        must_change: bool,
        audit: AuditDraft<()>,
    ) -> StoreResult<()>;
    async fn insert_refresh(&self, grant: &RefreshGrant) -> StoreResult<()>;
    async fn use_refresh(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<RefreshUse>;
    async fn revoke_session(&self, session: &str) -> StoreResult<()>;
    /// The principal behind a live session of an enabled account, if any.
    async fn session_principal(&self, session: &str, account_id: i64) -> StoreResult<Option<Principal>>;

    // Integrator API tokens.
    async fn create_api_token(
        &self,
        token: &ApiToken,
        token_hash: &str,
        created_by: Option<i64>,
        audit: AuditDraft<ApiToken>,
    ) -> StoreResult<ApiToken>;
    async fn api_token_by_hash(&self, token_hash: &str) -> StoreResult<Option<ApiToken>>;
    async fn api_tokens(&self) -> StoreResult<Vec<ApiToken>>;
    async fn revoke_api_token(&self, id: i64, audit: AuditDraft<()>) -> StoreResult<()>;
    /// Loads many people in one transaction (bulk loads such as generated data): facts,
    /// categories, disabilities and, on a centre node, identity; raises each centre's common-ID
    /// counter past the highest serial loaded. A person already there is `Conflict(CommonId)`.
    async fn import_persons(&self, people: &[Person]) -> StoreResult<usize>;
    /// Records many new activities in one transaction (bulk loads such as demo data).
    async fn import_activities(&self, records: &[ActivityRecord]) -> StoreResult<usize>;

    // Period locks.
    async fn period_locks(&self, include_unlocked: bool) -> StoreResult<Vec<PeriodLock>>;
    /// Locks a period; an active lock of the same scope and period is returned as `Existing`.
    async fn lock_period(
        &self,
        lock: &NewPeriodLock,
        by: &str,
        audit: AuditDraft<Recorded<PeriodLock>>,
    ) -> StoreResult<Recorded<PeriodLock>>;
    /// Unlocks an active lock (`NotFound` when there is none with that ID, `Conflict` when it is
    /// already unlocked or is the hub's lock mirrored on a centre node).
    async fn unlock_period(
        &self,
        id: i64,
        by: &str,
        audit: AuditDraft<PeriodLock>,
    ) -> StoreResult<PeriodLock>;

    // Statistics and extracts.
    /// Measures by dimensions (rows with zero everywhere left out, in no order).
    async fn stats(&self, query: &crate::stats::StatsQuery) -> StoreResult<Vec<(Vec<String>, Vec<u64>)>>;
    /// Streams de-identified records to `rows` in chunks; returns how many were sent. Stops
    /// early, without error, when the receiver is dropped.
    async fn extract(
        &self,
        query: &crate::stats::extract::ExtractQuery,
        rows: tokio::sync::mpsc::Sender<crate::stats::extract::Rows>,
    ) -> StoreResult<u64>;

    // Audit.
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    async fn audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>>;
    /// Walks the audit log's hash chain.
    async fn verify_audit_chain(&self) -> StoreResult<ChainReport>;
    /// Removes audit rows older than `before` (recorded, and audited itself); how many went.
    async fn purge_audit(&self, before: DateTime<Utc>, at: DateTime<Utc>) -> StoreResult<usize>;

    // Operational alert events.
    /// Raises an alert, or notes it is still there; true when it was not open before.
    async fn raise_alert(&self, alert: &NewAlert, at: DateTime<Utc>) -> StoreResult<bool>;
    /// Clears the open alert of `event` about `subject`; true when there was one.
    async fn clear_alert(&self, event: &str, subject: &str, at: DateTime<Utc>) -> StoreResult<bool>;
    /// Alerts, newest first.
    async fn alerts(&self, open_only: bool) -> StoreResult<Vec<Alert>>;
    /// Opens the uptime ledger's row for this run of the server.
    async fn start_uptime_run(&self, at: DateTime<Utc>) -> StoreResult<i64>;
    async fn uptime_heartbeat(&self, run: i64, at: DateTime<Utc>) -> StoreResult<()>;
    /// The runs overlapping `[from, to)`, and when the first run ever began.
    async fn uptime_runs(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<(Vec<crate::domain::uptime::Run>, Option<DateTime<Utc>>)>;
    /// Alerts owed a mail to the operator, oldest first, at most `limit`: not yet mailed as
    /// raised, or cleared and not yet mailed as cleared.
    async fn unmailed_alerts(&self, limit: usize) -> StoreResult<Vec<Alert>>;
    /// The alert was mailed as raised.
    async fn mark_alert_mailed(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()>;
    /// The alert was mailed as cleared (no change unless it is cleared).
    async fn mark_alert_clear_mailed(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()>;

    // The operations log. A new alert event (`raise_alert`) opens an incident in the same
    // transaction (`domain::ops_log::incident_from_alert`), or joins the unresolved incident
    // opened by the same event about the same subject.
    async fn create_inquiry(
        &self,
        record: &InquiryRecord,
        by: &str,
        at: DateTime<Utc>,
        audit: AuditDraft<Inquiry>,
    ) -> StoreResult<Inquiry>;
    /// Replaces an inquiry's record (`NotFound` for an unknown ID).
    async fn update_inquiry(
        &self,
        id: i64,
        record: &InquiryRecord,
        at: DateTime<Utc>,
        audit: AuditDraft<Inquiry>,
    ) -> StoreResult<Inquiry>;
    async fn inquiry(&self, id: i64) -> StoreResult<Inquiry>;
    /// Inquiries received before `window.to` and not closed before `window.from`, oldest first.
    async fn inquiries(&self, window: LogWindow) -> StoreResult<Vec<Inquiry>>;
    async fn create_incident(
        &self,
        record: &IncidentRecord,
        by: &str,
        at: DateTime<Utc>,
        audit: AuditDraft<Incident>,
    ) -> StoreResult<Incident>;
    /// Replaces an incident's record; where it came from stays.
    async fn update_incident(
        &self,
        id: i64,
        record: &IncidentRecord,
        at: DateTime<Utc>,
        audit: AuditDraft<Incident>,
    ) -> StoreResult<Incident>;
    async fn incident(&self, id: i64) -> StoreResult<Incident>;
    /// Incidents detected before `window.to` and not resolved before `window.from`, oldest first.
    async fn incidents(&self, window: LogWindow) -> StoreResult<Vec<Incident>>;
    /// The alert events that went into an incident, oldest first.
    async fn incident_alerts(&self, id: i64) -> StoreResult<Vec<Alert>>;
    async fn create_change(
        &self,
        record: &ChangeRecord,
        by: &str,
        at: DateTime<Utc>,
        audit: AuditDraft<Change>,
    ) -> StoreResult<Change>;
    async fn update_change(
        &self,
        id: i64,
        record: &ChangeRecord,
        at: DateTime<Utc>,
        audit: AuditDraft<Change>,
    ) -> StoreResult<Change>;
    /// Changes made within `window`, oldest first.
    async fn changes(&self, window: LogWindow) -> StoreResult<Vec<Change>>;
    /// Records a change the node made itself under `key`, unless one is recorded under it
    /// already (several processes starting at once record it once); true when recorded now.
    async fn record_auto_change(
        &self,
        key: &str,
        record: &ChangeRecord,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// The key of the newest automatic change whose key starts with `prefix`.
    async fn latest_auto_change_key(&self, prefix: &str) -> StoreResult<Option<String>>;
    /// The database's migrations as it lists them, in order.
    async fn applied_migrations(&self) -> StoreResult<Vec<AppliedMigration>>;
    /// Records a maintenance window announced at `at`.
    async fn create_maintenance(
        &self,
        record: &MaintenanceRecord,
        by: &str,
        at: DateTime<Utc>,
        audit: AuditDraft<Maintenance>,
    ) -> StoreResult<Maintenance>;
    /// Cancels a window (`NotFound` for an unknown ID; cancelling again changes nothing).
    async fn cancel_maintenance(
        &self,
        id: i64,
        at: DateTime<Utc>,
        audit: AuditDraft<Maintenance>,
    ) -> StoreResult<Maintenance>;
    async fn maintenance(&self, id: i64) -> StoreResult<Maintenance>;
    /// Windows overlapping `window` (cancelled ones too), by start.
    async fn maintenance_windows(&self, window: LogWindow) -> StoreResult<Vec<Maintenance>>;

    // Leases: one process of several on the database runs a job.
    /// Takes or renews the lease `name` for `holder` for `ttl` from the moment the database
    /// writes it, by the database's clock: true when `holder` holds it now (it was free, expired,
    /// or already its own), false when another holder's lease runs. The caller's clock plays no
    /// part: a renewal that reaches the database late (a slow server, a wait for a connection)
    /// must not write an expiry already past, and hub processes on several hosts must not depend
    /// on their clocks agreeing.
    async fn take_lease(&self, name: &str, holder: &str, ttl: chrono::Duration) -> StoreResult<bool>;
    /// Gives the lease up if `holder` holds it, so another process may take it at once.
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()>;
}

/// What only a centre node stores: people with their identity, the activities staff record,
/// the outbox to the hub and the mirror of the hub's period locks. A hub has no value of this
/// type, so it cannot reach person data even by mistake.
#[async_trait]
pub trait CenterStore: CommonStore {
    // People (centre node).
    /// Registers a person: issues the next common ID of `center` when `existing` is none.
    async fn register_person(
        &self,
        center: &CenterCode,
        existing: Option<&CommonId>,
        record: &PersonRecord,
        audit: AuditDraft<Person>,
    ) -> StoreResult<Person>;
    async fn person(&self, center: &str, id: &CommonId) -> StoreResult<Person>;
    async fn update_person(
        &self,
        center: &str,
        id: &CommonId,
        record: &PersonRecord,
        audit: AuditDraft<Person>,
    ) -> StoreResult<Person>;
    async fn end_person(
        &self,
        center: &str,
        id: &CommonId,
        ending: &Ending,
        audit: AuditDraft<Person>,
    ) -> StoreResult<Person>;
    async fn persons(&self, center: &str, query: &PersonQuery) -> StoreResult<(Vec<Person>, u64)>;

    /// The people of `center` among `ids` (unknown ones left out), with identity (centre node).
    async fn persons_by_ids(&self, center: &str, ids: &[CommonId]) -> StoreResult<Vec<Person>>;

    // Activities and participations. Every write is refused with `PeriodLocked` when the
    // activity's date (before or after the change) lies in a locked period of its centre.
    /// Records a new activity; the same activity sent again under its ID is `Existing`, a
    /// different one under that ID is `Conflict(ActivityId)`. The audit row is appended for an
    /// `Existing` one too (the call is recorded, the activity is not recorded again).
    async fn create_activity(
        &self,
        record: &ActivityRecord,
        audit: AuditDraft<Recorded<Activity>>,
    ) -> StoreResult<Recorded<Activity>>;
    async fn activity(&self, center: &str, id: Uuid) -> StoreResult<Activity>;
    /// Replaces an activity and its participations.
    async fn update_activity(
        &self,
        record: &ActivityRecord,
        audit: AuditDraft<Activity>,
    ) -> StoreResult<Activity>;
    async fn delete_activity(&self, center: &str, id: Uuid, audit: AuditDraft<()>) -> StoreResult<()>;
    /// Adds or replaces one participation of an activity.
    async fn put_participation(
        &self,
        center: &str,
        activity: Uuid,
        participation: &Participation,
        audit: AuditDraft<Activity>,
    ) -> StoreResult<Activity>;
    async fn delete_participation(
        &self,
        center: &str,
        activity: Uuid,
        common_id: &CommonId,
        audit: AuditDraft<Activity>,
    ) -> StoreResult<Activity>;
    /// Activities of `center` in date and start-time order, with their participant counts.
    async fn activities(&self, center: &str, query: &ActivityQuery) -> StoreResult<Vec<ActivityListItem>>;
    /// A person's participations at `center`, newest first, and how many there are in all.
    async fn participations_of(
        &self,
        center: &str,
        common_id: &CommonId,
        offset: u64,
        limit: u64,
    ) -> StoreResult<(Vec<PersonParticipationRow>, u64)>;
    /// Centre node: mirrors the hub's complete list of locks covering this centre in one
    /// transaction (new ones locked, unlocked ones unlocked, each change audited), and records
    /// the pull as successful. Applying the same list again changes nothing.
    async fn apply_hub_locks(&self, locks: &[HubLock], at: DateTime<Utc>) -> StoreResult<HubLocksApplied>;
    /// Centre node: records a failed pull of the hub's locks (for `/sync/status`).
    async fn hub_locks_pull_failed(&self, error: &str) -> StoreResult<()>;

    // Synchronisation, centre side: the outbox of changes to facts. Once started, every write to persons, activities,
    // participations and sites adds its entry in its own transaction.
    /// Starts synchronisation of `center` on first use: a new stream whose first entries are a
    /// full snapshot of what the node holds. Returns whether it started now.
    async fn sync_start(&self, center: &str) -> StoreResult<bool>;
    /// Starts a new stream with a full snapshot, replacing the entries not yet acknowledged;
    /// returns how many entries the snapshot has.
    async fn sync_resnapshot(&self, center: &str) -> StoreResult<usize>;
    /// The batch to deliver: the one in flight again, unchanged, or the next entries waiting.
    async fn sync_next_batch(
        &self,
        max_entries: usize,
        max_bytes: usize,
    ) -> StoreResult<Option<OutgoingBatch>>;
    /// The hub acknowledged everything up to `last_seq` of `stream`.
    async fn sync_acknowledge(
        &self,
        stream: Uuid,
        batch_seq: u64,
        last_seq: u64,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn sync_failed(&self, error: &str, at: DateTime<Utc>) -> StoreResult<()>;
    /// The outbox and its delivery, once synchronisation has started.
    async fn sync_outbox(&self) -> StoreResult<Option<OutboxState>>;
}

/// What only the prefecture hub stores: the centres' delivered facts, their sync credentials
/// and the optional duplicate hint's match keys.
#[async_trait]
pub trait HubStore: CommonStore {
    // Synchronisation, hub side: what centres deliver, and their credentials.
    /// Applies a centre's batch in one transaction, each entry at most once and in order;
    /// `Conflict(SyncOutOfOrder)` (nothing applied) when it does not follow on.
    async fn apply_sync_batch(
        &self,
        batch: &ValidBatch,
        at: DateTime<Utc>,
        audit: AuditDraft<AppliedBatch>,
    ) -> StoreResult<AppliedBatch>;
    async fn create_sync_credential(
        &self,
        center: &str,
        token_hash: &str,
        prefix: &str,
        created_by: Option<i64>,
        audit: AuditDraft<SyncCredential>,
    ) -> StoreResult<SyncCredential>;
    async fn sync_credentials(&self) -> StoreResult<Vec<SyncCredential>>;
    async fn sync_credential_by_hash(&self, token_hash: &str) -> StoreResult<Option<SyncCredential>>;
    /// Revokes a credential (again: no change; the call is still audited).
    async fn revoke_sync_credential(
        &self,
        id: i64,
        audit: AuditDraft<SyncCredential>,
    ) -> StoreResult<SyncCredential>;
    /// Every centre that has synchronised or holds a credential.
    async fn sync_centers(&self) -> StoreResult<Vec<CenterSyncState>>;
    /// How far the hub has applied `center`'s outbox; none before its first delivery.
    async fn sync_position(&self, center: &str) -> StoreResult<Option<StreamPosition>>;
    /// Notes that `center` is re-sending because the hub (at `hub`) was behind what it had
    /// acknowledged (`acked`); an open note stays as first made, an ended one is opened afresh.
    async fn note_resend(
        &self,
        center: &str,
        acked: &StreamPosition,
        hub: Option<&StreamPosition>,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// `center` is level with the hub again: ends its open note, if any (true when it did).
    async fn end_resend(&self, center: &str, at: DateTime<Utc>) -> StoreResult<bool>;
    /// The notes still open and those ended at or after `since`, by centre.
    async fn resends(&self, since: DateTime<Utc>) -> StoreResult<Vec<crate::domain::sync::Resend>>;

    // The optional duplicate hint (hub).
    /// Registrations at centres other than `asking_center` whose match key is `match_key`,
    /// except common IDs `asking_center` already has on the hub.
    async fn duplicate_hint_candidates(
        &self,
        match_key: &str,
        asking_center: &str,
    ) -> StoreResult<Vec<shared::dto::duplicate_hint::DuplicateHintCandidate>>;
    /// Deletes every stored match key (the hint is off); returns how many there were.
    async fn clear_duplicate_hints(&self) -> StoreResult<usize>;
}

/// The dialect's part of backups: a consistent copy of the live database into a file, the
/// dialect's own check of such a copy, and putting a copy back while the node is stopped.
/// Generations, manifests, checksums, pruning and the one-generation-at-a-time fallback are
/// the same for every dialect and live in `ops::backup`. The methods block (files, a whole
/// database): call them off the async threads.
pub trait BackupEngine: Send + Sync {
    /// How a copy's file name ends (`.sqlite3`, `.bak`).
    fn extension(&self) -> &'static str;
    /// Writes a consistent copy of the database to `path` while the node may be serving.
    fn copy_to(&self, path: &Path) -> anyhow::Result<()>;
    /// The dialect's check of the copy at `path`; the schema version it holds, or why it is
    /// not usable (in Japanese, for the operator).
    fn verify(&self, path: &Path) -> Result<u32, String>;
    /// Puts the copy at `path` in place of the database (the node must be stopped); where the
    /// database it replaced was kept, if there was one.
    fn restore_from(&self, path: &Path, now: DateTime<Utc>) -> anyhow::Result<Option<PathBuf>>;
    /// Whether the node itself writes the copies (and so flushes them and makes them
    /// owner-only); false when the database server writes them under its own account.
    fn node_writes_copies(&self) -> bool {
        true
    }
}

/// The backup engine of the configured database's dialect.
pub fn backup_engine(settings: &Settings) -> anyhow::Result<Box<dyn BackupEngine>> {
    if let Some(db) = settings.sqlite_path() {
        return Ok(Box::new(sqlite::backup::SqliteBackups::new(db)));
    }
    if let Some(url) = settings.sql_server_url() {
        let server = mssql::connect::ConnectOptions::parse(&url)?;
        let server_dir = match &settings.backup.server_dir {
            Some(dir) => dir.clone(),
            None => settings.backup_dir().display().to_string(),
        };
        return Ok(Box::new(mssql::backup::MssqlBackups::new(server, server_dir)));
    }
    anyhow::bail!("no backup engine for this database URL")
}

/// The store of this node, typed by its role: a node holds exactly the traits its role may use.
#[derive(Clone)]
pub enum NodeStore {
    Center(Arc<dyn CenterStore>),
    Hub(Arc<dyn HubStore>),
}

impl NodeStore {
    /// The part both roles use.
    pub fn common(&self) -> Arc<dyn CommonStore> {
        match self {
            NodeStore::Center(s) => s.clone(),
            NodeStore::Hub(s) => s.clone(),
        }
    }
    pub fn center(&self) -> Option<&Arc<dyn CenterStore>> {
        match self {
            NodeStore::Center(s) => Some(s),
            NodeStore::Hub(_) => None,
        }
    }
    pub fn hub(&self) -> Option<&Arc<dyn HubStore>> {
        match self {
            NodeStore::Hub(s) => Some(s),
            NodeStore::Center(_) => None,
        }
    }
    pub fn role(&self) -> NodeRole {
        match self {
            NodeStore::Center(_) => NodeRole::Center,
            NodeStore::Hub(_) => NodeRole::Hub,
        }
    }
}

/// Opens the store named by the configured database URL, typed by the node's role.
pub async fn open(settings: &Settings) -> anyhow::Result<NodeStore> {
    if let Some(path) = settings.sqlite_path() {
        let path = path
            .to_str()
            .ok_or_else(|| anyhow::anyhow!("the SQLite path is not UTF-8"))?;
        let pool_size = settings.database.pool_size;
        let budgets = query_budgets(settings);
        Ok(match settings.node.role {
            NodeRole::Center => {
                let store = sqlite::SqliteStore::<sqlite::CenterNode>::open(path, pool_size)
                    .await?
                    .with_query_budgets(budgets)
                    // Only a centre node holds the prefecture's duplicate-hint key.
                    .with_match_keyer(settings.duplicate_hint.keyer());
                NodeStore::Center(Arc::new(store))
            }
            NodeRole::Hub => NodeStore::Hub(Arc::new(
                sqlite::SqliteStore::<sqlite::HubNode>::open(path, pool_size)
                    .await?
                    .with_query_budgets(budgets),
            )),
        })
    } else if let Some(url) = settings.sql_server_url() {
        match settings.node.role {
            NodeRole::Hub => Ok(NodeStore::Hub(Arc::new(
                mssql::MssqlStore::open(&url, settings.database.pool_size).await?,
            ))),
            NodeRole::Center => anyhow::bail!(
                "a centre node cannot use SQL Server: its people's personal data stays in its embedded \
                 SQLite database (set database.url to sqlite://… or leave it unset); SQL Server is for \
                 the prefecture hub"
            ),
        }
    } else {
        anyhow::bail!(
            "unsupported database URL: use sqlite://… or, on the hub, sqlserver://… (or Server=…;…)"
        )
    }
}

/// The SQL time budgets of `[stats]`: a second beyond what the request waits, so the request
/// answers its 422 first and the SQL it no longer waits for is interrupted just after.
fn query_budgets(settings: &Settings) -> sqlite::QueryBudgets {
    let margin = std::time::Duration::from_secs(1);
    sqlite::QueryBudgets {
        stats: Some(std::time::Duration::from_millis(settings.stats.timeout_ms) + margin),
        extract: Some(std::time::Duration::from_millis(settings.stats.extract_timeout_ms) + margin),
    }
}

/// Opens the store for commands that use only the common part (whatever the role).
pub async fn open_common(settings: &Settings) -> anyhow::Result<Arc<dyn CommonStore>> {
    Ok(open(settings).await?.common())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(role: NodeRole, url: &str) -> Settings {
        let mut s = Settings::load_unchecked(None).expect("default settings");
        s.node.role = role;
        s.node.center = (role == NodeRole::Center).then(|| "C001".to_owned());
        s.database.url = Some(url.to_owned());
        s
    }

    #[tokio::test]
    async fn a_centre_node_never_opens_a_sql_server_store() {
        let s = settings(
            NodeRole::Center,
            "sqlserver://hub:secret@127.0.0.1:1/attaka?encrypt=none",
        );
        let e = open(&s).await.err().expect("refused").to_string();
        assert!(e.contains("centre node cannot use SQL Server"), "{e}");
    }

    #[tokio::test]
    async fn a_hub_that_cannot_reach_its_sql_server_says_where_without_the_password() {
        let s = settings(
            NodeRole::Hub,
            "sqlserver://hub:secret@127.0.0.1:1/attaka?encrypt=none",
        );
        let e = format!("{:#}", open(&s).await.err().expect("no server there"));
        assert!(e.contains("127.0.0.1:1"), "{e}");
        assert!(!e.contains("secret"), "{e}");
    }
}
