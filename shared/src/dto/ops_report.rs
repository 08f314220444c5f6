//! The contract's reports (業務報告書, 運用保守報告書, 稼働状況報告書, 障害対応報告書, 変更状況報告書)
//! as one document shape: headed sections of labelled figures and tables. The server computes
//! every figure; the web app prints the document on A4, the CSV and the Markdown of
//! `attaka ops report` are the same document written out.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// 業務報告書: the period at a glance.
    Business,
    /// 運用保守報告書: work done and hours.
    Operations,
    /// 稼働状況報告書: operating time, 稼働率, outages.
    Availability,
    /// 障害対応報告書: every incident, or one.
    Incidents,
    /// 変更状況報告書: changes, their impact and hours.
    Changes,
}

impl ReportKind {
    pub const ALL: [ReportKind; 5] = [
        ReportKind::Business,
        ReportKind::Operations,
        ReportKind::Availability,
        ReportKind::Incidents,
        ReportKind::Changes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Business => "business",
            ReportKind::Operations => "operations",
            ReportKind::Availability => "availability",
            ReportKind::Incidents => "incidents",
            ReportKind::Changes => "changes",
        }
    }

    pub fn parse(code: &str) -> Option<ReportKind> {
        ReportKind::ALL.into_iter().find(|k| k.as_str() == code)
    }

    /// The report's Japanese title.
    pub fn title(self) -> &'static str {
        match self {
            ReportKind::Business => "業務報告書",
            ReportKind::Operations => "運用保守報告書",
            ReportKind::Availability => "稼働状況報告書",
            ReportKind::Incidents => "障害対応報告書",
            ReportKind::Changes => "変更状況報告書",
        }
    }
}

/// A report for a month or a 年度 (or, for 障害対応報告書, one incident).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpsReport {
    pub kind: ReportKind,
    /// e.g. `稼働状況報告書`, or `障害対応報告書（障害 No.3）` for one incident.
    pub title: String,
    /// `2025-05` or `FY2025`.
    pub period: String,
    /// `令和7年5月` or `令和7年度`.
    pub period_label: String,
    /// First and last day (Japan time).
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `県ハブ` or the centre's code.
    pub node: String,
    pub generated_at: DateTime<Utc>,
    pub sections: Vec<ReportSection>,
}

impl OpsReport {
    /// The section with `key`.
    pub fn section(&self, key: &str) -> Option<&ReportSection> {
        self.sections.iter().find(|s| s.key == key)
    }

    /// The figure with `key` in any section.
    pub fn fact(&self, key: &str) -> Option<&ReportFact> {
        self.sections
            .iter()
            .flat_map(|s| s.facts.iter())
            .find(|f| f.key == key)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportSection {
    /// Stable English key (`availability`, `outages`, …).
    pub key: String,
    pub heading: String,
    pub facts: Vec<ReportFact>,
    pub table: Option<ReportTable>,
    /// A sentence under the section (how a figure is computed, or 「該当なし」).
    pub note: Option<String>,
}

/// One labelled figure: `value` as printed, `number` for scripts and checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportFact {
    /// Stable English key (`inquiries.received`, `uptime.ratio_excluding_maintenance`, …).
    pub key: String,
    pub label: String,
    pub value: String,
    /// The figure as a number (a count, minutes, a ratio 0–1); none for text or 記録なし.
    pub number: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportTable {
    pub columns: Vec<ReportColumn>,
    /// Cells as printed, one row per record.
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportColumn {
    pub key: String,
    pub label: String,
}
