//! The hub's side of noticing that it is behind a centre: each centre's pull of the period
//! locks reports what the hub last acknowledged to it. When the hub holds less (it was restored
//! from an older copy), the centre re-sends everything by itself (`sync::worker`); the hub notes
//! which centres do and raises one alert, `sync_hub_behind`, naming them (each 再送中 or 再送済み),
//! cleared `sync.hub_behind_clear_after_seconds` after the last of them is level again with
//! nothing left to send — a centre that notices later in that time joins the same alert.

use chrono::{DateTime, Duration, Utc};
use shared::dto::sync::AckedPosition;

use crate::domain::alert::{NewAlert, Severity};
use crate::domain::sync::position::{hub_behind_message, hub_behind_over, hub_is_behind, HUB_BEHIND};
use crate::domain::sync::StreamPosition;
use crate::ops::alerts;
use crate::store::{HubStore, StoreResult};

/// The alert's subject: the hub itself.
const SUBJECT: &str = "hub";

/// Compares what `center` reports with what the hub holds, notes or ends its resend, raises,
/// updates or clears the alert; returns the hub's position for the centre's answer.
pub async fn centre_reported(
    store: &dyn HubStore,
    center: &str,
    reported: &AckedPosition,
    grace: Duration,
    now: DateTime<Utc>,
) -> StoreResult<Option<StreamPosition>> {
    let hub = store.sync_position(center).await?;
    let acked = match (reported.stream, reported.acked_seq) {
        (Some(stream), Some(last_seq)) if last_seq > 0 => Some(StreamPosition { stream, last_seq }),
        // Nothing acknowledged in the centre's stream yet (or an older centre that says nothing).
        _ => None,
    };
    let open_alert = store
        .alerts(true)
        .await?
        .into_iter()
        .find(|a| a.event == HUB_BEHIND && a.subject == SUBJECT);
    let since = open_alert.as_ref().map_or(now, |a| a.raised_at);
    if let Some(acked) = acked.filter(|a| hub_is_behind(hub.as_ref(), a)) {
        tracing::warn!(
            event = "sync_hub_behind",
            center,
            acked_seq = acked.last_seq,
            hub_seq = hub.map(|h| h.last_seq),
            same_stream = hub.is_some_and(|h| h.stream == acked.stream),
            "the hub holds less of this centre than it acknowledged: the centre re-sends everything"
        );
        store.note_resend(center, &acked, hub.as_ref(), now).await?;
        raise(store, since).await?;
        return Ok(hub);
    }
    let ended = acked.is_some() && reported.backlog == Some(0) && store.end_resend(center, now).await?;
    if ended {
        tracing::info!(
            event = "sync_resend_done",
            center,
            "the centre is level with the hub again"
        );
    }
    if open_alert.is_some() {
        let resends = store.resends(since).await?;
        if hub_behind_over(&resends, now, grace) {
            alerts::clear(store, HUB_BEHIND, SUBJECT).await?;
        } else if ended {
            raise(store, since).await?;
        }
    }
    Ok(hub)
}

/// Raises the alert, or updates its message: every centre noted since `since`.
async fn raise(store: &dyn HubStore, since: DateTime<Utc>) -> StoreResult<()> {
    let resends = store.resends(since).await?;
    let alert = NewAlert {
        event: HUB_BEHIND,
        subject: SUBJECT.into(),
        severity: Severity::Error,
        message: hub_behind_message(&resends),
    };
    alerts::raise(store, alert).await?;
    Ok(())
}
