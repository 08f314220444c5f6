//! The figures of a period, counted from the operations log and the uptime ledger, and the
//! helpers that print them. A record belongs to the period in which it began: an inquiry to the
//! period it was received in, an incident to the one it was detected in, a change to the one it
//! was made in, a maintenance window to the one it starts in; its work minutes go with it. The
//! service-level clocks are as of the report's making (an item still open past its limit is a
//! breach already).

use chrono::{DateTime, Utc};
use shared::dto::ops_log::SlaState;
use shared::dto::ops_report::{ReportColumn, ReportFact, ReportTable};

use super::period::ReportPeriod;
use super::Inputs;
use crate::domain::clock::jst;
use crate::domain::ops_log::{Change, Incident, Inquiry, Maintenance, Origin};

/// What the period's records add up to.
pub struct Figures<'a> {
    pub inquiries: Vec<&'a Inquiry>,
    pub inquiry_states: Vec<SlaState>,
    pub incidents: Vec<&'a Incident>,
    pub incident_states: Vec<SlaState>,
    pub changes: Vec<&'a Change>,
    /// Windows starting in the period, cancelled ones included.
    pub maintenance: Vec<&'a Maintenance>,
}

impl<'a> Figures<'a> {
    pub fn of(i: &'a Inputs) -> Figures<'a> {
        let p = &i.period;
        let inquiries: Vec<&Inquiry> = i
            .inquiries
            .iter()
            .filter(|x| p.contains(x.record.received_at))
            .collect();
        let incidents: Vec<&Incident> = i
            .incidents
            .iter()
            .filter(|x| p.contains(x.record.detected_at))
            .collect();
        Figures {
            inquiry_states: inquiries.iter().map(|x| x.sla(&i.policy, i.now).state).collect(),
            incident_states: incidents.iter().map(|x| x.sla(&i.policy, i.now).state).collect(),
            inquiries,
            incidents,
            changes: i
                .changes
                .iter()
                .filter(|x| p.contains(x.record.changed_at))
                .collect(),
            maintenance: i
                .maintenance
                .iter()
                .filter(|x| p.contains(x.record.starts_at))
                .collect(),
        }
    }

    pub fn inquiries_in_time(&self) -> usize {
        self.inquiry_states
            .iter()
            .filter(|s| **s == SlaState::Met)
            .count()
    }
    pub fn inquiry_breaches(&self) -> usize {
        self.inquiry_states.iter().filter(|s| s.is_breach()).count()
    }
    pub fn inquiries_unanswered(&self) -> usize {
        self.inquiries
            .iter()
            .filter(|x| x.record.first_answered_at.is_none())
            .count()
    }
    pub fn inquiries_open(&self) -> usize {
        self.inquiries
            .iter()
            .filter(|x| x.record.closed_at.is_none())
            .count()
    }
    pub fn inquiry_minutes(&self) -> u64 {
        self.inquiries
            .iter()
            .map(|x| u64::from(x.record.work_minutes))
            .sum()
    }
    pub fn incidents_in_time(&self) -> usize {
        self.incident_states
            .iter()
            .filter(|s| **s == SlaState::Met)
            .count()
    }
    pub fn incident_breaches(&self) -> usize {
        self.incident_states.iter().filter(|s| s.is_breach()).count()
    }
    pub fn incidents_unresolved(&self) -> usize {
        self.incidents
            .iter()
            .filter(|x| x.record.resolved_at.is_none())
            .count()
    }
    pub fn incident_minutes(&self) -> u64 {
        self.incidents
            .iter()
            .map(|x| u64::from(x.record.work_minutes))
            .sum()
    }
    pub fn changes_auto(&self) -> usize {
        self.changes
            .iter()
            .filter(|x| x.origin == Origin::Automatic)
            .count()
    }
    pub fn change_minutes(&self) -> u64 {
        self.changes
            .iter()
            .map(|x| u64::from(x.record.work_minutes))
            .sum()
    }
    pub fn maintenance_done(&self) -> Vec<&'a Maintenance> {
        self.maintenance.iter().copied().filter(|m| m.counts()).collect()
    }
    pub fn maintenance_minutes(&self) -> u64 {
        self.maintenance_done()
            .iter()
            .map(|x| u64::from(x.record.work_minutes))
            .sum()
    }
    pub fn total_minutes(&self) -> u64 {
        self.inquiry_minutes() + self.incident_minutes() + self.change_minutes() + self.maintenance_minutes()
    }
}

// ---- printing -------------------------------------------------------------------------------

/// `2025-05-10 09:30` in Japan time.
pub fn jst_text(t: DateTime<Utc>) -> String {
    t.with_timezone(&jst()).format("%Y-%m-%d %H:%M").to_string()
}

pub fn opt_jst(t: Option<DateTime<Utc>>) -> String {
    t.map(jst_text).unwrap_or_else(|| "—".into())
}

/// Minutes as hours and minutes: `2時間05分`, `45分`.
pub fn hours_text(minutes: u64) -> String {
    if minutes >= 60 {
        format!("{}時間{:02}分", minutes / 60, minutes % 60)
    } else {
        format!("{minutes}分")
    }
}

/// A ratio as a percentage with two decimals (`99.73 %`), or 記録なし.
pub fn percent_text(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "記録なし".into(), |r| format!("{:.2} %", r * 100.0))
}

/// Whole minutes of `from`..`to` (elapsed time of a clock).
pub fn minutes_between(from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
    u64::try_from((to - from).num_minutes()).unwrap_or(0)
}

pub fn count(key: &str, label: &str, n: usize) -> ReportFact {
    ReportFact {
        key: key.into(),
        label: label.into(),
        value: format!("{n} 件"),
        number: Some(n as f64),
    }
}

/// How many times something happened (停止、計画停止): `2 回`.
pub fn times(key: &str, label: &str, n: usize) -> ReportFact {
    ReportFact {
        key: key.into(),
        label: label.into(),
        value: format!("{n} 回"),
        number: Some(n as f64),
    }
}

pub fn minutes(key: &str, label: &str, m: u64) -> ReportFact {
    ReportFact {
        key: key.into(),
        label: label.into(),
        value: hours_text(m),
        number: Some(m as f64),
    }
}

pub fn ratio(key: &str, label: &str, r: Option<f64>) -> ReportFact {
    ReportFact {
        key: key.into(),
        label: label.into(),
        value: percent_text(r),
        number: r,
    }
}

pub fn text(key: &str, label: &str, value: impl Into<String>) -> ReportFact {
    ReportFact {
        key: key.into(),
        label: label.into(),
        value: value.into(),
        number: None,
    }
}

/// A table from `(key, label)` columns and rows of printed cells.
pub fn table(columns: &[(&str, &str)], rows: Vec<Vec<String>>) -> ReportTable {
    ReportTable {
        columns: columns
            .iter()
            .map(|(k, l)| ReportColumn {
                key: (*k).into(),
                label: (*l).into(),
            })
            .collect(),
        rows,
    }
}

/// The verdict against the target: 達成, 未達, or 記録なし (no verdict without a record).
pub fn verdict(ratio: Option<f64>, target: f64) -> ReportFact {
    let (value, number) = match ratio {
        None => ("記録なし".to_owned(), None),
        Some(r) if r >= target => ("達成".to_owned(), Some(1.0)),
        Some(_) => ("未達".to_owned(), Some(0.0)),
    };
    ReportFact {
        key: "uptime.verdict".into(),
        label: format!("判定（目標 {:.0} %）", target * 100.0),
        value,
        number,
    }
}

/// The period as printed above a report: 対象期間 and what of it was measured.
pub fn period_text(p: &ReportPeriod) -> String {
    format!(
        "{}（{} 〜 {}）",
        p.label,
        p.first.format("%Y-%m-%d"),
        p.last.format("%Y-%m-%d")
    )
}
