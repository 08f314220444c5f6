//! 新規登録者数 and 登録者数: the registrations the persons extract gives, in the cells the
//! store's registry steps put them (ages at registration or on the stock's day).

use std::sync::Arc;

use chrono::NaiveDate;

use super::{parse_date, stream, RecordKeys, Sinks};
use crate::domain::codes::Codes;
use crate::stats::extract::{ExtractKind, ExtractQuery};
use crate::stats::plan::stock_buckets;
use crate::stats::privacy::age_from_year_month;
use crate::stats::{time_code, Dimension, Measure, StatsQuery};
use crate::store::{CommonStore, StoreResult};

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
pub(super) async fn add(
    store: &Arc<dyn CommonStore>,
    q: &StatsQuery,
    codes: &Codes,
    keys: &mut RecordKeys,
    into: &mut Sinks<'_>,
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
                into.rows.person(&row, column, key);
            }
            // The totals are a query without rows: a category filter keeps anyone with one of
            // its codes.
            if !per_category || p.passes(&q.filters, on, codes, false) {
                into.total.person(&[], column, key);
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
                    into.rows.person(&bucket.key(&q.dims, other_keys), column, key);
                }
            }
        }
        // The totals take the stock on the last day the request covers, as the store does.
        if let Some(bucket) = stock_buckets(&[], q.from, q.to, &q.filters).last() {
            for p in registrations.iter().filter(|p| in_stock(p, bucket.on)) {
                if p.passes(&non_time, bucket.on, codes, false) {
                    into.total.person(&[], column, keys.person(&p.common_id));
                }
            }
        }
    }
    Ok(())
}
