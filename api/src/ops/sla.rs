//! The service-level clocks of open items: every inquiry without a first answer and every
//! incident not yet triaged, for the operator's home screen; and the reminder (alert event
//! `sla_due_soon`, so mailed once) raised when one comes within `ops.warn_before_minutes` of its
//! limit, cleared when it is answered or triaged.

use chrono::{DateTime, Utc};
use shared::dto::ops_log::{DueItem, SlaState};

use crate::config::Settings;
use crate::domain::alert::{NewAlert, Severity};
use crate::domain::clock::jst;
use crate::domain::ops_log::sla::SlaPolicy;
use crate::domain::ops_log::LogWindow;
use crate::ops::alerts;
use crate::store::{CommonStore, StoreResult};

/// The reminder's event name (it opens no incident: `domain::ops_log::NOT_INCIDENTS`).
pub const SLA_DUE_SOON: &str = "sla_due_soon";

/// Open items whose clock runs, soonest limit first.
pub async fn due_items(
    store: &dyn CommonStore,
    policy: &SlaPolicy,
    now: DateTime<Utc>,
) -> StoreResult<Vec<DueItem>> {
    let open = LogWindow {
        from: now,
        to: now + chrono::Duration::days(1),
    };
    let mut items: Vec<DueItem> = Vec::new();
    for i in store.inquiries(open).await? {
        if i.record.first_answered_at.is_none() {
            items.push(DueItem {
                kind: "inquiry".into(),
                id: i.id,
                summary: i.record.summary.clone(),
                started_at: i.record.received_at,
                sla: i.sla(policy, now),
            });
        }
    }
    for i in store.incidents(open).await? {
        if i.record.triaged_at.is_none() {
            items.push(DueItem {
                kind: "incident".into(),
                id: i.id,
                summary: i.record.summary.clone(),
                started_at: i.record.detected_at,
                sla: i.sla(policy, now),
            });
        }
    }
    items.sort_by_key(|i| (i.sla.due_at, i.kind.clone(), i.id));
    Ok(items)
}

fn subject(item: &DueItem) -> String {
    format!("{}:{}", item.kind, item.id)
}

fn message(item: &DueItem) -> String {
    let (what, clock) = match item.kind.as_str() {
        "inquiry" => ("問い合わせ", "初回回答"),
        _ => ("障害", "一次切り分け"),
    };
    let due = item.sla.due_at.with_timezone(&jst()).format("%Y-%m-%d %H:%M");
    let summary: String = item.summary.chars().take(60).collect();
    let when = if item.sla.state == SlaState::Overdue {
        "の期限を過ぎています"
    } else {
        "の期限が近づいています"
    };
    format!(
        "{what} No.{}「{summary}」の{clock}（{} 時間以内）{when}: 期限 {due}（日本時間）。",
        item.id, item.sla.limit_hours
    )
}

/// Raises the reminder for each open item due soon or overdue, clears it for the rest.
pub async fn check(store: &dyn CommonStore, settings: &Settings, now: DateTime<Utc>) -> StoreResult<()> {
    let items = due_items(store, &settings.ops.sla(), now).await?;
    let mut pressing = Vec::new();
    for item in &items {
        if matches!(item.sla.state, SlaState::DueSoon | SlaState::Overdue) {
            let alert = NewAlert {
                event: SLA_DUE_SOON,
                subject: subject(item),
                severity: Severity::Warn,
                message: message(item),
            };
            alerts::raise(store, alert).await?;
            pressing.push(subject(item));
        }
    }
    for open in store.alerts(true).await? {
        if open.event == SLA_DUE_SOON && !pressing.contains(&open.subject) {
            alerts::clear(store, SLA_DUE_SOON, &open.subject).await?;
        }
    }
    Ok(())
}
