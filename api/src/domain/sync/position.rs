//! Whether the hub is behind a centre: the hub tells the centre how far it has applied the
//! centre's outbox (with the period locks the centre pulls), the centre tells the hub how far the
//! hub once acknowledged. A hub that holds less than it acknowledged lost deliveries — it was
//! restored from an older copy — and nothing else would make the centre send them again while
//! the centre is quiet.

use shared::dto::sync::HubSyncPosition;
use uuid::Uuid;

use super::StreamPosition;

/// What the hub acknowledged to a centre: the centre's current stream and the last entry of it
/// the hub acknowledged. None until the hub acknowledged something of the current stream (a new
/// stream not yet delivered has nothing the hub could have lost).
pub fn acknowledged(stream: Uuid, acked_stream: Option<Uuid>, last_acked_seq: u64) -> Option<StreamPosition> {
    (acked_stream == Some(stream) && last_acked_seq > 0).then_some(StreamPosition {
        stream,
        last_seq: last_acked_seq,
    })
}

/// Whether the hub, standing at `hub` (none: it holds nothing of the centre), is behind what it
/// acknowledged (`acked`): another stream, or the same stream short of the acknowledged entry.
/// A hub ahead of the centre (an answer lost after the hub applied a batch) is not behind: the
/// next delivery settles that.
pub fn hub_is_behind(hub: Option<&StreamPosition>, acked: &StreamPosition) -> bool {
    match hub {
        None => true,
        Some(h) => h.stream != acked.stream || h.last_seq < acked.last_seq,
    }
}

/// The hub's position as it travels to the centre.
pub fn to_view(hub: Option<&StreamPosition>) -> HubSyncPosition {
    HubSyncPosition {
        stream: hub.map(|h| h.stream),
        last_seq: hub.map_or(0, |h| h.last_seq),
    }
}

/// The hub's position as the centre reads it.
pub fn from_view(view: &HubSyncPosition) -> Option<StreamPosition> {
    view.stream.map(|stream| StreamPosition {
        stream,
        last_seq: view.last_seq,
    })
}

/// A centre re-sending everything because the hub was behind it, as the hub notes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Resend {
    pub center: String,
    pub detected_at: chrono::DateTime<chrono::Utc>,
    /// What the hub had acknowledged to the centre.
    pub acked: StreamPosition,
    /// What the hub held when the centre reported.
    pub hub: Option<StreamPosition>,
    /// When the centre reported it was level again with nothing left to send.
    pub caught_up_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Whether the restore's alert may clear: no centre is re-sending and the last finished at
/// least `grace` ago, so centres that notice a little later (each at its own next pull) join
/// the same alert rather than raising another.
pub fn hub_behind_over(
    resends: &[Resend],
    now: chrono::DateTime<chrono::Utc>,
    grace: chrono::Duration,
) -> bool {
    resends
        .iter()
        .all(|r| r.caught_up_at.is_some_and(|t| now - t >= grace))
}

/// The alert event raised on the hub while centres re-send because it was behind them.
pub const HUB_BEHIND: &str = "sync_hub_behind";

/// The hub's alert naming every centre re-sending since it was raised (`resends`, at least
/// one), each with whether it is done.
pub fn hub_behind_message(resends: &[Resend]) -> String {
    let centres: Vec<String> = resends
        .iter()
        .map(|r| {
            format!(
                "{}（{}、受領済みと通知した位置 {} 件目、ハブの記録 {}）",
                r.center,
                if r.caught_up_at.is_some() {
                    "再送済み"
                } else {
                    "再送中"
                },
                r.acked.last_seq,
                r.hub.map_or_else(
                    || "なし".to_owned(),
                    |h| if h.stream == r.acked.stream {
                        format!("{} 件目", h.last_seq)
                    } else {
                        "以前の系列".to_owned()
                    }
                )
            )
        })
        .collect();
    format!(
        "県ハブの記録が、各センターに受領済みと通知した位置より古くなっています（バックアップからの復元などで送信済みの変更が失われました）。次のセンターが全件を再送しています: {}。再送がすべて終わると自動で解消します。",
        centres.join("、")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(stream: u128, last_seq: u64) -> StreamPosition {
        StreamPosition {
            stream: Uuid::from_u128(stream),
            last_seq,
        }
    }

    #[test]
    fn a_hub_restored_from_an_older_copy_is_behind() {
        let acked = at(1, 40);
        assert!(
            hub_is_behind(Some(&at(1, 25)), &acked),
            "same stream, fewer entries"
        );
        assert!(
            hub_is_behind(Some(&at(9, 80)), &acked),
            "a stream from before this one"
        );
        assert!(hub_is_behind(None, &acked), "nothing of the centre at all");
    }

    #[test]
    fn a_hub_level_with_or_ahead_of_the_centre_is_not_behind() {
        let acked = at(1, 40);
        assert!(!hub_is_behind(Some(&at(1, 40)), &acked));
        assert!(
            !hub_is_behind(Some(&at(1, 45)), &acked),
            "an answer lost after it applied"
        );
    }

    #[test]
    fn nothing_acknowledged_in_the_current_stream_compares_with_nothing() {
        let s = Uuid::from_u128(2);
        assert_eq!(
            acknowledged(s, Some(Uuid::from_u128(1)), 40),
            None,
            "a new stream not yet delivered"
        );
        assert_eq!(acknowledged(s, None, 40), None, "from before the stream was kept");
        assert_eq!(acknowledged(s, Some(s), 0), None);
        assert_eq!(acknowledged(s, Some(s), 7), Some(at(2, 7)));
    }

    #[test]
    fn the_hubs_alert_names_every_centre_re_sending() {
        let now = chrono::Utc::now();
        let resend = |center: &str, hub: Option<StreamPosition>, done: bool| Resend {
            center: center.into(),
            detected_at: now,
            acked: at(1, 40),
            hub,
            caught_up_at: done.then_some(now),
        };
        let m = hub_behind_message(&[resend("C001", Some(at(1, 25)), true), resend("C002", None, false)]);
        assert!(
            m.contains("C001（再送済み、受領済みと通知した位置 40 件目、ハブの記録 25 件目）"),
            "{m}"
        );
        assert!(
            m.contains("C002（再送中、受領済みと通知した位置 40 件目、ハブの記録 なし）"),
            "{m}"
        );
    }

    #[test]
    fn the_restores_alert_clears_a_while_after_the_last_centre_is_level() {
        let t0 = chrono::Utc::now();
        let grace = chrono::Duration::minutes(5);
        let resend = |done: Option<chrono::DateTime<chrono::Utc>>| Resend {
            center: "C001".into(),
            detected_at: t0,
            acked: at(1, 40),
            hub: None,
            caught_up_at: done,
        };
        assert!(!hub_behind_over(&[resend(None)], t0, grace), "still re-sending");
        let done = [resend(Some(t0))];
        assert!(!hub_behind_over(&done, t0 + chrono::Duration::minutes(4), grace));
        assert!(hub_behind_over(&done, t0 + grace, grace));
        assert!(!hub_behind_over(
            &[resend(Some(t0)), resend(None)],
            t0 + grace,
            grace
        ));
    }

    #[test]
    fn the_position_survives_the_wire() {
        assert_eq!(from_view(&to_view(Some(&at(3, 9)))), Some(at(3, 9)));
        assert_eq!(from_view(&to_view(None)), None);
    }
}
