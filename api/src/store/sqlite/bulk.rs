//! SQL for bulk loads of the registry (generated prefecture-scale data, migrations from the old
//! system): many people in one transaction, with the same rows a registration writes.

use rusqlite::{params, Connection, TransactionBehavior};

use super::{is_constraint, outbox, ts};
use crate::domain::common_id;
use crate::domain::duplicate_hint::MatchKeyer;
use crate::domain::person::Person;
use crate::store::{ConflictKind, StoreError, StoreResult};

/// Writes `people` (facts, categories, disabilities and, when `with_identity` — a centre node —
/// identity and the sync outbox entry) in one transaction, and raises each centre's common-ID
/// counter past the highest serial it issued.
pub fn import_persons(
    c: &mut Connection,
    people: &[Person],
    with_identity: bool,
    keyer: Option<&MatchKeyer>,
) -> StoreResult<usize> {
    // Check-then-write: BEGIN IMMEDIATE takes the write lock before the outbox checks whether the
    // centre syncs and before the counters are raised (max of stored and loaded, in one statement).
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut person = tx.prepare_cached(
            "INSERT INTO persons (center, common_id, sex, birth_year_month, residence_municipality, care_level,
                                  household, registered_on, ended_on, end_reason, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        let mut category = tx.prepare_cached(
            "INSERT INTO person_categories (center, common_id, category) VALUES (?1, ?2, ?3)",
        )?;
        let mut disability = tx.prepare_cached(
            "INSERT INTO person_disabilities (center, common_id, kind, grade) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for p in people {
            let (f, id) = (&p.facts, p.common_id.as_str());
            person
                .execute(params![
                    p.center,
                    id,
                    f.sex,
                    f.birth_year_month,
                    f.residence_municipality,
                    f.care_level,
                    f.household,
                    f.registered_on.to_string(),
                    p.ended_on.map(|d| d.to_string()),
                    p.end_reason,
                    ts(p.created_at),
                    ts(p.updated_at),
                ])
                .map_err(|e| {
                    if is_constraint(&e) {
                        StoreError::Conflict(ConflictKind::CommonId)
                    } else {
                        e.into()
                    }
                })?;
            for cat in &f.categories {
                category.execute(params![p.center, id, cat])?;
            }
            for d in &f.disabilities {
                disability.execute(params![p.center, id, d.kind, d.grade])?;
            }
        }
    }
    if with_identity {
        let mut private = tx.prepare_cached(
            "INSERT INTO person_private (center, common_id, family_name, given_name, family_kana, given_kana,
                                         kana_key, name_key, birth_date, postal_code, address, phone,
                                         emergency_contact, notes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?;
        for p in people {
            let i = &p.identity;
            private.execute(params![
                p.center,
                p.common_id.as_str(),
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
            ])?;
            // As a registration does: queued for the hub once this centre syncs.
            outbox::record(&tx, &p.center, |c| {
                outbox::person_change(c, &p.center, &p.common_id, keyer)
            })?;
        }
    }
    let highest = common_id::highest_own_serials(people);
    for (center, serial) in highest {
        tx.execute(
            "INSERT INTO common_id_counters (center, last_serial) VALUES (?1, ?2)
             ON CONFLICT (center) DO UPDATE SET last_serial = max(last_serial, excluded.last_serial)",
            params![center, serial],
        )?;
    }
    tx.commit()?;
    Ok(people.len())
}
