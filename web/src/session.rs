//! The signed-in account and its tokens, kept in memory and mirrored to `sessionStorage`, so a
//! reload keeps the user signed in while closing the tab signs them out.

use leptos::prelude::*;
use shared::dto::auth::{AccountView, TokenResponse};

const STORAGE_KEY: &str = "attaka.session";

/// Handle to the session, shared through Leptos context (`Copy`, cheap to pass around).
#[derive(Debug, Clone, Copy)]
pub struct Session(RwSignal<Option<TokenResponse>>);

impl Session {
    /// Restores the session from `sessionStorage` and makes it available to every component.
    pub fn provide() -> Session {
        let session = Session(RwSignal::new(load()));
        provide_context(session);
        session
    }

    /// The session provided by [`crate::app::App`].
    pub fn expect() -> Session {
        expect_context::<Session>()
    }

    pub fn is_signed_in(&self) -> bool {
        self.0.with(Option::is_some)
    }

    pub fn account(&self) -> Option<AccountView> {
        self.0.with(|t| t.as_ref().map(|t| t.account.clone()))
    }

    /// `(access_token, refresh_token)` of the current session.
    pub fn tokens(&self) -> Option<(String, String)> {
        self.0.with_untracked(|t| {
            t.as_ref()
                .map(|t| (t.access_token.clone(), t.refresh_token.clone()))
        })
    }

    pub fn sign_in(&self, tokens: TokenResponse) {
        save(&tokens);
        self.0.set(Some(tokens));
    }

    pub fn sign_out(&self) {
        clear();
        self.0.set(None);
    }
}

fn storage() -> Option<web_sys::Storage> {
    // Storage can be unavailable (privacy settings); the session then lives in memory only.
    web_sys::window()?.session_storage().ok().flatten()
}

fn load() -> Option<TokenResponse> {
    let raw = storage()?.get_item(STORAGE_KEY).ok().flatten()?;
    match serde_json::from_str(&raw) {
        Ok(tokens) => Some(tokens),
        Err(err) => {
            // Written by an older version of the app: start signed out rather than fail.
            leptos::logging::warn!("discarding unreadable stored session: {err}");
            clear();
            None
        }
    }
}

fn save(tokens: &TokenResponse) {
    let (Some(storage), Ok(raw)) = (storage(), serde_json::to_string(tokens)) else {
        return;
    };
    if storage.set_item(STORAGE_KEY, &raw).is_err() {
        leptos::logging::warn!("could not store the session; it will not survive a reload");
    }
}

fn clear() {
    if let Some(storage) = storage() {
        // Nothing useful to do if removal fails: the in-memory session is cleared regardless.
        let _ = storage.remove_item(STORAGE_KEY);
    }
}
