//! SQL for the hub's side of synchronisation: applying a centre's batch in order and exactly
//! once, the centres' credentials, and how far each centre has been applied. Hub nodes only.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};
use uuid::Uuid;

use super::{activities, audit, is_constraint, parse_ts, ts};
use crate::domain::activity::ActivityRecord;
use crate::domain::audit::AuditDraft;
use crate::domain::sync::{
    check_owner, check_participation_target, AppliedBatch, CenterSyncState, Change, FactsTouched,
    PersonFactsRecord, Resend, StreamPosition, SyncCredential, ValidBatch,
};
use crate::store::{Reference, StoreError, StoreResult};

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn upsert_person(tx: &Transaction, center: &str, p: &PersonFactsRecord, now: &str) -> StoreResult<()> {
    let (f, id) = (&p.facts, p.common_id.as_str());
    tx.prepare_cached(
        "INSERT INTO persons (center, common_id, sex, birth_year_month, residence_municipality, care_level,
                              household, registered_on, ended_on, end_reason, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
         ON CONFLICT (center, common_id) DO UPDATE SET
             sex = excluded.sex, birth_year_month = excluded.birth_year_month,
             residence_municipality = excluded.residence_municipality, care_level = excluded.care_level,
             household = excluded.household, registered_on = excluded.registered_on,
             ended_on = excluded.ended_on, end_reason = excluded.end_reason, updated_at = excluded.updated_at",
    )?
    .execute(params![
        center,
        id,
        f.sex,
        f.birth_year_month,
        f.residence_municipality,
        f.care_level,
        f.household,
        f.registered_on.to_string(),
        p.ended_on.map(|d| d.to_string()),
        p.end_reason,
        now,
    ])?;
    tx.prepare_cached("DELETE FROM person_categories WHERE center = ?1 AND common_id = ?2")?
        .execute(params![center, id])?;
    let mut category =
        tx.prepare_cached("INSERT INTO person_categories (center, common_id, category) VALUES (?1, ?2, ?3)")?;
    for c in &f.categories {
        category.execute(params![center, id, c])?;
    }
    super::duplicate_hints::put(tx, center, id, p.match_key.as_deref())?;
    Ok(())
}

/// The centre an activity belongs to on the hub, if it is there, and its fiscal year.
fn activity_place(tx: &Transaction, id: &str) -> StoreResult<Option<(String, i32)>> {
    Ok(tx
        .prepare_cached("SELECT center, fiscal_year FROM activities WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// The centre an activity belongs to on the hub, noting its fiscal year as touched when it is
/// the sending centre's.
fn activity_center(
    tx: &Transaction,
    id: &str,
    center: &str,
    touched: &mut FactsTouched,
) -> StoreResult<Option<String>> {
    Ok(activity_place(tx, id)?.map(|(owner, year)| {
        if owner == center {
            touched.year(year);
        }
        owner
    }))
}

fn upsert_activity(
    tx: &Transaction,
    center: &str,
    a: &ActivityRecord,
    now: &str,
    touched: &mut FactsTouched,
) -> StoreResult<()> {
    let id = a.id.to_string();
    check_owner(activity_center(tx, &id, center, touched)?.as_deref(), center)?;
    touched.year(a.fiscal_year());
    let u = &a.unregistered;
    // The hub's activities have no title column.
    tx.prepare_cached(
        "INSERT INTO activities (id, center, site, date, fiscal_year, function, start_time, end_time,
                                 staff_count, volunteer_count, unregistered_elderly, unregistered_disabled,
                                 unregistered_child, unregistered_other, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)
         ON CONFLICT (id) DO UPDATE SET
             site = excluded.site, date = excluded.date, fiscal_year = excluded.fiscal_year,
             function = excluded.function, start_time = excluded.start_time, end_time = excluded.end_time,
             staff_count = excluded.staff_count, volunteer_count = excluded.volunteer_count,
             unregistered_elderly = excluded.unregistered_elderly,
             unregistered_disabled = excluded.unregistered_disabled,
             unregistered_child = excluded.unregistered_child,
             unregistered_other = excluded.unregistered_other, updated_at = excluded.updated_at",
    )?
    .execute(params![
        id,
        center,
        a.site,
        a.date.to_string(),
        a.fiscal_year(),
        a.function,
        a.start_time,
        a.end_time,
        a.staff_count,
        a.volunteer_count,
        u.elderly,
        u.disabled,
        u.child,
        u.other,
        now,
    ])
    .map_err(|e| {
        if is_constraint(&e) {
            StoreError::MissingReference(Reference::Site)
        } else {
            e.into()
        }
    })?;
    tx.prepare_cached("DELETE FROM participations WHERE activity_id = ?1")?
        .execute([&id])?;
    for p in &a.participations {
        activities::insert_participation(tx, &id, p)?;
    }
    Ok(())
}

fn apply_change(
    tx: &Transaction,
    center: &str,
    change: &Change,
    now: &str,
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
            // Participations, their categories and topics go with their activities; categories
            // with their people (ON DELETE CASCADE).
            tx.execute("DELETE FROM activities WHERE center = ?1", [center])?;
            tx.execute("DELETE FROM persons WHERE center = ?1", [center])?;
        }
        Change::UpsertSite(s) => {
            tx.prepare_cached(
                "INSERT INTO sites (code, center, name, opened_on, closed_on) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (code) DO UPDATE SET
                     name = excluded.name, opened_on = excluded.opened_on, closed_on = excluded.closed_on
                 WHERE sites.center = excluded.center",
            )?
            .execute(params![
                s.code,
                center,
                s.name,
                s.opened_on.to_string(),
                s.closed_on.map(|d| d.to_string()),
            ])?;
            // The upsert leaves another centre's site as it was; this refuses the entry.
            let owner: String = tx
                .prepare_cached("SELECT center FROM sites WHERE code = ?1")?
                .query_row([&s.code], |r| r.get(0))?;
            check_owner(Some(&owner), center)?;
        }
        Change::UpsertPerson(p) => upsert_person(tx, center, p, now)?,
        Change::UpsertActivity(a) => upsert_activity(tx, center, a, now, touched)?,
        Change::DeleteActivity(id) => {
            activity_center(tx, &id.to_string(), center, touched)?;
            tx.execute(
                "DELETE FROM activities WHERE id = ?1 AND center = ?2",
                params![id.to_string(), center],
            )?;
        }
        Change::PutParticipation {
            activity,
            participation,
        } => {
            let id = activity.to_string();
            check_participation_target(activity_center(tx, &id, center, touched)?.as_deref(), center)?;
            tx.execute(
                "DELETE FROM participations WHERE activity_id = ?1 AND common_id = ?2",
                params![id, participation.common_id.as_str()],
            )?;
            activities::insert_participation(tx, &id, participation)?;
        }
        Change::DeleteParticipation { activity, common_id } => {
            activity_center(tx, &activity.to_string(), center, touched)?;
            tx.execute(
                "DELETE FROM participations WHERE activity_id = ?1 AND common_id = ?2
                   AND activity_id IN (SELECT id FROM activities WHERE center = ?3)",
                params![activity.to_string(), common_id.as_str(), center],
            )?;
        }
    }
    Ok(())
}

/// Applies `batch` in one transaction, the entries `ValidBatch::plan` chooses given the hub's
/// position in the centre's stream; `Conflict(SyncOutOfOrder)` and nothing applied when the
/// batch does not follow on. The call's audit row commits with it.
pub fn apply(
    c: &mut Connection,
    batch: &ValidBatch,
    at: DateTime<Utc>,
    audit: AuditDraft<AppliedBatch>,
) -> StoreResult<AppliedBatch> {
    // Check-then-write: BEGIN IMMEDIATE holds the write lock from the read of the centre's
    // position to its update, so two deliveries of one centre cannot both apply the same seqs.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let position = stream_position(&tx, &batch.center)?;
    let plan = batch.plan(position.as_ref())?;
    let now = ts(at);
    let mut touched = FactsTouched::default();
    for (_, change) in &plan.apply {
        apply_change(&tx, &batch.center, change, &now, &mut touched)?;
    }
    let Some(last) = plan.last_seq else {
        // Nothing new (an empty batch, or one the hub already has): only the call is recorded.
        let nothing = plan.outcome();
        audit::append(&tx, &audit.entry_for(&nothing))?;
        tx.commit()?;
        return Ok(nothing);
    };
    tx.execute(
        "INSERT INTO sync_centers (center, stream, last_seq, last_batch_seq, last_batch_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (center) DO UPDATE SET stream = excluded.stream, last_seq = excluded.last_seq,
             last_batch_seq = excluded.last_batch_seq, last_batch_at = excluded.last_batch_at",
        params![
            batch.center,
            batch.stream.to_string(),
            i64_of(last),
            i64_of(batch.batch_seq),
            now
        ],
    )?;
    let done = AppliedBatch {
        touched,
        ..plan.outcome()
    };
    audit::append(&tx, &audit.entry_for(&done))?;
    tx.commit()?;
    Ok(done)
}

fn credential_row(r: &Row) -> rusqlite::Result<SyncCredential> {
    Ok(SyncCredential {
        id: r.get(0)?,
        center: r.get(1)?,
        prefix: r.get(2)?,
        created_at: parse_ts(&r.get::<_, String>(3)?)?,
        revoked_at: r
            .get::<_, Option<String>>(4)?
            .as_deref()
            .map(parse_ts)
            .transpose()?,
    })
}

const CREDENTIAL_COLUMNS: &str = "SELECT id, center, prefix, created_at, revoked_at FROM sync_credentials";

pub fn create_credential(
    c: &mut Connection,
    center: &str,
    token_hash: &str,
    prefix: &str,
    created_by: Option<i64>,
    audit: AuditDraft<SyncCredential>,
) -> StoreResult<SyncCredential> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id: i64 = tx
        .query_row(
            "INSERT INTO sync_credentials (center, token_hash, prefix, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
            params![center, token_hash, prefix, created_by, ts(Utc::now())],
            |r| r.get(0),
        )
        .map_err(|e| {
            if is_constraint(&e) {
                StoreError::MissingReference(Reference::Center)
            } else {
                e.into()
            }
        })?;
    let created = tx.query_row(
        &format!("{CREDENTIAL_COLUMNS} WHERE id = ?1"),
        [id],
        credential_row,
    )?;
    audit::append(&tx, &audit.entry_for(&created))?;
    tx.commit()?;
    Ok(created)
}

pub fn credentials(c: &mut Connection) -> StoreResult<Vec<SyncCredential>> {
    let rows = c
        .prepare(&format!("{CREDENTIAL_COLUMNS} ORDER BY center, id"))?
        .query_map([], credential_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn credential_by_hash(c: &mut Connection, token_hash: &str) -> StoreResult<Option<SyncCredential>> {
    Ok(
        c.prepare_cached(&format!("{CREDENTIAL_COLUMNS} WHERE token_hash = ?1"))?
            .query_row([token_hash], credential_row)
            .optional()?,
    )
}

/// Revokes a credential (again: no change); `NotFound` when there is none with that ID.
pub fn revoke_credential(
    c: &mut Connection,
    id: i64,
    audit: AuditDraft<SyncCredential>,
) -> StoreResult<SyncCredential> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "UPDATE sync_credentials SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, ts(Utc::now())],
    )?;
    let revoked = tx.query_row(
        &format!("{CREDENTIAL_COLUMNS} WHERE id = ?1"),
        [id],
        credential_row,
    )?;
    audit::append(&tx, &audit.entry_for(&revoked))?;
    tx.commit()?;
    Ok(revoked)
}

/// Every centre that has synchronised or holds a credential.
pub fn centers(c: &mut Connection) -> StoreResult<Vec<CenterSyncState>> {
    let rows = c
        .prepare(
            "SELECT c.code, s.last_batch_at, s.last_batch_seq, coalesce(s.last_seq, 0),
                    (SELECT count(*) FROM sync_credentials k WHERE k.center = c.code AND k.revoked_at IS NULL)
             FROM centers c LEFT JOIN sync_centers s ON s.center = c.code
             WHERE s.center IS NOT NULL OR EXISTS (SELECT 1 FROM sync_credentials k WHERE k.center = c.code)
             ORDER BY c.code",
        )?
        .query_map([], |r| {
            Ok(CenterSyncState {
                center: r.get(0)?,
                last_batch_at: r
                    .get::<_, Option<String>>(1)?
                    .as_deref()
                    .map(parse_ts)
                    .transpose()?,
                last_batch_seq: r.get::<_, Option<i64>>(2)?.map(u64_of),
                last_seq: u64_of(r.get(3)?),
                active_credentials: u64_of(r.get(4)?),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// How far the hub has applied `center`'s outbox.
fn stream_position(c: &Connection, center: &str) -> StoreResult<Option<StreamPosition>> {
    let position: Option<(String, i64)> = c
        .query_row(
            "SELECT stream, last_seq FROM sync_centers WHERE center = ?1",
            [center],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    position
        .map(|(stream, last_seq)| {
            Ok(StreamPosition {
                stream: parse_stream(&stream)?,
                last_seq: u64_of(last_seq),
            })
        })
        .transpose()
}

fn parse_stream(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Other(anyhow::anyhow!("stored stream {s:?}: {e}")))
}

pub fn position(c: &mut Connection, center: &str) -> StoreResult<Option<StreamPosition>> {
    stream_position(c, center)
}

pub fn resends(c: &mut Connection, since: DateTime<Utc>) -> StoreResult<Vec<Resend>> {
    type Row = (String, String, String, i64, Option<String>, i64, Option<String>);
    let rows: Vec<Row> = c
        .prepare_cached(
            "SELECT center, detected_at, acked_stream, acked_seq, hub_stream, hub_seq, caught_up_at
             FROM sync_resends WHERE caught_up_at IS NULL OR caught_up_at >= ?1 ORDER BY center",
        )?
        .query_map([ts(since)], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(
            |(center, detected_at, acked_stream, acked_seq, hub_stream, hub_seq, caught_up_at)| {
                Ok(Resend {
                    center,
                    detected_at: parse_ts(&detected_at)?,
                    acked: StreamPosition {
                        stream: parse_stream(&acked_stream)?,
                        last_seq: u64_of(acked_seq),
                    },
                    hub: hub_stream
                        .as_deref()
                        .map(|s| {
                            Ok::<_, StoreError>(StreamPosition {
                                stream: parse_stream(s)?,
                                last_seq: u64_of(hub_seq),
                            })
                        })
                        .transpose()?,
                    caught_up_at: caught_up_at.as_deref().map(parse_ts).transpose()?,
                })
            },
        )
        .collect()
}

pub fn note_resend(
    c: &mut Connection,
    center: &str,
    acked: &StreamPosition,
    hub: Option<&StreamPosition>,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    // Write first: the UPDATE keeps an open note as it was first made (only a closed one is
    // opened again); with no row the INSERT makes one. BEGIN IMMEDIATE serialises two notes.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let values = params![
        center,
        ts(at),
        acked.stream.to_string(),
        i64_of(acked.last_seq),
        hub.map(|h| h.stream.to_string()),
        i64_of(hub.map_or(0, |h| h.last_seq)),
    ];
    let reopened = tx.execute(
        "UPDATE sync_resends SET detected_at = ?2, acked_stream = ?3, acked_seq = ?4, hub_stream = ?5,
             hub_seq = ?6, caught_up_at = NULL
         WHERE center = ?1 AND caught_up_at IS NOT NULL",
        values,
    )?;
    if reopened == 0 {
        tx.execute(
            "INSERT INTO sync_resends (center, detected_at, acked_stream, acked_seq, hub_stream, hub_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (center) DO NOTHING",
            values,
        )?;
    }
    tx.commit()?;
    Ok(())
}

pub fn end_resend(c: &mut Connection, center: &str, at: DateTime<Utc>) -> StoreResult<bool> {
    let n = c.execute(
        "UPDATE sync_resends SET caught_up_at = ?2 WHERE center = ?1 AND caught_up_at IS NULL",
        params![center, ts(at)],
    )?;
    Ok(n > 0)
}
