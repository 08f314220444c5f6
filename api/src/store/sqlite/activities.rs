//! SQL for activities and participations (facts), and the activity note (centre nodes only).

use chrono::{NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};
use shared::common_id::CommonId;
use uuid::Uuid;

use super::{audit, outbox, parse_date, parse_ts, period_locks, ts};
use crate::domain::activity::{
    Activity, ActivityListItem, ActivityQuery, ActivityRecord, Detail, Participation, PersonParticipationRow,
    SentAgain, Snapshot, Unregistered,
};
use crate::domain::audit::AuditDraft;
use crate::domain::sync::Change;
use crate::store::{ConflictKind, Recorded, StoreError, StoreResult};

fn conversion(col: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e))
}

fn uuid_at(r: &Row, col: usize) -> rusqlite::Result<Uuid> {
    Uuid::parse_str(&r.get::<_, String>(col)?).map_err(|e| conversion(col, e))
}

fn common_id_at(r: &Row, col: usize) -> rusqlite::Result<CommonId> {
    let raw: String = r.get(col)?;
    CommonId::parse(&raw).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, e.to_string().into())
    })
}

fn count_at(r: &Row, col: usize) -> rusqlite::Result<u16> {
    r.get(col)
}

/// The four unregistered headcounts, from column `first` on (elderly, disabled, child, other).
fn unregistered_at(r: &Row, first: usize) -> rusqlite::Result<Unregistered> {
    Ok(Unregistered {
        elderly: count_at(r, first)?,
        disabled: count_at(r, first + 1)?,
        child: count_at(r, first + 2)?,
        other: count_at(r, first + 3)?,
    })
}

/// `a;b;c` as sorted codes.
fn codes_at(r: &Row, col: usize) -> rusqlite::Result<Vec<String>> {
    let mut v: Vec<String> = r
        .get::<_, Option<String>>(col)?
        .unwrap_or_default()
        .split(';')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    v.sort();
    Ok(v)
}

/// The participation columns, from `p` (participations) at the end of a select.
const PARTICIPATION_COLUMNS: &str = "
    p.common_id, p.age_band, p.sex, p.reporting_group, p.care_level, p.household,
    p.visit_purpose, p.referral_destination,
    (SELECT group_concat(category, ';') FROM participation_categories pc
      WHERE pc.activity_id = p.activity_id AND pc.common_id = p.common_id),
    (SELECT group_concat(topic, ';') FROM participation_topics pt
      WHERE pt.activity_id = p.activity_id AND pt.common_id = p.common_id)";

/// Reads the participation columns starting at `col`.
fn participation_at(r: &Row, col: usize) -> rusqlite::Result<Participation> {
    Ok(Participation {
        common_id: common_id_at(r, col)?,
        snapshot: Snapshot {
            age_band: r.get(col + 1)?,
            sex: r.get(col + 2)?,
            group: r.get(col + 3)?,
            care_level: r.get(col + 4)?,
            household: r.get(col + 5)?,
            categories: codes_at(r, col + 8)?,
        },
        detail: Detail {
            visit_purpose: r.get(col + 6)?,
            referral_destination: r.get(col + 7)?,
            topics: codes_at(r, col + 9)?,
        },
    })
}

fn participations(c: &Connection, id: &str) -> StoreResult<Vec<Participation>> {
    let sql = format!(
        "SELECT {PARTICIPATION_COLUMNS} FROM participations p WHERE p.activity_id = ?1 ORDER BY p.common_id"
    );
    let rows = c
        .prepare_cached(&sql)?
        .query_map([id], |r| participation_at(r, 0))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The title column where there is one: the hub's activities have none (free text stays on the
/// centre node).
fn title_column(with_notes: bool) -> &'static str {
    if with_notes {
        "title"
    } else {
        "NULL"
    }
}

/// The one registered participant of an activity that has exactly one, with their name from
/// the identity table, which only centre nodes have (`NULL, NULL` without notes: on the hub).
fn sole_participant_columns(with_notes: bool) -> &'static str {
    if with_notes {
        "(SELECT min(p.common_id) FROM participations p WHERE p.activity_id = a.id
           HAVING count(*) = 1),
         (SELECT min(pp.family_name || '　' || pp.given_name)
            FROM participations p
            LEFT JOIN person_private pp ON pp.center = a.center AND pp.common_id = p.common_id
           WHERE p.activity_id = a.id
          HAVING count(*) = 1)"
    } else {
        "NULL, NULL"
    }
}

/// The activity `id`, when it exists (and, given `center`, belongs to it). Without notes (on
/// the hub, or for the sync outbox) neither the note nor the title is read.
pub(super) fn find(
    c: &Connection,
    center: Option<&str>,
    id: &str,
    with_notes: bool,
) -> StoreResult<Option<Activity>> {
    let sql = format!(
        "SELECT id, center, site, date, function, {}, start_time, end_time, staff_count,
                volunteer_count, unregistered_elderly, unregistered_disabled, unregistered_child,
                unregistered_other, created_at, updated_at
         FROM activities WHERE id = ?1 AND (?2 IS NULL OR center = ?2)",
        title_column(with_notes)
    );
    let found = c
        .prepare_cached(&sql)?
        .query_row(params![id, center], |r| {
            Ok(Activity {
                record: ActivityRecord {
                    id: uuid_at(r, 0)?,
                    center: r.get(1)?,
                    site: r.get(2)?,
                    date: parse_date(&r.get::<_, String>(3)?)?,
                    function: r.get(4)?,
                    title: r.get(5)?,
                    start_time: r.get(6)?,
                    end_time: r.get(7)?,
                    staff_count: count_at(r, 8)?,
                    volunteer_count: count_at(r, 9)?,
                    unregistered: unregistered_at(r, 10)?,
                    note: None,
                    participations: Vec::new(),
                },
                created_at: parse_ts(&r.get::<_, String>(14)?)?,
                updated_at: parse_ts(&r.get::<_, String>(15)?)?,
            })
        })
        .optional()?;
    let Some(mut activity) = found else {
        return Ok(None);
    };
    activity.record.participations = participations(c, id)?;
    if with_notes {
        activity.record.note = c
            .prepare_cached("SELECT note FROM center_activity_notes WHERE activity_id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
    }
    Ok(Some(activity))
}

fn load(c: &Connection, center: &str, id: &str, with_notes: bool) -> StoreResult<Activity> {
    find(c, Some(center), id, with_notes)?.ok_or(StoreError::NotFound)
}

pub(super) fn insert_participation(tx: &Transaction, id: &str, p: &Participation) -> StoreResult<()> {
    let (s, d) = (&p.snapshot, &p.detail);
    tx.prepare_cached(
        "INSERT INTO participations (activity_id, common_id, age_band, sex, reporting_group, care_level,
                                     household, visit_purpose, referral_destination)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        id,
        p.common_id.as_str(),
        s.age_band,
        s.sex,
        s.group,
        s.care_level,
        s.household,
        d.visit_purpose,
        d.referral_destination,
    ])?;
    let mut category = tx.prepare_cached(
        "INSERT INTO participation_categories (activity_id, common_id, category) VALUES (?1, ?2, ?3)",
    )?;
    for c in &s.categories {
        category.execute(params![id, p.common_id.as_str(), c])?;
    }
    let mut topic = tx.prepare_cached(
        "INSERT INTO participation_topics (activity_id, common_id, topic) VALUES (?1, ?2, ?3)",
    )?;
    for t in &d.topics {
        topic.execute(params![id, p.common_id.as_str(), t])?;
    }
    Ok(())
}

fn write_note(tx: &Transaction, id: &str, note: Option<&str>, with_notes: bool) -> StoreResult<()> {
    if !with_notes {
        return Ok(());
    }
    match note {
        Some(n) => tx.execute(
            "INSERT INTO center_activity_notes (activity_id, note) VALUES (?1, ?2)
             ON CONFLICT (activity_id) DO UPDATE SET note = excluded.note",
            params![id, n],
        )?,
        None => tx.execute("DELETE FROM center_activity_notes WHERE activity_id = ?1", [id])?,
    };
    Ok(())
}

fn insert(tx: &Transaction, r: &ActivityRecord, with_notes: bool) -> StoreResult<()> {
    period_locks::check_activity_write(tx, &r.center, None, Some(r.date))?;
    let id = r.id.to_string();
    let now = ts(Utc::now());
    let u = &r.unregistered;
    // The hub has no title column: `?7` is bound but not stored there.
    let sql = if with_notes {
        "INSERT INTO activities (id, center, site, date, fiscal_year, function, title, start_time, end_time,
                                 staff_count, volunteer_count, unregistered_elderly, unregistered_disabled,
                                 unregistered_child, unregistered_other, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16)"
    } else {
        "INSERT INTO activities (id, center, site, date, fiscal_year, function, start_time, end_time,
                                 staff_count, volunteer_count, unregistered_elderly, unregistered_disabled,
                                 unregistered_child, unregistered_other, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16)"
    };
    tx.prepare_cached(sql)?
        .execute(params![
            id,
            r.center,
            r.site,
            r.date.to_string(),
            r.fiscal_year(),
            r.function,
            r.title,
            r.start_time,
            r.end_time,
            r.staff_count,
            r.volunteer_count,
            u.elderly,
            u.disabled,
            u.child,
            u.other,
            now,
        ])
        .map_err(|e| {
            if super::is_constraint(&e) {
                StoreError::Conflict(ConflictKind::ActivityId)
            } else {
                e.into()
            }
        })?;
    for p in &r.participations {
        insert_participation(tx, &id, p)?;
    }
    write_note(tx, &id, r.note.as_deref(), with_notes)?;
    if with_notes {
        outbox::record(tx, &r.center, |c| outbox::activity_change(c, &r.center, &id))?;
    }
    Ok(())
}

pub fn create(
    c: &mut Connection,
    r: &ActivityRecord,
    with_notes: bool,
    audit: AuditDraft<Recorded<Activity>>,
) -> StoreResult<Recorded<Activity>> {
    // Check-then-write: BEGIN IMMEDIATE takes the write lock before the ID and the period locks
    // are read, so a retry racing the first send, or a lock taken meanwhile, is seen.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = r.id.to_string();
    let recorded = if let Some(existing) = find(&tx, None, &id, with_notes)? {
        match existing.record.sent_again(r, with_notes) {
            SentAgain::Existing => Recorded::Existing(existing),
            SentAgain::Conflict => return Err(StoreError::Conflict(ConflictKind::ActivityId)),
        }
    } else {
        insert(&tx, r, with_notes)?;
        Recorded::New(load(&tx, &r.center, &id, with_notes)?)
    };
    audit::append(&tx, &audit.entry_for(&recorded))?;
    tx.commit()?;
    Ok(recorded)
}

pub fn import(c: &mut Connection, records: &[ActivityRecord], with_notes: bool) -> StoreResult<usize> {
    // Check-then-write: BEGIN IMMEDIATE takes the write lock before each record's period-lock
    // check, so no lock is taken between a check and its insert.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for r in records {
        insert(&tx, r, with_notes)?;
    }
    tx.commit()?;
    Ok(records.len())
}

pub fn get(c: &mut Connection, center: &str, id: Uuid, with_notes: bool) -> StoreResult<Activity> {
    load(c, center, &id.to_string(), with_notes)
}

/// Refuses a write to the existing activity `id` of `center` (`NotFound` when there is none)
/// when its stored date, or its date `after` the change, lies in a locked period.
fn writable_date(tx: &Transaction, center: &str, id: &str, after: Option<NaiveDate>) -> StoreResult<()> {
    let date: String = tx
        .prepare_cached("SELECT date FROM activities WHERE id = ?1 AND center = ?2")?
        .query_row(params![id, center], |r| r.get(0))?;
    period_locks::check_activity_write(tx, center, Some(parse_date(&date)?), after)
}

fn touch(tx: &Transaction, id: &str) -> StoreResult<()> {
    tx.execute(
        "UPDATE activities SET updated_at = ?2 WHERE id = ?1",
        params![id, ts(Utc::now())],
    )?;
    Ok(())
}

pub fn update(
    c: &mut Connection,
    r: &ActivityRecord,
    with_notes: bool,
    audit: AuditDraft<Activity>,
) -> StoreResult<Activity> {
    // Check-then-write: BEGIN IMMEDIATE takes the write lock before the stored date and the
    // period locks are read, so neither changes before the update.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = r.id.to_string();
    writable_date(&tx, &r.center, &id, Some(r.date))?;
    let u = &r.unregistered;
    // The hub has no title column: `?6` is bound but not stored there.
    let sql = if with_notes {
        "UPDATE activities SET site = ?2, date = ?3, fiscal_year = ?4, function = ?5, title = ?6,
                start_time = ?7, end_time = ?8, staff_count = ?9, volunteer_count = ?10,
                unregistered_elderly = ?11, unregistered_disabled = ?12, unregistered_child = ?13,
                unregistered_other = ?14, updated_at = ?15
         WHERE id = ?1"
    } else {
        "UPDATE activities SET site = ?2, date = ?3, fiscal_year = ?4, function = ?5, start_time = ?7,
                end_time = ?8, staff_count = ?9, volunteer_count = ?10, unregistered_elderly = ?11,
                unregistered_disabled = ?12, unregistered_child = ?13, unregistered_other = ?14,
                updated_at = ?15
         WHERE id = ?1"
    };
    tx.execute(
        sql,
        params![
            id,
            r.site,
            r.date.to_string(),
            r.fiscal_year(),
            r.function,
            r.title,
            r.start_time,
            r.end_time,
            r.staff_count,
            r.volunteer_count,
            u.elderly,
            u.disabled,
            u.child,
            u.other,
            ts(Utc::now()),
        ],
    )?;
    tx.execute("DELETE FROM participations WHERE activity_id = ?1", [&id])?;
    for p in &r.participations {
        insert_participation(&tx, &id, p)?;
    }
    write_note(&tx, &id, r.note.as_deref(), with_notes)?;
    if with_notes {
        outbox::record(&tx, &r.center, |c| outbox::activity_change(c, &r.center, &id))?;
    }
    let activity = load(&tx, &r.center, &id, with_notes)?;
    audit::append(&tx, &audit.entry_for(&activity))?;
    tx.commit()?;
    Ok(activity)
}

pub fn delete(
    c: &mut Connection,
    center: &str,
    uuid: Uuid,
    with_notes: bool,
    audit: AuditDraft<()>,
) -> StoreResult<()> {
    // Check-then-write: BEGIN IMMEDIATE takes the write lock before the period-lock check.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = uuid.to_string();
    writable_date(&tx, center, &id, None)?;
    tx.execute("DELETE FROM activities WHERE id = ?1", [&id])?;
    if with_notes {
        outbox::record(&tx, center, |_| Ok(Change::DeleteActivity(uuid)))?;
    }
    audit::append(&tx, &audit.entry_for(&()))?;
    tx.commit()?;
    Ok(())
}

pub fn put_participation(
    c: &mut Connection,
    center: &str,
    activity: Uuid,
    p: &Participation,
    with_notes: bool,
    audit: AuditDraft<Activity>,
) -> StoreResult<Activity> {
    // Check-then-write: BEGIN IMMEDIATE takes the write lock before the period-lock check.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = activity.to_string();
    writable_date(&tx, center, &id, None)?;
    tx.execute(
        "DELETE FROM participations WHERE activity_id = ?1 AND common_id = ?2",
        params![id, p.common_id.as_str()],
    )?;
    insert_participation(&tx, &id, p)?;
    touch(&tx, &id)?;
    if with_notes {
        outbox::record(&tx, center, |_| {
            Ok(Change::PutParticipation {
                activity,
                participation: p.clone(),
            })
        })?;
    }
    let activity = load(&tx, center, &id, with_notes)?;
    audit::append(&tx, &audit.entry_for(&activity))?;
    tx.commit()?;
    Ok(activity)
}

pub fn delete_participation(
    c: &mut Connection,
    center: &str,
    activity: Uuid,
    common_id: &CommonId,
    with_notes: bool,
    audit: AuditDraft<Activity>,
) -> StoreResult<Activity> {
    // Check-then-write: BEGIN IMMEDIATE takes the write lock before the period-lock check.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = activity.to_string();
    writable_date(&tx, center, &id, None)?;
    let n = tx.execute(
        "DELETE FROM participations WHERE activity_id = ?1 AND common_id = ?2",
        params![id, common_id.as_str()],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    touch(&tx, &id)?;
    if with_notes {
        outbox::record(&tx, center, |_| {
            Ok(Change::DeleteParticipation {
                activity,
                common_id: common_id.clone(),
            })
        })?;
    }
    let activity = load(&tx, center, &id, with_notes)?;
    audit::append(&tx, &audit.entry_for(&activity))?;
    tx.commit()?;
    Ok(activity)
}

pub fn list(
    c: &mut Connection,
    center: &str,
    q: &ActivityQuery,
    with_notes: bool,
) -> StoreResult<Vec<ActivityListItem>> {
    let sql = format!(
        "SELECT a.id, a.site, a.date, a.function, {}, a.start_time, a.end_time, a.staff_count,
                a.volunteer_count, a.unregistered_elderly, a.unregistered_disabled, a.unregistered_child,
                a.unregistered_other,
                (SELECT count(*) FROM participations p WHERE p.activity_id = a.id),
                {}
         FROM activities a
         WHERE a.center = ?1 AND a.date BETWEEN ?2 AND ?3
           AND (?4 IS NULL OR a.function = ?4)
           AND (?5 IS NULL OR a.site = ?5)
         ORDER BY a.date, a.start_time IS NULL, a.start_time, a.function, a.id",
        title_column(with_notes),
        sole_participant_columns(with_notes),
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(
            params![center, q.from.to_string(), q.to.to_string(), q.function, q.site],
            |r| {
                Ok(ActivityListItem {
                    id: uuid_at(r, 0)?,
                    site: r.get(1)?,
                    date: parse_date(&r.get::<_, String>(2)?)?,
                    function: r.get(3)?,
                    title: r.get(4)?,
                    start_time: r.get(5)?,
                    end_time: r.get(6)?,
                    staff_count: count_at(r, 7)?,
                    volunteer_count: count_at(r, 8)?,
                    unregistered: unregistered_at(r, 9)?,
                    participants: r.get(13)?,
                    sole_participant: match r.get::<_, Option<String>>(14)? {
                        Some(common_id) => Some((common_id, r.get(15)?)),
                        None => None,
                    },
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn of_person(
    c: &mut Connection,
    center: &str,
    common_id: &CommonId,
    offset: u64,
    limit: u64,
    with_notes: bool,
) -> StoreResult<(Vec<PersonParticipationRow>, u64)> {
    let total: i64 = c
        .prepare_cached(
            "SELECT count(*) FROM participations p JOIN activities a ON a.id = p.activity_id
             WHERE p.common_id = ?1 AND a.center = ?2",
        )?
        .query_row(params![common_id.as_str(), center], |r| r.get(0))?;
    let sql = format!(
        "SELECT a.id, a.date, a.site, a.function, {}, {PARTICIPATION_COLUMNS}
         FROM participations p JOIN activities a ON a.id = p.activity_id
         WHERE p.common_id = ?1 AND a.center = ?2
         ORDER BY a.date DESC, a.start_time DESC, a.id
         LIMIT ?3 OFFSET ?4",
        title_column(with_notes)
    );
    let rows = c
        .prepare_cached(&sql)?
        .query_map(
            params![
                common_id.as_str(),
                center,
                i64::try_from(limit).unwrap_or(i64::MAX),
                i64::try_from(offset).unwrap_or(i64::MAX)
            ],
            |r| {
                Ok(PersonParticipationRow {
                    activity_id: uuid_at(r, 0)?,
                    date: parse_date(&r.get::<_, String>(1)?)?,
                    site: r.get(2)?,
                    function: r.get(3)?,
                    title: r.get(4)?,
                    participation: participation_at(r, 5)?,
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    Ok((rows, u64::try_from(total).unwrap_or(0)))
}
