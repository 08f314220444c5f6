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

use super::extract::{ExtractKind, ExtractQuery, Rows};
use super::plan::stock_buckets;
use super::privacy::age_from_year_month;
use super::{time_code, Dimension, Measure, StatsQuery};
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
struct RecordKeys {
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

    fn key(&self, parts: &[&str]) -> u32 {
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
    fn person(&mut self, common_id: &str) -> u64 {
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
struct Cells {
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

    fn add(&mut self, row: &[String], column: usize, key: u32, records: u64) {
        let r = self.row(row);
        self.cells[r][column]
            .get_or_insert_with(CellKey::default)
            .add(key, records);
    }

    fn person(&mut self, row: &[String], column: usize, person: u64) {
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

/// The dimensions a fact carries a code for, in the order of [`Fact::codes`].
const FACT_DIMS: [Dimension; 11] = [
    Dimension::FiscalYear,
    Dimension::Date,
    Dimension::Municipality,
    Dimension::Center,
    Dimension::Site,
    Dimension::Function,
    Dimension::Sex,
    Dimension::AgeBand,
    Dimension::Group,
    Dimension::CareLevel,
    Dimension::Household,
];

/// A fact of the participation stream: its codes (of [`FACT_DIMS`]) and its categories.
struct Fact<'a> {
    codes: [&'a str; 11],
    categories: Vec<&'a str>,
    date: NaiveDate,
}

impl Fact<'_> {
    fn code(&self, d: Dimension) -> String {
        match d {
            Dimension::Quarter | Dimension::Month => time_code(d, self.date),
            _ => FACT_DIMS
                .iter()
                .position(|x| *x == d)
                .map_or("", |i| self.codes[i])
                .to_owned(),
        }
    }

    /// The row keys the fact falls in for `dims`: several with `category` (only the codes a
    /// category filter lets through).
    fn keys(&self, dims: &[Dimension], category_filter: Option<&Vec<String>>) -> Vec<Vec<String>> {
        let mut keys = vec![Vec::with_capacity(dims.len())];
        for d in dims {
            if *d == Dimension::Category {
                let cats: Vec<&str> = self
                    .categories
                    .iter()
                    .copied()
                    .filter(|c| category_filter.is_none_or(|f| f.iter().any(|x| x == c)))
                    .collect();
                keys = keys
                    .into_iter()
                    .flat_map(|k| {
                        cats.iter().map(move |c| {
                            let mut k = k.clone();
                            k.push((*c).to_owned());
                            k
                        })
                    })
                    .collect();
            } else {
                let code = self.code(*d);
                for k in &mut keys {
                    k.push(code.clone());
                }
            }
        }
        keys
    }
}

/// Which measure columns count which facts: every fact, or those of one function.
fn fact_columns(measures: &[Measure]) -> Vec<(usize, Option<&'static str>)> {
    measures
        .iter()
        .enumerate()
        .filter_map(|(i, m)| match m {
            Measure::Participations => Some((i, None)),
            Measure::Visits => Some((i, Some("houmon"))),
            Measure::Consultations => Some((i, Some("soudan"))),
            Measure::Referrals => Some((i, Some("tsunagi"))),
            _ => None,
        })
        .collect()
}

/// Reads every row of an extract into memory-light chunks handed to `each`.
async fn stream(
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

fn parse_date(s: &str) -> Option<NaiveDate> {
    s.parse().ok()
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
    let counted = fact_columns(&q.measures);
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
    let dims = &q.dims;
    if !counted.is_empty() || !distinct.is_empty() {
        let participations = ExtractQuery {
            kind: ExtractKind::Participations,
            from: q.from,
            to: q.to,
            filters: q.filters.clone(),
        };
        stream(&store, participations, |chunk| {
            for r in 0..chunk.len() {
                let f: Vec<&str> = chunk.row(r).collect();
                let Some(date) = parse_date(f[5]) else { continue };
                let fact = Fact {
                    codes: [
                        f[6], f[5], f[3], f[2], f[4], f[7], f[8], f[9], f[10], f[12], f[13],
                    ],
                    categories: f[11].split(';').filter(|c| !c.is_empty()).collect(),
                    date,
                };
                let record = keys.key(&["participation", f[0], f[1]]);
                let person = keys.person(f[1]);
                let function = f[7];
                for (cells, row_keys) in [
                    (&mut rows, fact.keys(dims, category_filter)),
                    (&mut total, vec![Vec::new()]),
                ] {
                    for key in &row_keys {
                        for (column, only) in &counted {
                            if only.is_none_or(|fun| fun == function) {
                                cells.add(key, *column, record, 1);
                            }
                        }
                        for column in &distinct {
                            cells.person(key, *column, person);
                        }
                    }
                }
            }
        })
        .await?;
    }
    if !counted.is_empty() {
        add_unregistered(&store, q, &keys, &counted, category_filter, &mut rows, &mut total).await?;
    }
    add_registry(&store, q, codes, &mut keys, &mut rows, &mut total).await?;
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

/// The unregistered headcounts of the activities in range: each head is a record, with its
/// group as group and category and `unknown` for the other person attributes.
async fn add_unregistered(
    store: &Arc<dyn CommonStore>,
    q: &StatsQuery,
    keys: &RecordKeys,
    counted: &[(usize, Option<&'static str>)],
    category_filter: Option<&Vec<String>>,
    rows: &mut Cells,
    total: &mut Cells,
) -> StoreResult<()> {
    const GROUPS: [&str; 4] = ["elderly", "disabled", "child", "other"];
    let (personal, activity): (Vec<_>, Vec<_>) =
        q.filters.iter().cloned().partition(|(d, _)| d.is_personal());
    let activities = ExtractQuery {
        kind: ExtractKind::Activities,
        from: q.from,
        to: q.to,
        filters: activity,
    };
    let passes = |group: &str| {
        personal.iter().all(|(d, codes)| {
            let value = match d {
                Dimension::Group | Dimension::Category => group,
                _ => super::UNKNOWN,
            };
            codes.iter().any(|c| c == value)
        })
    };
    stream(store, activities, |chunk| {
        for r in 0..chunk.len() {
            let f: Vec<&str> = chunk.row(r).collect();
            let Some(date) = parse_date(f[4]) else { continue };
            for (g, group) in GROUPS.iter().enumerate() {
                let heads: u64 = f[8 + g].parse().unwrap_or(0);
                if heads == 0 || !passes(group) {
                    continue;
                }
                let unknown = super::UNKNOWN;
                let fact = Fact {
                    codes: [
                        f[5], f[4], f[2], f[1], f[3], f[6], unknown, unknown, group, unknown, unknown,
                    ],
                    categories: vec![*group],
                    date,
                };
                // Each head is a record of its own: the nth of the group at the activity.
                let mut key = 0u32;
                for i in 0..heads {
                    key = key.wrapping_add(keys.key(&["unregistered", f[0], group, &i.to_string()]));
                }
                for (cells, row_keys) in [
                    (&mut *rows, fact.keys(&q.dims, category_filter)),
                    (&mut *total, vec![Vec::new()]),
                ] {
                    for row in &row_keys {
                        for (column, only) in counted {
                            if only.is_none_or(|fun| fun == f[6]) {
                                cells.add(row, *column, key, heads);
                            }
                        }
                    }
                }
            }
        }
    })
    .await
}

/// A registration as the persons extract gives it.
struct Registration {
    common_id: String,
    center: String,
    municipality: String,
    sex: String,
    birth: String,
    group: String,
    categories: Vec<String>,
    care_level: String,
    household: String,
    registered_on: NaiveDate,
    ended_on: Option<NaiveDate>,
}

impl Registration {
    fn code(&self, d: Dimension, on: NaiveDate, codes: &Codes) -> String {
        match d {
            Dimension::Municipality => self.municipality.clone(),
            Dimension::Center => self.center.clone(),
            Dimension::Sex => self.sex.clone(),
            Dimension::AgeBand => age_from_year_month(&self.birth, on)
                .and_then(|a| u32::try_from(a).ok())
                .and_then(|a| codes.age_band(a))
                .unwrap_or_default()
                .to_owned(),
            Dimension::Group => self.group.clone(),
            Dimension::CareLevel => self.care_level.clone(),
            Dimension::Household => self.household.clone(),
            d if d.is_time() => time_code(d, on),
            _ => String::new(),
        }
    }

    /// Whether the registration passes the registry's filters, its age taken on `on` (time
    /// filters too, for new registrations; stock buckets have applied theirs).
    fn passes(
        &self,
        filters: &[(Dimension, Vec<String>)],
        on: NaiveDate,
        codes: &Codes,
        per_category: bool,
    ) -> bool {
        filters.iter().all(|(d, allowed)| match d {
            Dimension::Site | Dimension::Function => true,
            Dimension::Category if per_category => true,
            Dimension::Category => self.categories.iter().any(|c| allowed.contains(c)),
            _ => allowed.contains(&self.code(*d, on, codes)),
        })
    }

    /// Row keys for `dims` (the time codes of `time_keys` in place of time dimensions when
    /// given: a stock bucket's), several with `category`.
    fn keys(
        &self,
        dims: &[Dimension],
        on: NaiveDate,
        codes: &Codes,
        category_filter: Option<&Vec<String>>,
    ) -> Vec<Vec<String>> {
        let mut keys = vec![Vec::with_capacity(dims.len())];
        for d in dims {
            if *d == Dimension::Category {
                let cats: Vec<&String> = self
                    .categories
                    .iter()
                    .filter(|c| category_filter.is_none_or(|f| f.contains(c)))
                    .collect();
                keys = keys
                    .into_iter()
                    .flat_map(|k| {
                        cats.iter().map(move |c| {
                            let mut k = k.clone();
                            k.push((*c).clone());
                            k
                        })
                    })
                    .collect();
            } else {
                let code = self.code(*d, on, codes);
                for k in &mut keys {
                    k.push(code.clone());
                }
            }
        }
        keys
    }
}

/// 新規登録者数 and 登録者数: each registration counted is a person, keyed as a person.
async fn add_registry(
    store: &Arc<dyn CommonStore>,
    q: &StatsQuery,
    codes: &Codes,
    keys: &mut RecordKeys,
    rows: &mut Cells,
    total: &mut Cells,
) -> StoreResult<()> {
    let new = q.measures.iter().position(|m| *m == Measure::NewRegistrations);
    let stock = q.measures.iter().position(|m| *m == Measure::RegisteredPersons);
    if new.is_none() && stock.is_none() {
        return Ok(());
    }
    let persons = ExtractQuery {
        kind: ExtractKind::Persons,
        from: q.from,
        to: q.to,
        filters: q
            .filters
            .iter()
            .filter(|(d, _)| matches!(d, Dimension::Municipality | Dimension::Center))
            .cloned()
            .collect(),
    };
    let mut registrations = Vec::new();
    stream(store, persons, |chunk| {
        for r in 0..chunk.len() {
            let f: Vec<&str> = chunk.row(r).collect();
            let Some(registered_on) = parse_date(f[10]) else {
                continue;
            };
            registrations.push(Registration {
                common_id: f[0].to_owned(),
                center: f[1].to_owned(),
                municipality: f[2].to_owned(),
                sex: f[3].to_owned(),
                birth: f[4].to_owned(),
                group: f[6].to_owned(),
                categories: f[7]
                    .split(';')
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect(),
                care_level: f[8].to_owned(),
                household: f[9].to_owned(),
                registered_on,
                ended_on: parse_date(f[11]),
            });
        }
    })
    .await?;
    let per_category = q.dims.contains(&Dimension::Category);
    let category_filter = q
        .filters
        .iter()
        .find(|(d, _)| *d == Dimension::Category)
        .map(|(_, c)| c);
    let non_time: Vec<(Dimension, Vec<String>)> =
        q.filters.iter().filter(|(d, _)| !d.is_time()).cloned().collect();
    if let Some(column) = new {
        for p in &registrations {
            let on = p.registered_on;
            if on < q.from || on > q.to || !p.passes(&q.filters, on, codes, per_category) {
                continue;
            }
            let key = keys.person(&p.common_id);
            for row in p.keys(&q.dims, on, codes, category_filter) {
                rows.person(&row, column, key);
            }
            // The totals are a query without rows: a category filter keeps anyone with one of
            // its codes.
            if !per_category || p.passes(&q.filters, on, codes, false) {
                total.person(&[], column, key);
            }
        }
    }
    if let Some(column) = stock {
        let other: Vec<Dimension> = q.dims.iter().copied().filter(|d| !d.is_time()).collect();
        let in_stock =
            |p: &Registration, on: NaiveDate| p.registered_on <= on && p.ended_on.is_none_or(|e| e > on);
        for bucket in stock_buckets(&q.dims, q.from, q.to, &q.filters) {
            for p in registrations.iter().filter(|p| in_stock(p, bucket.on)) {
                if !p.passes(&non_time, bucket.on, codes, per_category) {
                    continue;
                }
                let key = keys.person(&p.common_id);
                for other_keys in p.keys(&other, bucket.on, codes, category_filter) {
                    rows.person(&bucket.key(&q.dims, other_keys), column, key);
                }
            }
        }
        // The totals take the stock on the last day the request covers, as the store does.
        if let Some(bucket) = stock_buckets(&[], q.from, q.to, &q.filters).last() {
            for p in registrations.iter().filter(|p| in_stock(p, bucket.on)) {
                if p.passes(&non_time, bucket.on, codes, false) {
                    total.person(&[], column, keys.person(&p.common_id));
                }
            }
        }
    }
    Ok(())
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
