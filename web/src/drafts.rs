//! Drafts of the forms staff type into (decision 0028): kept in this tab's `sessionStorage`
//! under the signed-in account, never sent anywhere, so a menu click, Back, a reload or a sign-in
//! after the session expired loses nothing. Signing out removes every draft (they hold personal
//! data); signing in as another account removes the previous account's.
//!
//! While a form differs from what it started with, leaving the page asks first: the browser's
//! own question on reload or close (`beforeunload`), ours on a link inside the app. A link
//! marked `data-draft-discard` (a form's キャンセル) asks whether to throw the input away and, if
//! so, removes the draft.

use std::cell::RefCell;

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

const PREFIX: &str = "attaka.draft.";

/// The question before leaving a form whose input is kept as a draft.
pub const LEAVE_QUESTION: &str =
    "入力途中の内容があります。このページを離れますか？\n（入力内容はこのタブに下書きとして残り、もう一度開くと復元されます）";
/// The question before a form's キャンセル throws its input away.
pub const DISCARD_QUESTION: &str = "入力した内容を破棄して戻りますか？";
/// The question before signing out with a form being filled in.
pub const LOGOUT_QUESTION: &str =
    "入力途中の内容があります。ログアウトすると下書きは削除されます。ログアウトしますか？";

thread_local! {
    /// The signed-in account (kept here by [`crate::session::Session`]), so code running outside
    /// the component tree (a save's task) can name its drafts.
    static ACCOUNT: RefCell<Option<i64>> = const { RefCell::new(None) };
    /// The draft key of the form on screen whose input differs from its start, if any.
    static DIRTY: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The storage key of form `name` for the signed-in account; `None` when nobody is signed in.
fn key(name: &str) -> Option<String> {
    let account = ACCOUNT.with(|a| *a.borrow())?;
    Some(format!("{PREFIX}{account}.{name}"))
}

/// Whose drafts are read and written from now on (`None`: nobody signed in).
pub fn set_account(account: Option<i64>) {
    ACCOUNT.with(|a| *a.borrow_mut() = account);
}

/// The draft of form `name` for the signed-in account, if one is kept and still readable.
pub fn load<T: DeserializeOwned>(name: &str) -> Option<T> {
    let raw = storage()?.get_item(&key(name)?).ok().flatten()?;
    serde_json::from_str(&raw).ok()
}

fn save<T: Serialize>(name: &str, value: &T) {
    let (Some(storage), Some(key), Ok(raw)) = (storage(), key(name), serde_json::to_string(value)) else {
        return;
    };
    if storage.set_item(&key, &raw).is_err() {
        leptos::logging::warn!("could not keep the form's draft");
    }
}

/// Removes the draft of form `name` (saved, or thrown away).
pub fn discard(name: &str) {
    if let (Some(storage), Some(key)) = (storage(), key(name)) {
        let _ = storage.remove_item(&key);
    }
    DIRTY.with(|d| {
        let mut d = d.borrow_mut();
        if d.as_deref() == Some(name) {
            *d = None;
        }
    });
}

/// Removes the drafts whose account is not `keep` (every draft when `None`): on sign-out, and on
/// sign-in as another account in the same tab.
pub fn forget_all_but(keep: Option<i64>) {
    let Some(storage) = storage() else { return };
    let len = storage.length().unwrap_or(0);
    let keep_prefix = keep.map(|id| format!("{PREFIX}{id}."));
    let doomed: Vec<String> = (0..len)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|k| k.starts_with(PREFIX))
        .filter(|k| keep_prefix.as_deref().is_none_or(|p| !k.starts_with(p)))
        .collect();
    for k in doomed {
        let _ = storage.remove_item(&k);
    }
    if keep.is_none() {
        DIRTY.with(|d| d.borrow_mut().take());
    }
}

/// Whether a form on screen holds input that is not saved.
pub fn dirty() -> bool {
    DIRTY.with(|d| d.borrow().is_some())
}

/// Keeps form `name`'s draft while the calling component lives: `snapshot` is written whenever
/// it changes and differs from `pristine` (and removed when it is back to it); leaving the page
/// meanwhile asks first.
pub fn keep<T>(name: String, snapshot: Memo<T>, pristine: T)
where
    T: Serialize + PartialEq + Clone + Send + Sync + 'static,
{
    let effect_name = name.clone();
    Effect::new(move |_| {
        let changed = snapshot.with(|s| *s != pristine);
        if changed {
            snapshot.with(|s| save(&effect_name, s));
            DIRTY.with(|d| *d.borrow_mut() = Some(effect_name.clone()));
        } else {
            discard(&effect_name);
        }
    });
    let cleanup_name = name;
    let listeners = install_guards();
    on_cleanup(move || {
        DIRTY.with(|d| {
            let mut d = d.borrow_mut();
            if d.as_deref() == Some(cleanup_name.as_str()) {
                *d = None;
            }
        });
        remove_guards(listeners);
    });
}

/// The page listeners of a form with a draft; removed when dropped.
struct Guards {
    unload: Option<leptos::prelude::WindowListenerHandle>,
    click: Option<Closure<dyn FnMut(web_sys::MouseEvent)>>,
}

impl Drop for Guards {
    fn drop(&mut self) {
        if let Some(h) = self.unload.take() {
            h.remove();
        }
        if let (Some(click), Some(document)) =
            (self.click.take(), web_sys::window().and_then(|w| w.document()))
        {
            let _ = document.remove_event_listener_with_callback_and_bool(
                "click",
                click.as_ref().unchecked_ref(),
                true,
            );
        }
    }
}

thread_local! {
    /// The listeners of the forms on screen, by a number handed to their cleanup (which must
    /// be `Send`, which listeners are not).
    static GUARDS: RefCell<Vec<(u64, Guards)>> = const { RefCell::new(Vec::new()) };
    static NEXT_GUARD: RefCell<u64> = const { RefCell::new(0) };
}

/// Installs the listeners and returns the number that removes them ([`remove_guards`]).
fn install_guards() -> u64 {
    let guards = make_guards();
    let id = NEXT_GUARD.with(|n| {
        let mut n = n.borrow_mut();
        *n += 1;
        *n
    });
    GUARDS.with(|g| g.borrow_mut().push((id, guards)));
    id
}

fn remove_guards(id: u64) {
    // Dropping the guards removes their listeners.
    let removed: Vec<(u64, Guards)> = GUARDS.with(|g| {
        let mut g = g.borrow_mut();
        let (gone, kept): (Vec<_>, Vec<_>) = g.drain(..).partition(|(i, _)| *i == id);
        *g = kept;
        gone
    });
    drop(removed);
}

fn make_guards() -> Guards {
    let unload = window_event_listener(leptos::ev::beforeunload, |ev| {
        if dirty() {
            ev.prevent_default();
            ev.set_return_value(LEAVE_QUESTION);
        }
    });
    let click = Closure::<dyn FnMut(web_sys::MouseEvent)>::new(on_click);
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        let _ =
            document.add_event_listener_with_callback_and_bool("click", click.as_ref().unchecked_ref(), true);
    }
    Guards {
        unload: Some(unload),
        click: Some(click),
    }
}

/// Before the router follows a link away from a form with unsaved input (capture phase, so it
/// runs before the router's own listener, which leaves prevented clicks alone).
fn on_click(ev: web_sys::MouseEvent) {
    let Some(name) = DIRTY.with(|d| d.borrow().clone()) else {
        return;
    };
    if ev.default_prevented() || ev.button() != 0 || ev.ctrl_key() || ev.meta_key() || ev.shift_key() {
        return;
    }
    let Some(anchor) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|e| e.closest("a[href]").ok().flatten())
    else {
        return;
    };
    let Some(window) = web_sys::window() else { return };
    let discard_link = anchor.has_attribute("data-draft-discard");
    let href = anchor.get_attribute("href").unwrap_or_default();
    let here = window.location().pathname().unwrap_or_default();
    if !discard_link && (href.starts_with('#') || href == here) {
        return;
    }
    let question = if discard_link {
        DISCARD_QUESTION
    } else {
        LEAVE_QUESTION
    };
    if window.confirm_with_message(question).unwrap_or(true) {
        if discard_link {
            discard(&name);
        }
    } else {
        ev.prevent_default();
        ev.stop_propagation();
    }
}

/// Above a form whose draft was brought back: says so, and offers to start afresh.
#[component]
pub fn DraftNotice(name: String, restored: bool) -> impl IntoView {
    restored.then(|| {
        let discard_now = move |_| {
            discard(&name);
            DIRTY.with(|d| d.borrow_mut().take());
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        };
        view! {
            <div class="notice notice-draft" role="status" data-testid="draft-restored">
                <p>"保存していない入力内容を復元しました（このタブに下書きとして残っていたものです）。"</p>
                <button type="button" class="button" data-testid="draft-discard" on:click=discard_now>
                    "下書きを破棄して最初から入力する"
                </button>
            </div>
        }
    })
}
