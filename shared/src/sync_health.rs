//! What the synchronisation status means for the person looking at it: one state and a short
//! Japanese line for the app's status area, from `GET /api/v1/sync/status`. Kept here, beside
//! the DTO, so the rule is tested on the host and the web app only draws it.

use chrono::{DateTime, FixedOffset, Utc};

use crate::dto::meta::NodeRole;
use crate::dto::sync::SyncStatus;

/// How synchronisation stands, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncLevel {
    /// Entries have waited longer than the node's alert threshold, the last delivery failed, or
    /// the hub's period locks could not be fetched.
    Alert,
    /// Entries are waiting to be sent (normal for a few seconds after a change).
    Pending,
    /// Everything written has reached the hub (centre), or centres are delivering (hub).
    Ok,
    /// No synchronisation configured: a stand-alone centre node, or a hub no centre has reached.
    Off,
}

impl SyncLevel {
    /// A CSS-friendly name: `alert`, `pending`, `ok`, `off`.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncLevel::Alert => "alert",
            SyncLevel::Pending => "pending",
            SyncLevel::Ok => "ok",
            SyncLevel::Off => "off",
        }
    }
}

/// The status in one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncHealth {
    pub level: SyncLevel,
    /// e.g. `県ハブへ送信済み（11月25日 14:03）`, `県ハブへ未送信 12件`.
    pub summary: String,
}

/// Japan Standard Time (no daylight saving).
fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset")
}

/// `11月25日 14:03` in Japan time.
pub fn format_jst(at: DateTime<Utc>) -> String {
    at.with_timezone(&jst()).format("%-m月%-d日 %H:%M").to_string()
}

/// `2026年11月25日 14:03:09` in Japan time, for the detail page.
pub fn format_jst_long(at: DateTime<Utc>) -> String {
    at.with_timezone(&jst())
        .format("%Y年%-m月%-d日 %H:%M:%S")
        .to_string()
}

/// Sums the status up for the status area.
pub fn health(status: &SyncStatus) -> SyncHealth {
    match status.node_role {
        NodeRole::Center => centre_health(status),
        NodeRole::Hub => hub_health(status),
    }
}

fn centre_health(status: &SyncStatus) -> SyncHealth {
    let Some(outbox) = status.outbox.as_ref().filter(|o| o.configured) else {
        return SyncHealth {
            level: SyncLevel::Off,
            summary: "県ハブ連携なし".to_owned(),
        };
    };
    let backlog = outbox.backlog;
    if outbox.stuck {
        return SyncHealth {
            level: SyncLevel::Alert,
            summary: format!("県ハブへの送信が滞っています（未送信 {backlog}件）"),
        };
    }
    if outbox.last_error.is_some() {
        return SyncHealth {
            level: SyncLevel::Alert,
            summary: format!("県ハブへの送信エラー（未送信 {backlog}件）"),
        };
    }
    if outbox.locks_error.is_some() {
        return SyncHealth {
            level: SyncLevel::Alert,
            summary: "県ハブから期間ロックを取得できません".to_owned(),
        };
    }
    if backlog > 0 {
        return SyncHealth {
            level: SyncLevel::Pending,
            summary: format!("県ハブへ未送信 {backlog}件"),
        };
    }
    match outbox.last_success_at {
        Some(at) => SyncHealth {
            level: SyncLevel::Ok,
            summary: format!("県ハブへ送信済み（{}）", format_jst(at)),
        },
        None => SyncHealth {
            level: SyncLevel::Ok,
            summary: "県ハブへ送信済み".to_owned(),
        },
    }
}

fn hub_health(status: &SyncStatus) -> SyncHealth {
    let received: Vec<DateTime<Utc>> = status.centers.iter().filter_map(|c| c.last_batch_at).collect();
    let Some(latest) = received.iter().max() else {
        return SyncHealth {
            level: SyncLevel::Off,
            summary: if status.centers.is_empty() {
                "センターからの受信なし".to_owned()
            } else {
                format!("センター {}か所 未受信", status.centers.len())
            },
        };
    };
    SyncHealth {
        level: SyncLevel::Ok,
        summary: format!(
            "センター {}か所から受信（最新 {}）",
            received.len(),
            format_jst(*latest)
        ),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::dto::sync::{CenterSyncStatus, OutboxStatus};

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0).single().unwrap()
    }

    fn outbox() -> OutboxStatus {
        OutboxStatus {
            center: "C001".into(),
            configured: true,
            hub_url: Some("https://hub.example".into()),
            backlog: 0,
            oldest_pending_at: None,
            last_acked_seq: 40,
            last_attempt_at: Some(at(5, 3)),
            last_success_at: Some(at(5, 3)),
            last_error: None,
            stuck: false,
            locks_pulled_at: Some(at(5, 3)),
            locks_error: None,
        }
    }

    fn centre(outbox: Option<OutboxStatus>) -> SyncStatus {
        SyncStatus {
            node_role: NodeRole::Center,
            outbox,
            centers: vec![],
        }
    }

    #[test]
    fn a_centre_without_a_hub_is_off() {
        assert_eq!(health(&centre(None)).level, SyncLevel::Off);
        let unconfigured = OutboxStatus {
            configured: false,
            ..outbox()
        };
        let h = health(&centre(Some(unconfigured)));
        assert_eq!((h.level, h.summary.as_str()), (SyncLevel::Off, "県ハブ連携なし"));
    }

    #[test]
    fn a_delivered_centre_shows_the_last_success_in_japan_time() {
        let h = health(&centre(Some(outbox())));
        // 05:03 UTC is 14:03 in Japan.
        assert_eq!(
            (h.level, h.summary.as_str()),
            (SyncLevel::Ok, "県ハブへ送信済み（11月25日 14:03）")
        );
    }

    #[test]
    fn failing_to_pull_the_hub_locks_is_an_alert_even_with_nothing_to_send() {
        let h = health(&centre(Some(OutboxStatus {
            locks_error: Some("timed out".into()),
            ..outbox()
        })));
        assert_eq!(
            (h.level, h.summary.as_str()),
            (SyncLevel::Alert, "県ハブから期間ロックを取得できません")
        );
    }

    #[test]
    fn waiting_entries_are_pending_and_counted() {
        let h = health(&centre(Some(OutboxStatus {
            backlog: 12,
            oldest_pending_at: Some(at(5, 10)),
            ..outbox()
        })));
        assert_eq!(
            (h.level, h.summary.as_str()),
            (SyncLevel::Pending, "県ハブへ未送信 12件")
        );
    }

    #[test]
    fn a_failure_or_a_stuck_backlog_is_an_alert_and_stuck_wins() {
        let failing = OutboxStatus {
            backlog: 3,
            last_error: Some("connection refused".into()),
            ..outbox()
        };
        let h = health(&centre(Some(failing.clone())));
        assert_eq!(
            (h.level, h.summary.as_str()),
            (SyncLevel::Alert, "県ハブへの送信エラー（未送信 3件）")
        );
        let stuck = OutboxStatus {
            stuck: true,
            ..failing
        };
        let h = health(&centre(Some(stuck)));
        assert_eq!(
            (h.level, h.summary.as_str()),
            (SyncLevel::Alert, "県ハブへの送信が滞っています（未送信 3件）")
        );
    }

    fn hub(centers: Vec<CenterSyncStatus>) -> SyncStatus {
        SyncStatus {
            node_role: NodeRole::Hub,
            outbox: None,
            centers,
        }
    }

    fn center(code: &str, last: Option<DateTime<Utc>>) -> CenterSyncStatus {
        CenterSyncStatus {
            center: code.into(),
            last_batch_at: last,
            last_batch_seq: last.map(|_| 3),
            last_seq: if last.is_some() { 600 } else { 0 },
            active_credentials: 1,
        }
    }

    #[test]
    fn the_hub_counts_the_centres_it_heard_from_and_the_latest_batch() {
        let h = health(&hub(vec![
            center("C001", Some(at(5, 3))),
            center("C002", Some(at(6, 30))),
            center("C003", None),
        ]));
        assert_eq!(
            (h.level, h.summary.as_str()),
            (SyncLevel::Ok, "センター 2か所から受信（最新 11月25日 15:30）")
        );
    }

    #[test]
    fn a_hub_that_heard_from_nobody_is_off() {
        assert_eq!(health(&hub(vec![])).summary, "センターからの受信なし");
        let h = health(&hub(vec![center("C001", None)]));
        assert_eq!(
            (h.level, h.summary.as_str()),
            (SyncLevel::Off, "センター 1か所 未受信")
        );
    }

    #[test]
    fn long_times_carry_the_year_and_seconds() {
        assert_eq!(format_jst_long(at(15, 30)), "2026年11月26日 00:30:00");
    }
}
