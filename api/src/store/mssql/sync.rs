//! SQL for the hub's side of synchronisation: applying a centre's batch in order and exactly
//! once (the order rule is `ValidBatch::plan`'s), the centres' credentials, and how far
//! each centre has been applied.

use anyhow::anyhow;
use chrono::{DateTime, Utc};
use tiberius::Row;

use super::conn::{
    at, int, is_constraint_violation, is_unique_violation, opt_int, opt_ts, str, ts, Conn, LockMode,
};
use super::facts::{self, facts_lock, ActivityRow, INSERT_ACTIVITIES, UPDATE_ACTIVITY};
use super::{duplicate_hints, org};
use crate::domain::activity::ActivityRecord;
use crate::domain::audit::AuditDraft;
use crate::domain::org::Site;
use crate::domain::sync::{check_owner, check_participation_target, FactsTouched, StreamPosition};
use crate::domain::sync::{
    AppliedBatch, CenterSyncState, Change, PersonFactsRecord, SyncCredential, ValidBatch,
};
use crate::store::{ConflictKind, Reference, StoreError, StoreResult};
use uuid::Uuid;

pub(super) const STATE: &str = "SELECT stream, last_seq FROM sync_centers WHERE center = @P1";
pub(super) const UPDATE_STATE: &str =
    "UPDATE sync_centers SET stream = @P2, last_seq = @P3, last_batch_seq = @P4,
     last_batch_at = @P5 WHERE center = @P1";
pub(super) const INSERT_STATE: &str =
    "INSERT INTO sync_centers (center, stream, last_seq, last_batch_seq, last_batch_at)
     VALUES (@P1, @P2, @P3, @P4, @P5)";
pub(super) const DELETE_CENTER_ACTIVITIES: &str = "DELETE FROM activities WHERE center = @P1";
pub(super) const DELETE_CENTER_PERSONS: &str = "DELETE FROM persons WHERE center = @P1";
pub(super) const UPDATE_PERSON: &str =
    "UPDATE persons SET sex = @P3, birth_year_month = @P4, residence_municipality = @P5, care_level = @P6,
            household = @P7, registered_on = @P8, ended_on = @P9, end_reason = @P10, updated_at = @P11
     WHERE center = @P1 AND common_id = @P2";
pub(super) const INSERT_PERSON: &str =
    "INSERT INTO persons (center, common_id, sex, birth_year_month, residence_municipality, care_level,
                          household, registered_on, ended_on, end_reason, created_at, updated_at)
     VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P11)";
pub(super) const DELETE_PERSON_CATEGORIES: &str =
    "DELETE FROM person_categories WHERE center = @P1 AND common_id = @P2";
pub(super) const ACTIVITY_CENTER: &str = "SELECT center, fiscal_year FROM activities WHERE id = @P1";
pub(super) const DELETE_PARTICIPATIONS: &str = "DELETE FROM participations WHERE activity_id = @P1";
pub(super) const DELETE_PARTICIPATION: &str =
    "DELETE FROM participations WHERE activity_id = @P1 AND common_id = @P2";
pub(super) const DELETE_ACTIVITY: &str = "DELETE FROM activities WHERE id = @P1 AND center = @P2";
pub(super) const INSERT_CREDENTIAL: &str =
    "INSERT INTO sync_credentials (center, token_hash, prefix, created_by, created_at)
     OUTPUT INSERTED.id
     VALUES (@P1, @P2, @P3, @P4, @P5)";
pub(super) const CREDENTIAL_BY_ID: &str =
    "SELECT id, center, prefix, created_at, revoked_at FROM sync_credentials WHERE id = @P1";
pub(super) const CREDENTIALS: &str =
    "SELECT id, center, prefix, created_at, revoked_at FROM sync_credentials ORDER BY center, id";
pub(super) const CREDENTIAL_BY_HASH: &str =
    "SELECT id, center, prefix, created_at, revoked_at FROM sync_credentials WHERE token_hash = @P1";
pub(super) const REVOKE_CREDENTIAL: &str =
    "UPDATE sync_credentials SET revoked_at = @P2 WHERE id = @P1 AND revoked_at IS NULL";
pub(super) const CENTERS: &str = "SELECT c.code, s.last_batch_at, s.last_batch_seq, ISNULL(s.last_seq, 0),
            (SELECT COUNT_BIG(*) FROM sync_credentials k WHERE k.center = c.code AND k.revoked_at IS NULL)
     FROM centers c LEFT JOIN sync_centers s ON s.center = c.code
     WHERE s.center IS NOT NULL OR EXISTS (SELECT 1 FROM sync_credentials k WHERE k.center = c.code)
     ORDER BY c.code";

#[cfg(test)]
pub(super) const SQL: &[&str] = &[
    STATE,
    UPDATE_STATE,
    INSERT_STATE,
    DELETE_CENTER_ACTIVITIES,
    DELETE_CENTER_PERSONS,
    UPDATE_PERSON,
    INSERT_PERSON,
    DELETE_PERSON_CATEGORIES,
    ACTIVITY_CENTER,
    DELETE_PARTICIPATIONS,
    DELETE_PARTICIPATION,
    DELETE_ACTIVITY,
    INSERT_CREDENTIAL,
    CREDENTIAL_BY_ID,
    CREDENTIALS,
    CREDENTIAL_BY_HASH,
    REVOKE_CREDENTIAL,
    CENTERS,
];

pub(super) fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(super) fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

async fn upsert_person(
    c: &mut Conn,
    center: &str,
    p: &PersonFactsRecord,
    now: &chrono::NaiveDateTime,
) -> StoreResult<()> {
    let (f, id) = (&p.facts, p.common_id.as_str());
    let values: [&dyn tiberius::ToSql; 11] = [
        &center,
        &id,
        &f.sex,
        &f.birth_year_month,
        &f.residence_municipality,
        &f.care_level,
        &f.household,
        &f.registered_on,
        &p.ended_on,
        &p.end_reason,
        now,
    ];
    // Under the centre's facts lock: UPDATE, then INSERT when there was no row.
    if c.exec(UPDATE_PERSON, &values).await? == 0 {
        c.exec(INSERT_PERSON, &values).await?;
    }
    c.exec(DELETE_PERSON_CATEGORIES, &[&center, &id]).await?;
    let categories: Vec<&dyn tiberius::ToSql> = f
        .categories
        .iter()
        .flat_map(|category| [&center as &dyn tiberius::ToSql, &id, category])
        .collect();
    if !categories.is_empty() {
        c.insert_rows(facts::INSERT_PERSON_CATEGORIES, 3, &categories)
            .await?;
    }
    duplicate_hints::put(c, center, id, p.match_key.as_deref()).await
}

/// The centre an activity belongs to on the hub, if it is there, noting its fiscal year as
/// touched when it is the sending centre's.
async fn activity_center(
    c: &mut Conn,
    id: &str,
    center: &str,
    touched: &mut FactsTouched,
) -> StoreResult<Option<String>> {
    match c.row(ACTIVITY_CENTER, &[&id]).await? {
        Some(r) => {
            let owner = str(&r, 0)?;
            if owner == center {
                touched.year(i32::try_from(int(&r, 1)?).unwrap_or_default());
            }
            Ok(Some(owner))
        }
        None => Ok(None),
    }
}

async fn upsert_activity(
    c: &mut Conn,
    center: &str,
    a: &ActivityRecord,
    touched: &mut FactsTouched,
) -> StoreResult<()> {
    let row = ActivityRow::of(a, center);
    let id = row.id.as_str();
    let owner = activity_center(c, id, center, touched).await?;
    touched.year(a.fiscal_year());
    check_owner(owner.as_deref(), center)?;
    match owner.as_deref() {
        Some(_) => {
            facts::take_out(c, &[id]).await?;
            c.exec(UPDATE_ACTIVITY, &row.values(false))
                .await
                .map_err(missing_site)?;
            c.exec(DELETE_PARTICIPATIONS, &[&id]).await?;
        }
        None => {
            c.insert_rows(INSERT_ACTIVITIES, 16, &row.values(true))
                .await
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        // Another centre's batch inserted this ID meanwhile.
                        StoreError::Conflict(ConflictKind::SyncForeignRecord)
                    } else {
                        missing_site(e)
                    }
                })?;
        }
    }
    let rows: Vec<(&str, &crate::domain::activity::Participation)> =
        a.participations.iter().map(|p| (id, p)).collect();
    facts::insert_participations(c, &rows).await?;
    facts::put_back(c, &[id]).await
}

fn missing_site(e: StoreError) -> StoreError {
    if is_constraint_violation(&e) {
        StoreError::MissingReference(Reference::Site)
    } else {
        e
    }
}

async fn apply_change(
    c: &mut Conn,
    center: &str,
    change: &Change,
    now: &chrono::NaiveDateTime,
    touched: &mut FactsTouched,
) -> StoreResult<()> {
    if matches!(
        change,
        Change::ResetCenter | Change::UpsertSite(_) | Change::UpsertPerson(_)
    ) {
        touched.whole_center = true;
    }
    match change {
        Change::ResetCenter => {
            // Participations, their categories and topics go with their activities; categories,
            // disabilities and match keys with their people (ON DELETE CASCADE).
            c.exec(facts::FORGET_CENTER, &[&center]).await?;
            c.exec(DELETE_CENTER_ACTIVITIES, &[&center]).await?;
            c.exec(DELETE_CENTER_PERSONS, &[&center]).await?;
        }
        Change::UpsertSite(s) => {
            let site = Site {
                center: center.to_owned(),
                ..s.clone()
            };
            check_owner(Some(&org::put_site(c, &site).await?), center)?;
        }
        Change::UpsertPerson(p) => upsert_person(c, center, p, now).await?,
        Change::UpsertActivity(a) => upsert_activity(c, center, a, touched).await?,
        Change::DeleteActivity(id) => {
            let id = id.to_string();
            if activity_center(c, &id, center, touched).await?.as_deref() == Some(center) {
                facts::take_out(c, &[&id]).await?;
                c.exec(DELETE_ACTIVITY, &[&id, &center]).await?;
            }
        }
        Change::PutParticipation {
            activity,
            participation,
        } => {
            let id = activity.to_string();
            check_participation_target(activity_center(c, &id, center, touched).await?.as_deref(), center)?;
            facts::take_out(c, &[&id]).await?;
            c.exec(DELETE_PARTICIPATION, &[&id, &participation.common_id.as_str()])
                .await?;
            facts::insert_participations(c, &[(&id, participation)]).await?;
            facts::put_back(c, &[&id]).await?;
        }
        Change::DeleteParticipation { activity, common_id } => {
            let id = activity.to_string();
            if activity_center(c, &id, center, touched).await?.as_deref() == Some(center) {
                facts::take_out(c, &[&id]).await?;
                c.exec(DELETE_PARTICIPATION, &[&id, &common_id.as_str()]).await?;
                facts::put_back(c, &[&id]).await?;
            }
        }
    }
    Ok(())
}

/// Applies `batch` in one transaction, the entries `ValidBatch::plan` chooses given the hub's
/// position in the centre's stream; `Conflict(SyncOutOfOrder)` and nothing applied when the
/// batch does not follow on. The centre's facts lock, taken first, makes "read where the stream
/// stands, apply, record it" one step: a batch sent twice at once is applied once and skipped
/// once. The call's audit row commits with it.
pub async fn apply(
    c: &mut Conn,
    batch: &ValidBatch,
    when: DateTime<Utc>,
    audit: AuditDraft<AppliedBatch>,
) -> StoreResult<AppliedBatch> {
    let stream = batch.stream.to_string();
    let now = at(when);
    c.begin().await?;
    let r = async {
        c.lock(&facts_lock(&batch.center), LockMode::Exclusive).await?;
        let position = position(c, &batch.center).await?;
        let plan = batch.plan(position.as_ref())?;
        let mut touched = FactsTouched::default();
        for (_, change) in &plan.apply {
            apply_change(c, &batch.center, change, &now, &mut touched).await?;
        }
        if let Some(last) = plan.last_seq {
            let values: [&dyn tiberius::ToSql; 5] = [
                &batch.center,
                &stream,
                &i64_of(last),
                &i64_of(batch.batch_seq),
                &now,
            ];
            if c.exec(UPDATE_STATE, &values).await? == 0 {
                c.exec(INSERT_STATE, &values).await?;
            }
        }
        let done = AppliedBatch {
            touched,
            ..plan.outcome()
        };
        super::audit::append(c, &audit.entry_for(&done)).await?;
        Ok(done)
    }
    .await;
    c.finish(r).await
}

/// How far the hub has applied `center`'s outbox; none before its first delivery.
pub async fn position(c: &mut Conn, center: &str) -> StoreResult<Option<StreamPosition>> {
    match c.row(STATE, &[&center]).await? {
        Some(r) => Ok(Some(StreamPosition {
            stream: parse_stream(&str(&r, 0)?)?,
            last_seq: u64_of(int(&r, 1)?),
        })),
        None => Ok(None),
    }
}

pub(super) fn parse_stream(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Other(anyhow!("stored stream {s:?}: {e}")))
}

fn credential_row(r: &Row) -> StoreResult<SyncCredential> {
    Ok(SyncCredential {
        id: int(r, 0)?,
        center: str(r, 1)?,
        prefix: str(r, 2)?,
        created_at: ts(r, 3)?,
        revoked_at: opt_ts(r, 4)?,
    })
}

async fn credential(c: &mut Conn, id: i64) -> StoreResult<SyncCredential> {
    match c.row(CREDENTIAL_BY_ID, &[&id]).await? {
        Some(r) => credential_row(&r),
        None => Err(StoreError::NotFound),
    }
}

pub async fn create_credential(
    c: &mut Conn,
    center: &str,
    token_hash: &str,
    prefix: &str,
    created_by: Option<i64>,
    audit: AuditDraft<SyncCredential>,
) -> StoreResult<SyncCredential> {
    c.begin().await?;
    let r = async {
        let made = insert_credential(c, center, token_hash, prefix, created_by).await?;
        super::audit::append(c, &audit.entry_for(&made)).await?;
        Ok(made)
    }
    .await;
    c.finish(r).await
}

async fn insert_credential(
    c: &mut Conn,
    center: &str,
    token_hash: &str,
    prefix: &str,
    created_by: Option<i64>,
) -> StoreResult<SyncCredential> {
    let row = c
        .row(
            INSERT_CREDENTIAL,
            &[&center, &token_hash, &prefix, &created_by, &at(Utc::now())],
        )
        .await
        .map_err(|e| {
            // As on SQLite, any constraint the row breaks reads as an unknown centre.
            if is_constraint_violation(&e) || is_unique_violation(&e) {
                StoreError::MissingReference(Reference::Center)
            } else {
                e
            }
        })?
        .ok_or_else(|| StoreError::Other(anyhow!("no id came back from the insert")))?;
    credential(c, int(&row, 0)?).await
}

pub async fn credentials(c: &mut Conn) -> StoreResult<Vec<SyncCredential>> {
    c.rows(CREDENTIALS, &[])
        .await?
        .iter()
        .map(credential_row)
        .collect()
}

pub async fn credential_by_hash(c: &mut Conn, token_hash: &str) -> StoreResult<Option<SyncCredential>> {
    c.row(CREDENTIAL_BY_HASH, &[&token_hash])
        .await?
        .as_ref()
        .map(credential_row)
        .transpose()
}

/// Revokes a credential (again: no change); `NotFound` when there is none with that ID.
pub async fn revoke_credential(
    c: &mut Conn,
    id: i64,
    audit: AuditDraft<SyncCredential>,
) -> StoreResult<SyncCredential> {
    c.begin().await?;
    let r = async {
        c.exec(REVOKE_CREDENTIAL, &[&id, &at(Utc::now())]).await?;
        let revoked = credential(c, id).await?;
        super::audit::append(c, &audit.entry_for(&revoked)).await?;
        Ok(revoked)
    }
    .await;
    c.finish(r).await
}

/// Every centre that has synchronised or holds a credential.
pub async fn centers(c: &mut Conn) -> StoreResult<Vec<CenterSyncState>> {
    c.rows(CENTERS, &[])
        .await?
        .iter()
        .map(|r| {
            Ok(CenterSyncState {
                center: str(r, 0)?,
                last_batch_at: opt_ts(r, 1)?,
                last_batch_seq: opt_int(r, 2)?.map(u64_of),
                last_seq: u64_of(int(r, 3)?),
                active_credentials: u64_of(int(r, 4)?),
            })
        })
        .collect()
}
