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

// ---- download buttons ----------------------------------------------------------------------

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::error::ProblemCode;

use crate::api::{self, ApiError, FileFormat};
use crate::session::Session;

/// CSV encodings offered: `(API value, label)`; the first is the default.
pub const CSV_ENCODINGS: [(&str, &str); 2] = [
    ("utf-8-bom", "Excel 用（UTF-8 BOM 付き）"),
    ("cp932", "Shift_JIS（古い Excel 用）"),
];

/// What went wrong with a download, in plain Japanese. A Shift_JIS file that cannot hold some
/// characters says which and what to choose instead — no API parameter names.
pub fn failure_message(e: &ApiError) -> String {
    if let Some(p) = e
        .problem()
        .filter(|p| p.code == ProblemCode::UnmappableCharacters)
    {
        let mut chars: Vec<String> = Vec::new();
        for fe in &p.errors {
            let quoted = fe
                .message
                .split_once('「')
                .and_then(|(_, rest)| rest.split_once('」'))
                .map(|(c, _)| format!("「{c}」"));
            if let Some(c) = quoted.filter(|c| !chars.contains(c)) {
                chars.push(c);
            }
        }
        let which = if chars.is_empty() {
            String::new()
        } else {
            format!("（{}）", chars.join(""))
        };
        return format!(
            "Shift_JIS では表せない文字{which}が含まれているため、Shift_JIS の CSV を作れませんでした。文字コードで「Excel 用（UTF-8 BOM 付き）」を選ぶか、Excel（xlsx）でダウンロードしてください。"
        );
    }
    e.full_message()
}

/// The result of the last download: `Ok(message)` or `Err(message)`.
pub type DownloadStatus = RwSignal<Option<Result<String, String>>>;

/// Buttons that download the same figures or records as an Excel workbook or as CSV (UTF-8
/// with BOM or Shift_JIS, optionally under the header block). `url` gives the API URL of a
/// format, `None` while the choices are incomplete; the file is saved under the name the server
/// gives it (`fallback` plus the extension when it gives none). Test IDs start with `testid`:
/// `-xlsx-download`, `-csv-encoding`, `-csv-header-block`, `-csv-download`.
#[component]
pub fn DownloadButtons(
    url: Callback<FileFormat, Option<String>>,
    #[prop(into)] fallback: Signal<String>,
    status: DownloadStatus,
    testid: &'static str,
) -> impl IntoView {
    let session = Session::expect();
    let encoding = RwSignal::new(CSV_ENCODINGS[0].0.to_owned());
    let header_block = RwSignal::new(false);
    let busy = RwSignal::new(None::<&'static str>);
    let start = move |format: FileFormat| {
        let Some(target) = url.run(format.clone()) else {
            return;
        };
        if busy.get_untracked().is_some() {
            return;
        }
        busy.set(Some(format.extension()));
        status.set(None);
        spawn_local(async move {
            let result = api::fetch_file(session, target).await;
            let outcome = match result {
                Ok(file) => {
                    let name = file
                        .name
                        .unwrap_or_else(|| format!("{}.{}", fallback.get_untracked(), format.extension()));
                    save(&file.bytes, &name, format.mime())
                        .map(|()| format!("{name} をダウンロードしました。"))
                        .map_err(|e| format!("ファイルを保存できませんでした（{e}）。"))
                }
                Err(e) => Err(failure_message(&e)),
            };
            status.set(Some(outcome));
            busy.set(None);
        });
    };
    let disabled = move || busy.get().is_some() || url.run(FileFormat::Xlsx).is_none();
    let encoding_id = format!("{testid}-csv-encoding");
    view! {
        <div class="download-buttons" role="group" aria-label="ダウンロード">
            <button
                type="button"
                class="button"
                data-testid=format!("{testid}-xlsx-download")
                disabled=disabled
                on:click=move |_| start(FileFormat::Xlsx)
            >
                {move || if busy.get() == Some("xlsx") { "作成中…" } else { "Excel（xlsx）ダウンロード" }}
            </button>
            <label class="inline-label" for=encoding_id.clone()>"CSV の文字コード"</label>
            <select
                id=encoding_id.clone()
                class="select-inline"
                data-testid=encoding_id
                on:change=move |ev| encoding.set(event_target_value(&ev))
            >
                {CSV_ENCODINGS
                    .iter()
                    .map(|(value, label)| {
                        view! {
                            <option value=*value prop:selected=move || encoding.with(|e| e == value)>
                                {*label}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <label class="inline-label">
                <input
                    type="checkbox"
                    data-testid=format!("{testid}-csv-header-block")
                    prop:checked=move || header_block.get()
                    on:change=move |ev| header_block.set(event_target_checked(&ev))
                />
                "先頭に表題・期間の行"
            </label>
            <button
                type="button"
                class="button"
                data-testid=format!("{testid}-csv-download")
                disabled=disabled
                on:click=move |_| {
                    start(FileFormat::Csv {
                        encoding: encoding.get_untracked(),
                        header_block: header_block.get_untracked(),
                    })
                }
            >
                {move || if busy.get() == Some("csv") { "作成中…" } else { "CSV ダウンロード" }}
            </button>
        </div>
    }
}

/// The last download's outcome, as a status line (`{testid}-csv-status` / `-csv-error`).
#[component]
pub fn DownloadStatusLine(status: DownloadStatus, testid: &'static str) -> impl IntoView {
    move || {
        status.get().map(|s| match s {
            Ok(message) => view! {
                <p class="alert alert-success no-print" role="status" data-testid=format!("{testid}-csv-status")>{message}</p>
            }
            .into_any(),
            Err(message) => view! {
                <p class="alert alert-error no-print" role="alert" data-testid=format!("{testid}-csv-error")>{message}</p>
            }
            .into_any(),
        })
    }
}
