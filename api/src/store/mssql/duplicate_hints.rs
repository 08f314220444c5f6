//! SQL for the hub's optional duplicate hint: the match key a centre sent with a person's facts,
//! and look-ups by match key (`duplicate_hints`, migration `0013_hub_duplicate_hints.sql`).

use shared::dto::duplicate_hint::DuplicateHintCandidate;

use super::conn::{str, Conn};
use crate::store::StoreResult;

pub(super) const UPDATE: &str =
    "UPDATE duplicate_hints SET match_key = @P3 WHERE center = @P1 AND common_id = @P2";
pub(super) const INSERT: &str =
    "INSERT INTO duplicate_hints (center, common_id, match_key) VALUES (@P1, @P2, @P3)";
pub(super) const FORGET: &str = "DELETE FROM duplicate_hints WHERE center = @P1 AND common_id = @P2";
pub(super) const CANDIDATES: &str = "SELECT TOP (20) h.common_id, h.center, c.name
     FROM duplicate_hints h JOIN centers c ON c.code = h.center
     WHERE h.match_key = @P1 AND h.center <> @P2
       AND h.common_id NOT IN (SELECT common_id FROM persons WHERE center = @P2)
     ORDER BY h.center, h.common_id";
pub(super) const CLEAR: &str = "DELETE FROM duplicate_hints";

#[cfg(test)]
pub(super) const SQL: &[&str] = &[UPDATE, INSERT, FORGET, CANDIDATES, CLEAR];

/// Keeps `match_key` for (centre, common ID), or forgets it when the entry carries none. Called
/// in a sync batch's transaction, which holds the centre's facts lock: UPDATE, then INSERT when
/// there was no row, cannot race.
pub(super) async fn put(
    c: &mut Conn,
    center: &str,
    common_id: &str,
    match_key: Option<&str>,
) -> StoreResult<()> {
    match match_key {
        Some(key) => {
            if c.exec(UPDATE, &[&center, &common_id, &key]).await? == 0 {
                c.exec(INSERT, &[&center, &common_id, &key]).await?;
            }
        }
        None => {
            c.exec(FORGET, &[&center, &common_id]).await?;
        }
    }
    Ok(())
}

/// Registrations at other centres with `match_key`, leaving out common IDs `asking` already has.
pub async fn candidates(
    c: &mut Conn,
    match_key: &str,
    asking: &str,
) -> StoreResult<Vec<DuplicateHintCandidate>> {
    c.rows(CANDIDATES, &[&match_key, &asking])
        .await?
        .iter()
        .map(|r| {
            Ok(DuplicateHintCandidate {
                common_id: str(r, 0)?,
                center_code: str(r, 1)?,
                center_name: str(r, 2)?,
            })
        })
        .collect()
}

/// Deletes every match key (the hint is off on this hub).
pub async fn clear(c: &mut Conn) -> StoreResult<usize> {
    Ok(usize::try_from(c.exec(CLEAR, &[]).await?).unwrap_or(usize::MAX))
}
