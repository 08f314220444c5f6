//! The operations log the maintenance contract reports on: inquiries (問い合わせ), incidents
//! (障害), changes (変更) and scheduled maintenance windows (計画停止), with their service-level
//! clocks. Nothing here is about a person: free text is refused when it holds a common ID.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Code lists of the operations log: `(code, Japanese label)`, in display order.
pub mod codes {
    /// Who an inquiry came from (問い合わせ元).
    pub const SOURCE_KINDS: &[(&str, &str)] = &[
        ("center", "センター"),
        ("municipality", "市町村"),
        ("prefecture", "県"),
        ("other", "その他"),
    ];
    /// How it came (受付手段).
    pub const CHANNELS: &[(&str, &str)] = &[
        ("phone", "電話"),
        ("email", "メール"),
        ("web", "ウェブ・フォーム"),
        ("visit", "来訪・訪問"),
        ("other", "その他"),
    ];
    /// What it was about (分類).
    pub const INQUIRY_CATEGORIES: &[(&str, &str)] = &[
        ("usage", "操作方法"),
        ("account", "アカウント・ログイン"),
        ("data", "データ・集計"),
        ("failure", "不具合"),
        ("request", "要望"),
        ("other", "その他"),
    ];
    /// 障害 or セキュリティ事故: the contract's 12-hour triage covers both.
    pub const INCIDENT_KINDS: &[(&str, &str)] = &[("failure", "障害"), ("security", "セキュリティ")];
    /// What changed (変更種別).
    pub const CHANGE_KINDS: &[(&str, &str)] = &[
        ("release", "バージョン更新"),
        ("schema", "データベース移行"),
        ("config", "設定変更"),
        ("data", "データ修正"),
        ("infrastructure", "基盤・機器"),
        ("other", "その他"),
    ];

    /// The label of `code` in `list`, or the code itself when unknown.
    pub fn label<'a>(list: &'a [(&'a str, &'a str)], code: &'a str) -> &'a str {
        list.iter().find(|(c, _)| *c == code).map_or(code, |(_, l)| l)
    }

    /// Whether `code` is in `list`.
    pub fn contains(list: &[(&str, &str)], code: &str) -> bool {
        list.iter().any(|(c, _)| *c == code)
    }
}

/// Where a service-level clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    /// Done within the limit.
    Met,
    /// Done, but after the limit.
    Breached,
    /// Not done yet; the limit is further away than the warning time.
    Open,
    /// Not done yet; the limit is within the warning time.
    DueSoon,
    /// Not done and the limit has passed (a breach).
    Overdue,
}

impl SlaState {
    pub fn label(self) -> &'static str {
        match self {
            SlaState::Met => "期限内",
            SlaState::Breached => "期限超過",
            SlaState::Open => "対応中",
            SlaState::DueSoon => "期限間近",
            SlaState::Overdue => "期限超過（未対応）",
        }
    }

    /// Whether this is a breach of the service level (done late or still not done past the limit).
    pub fn is_breach(self) -> bool {
        matches!(self, SlaState::Breached | SlaState::Overdue)
    }
}

/// A service-level clock: started at `started_at`, due `limit_hours` wall-clock hours later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaView {
    /// 24 for an inquiry's first answer, 12 for an incident's first triage.
    pub limit_hours: u32,
    pub due_at: DateTime<Utc>,
    /// When it was done (first answer, triage), if it was.
    pub done_at: Option<DateTime<Utc>>,
    pub state: SlaState,
}

/// An inquiry as entered (問い合わせ). Times are instants (RFC 3339); the screens enter them
/// in Japan time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InquiryInput {
    pub received_at: DateTime<Utc>,
    /// `center`, `municipality`, `prefecture`, `other` ([`codes::SOURCE_KINDS`]).
    pub source_kind: String,
    /// The centre code (`C001`) or municipality code (`392014`); none for the prefecture or
    /// other. Never a person's name.
    #[serde(default)]
    pub source_code: Option<String>,
    /// `phone`, `email`, `web`, `visit`, `other`.
    pub channel: String,
    /// `usage`, `account`, `data`, `failure`, `request`, `other`.
    pub category: String,
    /// What was asked, without any person's data (a common ID in it is refused).
    pub summary: String,
    /// How it was answered.
    #[serde(default)]
    pub answer: Option<String>,
    /// The first answer to the inquirer (the 24-hour clock stops here).
    #[serde(default)]
    pub first_answered_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    /// Work spent on it, in minutes (0–100000).
    #[serde(default)]
    pub work_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InquiryView {
    pub id: i64,
    #[serde(flatten)]
    pub input: InquiryInput,
    /// The 24-hour first-answer clock.
    pub sla: SlaView,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An incident as entered (障害・セキュリティ事故). One opened from an alert event keeps the
/// event's name and subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IncidentInput {
    /// When it was detected (the 12-hour triage clock starts here).
    pub detected_at: DateTime<Utc>,
    /// `failure` (障害) or `security` (セキュリティ).
    pub kind: String,
    pub summary: String,
    /// First triage (一次切り分け): the 12-hour clock stops here.
    #[serde(default)]
    pub triaged_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub resolved_at: Option<DateTime<Utc>>,
    /// 原因.
    #[serde(default)]
    pub cause: Option<String>,
    /// 影響 (what and who could not work, for how long).
    #[serde(default)]
    pub impact: Option<String>,
    /// 対応内容.
    #[serde(default)]
    pub handling: Option<String>,
    #[serde(default)]
    pub work_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentView {
    pub id: i64,
    #[serde(flatten)]
    pub input: IncidentInput,
    /// `alert` (opened by an alert event) or `manual`.
    pub origin: String,
    pub alert_event: Option<String>,
    pub alert_subject: Option<String>,
    /// Alert events raised into this incident (again while it was unresolved).
    pub alert_count: u32,
    /// The 12-hour triage clock.
    pub sla: SlaView,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A change as entered (変更). Version upgrades and migrations are recorded by the node itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangeInput {
    /// When it was applied (started).
    pub changed_at: DateTime<Utc>,
    /// [`codes::CHANGE_KINDS`].
    pub kind: String,
    /// What changed.
    pub summary: String,
    /// Why.
    pub reason: String,
    /// Its impact (on users, on figures, downtime).
    pub impact: String,
    #[serde(default)]
    pub work_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeView {
    pub id: i64,
    #[serde(flatten)]
    pub input: ChangeInput,
    /// `auto` (recorded by the node at start) or `manual`.
    pub origin: String,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A scheduled maintenance window (計画停止・定期点検), announced ahead: its time is left out
/// of the contract's 稼働率.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MaintenanceInput {
    /// Must be later than now: a stop not announced before it began is an outage.
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// What is done (定期点検, OS 更新, …).
    pub summary: String,
    #[serde(default)]
    pub work_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaintenanceView {
    pub id: i64,
    #[serde(flatten)]
    pub input: MaintenanceInput,
    /// When it was recorded here, which is when it counts as announced.
    pub announced_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub recorded_by: String,
}

/// An open item whose clock runs, for the operator's home screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DueItem {
    /// `inquiry` or `incident`.
    pub kind: String,
    pub id: i64,
    pub summary: String,
    pub started_at: DateTime<Utc>,
    pub sla: SlaView,
}

/// `GET /api/v1/ops/due`: every open inquiry without a first answer and every incident not yet
/// triaged, soonest limit first, and the scheduled maintenance to come.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpsDue {
    /// How long before its limit an item counts as due soon (and is mailed).
    pub warn_before_minutes: u32,
    pub items: Vec<DueItem>,
    pub maintenance: Vec<MaintenanceView>,
}
