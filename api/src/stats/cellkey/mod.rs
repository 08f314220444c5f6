//! The cell-key method (decision 0020), as the Australian Bureau of Statistics' TableBuilder
//! applies it: every record carries a fixed pseudo-random key (a keyed hash of its identity:
//! a participation, an unregistered headcount, a person), a cell's key is the sum of its
//! records' keys modulo 1 (here 2³²), and the cell's published value is its true value plus a
//! perturbation looked up from that key. The same records always make the same cell key, so a
//! cell asked for again, spelled another way, or inside another table gets the same noise:
//! repeating or differencing queries does not average it away.
//!
//! The keys are computed from the records the extracts stream (no SQL of its own), for the
//! cells the store's `/stats` answer has; each cell's record count is checked against the
//! figure, and a cell whose records cannot be matched is hidden rather than published.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::mpsc;

mod facts;
mod registry;

use super::extract::{ExtractQuery, Rows};
use super::{Dimension, Measure, StatsQuery};
use crate::domain::codes::Codes;
use crate::store::{CommonStore, StoreResult};

/// Name of the node secret the record keys are derived from.
pub const SECRET: &str = "cell_key";

/// A cell's key and how many records made it (participations and headcounts, or people).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CellKey {
    pub key: u32,
    pub records: u64,
}

impl CellKey {
    fn add(&mut self, key: u32, records: u64) {
        self.key = self.key.wrapping_add(key);
        self.records += records;
    }
}

/// The keys of a table's cells: per row key, one per measure column (people counts only).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellKeys {
    pub rows: HashMap<Vec<String>, Vec<Option<CellKey>>>,
    pub totals: Vec<Option<CellKey>>,
}

impl CellKeys {
    pub fn cell(&self, key: &[String], column: usize) -> Option<CellKey> {
        self.rows.get(key).and_then(|r| r.get(column).copied().flatten())
    }

    pub fn total(&self, column: usize) -> Option<CellKey> {
        self.totals.get(column).copied().flatten()
    }
}

/// The perturbation of a cell with key `key`: an integer in `−max..=max`, more likely near 0
/// (weights `max + 1 − |j|`, so for `max = 2`: 1/9, 2/9, 3/9, 2/9, 1/9), with mean 0.
pub fn perturbation(key: u32, max: u32) -> i64 {
    let max = i64::from(max);
    let total = (max + 1) * (max + 1);
    let at = (i64::from(key) * total) >> 32;
    let mut seen = 0;
    for j in -max..=max {
        seen += max + 1 - j.abs();
        if at < seen {
            return j;
        }
    }
    max
}

/// The published value of a cell: zero stays zero (an empty cell has no records to key),
/// anything else moves by its perturbation but never to zero or below.
pub fn perturb(value: u64, key: u32, max: u32) -> u64 {
    if value == 0 {
        return 0;
    }
    let v = i64::try_from(value).unwrap_or(i64::MAX);
    u64::try_from((v + perturbation(key, max)).max(1)).unwrap_or(1)
}

/// Record keys: HMAC-SHA256 under the node's cell-key secret of a record's kind and identity,
/// cut to 32 bits.
pub(super) struct RecordKeys {
    mac: Hmac<Sha256>,
    people: HashMap<String, u64>,
}

impl RecordKeys {
    fn new(secret: &[u8]) -> RecordKeys {
        RecordKeys {
            mac: <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes a key of any length"),
            people: HashMap::new(),
        }
    }

    pub(super) fn key(&self, parts: &[&str]) -> u32 {
        let mut mac = self.mac.clone();
        for p in parts {
            mac.update(p.as_bytes());
            mac.update(&[0x1f]);
        }
        let d = mac.finalize().into_bytes();
        u32::from_be_bytes([d[0], d[1], d[2], d[3]])
    }

    /// A person's key: 64 bits, whose high half is the record key and whole tells people
    /// apart in a cell (a collision among 30,000 people is below one in 10¹⁰).
    pub(super) fn person(&mut self, common_id: &str) -> u64 {
        if let Some(k) = self.people.get(common_id) {
            return *k;
        }
        let mut mac = self.mac.clone();
        mac.update(b"person\x1f");
        mac.update(common_id.as_bytes());
        let d = mac.finalize().into_bytes();
        let k = u64::from_be_bytes(d[..8].try_into().expect("8 bytes"));
        self.people.insert(common_id.to_owned(), k);
        k
    }
}

/// Cells being filled: key sums, and for distinct counts the people seen in each cell. Row
/// keys are stored once and cells found by reference, as a million facts pass through.
pub(super) struct Cells {
    columns: usize,
    index: HashMap<Vec<String>, usize>,
    cells: Vec<Vec<Option<CellKey>>>,
    people: HashMap<(usize, usize), std::collections::HashSet<u64>>,
}

impl Cells {
    fn new(columns: usize) -> Cells {
        Cells {
            columns,
            index: HashMap::new(),
            cells: Vec::new(),
            people: HashMap::new(),
        }
    }

    fn row(&mut self, row: &[String]) -> usize {
        if let Some(&i) = self.index.get(row) {
            return i;
        }
        self.cells.push(vec![None; self.columns]);
        self.index.insert(row.to_vec(), self.cells.len() - 1);
        self.cells.len() - 1
    }

    pub(super) fn add(&mut self, row: &[String], column: usize, key: u32, records: u64) {
        let r = self.row(row);
        self.cells[r][column]
            .get_or_insert_with(CellKey::default)
            .add(key, records);
    }

    pub(super) fn person(&mut self, row: &[String], column: usize, person: u64) {
        let r = self.row(row);
        self.people.entry((r, column)).or_default().insert(person);
    }

    fn finish(mut self) -> HashMap<Vec<String>, Vec<Option<CellKey>>> {
        for ((r, column), people) in std::mem::take(&mut self.people) {
            for person in people {
                self.cells[r][column]
                    .get_or_insert_with(CellKey::default)
                    .add((person >> 32) as u32, 1);
            }
        }
        let mut cells = self.cells;
        self.index
            .into_iter()
            .map(|(key, r)| (key, std::mem::take(&mut cells[r])))
            .collect()
    }
}

/// Reads every row of an extract into memory-light chunks handed to `each`.
pub(super) async fn stream(
    store: &Arc<dyn CommonStore>,
    q: ExtractQuery,
    mut each: impl FnMut(&Rows),
) -> StoreResult<()> {
    let (tx, mut rx) = mpsc::channel::<Rows>(4);
    let reader = {
        let store = store.clone();
        tokio::spawn(async move { store.extract(&q, tx).await })
    };
    while let Some(rows) = rx.recv().await {
        each(&rows);
    }
    reader
        .await
        .map_err(|e| crate::store::StoreError::Other(anyhow::anyhow!("reading records: {e}")))??;
    Ok(())
}

pub(super) fn parse_date(s: &str) -> Option<NaiveDate> {
    s.parse().ok()
}

/// Where the records go: the rows' cells and the totals' one.
pub(super) struct Sinks<'a> {
    pub rows: &'a mut Cells,
    pub total: &'a mut Cells,
}

/// The cell keys of the answer to `q` (its rows, and the totals when `totals`), from the
/// records the extracts give for the same selection.
pub async fn cell_keys(
    store: Arc<dyn CommonStore>,
    q: &StatsQuery,
    totals: bool,
    codes: &Codes,
) -> StoreResult<CellKeys> {
    let secret = store.node_secret(SECRET, 32).await?;
    let mut keys = RecordKeys::new(&secret);
    let columns = q.measures.len();
    let mut rows = Cells::new(columns);
    let mut total = Cells::new(columns);
    let counted = facts::counted_columns(&q.measures);
    let distinct: Vec<usize> = q
        .measures
        .iter()
        .enumerate()
        .filter(|(_, m)| **m == Measure::UniquePersons)
        .map(|(i, _)| i)
        .collect();
    let category_filter = q
        .filters
        .iter()
        .find(|(d, _)| *d == Dimension::Category)
        .map(|(_, c)| c);
    if !counted.is_empty() || !distinct.is_empty() {
        let mut into = Sinks {
            rows: &mut rows,
            total: &mut total,
        };
        facts::add_participations(
            &store,
            q,
            &mut keys,
            &counted,
            &distinct,
            category_filter,
            &mut into,
        )
        .await?;
    }
    if !counted.is_empty() {
        let mut into = Sinks {
            rows: &mut rows,
            total: &mut total,
        };
        facts::add_unregistered(&store, q, &keys, &counted, category_filter, &mut into).await?;
    }
    let mut into = Sinks {
        rows: &mut rows,
        total: &mut total,
    };
    registry::add(&store, q, codes, &mut keys, &mut into).await?;
    let mut out = CellKeys {
        rows: rows.finish(),
        totals: vec![None; columns],
    };
    if totals {
        out.totals = total
            .finish()
            .remove(&Vec::new())
            .unwrap_or_else(|| vec![None; columns]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_perturbation_is_bounded_centred_and_shaped_as_its_table_says() {
        let mut seen: HashMap<i64, u64> = HashMap::new();
        let steps = 9 * 1000u64;
        for i in 0..steps {
            // Keys spread evenly over 0..2³², each in the middle of its slice.
            let key = (((2 * i + 1) as u128 * (1u128 << 32)) / (2 * steps) as u128) as u32;
            *seen.entry(perturbation(key, 2)).or_default() += 1;
        }
        assert_eq!(seen.len(), 5);
        assert_eq!(seen[&0], 3000);
        assert_eq!((seen[&-1], seen[&1]), (2000, 2000));
        assert_eq!((seen[&-2], seen[&2]), (1000, 1000));
        assert_eq!(perturbation(u32::MAX, 2), 2);
        assert_eq!(perturbation(0, 2), -2);
    }

    #[test]
    fn zero_stays_zero_and_a_non_empty_cell_never_becomes_empty() {
        assert_eq!(perturb(0, u32::MAX, 2), 0);
        assert_eq!(perturb(1, 0, 2), 1);
        assert_eq!(perturb(10, 0, 2), 8);
        assert_eq!(perturb(10, u32::MAX, 2), 12);
    }

    #[test]
    fn a_cells_key_is_the_sum_of_its_records_keys_whatever_their_order() {
        let keys = RecordKeys::new(b"secret");
        let a = keys.key(&["participation", "act-1", "C001-000001-3"]);
        let b = keys.key(&["participation", "act-2", "C001-000001-3"]);
        let mut one = CellKey::default();
        one.add(a, 1);
        one.add(b, 1);
        let mut other = CellKey::default();
        other.add(b, 1);
        other.add(a, 1);
        assert_eq!(one, other);
        assert_eq!(one.records, 2);
        assert_ne!(
            a,
            RecordKeys::new(b"another").key(&["participation", "act-1", "C001-000001-3"])
        );
    }
}
