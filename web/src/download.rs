//! Saving bytes the app already holds as a file: a `Blob`, an object URL and a click on a
//! temporary link. The bytes were fetched with the bearer token in a header (`crate::api`), so
//! no token ever sits in a URL, the history or a server log.

use leptos::wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

/// Offers `bytes` to the user as the download `filename` of type `mime`.
pub fn save(bytes: &[u8], filename: &str, mime: &str) -> Result<(), String> {
    save_js(bytes, filename, mime).map_err(|e| format!("{e:?}"))
}

fn save_js(bytes: &[u8], filename: &str, mime: &str) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let body = document.body().ok_or("no body")?;

    let parts = js_sys::Array::new();
    parts.push(&js_sys::Uint8Array::from(bytes));
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &options)?;
    let href = Url::create_object_url_with_blob(&blob)?;

    let link: HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&href);
    link.set_download(filename);
    link.set_hidden(true);
    body.append_child(&link)?;
    link.click();
    link.remove();
    // The download has started from the object URL; release it once the browser has read it.
    let release = leptos::wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = Url::revoke_object_url(&href);
    });
    window.set_timeout_with_callback_and_timeout_and_arguments_0(release.unchecked_ref(), 10_000)?;
    Ok(())
}
