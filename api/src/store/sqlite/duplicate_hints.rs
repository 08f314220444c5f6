//! SQL for the hub's optional duplicate hint: the match key a centre sent with a person's facts,
//! and look-ups by match key. Hub nodes only (`duplicate_hints`, migration
//! `0013_hub_duplicate_hints.sql`).

use rusqlite::{params, Connection, Transaction};
use shared::dto::duplicate_hint::DuplicateHintCandidate;

use crate::store::StoreResult;

/// Keeps `match_key` for (centre, common ID), or forgets it when the entry carries none (the
/// centre has no key, or the hub has the hint off): each `upsert_person` states the whole state.
pub(super) fn put(
    tx: &Transaction,
    center: &str,
    common_id: &str,
    match_key: Option<&str>,
) -> StoreResult<()> {
    match match_key {
        Some(key) => {
            tx.prepare_cached(
                "INSERT INTO duplicate_hints (center, common_id, match_key) VALUES (?1, ?2, ?3)
                 ON CONFLICT (center, common_id) DO UPDATE SET match_key = excluded.match_key",
            )?
            .execute(params![center, common_id, key])?;
        }
        None => {
            tx.prepare_cached("DELETE FROM duplicate_hints WHERE center = ?1 AND common_id = ?2")?
                .execute(params![center, common_id])?;
        }
    }
    Ok(())
}

/// Registrations at other centres with `match_key`, leaving out common IDs `asking` already has.
pub fn candidates(
    c: &mut Connection,
    match_key: &str,
    asking: &str,
) -> StoreResult<Vec<DuplicateHintCandidate>> {
    let rows = c
        .prepare_cached(
            "SELECT h.common_id, h.center, c.name
             FROM duplicate_hints h JOIN centers c ON c.code = h.center
             WHERE h.match_key = ?1 AND h.center <> ?2
               AND h.common_id NOT IN (SELECT common_id FROM persons WHERE center = ?2)
             ORDER BY h.center, h.common_id
             LIMIT 20",
        )?
        .query_map(params![match_key, asking], |r| {
            Ok(DuplicateHintCandidate {
                common_id: r.get(0)?,
                center_code: r.get(1)?,
                center_name: r.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Deletes every match key (the hint is off on this hub).
pub fn clear(c: &mut Connection) -> StoreResult<usize> {
    Ok(c.execute("DELETE FROM duplicate_hints", [])?)
}
