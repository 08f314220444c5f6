//! The signed-in account and its tokens, kept in memory and mirrored to `sessionStorage`, so a
//! reload keeps the user signed in while closing the tab signs them out.
//!
//! Only the account is reactive: a token refresh every few minutes must not re-render pages (a
//! half-filled form would be lost), so the tokens sit in a non-reactive store.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use shared::dto::auth::{AccountView, TokenResponse};

use crate::clock;

const STORAGE_KEY: &str = "attaka.session";

/// Renew this long before the access token expires (at most; a fifth of a short lifetime), so a
/// request never leaves with a token that dies on the way.
const REFRESH_MARGIN_MS: f64 = 60_000.0;

/// The bearer tokens of a session and when to renew the access token (browser clock, ms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub renew_at_ms: f64,
}

impl Tokens {
    /// Whether the access token should be renewed before it is used.
    pub fn expiring(&self) -> bool {
        clock::now_ms() >= self.renew_at_ms
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    tokens: Tokens,
    account: AccountView,
}

/// Handle to the session, shared through Leptos context (`Copy`, cheap to pass around).
#[derive(Debug, Clone, Copy)]
pub struct Session {
    account: RwSignal<Option<AccountView>>,
    tokens: StoredValue<Option<Tokens>>,
    signed_in: Memo<bool>,
    /// Why the user was signed out without asking (shown on the login page).
    notice: RwSignal<Option<String>>,
    /// The server no longer accepts the session and a request waits for the sign-in dialog
    /// (see [`crate::reauth`]).
    reauth: RwSignal<bool>,
    /// Where the user was when the session ended, to return there after signing in.
    return_to: RwSignal<Option<String>>,
}

impl Session {
    /// Restores the session from `sessionStorage` and makes it available to every component.
    pub fn provide() -> Session {
        let stored = load();
        crate::drafts::set_account(stored.as_ref().map(|s| s.account.id));
        let account = RwSignal::new(stored.as_ref().map(|s| s.account.clone()));
        let session = Session {
            account,
            tokens: StoredValue::new(stored.map(|s| s.tokens)),
            signed_in: Memo::new(move |_| account.with(Option::is_some)),
            notice: RwSignal::new(None),
            reauth: RwSignal::new(false),
            return_to: RwSignal::new(None),
        };
        provide_context(session);
        session
    }

    /// The session provided by [`crate::app::App`].
    pub fn expect() -> Session {
        expect_context::<Session>()
    }

    /// Reactive; changes only on sign-in and sign-out, not on token refresh.
    pub fn is_signed_in(&self) -> bool {
        self.signed_in.get()
    }

    pub fn account(&self) -> Option<AccountView> {
        self.account.get()
    }

    /// The account, not tracked (for code outside the reactive graph, such as drafts).
    pub fn account_untracked(&self) -> Option<AccountView> {
        self.account.get_untracked()
    }

    /// Whether the sign-in dialog is wanted (reactive).
    pub fn reauth_wanted(&self) -> bool {
        self.reauth.get()
    }

    pub(crate) fn set_reauth_wanted(&self, wanted: bool) {
        self.reauth.set(wanted);
    }

    /// Where to go after signing in again (taken once).
    pub fn take_return_to(&self) -> Option<String> {
        let path = self.return_to.get_untracked();
        self.return_to.set(None);
        path
    }

    /// The current tokens (not reactive).
    pub fn tokens(&self) -> Option<Tokens> {
        self.tokens.get_value()
    }

    /// A message for the login page, e.g. that the session expired.
    pub fn notice(&self) -> Option<String> {
        self.notice.get()
    }

    pub fn sign_in(&self, response: TokenResponse) {
        self.notice.set(None);
        // Another account's drafts never show to this one.
        crate::drafts::forget_all_but(Some(response.account.id));
        self.replace_tokens(response);
    }

    /// Stores the tokens of a refresh; the account is only touched if it changed, so pages
    /// that read it are not re-rendered.
    pub fn replace_tokens(&self, response: TokenResponse) {
        let lifetime_ms = response.expires_in as f64 * 1000.0;
        let tokens = Tokens {
            access_token: response.access_token,
            refresh_token: response.refresh_token,
            renew_at_ms: clock::now_ms() + lifetime_ms - REFRESH_MARGIN_MS.min(lifetime_ms / 5.0),
        };
        save(&Stored {
            tokens: tokens.clone(),
            account: response.account.clone(),
        });
        self.tokens.set_value(Some(tokens));
        crate::drafts::set_account(Some(response.account.id));
        if self
            .account
            .with_untracked(|a| a.as_ref() != Some(&response.account))
        {
            self.account.set(Some(response.account));
        }
    }

    /// Signing out: the session and every draft (they hold personal data) are removed.
    pub fn sign_out(&self) {
        crate::drafts::forget_all_but(None);
        self.end();
    }

    fn end(&self) {
        clear();
        crate::drafts::set_account(None);
        self.tokens.set_value(None);
        self.account.set(None);
        self.reauth.set(false);
    }

    /// Signs out because the server no longer accepts the session; the login page says why.
    /// Drafts stay, so signing in again in this tab brings the input back.
    pub fn expire(&self, message: String) {
        self.notice.set(Some(message));
        self.return_to.set(
            web_sys::window()
                .and_then(|w| w.location().pathname().ok())
                .filter(|p| p != crate::app::LOGIN_PATH),
        );
        self.end();
    }
}

fn storage() -> Option<web_sys::Storage> {
    // Storage can be unavailable (privacy settings); the session then lives in memory only.
    web_sys::window()?.session_storage().ok().flatten()
}

fn load() -> Option<Stored> {
    let raw = storage()?.get_item(STORAGE_KEY).ok().flatten()?;
    match serde_json::from_str(&raw) {
        Ok(stored) => Some(stored),
        Err(err) => {
            // Written by an older version of the app: start signed out rather than fail.
            leptos::logging::warn!("discarding unreadable stored session: {err}");
            clear();
            None
        }
    }
}

fn save(stored: &Stored) {
    let (Some(storage), Ok(raw)) = (storage(), serde_json::to_string(stored)) else {
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
