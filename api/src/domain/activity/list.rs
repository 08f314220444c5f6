//! Activity lists: what a month or a day shows, with counts and totals per function.

use chrono::NaiveDate;
use shared::dates::{Period, PeriodKind};
use shared::dto::activity::{ActivitySummary, FunctionTotals, SoleParticipant};
use shared::error::{FieldError, FieldErrors};
use uuid::Uuid;

use super::Unregistered;
use crate::domain::codes::{list, Codes};

/// One line of an activity list, with its counts.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityListItem {
    pub id: Uuid,
    pub site: Option<String>,
    pub date: NaiveDate,
    pub function: String,
    pub title: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub staff_count: u16,
    pub volunteer_count: u16,
    pub unregistered: Unregistered,
    pub participants: i64,
    /// The one registered person who took part, when there is exactly one (a visit, a
    /// consultation, a referral): common ID and name. Read on centre nodes only.
    pub sole_participant: Option<(String, Option<String>)>,
}

/// Filters of an activity list (dates inclusive).
#[derive(Debug, Clone)]
pub struct ActivityQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub function: Option<String>,
    pub site: Option<String>,
}

impl ActivityQuery {
    /// A month (`2024-05`) or a single day, optionally one function and one site.
    pub fn parse(
        month: Option<&str>,
        date: Option<NaiveDate>,
        function: Option<&str>,
        site: Option<&str>,
    ) -> Result<ActivityQuery, Vec<FieldError>> {
        let mut e = FieldErrors::default();
        let (from, to) = match (month.map(str::trim).filter(|m| !m.is_empty()), date) {
            (Some(m), None) => match Period::parse(m) {
                Ok(p) if matches!(p.kind(), PeriodKind::Month { .. }) => (p.from(), p.to()),
                _ => {
                    e.push(
                        "month",
                        "format",
                        "月は YYYY-MM の形で指定してください（例: 2024-05）。",
                    );
                    (NaiveDate::MIN, NaiveDate::MIN)
                }
            },
            (None, Some(d)) => (d, d),
            (Some(_), Some(_)) => {
                e.push(
                    "date",
                    "conflict",
                    "month と date はどちらか一方だけ指定してください。",
                );
                (NaiveDate::MIN, NaiveDate::MIN)
            }
            (None, None) => {
                e.push(
                    "month",
                    "required",
                    "month（YYYY-MM）または date を指定してください。",
                );
                (NaiveDate::MIN, NaiveDate::MIN)
            }
        };
        e.into_result()?;
        let some = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        Ok(ActivityQuery {
            from,
            to,
            function: some(function),
            site: some(site).map(|s| s.to_ascii_uppercase()),
        })
    }
}

impl ActivityListItem {
    pub fn to_summary(&self) -> ActivitySummary {
        ActivitySummary {
            id: self.id,
            site: self.site.clone(),
            date: self.date,
            function: self.function.clone(),
            title: self.title.clone(),
            start_time: self.start_time.clone(),
            end_time: self.end_time.clone(),
            staff_count: self.staff_count.into(),
            volunteer_count: self.volunteer_count.into(),
            participants: self.participants,
            unregistered: self.unregistered.total(),
            person: self
                .sole_participant
                .as_ref()
                .map(|(common_id, name)| SoleParticipant {
                    common_id: common_id.clone(),
                    name: name.clone(),
                }),
        }
    }
}

/// Totals per function of a list, in the master data's function order.
pub fn totals_by_function(items: &[ActivityListItem], codes: &Codes) -> Vec<FunctionTotals> {
    let mut totals: Vec<FunctionTotals> = Vec::new();
    for item in items {
        let i = match totals.iter().position(|t| t.function == item.function) {
            Some(i) => i,
            None => {
                totals.push(FunctionTotals {
                    function: item.function.clone(),
                    activities: 0,
                    participants: 0,
                    unregistered: 0,
                });
                totals.len() - 1
            }
        };
        totals[i].activities += 1;
        totals[i].participants += item.participants;
        totals[i].unregistered += item.unregistered.total();
    }
    let order = |f: &str| codes.get(list::FUNCTIONS, f).map_or(i32::MAX, |i| i.sort_order);
    totals.sort_by(|a, b| {
        order(&a.function)
            .cmp(&order(&b.function))
            .then(a.function.cmp(&b.function))
    });
    totals
}
