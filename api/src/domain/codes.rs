//! A snapshot of the code lists (master data) used to validate input.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

/// One code-list entry, with the attributes some lists use.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeItem {
    pub list: String,
    pub code: String,
    pub label: String,
    pub sort_order: i32,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    /// For `categories`: the reporting group the category belongs to.
    pub parent: Option<String>,
    /// For `groups`: precedence (lower wins) when a person fits several.
    pub rank: Option<i32>,
    /// For `age_bands`: inclusive age bounds.
    pub lower: Option<i32>,
    pub upper: Option<i32>,
}

impl CodeItem {
    pub fn valid_on(&self, on: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| f <= on) && self.valid_to.is_none_or(|t| on <= t)
    }
}

/// The lists, as loaded from the database for one request.
#[derive(Debug, Clone, Default)]
pub struct Codes {
    lists: HashMap<String, Vec<CodeItem>>,
    municipalities: HashSet<String>,
}

/// Names of the code lists.
pub mod list {
    pub const SEX: &str = "sex";
    pub const CATEGORIES: &str = "categories";
    pub const GROUPS: &str = "groups";
    pub const CARE_LEVELS: &str = "care_levels";
    pub const HOUSEHOLDS: &str = "households";
    pub const DISABILITY_KINDS: &str = "disability_kinds";
    pub const AGE_BANDS: &str = "age_bands";
    pub const END_REASONS: &str = "end_reasons";
    pub const FUNCTIONS: &str = "functions";
    pub const REFERRAL_DESTINATIONS: &str = "referral_destinations";
    pub const VISIT_PURPOSES: &str = "visit_purposes";
    pub const CONSULTATION_TOPICS: &str = "consultation_topics";
    /// Every list served under `/api/v1/master/{list}`.
    pub const ALL: [&str; 12] = [
        SEX,
        CATEGORIES,
        GROUPS,
        CARE_LEVELS,
        HOUSEHOLDS,
        DISABILITY_KINDS,
        AGE_BANDS,
        END_REASONS,
        FUNCTIONS,
        REFERRAL_DESTINATIONS,
        VISIT_PURPOSES,
        CONSULTATION_TOPICS,
    ];
}

impl Codes {
    pub fn new(items: Vec<CodeItem>, municipalities: impl IntoIterator<Item = String>) -> Codes {
        let mut lists: HashMap<String, Vec<CodeItem>> = HashMap::new();
        for item in items {
            lists.entry(item.list.clone()).or_default().push(item);
        }
        for items in lists.values_mut() {
            items.sort_by_key(|i| i.sort_order);
        }
        Codes {
            lists,
            municipalities: municipalities.into_iter().collect(),
        }
    }

    pub fn items(&self, list: &str) -> &[CodeItem] {
        self.lists.get(list).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn get(&self, list: &str, code: &str) -> Option<&CodeItem> {
        self.items(list).iter().find(|i| i.code == code)
    }

    /// Whether `code` is in `list` and valid on `on`.
    pub fn is_valid(&self, list: &str, code: &str, on: NaiveDate) -> bool {
        self.get(list, code).is_some_and(|i| i.valid_on(on))
    }

    pub fn is_municipality(&self, code: &str) -> bool {
        self.municipalities.contains(code)
    }

    /// How many municipalities there are.
    pub fn municipality_count(&self) -> usize {
        self.municipalities.len()
    }

    /// The single reporting group of a set of categories, by the precedence in master data.
    pub fn group_of<'a>(&'a self, categories: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
        categories
            .into_iter()
            .filter_map(|c| self.get(list::CATEGORIES, c)?.parent.as_deref())
            .filter_map(|g| self.get(list::GROUPS, g))
            .min_by_key(|g| g.rank.unwrap_or(i32::MAX))
            .map(|g| g.code.as_str())
    }

    /// The age band a given age falls in.
    pub fn age_band(&self, age: u32) -> Option<&str> {
        let age = i32::try_from(age).ok()?;
        self.items(list::AGE_BANDS)
            .iter()
            .find(|b| b.lower.is_some_and(|l| l <= age) && b.upper.is_none_or(|u| age <= u))
            .map(|b| b.code.as_str())
    }
}
