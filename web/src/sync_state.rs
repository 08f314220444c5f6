//! The node's synchronisation state (`GET /sync/status`), shared through context: fetched when
//! someone signs in, again every [`POLL_SECONDS`] and on demand, so the header's status area and
//! the 同期状況 page show the same thing.

use std::time::Duration;

use leptos::prelude::*;
use shared::dto::sync::SyncStatus;

use crate::api::{self, ApiError};
use crate::session::Session;

/// How often the status area asks again.
pub const POLL_SECONDS: u64 = 30;

#[derive(Clone, Copy)]
pub struct SyncState {
    resource: LocalResource<Option<Result<SyncStatus, ApiError>>>,
    tick: RwSignal<u64>,
}

impl SyncState {
    pub fn provide(session: Session) -> SyncState {
        let tick = RwSignal::new(0_u64);
        let resource = LocalResource::new(move || {
            let signed_in = session.is_signed_in();
            tick.track();
            async move {
                if signed_in {
                    Some(api::sync_status(session).await)
                } else {
                    None
                }
            }
        });
        // The app lives as long as the page: the interval is never cleared. Signed out, a tick
        // sends nothing (the resource answers `None`).
        if let Err(err) = set_interval_with_handle(
            move || tick.update(|t| *t += 1),
            Duration::from_secs(POLL_SECONDS),
        ) {
            leptos::logging::warn!("sync status polling not started: {err:?}");
        }
        let state = SyncState { resource, tick };
        provide_context(state);
        state
    }

    pub fn expect() -> SyncState {
        expect_context::<SyncState>()
    }

    /// `None` while loading (or signed out).
    pub fn get(&self) -> Option<Result<SyncStatus, ApiError>> {
        self.resource.get().flatten()
    }

    /// Asks the node again now.
    pub fn refresh(&self) {
        self.tick.update(|t| *t += 1);
    }
}
