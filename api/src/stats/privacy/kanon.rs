//! k-anonymity of an extract as a recipient receives it: people are grouped by what the
//! extract tells about them on its quasi-identifiers, and each person's k is the size of their
//! group. A person with several rows (two centres; a band that changes between fiscal years;
//! many participations) is described by the set of their distinct quasi-identifier values.

use std::collections::{BTreeSet, HashMap};

use super::super::extract::{ColumnSpec, ExtractKind, Rows};

/// Columns an outsider may know about a person (sex, age, where they live and go, their
/// household and care level, when they registered and left): the quasi-identifiers. Group
/// and categories (disability among them) are what the extract is for, the sensitive part;
/// the trail of dates and functions is counted separately.
pub fn quasi_identifiers(kind: ExtractKind) -> &'static [&'static str] {
    match kind {
        ExtractKind::Persons => &[
            "center",
            "municipality",
            "sex",
            "birth_year_month",
            "age_band",
            "residence_municipality",
            "care_level",
            "household",
            "registered_on",
            "ended_on",
            "end_reason",
        ],
        ExtractKind::Participations => &[
            "center",
            "municipality",
            "sex",
            "age_band",
            "care_level",
            "household",
        ],
        ExtractKind::Activities => &[],
    }
}

/// Further descriptions the report also measures, to show what they would add.
pub fn extensions(kind: ExtractKind) -> Vec<(&'static str, &'static [&'static str])> {
    match kind {
        ExtractKind::Persons => vec![("+ group, categories", &["group", "categories"])],
        ExtractKind::Participations => vec![
            ("+ group, categories", &["group", "categories"]),
            (
                "+ attendance (date, function, site)",
                &["date", "function", "site"],
            ),
        ],
        ExtractKind::Activities => Vec::new(),
    }
}

/// How many people fall in each class of k.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Classes {
    pub people: u64,
    /// k = 1: unique.
    pub unique: u64,
    /// k < 5.
    pub below_5: u64,
    /// k < 10.
    pub below_10: u64,
}

impl Classes {
    pub fn share(&self, n: u64) -> f64 {
        if self.people == 0 {
            0.0
        } else {
            100.0 * n as f64 / self.people as f64
        }
    }

    /// Whether at least `percent` % of people are in groups of five or more.
    pub fn k5_for(&self, percent: f64) -> bool {
        self.people == 0 || 100.0 - self.share(self.below_5) >= percent
    }
}

/// What a row tells about its person under one description (the values of some columns,
/// or of columns rewritten), as one string.
pub type Describe = Box<dyn Fn(&[&str]) -> String + Send>;

/// Describes a row by the values of the columns at `at`.
pub fn columns_at(at: Vec<usize>) -> Describe {
    Box::new(move |fields: &[&str]| {
        at.iter()
            .map(|&i| fields.get(i).copied().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\u{1f}")
    })
}

/// Collects, per person, the distinct descriptions of their rows under each description.
pub struct Measure {
    id: Option<usize>,
    describe: Vec<Describe>,
    people: HashMap<String, Vec<BTreeSet<String>>>,
    rows: u64,
}

impl Measure {
    /// A measure over rows of `columns`: the quasi-identifiers, then each extension on top.
    pub fn new(kind: ExtractKind, columns: &[ColumnSpec]) -> Measure {
        let index = |names: &[&str]| -> Vec<usize> {
            columns
                .iter()
                .enumerate()
                .filter(|(_, (name, _, _))| names.contains(name))
                .map(|(i, _)| i)
                .collect()
        };
        let base = index(quasi_identifiers(kind));
        let mut describe = vec![columns_at(base.clone())];
        let mut cumulative = base;
        for (_, more) in extensions(kind) {
            cumulative.extend(index(more));
            describe.push(columns_at(cumulative.clone()));
        }
        Measure::with(columns, describe)
    }

    /// A measure over rows of `columns` under the given descriptions.
    pub fn with(columns: &[ColumnSpec], describe: Vec<Describe>) -> Measure {
        Measure {
            id: columns.iter().position(|(name, _, _)| *name == "common_id"),
            describe,
            people: HashMap::new(),
            rows: 0,
        }
    }

    pub fn add(&mut self, rows: &Rows) {
        let Some(id) = self.id else {
            self.rows += rows.len() as u64;
            return;
        };
        for r in 0..rows.len() {
            let fields: Vec<&str> = rows.row(r).collect();
            let person = self
                .people
                .entry(fields[id].to_owned())
                .or_insert_with(|| vec![BTreeSet::new(); self.describe.len()]);
            for (describe, seen) in self.describe.iter().zip(person.iter_mut()) {
                seen.insert(describe(&fields));
            }
            self.rows += 1;
        }
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The classes for each column set: the quasi-identifiers first, then each extension.
    pub fn classes(&self) -> Vec<Classes> {
        (0..self.describe.len())
            .map(|s| {
                let mut sizes: HashMap<&BTreeSet<String>, u64> = HashMap::new();
                for sets in self.people.values() {
                    *sizes.entry(&sets[s]).or_default() += 1;
                }
                let mut c = Classes::default();
                for sets in self.people.values() {
                    let k = sizes[&sets[s]];
                    c.people += 1;
                    c.unique += u64::from(k == 1);
                    c.below_5 += u64::from(k < 5);
                    c.below_10 += u64::from(k < 10);
                }
                c
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(data: &[&[&str]]) -> Rows {
        let mut r = Rows::new(data[0].len(), data.len());
        for row in data {
            for f in *row {
                r.push(f);
            }
        }
        r
    }

    #[test]
    fn a_person_alone_on_their_quasi_identifiers_is_unique_and_five_alike_are_not() {
        let columns = ExtractKind::Persons.columns();
        let mut m = Measure::new(ExtractKind::Persons, columns);
        let alike = [
            "",
            "C001",
            "392014",
            "F",
            "1948-05",
            "392014",
            "elderly",
            "elderly",
            "shien1",
            "alone",
            "2024-04-01",
            "",
            "",
        ];
        let mut data: Vec<Vec<&str>> = Vec::new();
        let ids = ["a", "b", "c", "d", "e"];
        for id in ids {
            let mut row = alike.to_vec();
            row[0] = id;
            data.push(row);
        }
        let mut lone = alike.to_vec();
        lone[0] = "z";
        lone[4] = "1931-02";
        data.push(lone);
        let refs: Vec<&[&str]> = data.iter().map(Vec::as_slice).collect();
        m.add(&rows(&refs));
        let c = m.classes()[0];
        assert_eq!((c.people, c.unique, c.below_5, c.below_10), (6, 1, 1, 6));
        assert!(!c.k5_for(95.0));
        assert!(c.k5_for(80.0));
    }

    #[test]
    fn a_person_is_described_by_all_their_rows_together() {
        let columns = ExtractKind::Participations.columns();
        let mut m = Measure::new(ExtractKind::Participations, columns);
        let row = |id: &'static str, center: &'static str| {
            vec![
                "x",
                id,
                center,
                "392014",
                "",
                "2024-05-01",
                "FY2024",
                "tsudoi",
                "F",
                "age_75_84",
                "elderly",
                "elderly",
                "",
                "",
            ]
        };
        // a and b at C001; b also at C002: b is described by both and so stands alone.
        let data = [row("a", "C001"), row("b", "C001"), row("b", "C002")];
        let refs: Vec<&[&str]> = data.iter().map(Vec::as_slice).collect();
        m.add(&rows(&refs));
        let c = m.classes()[0];
        assert_eq!((c.people, c.unique), (2, 2));
        assert_eq!(m.rows(), 3);
    }
}
