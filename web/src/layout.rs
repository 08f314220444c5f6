//! Keeping the focused control in sight: a form's sticky save bar (`.af-bar`) sits over the
//! bottom of the window, and the browser's own scrolling on focus does not know about it, so a
//! control focused behind it is scrolled up clear of it (issue 14: at 1280×768 and Edge's
//! 1280×~650 the unregistered headcounts were typed blind).

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Room left between the control and the bar, in CSS pixels.
const MARGIN: f64 = 12.0;

/// Installs the page-wide listener (once, from the app shell).
pub fn keep_focus_clear_of_sticky_bars() {
    // Never removed: it lives as long as the app.
    let handle = window_event_listener(leptos::ev::focusin, |ev| {
        let Some(target) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
            return;
        };
        scroll_clear(&target);
    });
    std::mem::forget(handle);
}

fn scroll_clear(target: &web_sys::Element) {
    let Some(window) = web_sys::window() else { return };
    let Some(document) = window.document() else { return };
    let Ok(Some(bar)) = document.query_selector(".af-bar") else {
        return;
    };
    if bar.contains(Some(target)) {
        return;
    }
    let control = target.get_bounding_client_rect();
    let bar_top = bar.get_bounding_client_rect().top();
    let overlap = control.bottom() + MARGIN - bar_top;
    if overlap > 0.0 && control.height() > 0.0 {
        window.scroll_by_with_x_and_y(0.0, overlap);
    }
}
