//! Storage: one trait, one module per SQL dialect. All SQL lives below this module.

pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::common_id::{CenterCode, CommonId};

use crate::config::Settings;
use crate::domain::account::{Account, ApiToken, NewAccountRecord, Principal};
use crate::domain::audit::{AuditEntry, AuditQuery, AuditRecord};
use crate::domain::codes::{CodeItem, Codes};
use crate::domain::org::{Center, Site};
use crate::domain::person::{Ending, Person, PersonQuery, PersonRecord};

/// What can go wrong in storage, in storage words.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was hit; the string names which.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A reference to something that does not exist (a centre, a municipality).
    #[error("missing reference: {0}")]
    MissingReference(&'static str),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
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

#[async_trait]
pub trait Store: Send + Sync {
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

    // Accounts and sessions.
    async fn create_account(&self, account: &NewAccountRecord) -> StoreResult<Account>;
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
    async fn unlock_account(&self, id: i64) -> StoreResult<()>;
    async fn set_account_disabled(&self, id: i64, disabled: bool) -> StoreResult<()>;
    async fn set_password(&self, id: i64, password_hash: &str) -> StoreResult<()>;
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
    ) -> StoreResult<ApiToken>;
    async fn api_token_by_hash(&self, token_hash: &str) -> StoreResult<Option<ApiToken>>;
    async fn api_tokens(&self) -> StoreResult<Vec<ApiToken>>;
    async fn revoke_api_token(&self, id: i64) -> StoreResult<()>;

    // People (centre node).
    /// Registers a person: issues the next common ID of `center` when `existing` is none.
    async fn register_person(
        &self,
        center: &CenterCode,
        existing: Option<&CommonId>,
        record: &PersonRecord,
    ) -> StoreResult<Person>;
    async fn person(&self, center: &str, id: &CommonId) -> StoreResult<Person>;
    async fn update_person(&self, center: &str, id: &CommonId, record: &PersonRecord) -> StoreResult<Person>;
    async fn end_person(&self, center: &str, id: &CommonId, ending: &Ending) -> StoreResult<Person>;
    async fn persons(&self, center: &str, query: &PersonQuery) -> StoreResult<(Vec<Person>, u64)>;

    // Audit.
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    async fn audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>>;
}

/// Opens the store named by the configured database URL.
pub async fn open(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let url = settings.database_url();
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let store = sqlite::SqliteStore::open(path, settings.database.pool_size, settings.node.role).await?;
        Ok(Arc::new(store))
    } else {
        anyhow::bail!("unsupported database URL {url:?}: only sqlite: is built in so far")
    }
}
