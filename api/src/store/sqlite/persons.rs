//! SQL for the people registry: facts in `persons`, identity in `person_private`.

use anyhow::anyhow;
use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};
use shared::common_id::{CenterCode, CommonId};
use shared::kana::normalize_kana;

use super::{audit, is_constraint, outbox, parse_date, parse_opt_date, parse_ts, ts};
use crate::domain::audit::AuditDraft;
use crate::domain::common_id;
use crate::domain::duplicate_hint::MatchKeyer;
use crate::domain::person::{
    name_key, Disability, Ending, Facts, Identity, Person, PersonQuery, PersonRecord,
};
use crate::store::{ConflictKind, Reference, StoreError, StoreResult};

/// Issues the next serial of `center`; serials only ever go up, so an ID is never reused.
fn next_serial(tx: &Transaction, center: &CenterCode) -> StoreResult<u32> {
    tx.execute(
        "INSERT INTO common_id_counters (center, last_serial) VALUES (?1, 0) ON CONFLICT (center) DO NOTHING",
        [center.as_str()],
    )
    .map_err(|e| {
        if is_constraint(&e) {
            StoreError::MissingReference(Reference::Center)
        } else {
            e.into()
        }
    })?;
    let serial: i64 = tx
        .query_row(
            "UPDATE common_id_counters SET last_serial = last_serial + 1 WHERE center = ?1 RETURNING last_serial",
            [center.as_str()],
            |r| r.get(0),
        )
        .map_err(|e| {
            if is_constraint(&e) {
                StoreError::Conflict(ConflictKind::SerialExhausted)
            } else {
                e.into()
            }
        })?;
    u32::try_from(serial).map_err(|_| StoreError::Conflict(ConflictKind::SerialExhausted))
}

fn write_details(tx: &Transaction, center: &str, id: &str, record: &PersonRecord) -> StoreResult<()> {
    let (i, f) = (&record.identity, &record.facts);
    tx.execute(
        "DELETE FROM person_categories WHERE center = ?1 AND common_id = ?2",
        params![center, id],
    )?;
    tx.execute(
        "DELETE FROM person_disabilities WHERE center = ?1 AND common_id = ?2",
        params![center, id],
    )?;
    for c in &f.categories {
        tx.execute(
            "INSERT INTO person_categories (center, common_id, category) VALUES (?1, ?2, ?3)",
            params![center, id, c],
        )?;
    }
    for d in &f.disabilities {
        tx.execute(
            "INSERT INTO person_disabilities (center, common_id, kind, grade) VALUES (?1, ?2, ?3, ?4)",
            params![center, id, d.kind, d.grade],
        )?;
    }
    tx.execute(
        "INSERT INTO person_private (center, common_id, family_name, given_name, family_kana, given_kana,
                                     kana_key, name_key, birth_date, postal_code, address, phone,
                                     emergency_contact, notes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (center, common_id) DO UPDATE SET
             family_name = excluded.family_name, given_name = excluded.given_name,
             family_kana = excluded.family_kana, given_kana = excluded.given_kana,
             kana_key = excluded.kana_key, name_key = excluded.name_key,
             birth_date = excluded.birth_date, postal_code = excluded.postal_code,
             address = excluded.address, phone = excluded.phone,
             emergency_contact = excluded.emergency_contact, notes = excluded.notes",
        params![
            center,
            id,
            i.family_name,
            i.given_name,
            i.family_kana,
            i.given_kana,
            i.kana_key(),
            i.name_key(),
            i.birth_date.to_string(),
            i.postal_code,
            i.address,
            i.phone,
            i.emergency_contact,
            i.notes,
        ],
    )?;
    Ok(())
}

pub fn register(
    c: &mut Connection,
    center: &CenterCode,
    existing: Option<&CommonId>,
    record: &PersonRecord,
    keyer: Option<&MatchKeyer>,
    audit: AuditDraft<Person>,
) -> StoreResult<Person> {
    // Check-then-write: BEGIN IMMEDIATE takes the write lock before the counter is read (a given
    // ID) or raised (a new one; UPDATE … RETURNING), so no serial is issued twice.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = match existing {
        Some(id) => {
            let last: Option<i64> = tx
                .query_row(
                    "SELECT last_serial FROM common_id_counters WHERE center = ?1",
                    [center.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            common_id::check_given_id(center, id, last)
                .map_err(|_| StoreError::MissingReference(Reference::CommonId))?;
            id.clone()
        }
        None => CommonId::issue(center, next_serial(&tx, center)?)
            .map_err(|e| StoreError::Other(anyhow!("issuing a common ID: {e}")))?,
    };
    let f = &record.facts;
    let now = ts(Utc::now());
    tx.execute(
        "INSERT INTO persons (center, common_id, sex, birth_year_month, residence_municipality, care_level,
                              household, registered_on, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        params![
            center.as_str(),
            id.as_str(),
            f.sex,
            f.birth_year_month,
            f.residence_municipality,
            f.care_level,
            f.household,
            f.registered_on.to_string(),
            now,
        ],
    )
    .map_err(|e| {
        if is_constraint(&e) {
            StoreError::Conflict(ConflictKind::CommonId)
        } else {
            e.into()
        }
    })?;
    write_details(&tx, center.as_str(), id.as_str(), record)?;
    outbox::record(&tx, center.as_str(), |c| {
        outbox::person_change(c, center.as_str(), &id, keyer)
    })?;
    let person = get(&tx, center.as_str(), &id)?;
    audit::append(&tx, &audit.entry_for(&person))?;
    tx.commit()?;
    Ok(person)
}

const PERSON_SELECT: &str = "
    SELECT p.center, p.common_id, p.sex, p.birth_year_month, p.residence_municipality, p.care_level,
           p.household, p.registered_on, p.ended_on, p.end_reason, p.created_at, p.updated_at,
           v.family_name, v.given_name, v.family_kana, v.given_kana, v.birth_date, v.postal_code,
           v.address, v.phone, v.emergency_contact, v.notes,
           (SELECT group_concat(category, ';') FROM person_categories pc
             WHERE pc.center = p.center AND pc.common_id = p.common_id)
    FROM persons p JOIN person_private v ON v.center = p.center AND v.common_id = p.common_id";

fn person_row(r: &Row) -> rusqlite::Result<Person> {
    let common_id: String = r.get(1)?;
    let common_id = CommonId::parse(&common_id).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, e.to_string().into())
    })?;
    let mut categories: Vec<String> = r
        .get::<_, Option<String>>(22)?
        .unwrap_or_default()
        .split(';')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    categories.sort();
    Ok(Person {
        center: r.get(0)?,
        common_id,
        facts: Facts {
            sex: r.get(2)?,
            birth_year_month: r.get(3)?,
            residence_municipality: r.get(4)?,
            care_level: r.get(5)?,
            household: r.get(6)?,
            registered_on: parse_date(&r.get::<_, String>(7)?)?,
            categories,
            disabilities: Vec::new(),
        },
        ended_on: parse_opt_date(r.get(8)?)?,
        end_reason: r.get(9)?,
        created_at: parse_ts(&r.get::<_, String>(10)?)?,
        updated_at: parse_ts(&r.get::<_, String>(11)?)?,
        identity: Identity {
            family_name: r.get(12)?,
            given_name: r.get(13)?,
            family_kana: r.get(14)?,
            given_kana: r.get(15)?,
            birth_date: parse_date(&r.get::<_, String>(16)?)?,
            postal_code: r.get(17)?,
            address: r.get(18)?,
            phone: r.get(19)?,
            emergency_contact: r.get(20)?,
            notes: r.get(21)?,
        },
    })
}

fn load_disabilities(c: &Connection, person: &mut Person) -> StoreResult<()> {
    let mut stmt = c.prepare_cached(
        "SELECT kind, grade FROM person_disabilities WHERE center = ?1 AND common_id = ?2 ORDER BY kind",
    )?;
    person.facts.disabilities = stmt
        .query_map(params![person.center, person.common_id.as_str()], |r| {
            Ok(Disability {
                kind: r.get(0)?,
                grade: r.get(1)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(())
}

pub fn get(c: &Connection, center: &str, id: &CommonId) -> StoreResult<Person> {
    let sql = format!("{PERSON_SELECT} WHERE p.center = ?1 AND p.common_id = ?2");
    let mut person = c
        .prepare_cached(&sql)?
        .query_row(params![center, id.as_str()], person_row)?;
    load_disabilities(c, &mut person)?;
    Ok(person)
}

/// The people of `center` among `ids`; IDs not registered there are left out.
pub fn many(c: &mut Connection, center: &str, ids: &[CommonId]) -> StoreResult<Vec<Person>> {
    let mut people = Vec::with_capacity(ids.len());
    for id in ids {
        match get(c, center, id) {
            Ok(p) => people.push(p),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(people)
}

pub fn update(
    c: &mut Connection,
    center: &str,
    id: &CommonId,
    record: &PersonRecord,
    keyer: Option<&MatchKeyer>,
    audit: AuditDraft<Person>,
) -> StoreResult<Person> {
    // Write first: the UPDATE, under BEGIN IMMEDIATE, holds the write lock before the outbox
    // reads the person back for its entry.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let f = &record.facts;
    let n = tx.execute(
        "UPDATE persons SET sex = ?3, birth_year_month = ?4, residence_municipality = ?5, care_level = ?6,
                            household = ?7, registered_on = ?8, updated_at = ?9
         WHERE center = ?1 AND common_id = ?2",
        params![
            center,
            id.as_str(),
            f.sex,
            f.birth_year_month,
            f.residence_municipality,
            f.care_level,
            f.household,
            f.registered_on.to_string(),
            ts(Utc::now()),
        ],
    )
    .map_err(|e| {
        if is_constraint(&e) {
            StoreError::Conflict(ConflictKind::RegisteredOn)
        } else {
            e.into()
        }
    })?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    write_details(&tx, center, id.as_str(), record)?;
    outbox::record(&tx, center, |c| outbox::person_change(c, center, id, keyer))?;
    let person = get(&tx, center, id)?;
    audit::append(&tx, &audit.entry_for(&person))?;
    tx.commit()?;
    Ok(person)
}

pub fn end(
    c: &mut Connection,
    center: &str,
    id: &CommonId,
    ending: &Ending,
    keyer: Option<&MatchKeyer>,
    audit: AuditDraft<Person>,
) -> StoreResult<Person> {
    // Write first: the UPDATE, under BEGIN IMMEDIATE, holds the write lock before the outbox
    // reads the person back for its entry.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let n = tx
        .execute(
            "UPDATE persons SET ended_on = ?3, end_reason = ?4, updated_at = ?5
             WHERE center = ?1 AND common_id = ?2",
            params![
                center,
                id.as_str(),
                ending.ended_on.to_string(),
                ending.end_reason,
                ts(Utc::now())
            ],
        )
        .map_err(|e| {
            if is_constraint(&e) {
                StoreError::Conflict(ConflictKind::EndedOn)
            } else {
                StoreError::from(e)
            }
        })?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    outbox::record(&tx, center, |c| outbox::person_change(c, center, id, keyer))?;
    let person = get(&tx, center, id)?;
    audit::append(&tx, &audit.entry_for(&person))?;
    tx.commit()?;
    Ok(person)
}

/// Escapes LIKE wildcards so user text matches literally.
fn like_fragment(s: &str) -> String {
    let escaped = s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

pub fn list(c: &mut Connection, center: &str, q: &PersonQuery) -> StoreResult<(Vec<Person>, u64)> {
    let text = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let by_id = text
        .and_then(|t| CommonId::parse(t).ok())
        .map(|id| id.to_string());
    // Part of an ID, typed without hyphens or in full width (`000007`, `C001000007`).
    let fragment = match (text, &by_id) {
        (Some(t), None) => shared::common_id::search_fragment(t).map(|f| like_fragment(&f)),
        _ => None,
    };
    let (kana, name) = match (text, &by_id, &fragment) {
        (Some(t), None, None) => (
            Some(like_fragment(&normalize_kana(t))),
            Some(like_fragment(&name_key(t))),
        ),
        _ => (None, None),
    };
    let filter = "WHERE p.center = ?1
          AND (?2 IS NULL OR p.common_id = ?2)
          AND (?3 IS NULL OR v.kana_key LIKE ?3 ESCAPE '\\' OR v.name_key LIKE ?4 ESCAPE '\\')
          AND (?5 IS NULL OR EXISTS (SELECT 1 FROM person_categories pc WHERE pc.center = p.center
                                     AND pc.common_id = p.common_id AND pc.category = ?5))
          AND (?6 OR p.ended_on IS NULL)
          AND (?7 IS NULL OR replace(p.common_id, '-', '') LIKE ?7 ESCAPE '\\')";
    let args = params![center, by_id, kana, name, q.category, q.include_ended, fragment];
    let total: i64 = c
        .prepare_cached(&format!(
            "SELECT count(*) FROM persons p JOIN person_private v
           ON v.center = p.center AND v.common_id = p.common_id {filter}"
        ))?
        .query_row(args, |r| r.get(0))?;
    let sql = format!("{PERSON_SELECT} {filter} ORDER BY v.kana_key, p.common_id LIMIT ?8 OFFSET ?9");
    let mut people: Vec<Person> = c
        .prepare_cached(&sql)?
        .query_map(
            params![
                center,
                by_id,
                kana,
                name,
                q.category,
                q.include_ended,
                fragment,
                q.limit as i64,
                q.offset as i64
            ],
            person_row,
        )?
        .collect::<Result<_, _>>()?;
    for p in &mut people {
        load_disabilities(c, p)?;
    }
    Ok((people, u64::try_from(total).unwrap_or(0)))
}
