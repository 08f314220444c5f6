//! The hub's side of noticing that it is behind a centre: each centre's pull of the period
//! locks reports what the hub last acknowledged to it. When the hub holds less (it was restored
//! from an older copy), the centre re-sends everything by itself (`sync::worker`); the hub notes
//! which centres do and raises `sync_hub_behind` naming them, cleared once every one of them is
//! level again with nothing left to send.

use chrono::{DateTime, Utc};
use shared::dto::sync::AckedPosition;

use crate::domain::alert::{NewAlert, Severity};
use crate::domain::sync::position::{hub_behind_message, hub_is_behind, HUB_BEHIND};
use crate::domain::sync::StreamPosition;
use crate::ops::alerts;
use crate::store::{HubStore, StoreResult};

/// The alert's subject: the hub itself.
const SUBJECT: &str = "hub";

/// Compares what `center` reports with what the hub holds, notes or ends its resend, raises or
/// clears the alert; returns the hub's position for the centre's answer.
pub async fn centre_reported(
    store: &dyn HubStore,
    center: &str,
    reported: &AckedPosition,
    now: DateTime<Utc>,
) -> StoreResult<Option<StreamPosition>> {
    let hub = store.sync_position(center).await?;
    let acked = match (reported.stream, reported.acked_seq) {
        (Some(stream), Some(last_seq)) if last_seq > 0 => StreamPosition { stream, last_seq },
        // The centre has nothing acknowledged in its stream (or is an older version).
        _ => return Ok(hub),
    };
    if hub_is_behind(hub.as_ref(), &acked) {
        tracing::warn!(
            event = "sync_hub_behind",
            center,
            acked_seq = acked.last_seq,
            hub_seq = hub.map(|h| h.last_seq),
            same_stream = hub.is_some_and(|h| h.stream == acked.stream),
            "the hub holds less of this centre than it acknowledged: the centre re-sends everything"
        );
        let open = store.note_resend(center, &acked, hub.as_ref(), now).await?;
        raise(store, &open).await?;
    } else if reported.backlog == Some(0) && store.end_resend(center, now).await? {
        tracing::info!(
            event = "sync_resend_done",
            center,
            "the centre is level with the hub again"
        );
        let open = store.open_resends().await?;
        if open.is_empty() {
            alerts::clear(store, HUB_BEHIND, SUBJECT).await?;
        } else {
            raise(store, &open).await?;
        }
    }
    Ok(hub)
}

async fn raise(store: &dyn HubStore, open: &[crate::domain::sync::Resend]) -> StoreResult<()> {
    let alert = NewAlert {
        event: HUB_BEHIND,
        subject: SUBJECT.into(),
        severity: Severity::Error,
        message: hub_behind_message(open),
    };
    alerts::raise(store, alert).await?;
    Ok(())
}
