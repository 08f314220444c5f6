//! The people registry: search as you type (common ID, name or フリガナ in any kana), filter by
//! category, include ended registrations, page through. The search is kept in the URL so that
//! "back" from a person returns to the same list.

use std::time::Duration;

use leptos::leptos_dom::helpers::{set_timeout_with_handle, TimeoutHandle};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::api::{self, PersonQuery};
use crate::app::PERSONS_PATH;
use crate::components::fields::focus_when_mounted;
use crate::components::messages::{ErrorAlert, Loading};
use crate::components::pagination::Pagination;
use crate::components::person_table::PersonTable;
use crate::master::Master;
use crate::session::Session;

const PAGE_SIZE: u64 = 20;
/// Pause in typing after which the search runs.
const DEBOUNCE: Duration = Duration::from_millis(250);

#[component]
pub fn PersonListPage() -> impl IntoView {
    let session = Session::expect();
    let master = Master::expect();
    let navigate = use_navigate();
    let params = use_query_map().get_untracked();
    let param = |key: &str| params.get(key).unwrap_or_default();

    let typed = RwSignal::new(param("q"));
    let q = RwSignal::new(param("q"));
    let category = RwSignal::new(param("category"));
    let include_ended = RwSignal::new(param("ended") == "1");
    let offset = RwSignal::new(param("offset").parse::<u64>().unwrap_or(0));
    let timer = StoredValue::new(None::<TimeoutHandle>);
    let search_input = NodeRef::<leptos::html::Input>::new();
    focus_when_mounted(search_input);

    let query = Memo::new(move |_| PersonQuery {
        q: q.get(),
        category: category.get(),
        include_ended: include_ended.get(),
        offset: offset.get(),
        limit: PAGE_SIZE,
    });
    let page = LocalResource::new(move || {
        let query = query.get();
        async move { api::persons(session, &query).await }
    });

    // Mirror the search in the address, replacing the history entry (typing is not navigation).
    Effect::new(move |previous: Option<String>| {
        let target = list_url(&query.get());
        if previous.as_ref() != Some(&target) && previous.is_some() {
            navigate(
                &target,
                NavigateOptions {
                    replace: true,
                    scroll: false,
                    ..Default::default()
                },
            );
        }
        target
    });

    let cancel_timer = move || {
        if let Some(handle) = timer.try_update_value(Option::take).flatten() {
            handle.clear();
        }
    };
    let search_now = move || {
        cancel_timer();
        let text = typed.get_untracked();
        if q.get_untracked() != text {
            offset.set(0);
            q.set(text);
        }
    };
    let on_type = move |text: String| {
        typed.set(text);
        cancel_timer();
        if let Ok(handle) = set_timeout_with_handle(search_now, DEBOUNCE) {
            timer.set_value(Some(handle));
        }
    };
    on_cleanup(cancel_timer);

    let category_options = move || {
        master.data().map(|m| {
            m.categories
                .iter()
                .map(|c| {
                    let code = c.code.clone();
                    let for_selected = code.clone();
                    view! {
                        <option value=code prop:selected=move || category.with(|v| *v == for_selected)>
                            {c.label.clone()}
                        </option>
                    }
                })
                .collect_view()
        })
    };

    let results = move || {
        let data = match master.get() {
            None => return view! { <Loading /> }.into_any(),
            Some(Err(e)) => return error_view(e.full_message()),
            Some(Ok(data)) => data,
        };
        match page.get() {
            None => view! { <Loading /> }.into_any(),
            Some(Err(e)) => error_view(e.full_message()),
            Some(Ok(found)) if found.items.is_empty() => view! {
                <p class="empty" data-testid="person-empty">
                    {if query.with(|q| q.q.trim().is_empty()) {
                        "登録されている利用者はいません。"
                    } else {
                        "条件に合う利用者はいません。フリガナや番号を確かめてください。"
                    }}
                </p>
            }
            .into_any(),
            Some(Ok(found)) => {
                let on_page = Callback::new(move |to: u64| offset.set(to));
                view! {
                    <PersonTable items=found.items master=data />
                    <Pagination total=found.total offset=found.offset limit=found.limit on_page />
                }
                .into_any()
            }
        }
    };
    let status = move || {
        page.get().and_then(Result::ok).map(|found| {
            let q = query.with(|q| q.q.trim().to_owned());
            if q.is_empty() {
                format!("{}人", found.total)
            } else {
                format!("「{q}」の検索結果 {}人", found.total)
            }
        })
    };

    view! {
        <section class="page page-persons" data-testid="page-persons" aria-labelledby="persons-title">
            <div class="page-head">
                <h1 id="persons-title">"利用者"</h1>
                <a class="button button-primary" href=format!("{PERSONS_PATH}/new") data-testid="person-new">
                    "＋ 新しく登録する"
                </a>
            </div>
            <form
                class="card search-bar"
                role="search"
                on:submit=move |ev| {
                    ev.prevent_default();
                    search_now();
                }
            >
                <div class="field search-field">
                    <label for="person-search">"さがす（共通利用者番号・氏名・フリガナ）"</label>
                    <input
                        id="person-search"
                        type="search"
                        autocomplete="off"
                        spellcheck="false"
                        node_ref=search_input
                        placeholder="例: やまもと、ﾔﾏﾓﾄ、山本、C012-000123-8"
                        data-testid="person-search"
                        prop:value=move || typed.get()
                        on:input=move |ev| on_type(event_target_value(&ev))
                    />
                </div>
                <div class="field">
                    <label for="person-category">"対象区分"</label>
                    <select
                        id="person-category"
                        data-testid="person-category"
                        on:change=move |ev| {
                            offset.set(0);
                            category.set(event_target_value(&ev));
                        }
                    >
                        <option value="" prop:selected=move || category.with(String::is_empty)>
                            "すべて"
                        </option>
                        {category_options}
                    </select>
                </div>
                <div class="field field-check">
                    <label class="choice" for="person-include-ended">
                        <input
                            id="person-include-ended"
                            type="checkbox"
                            data-testid="person-include-ended"
                            prop:checked=move || include_ended.get()
                            on:change=move |ev| {
                                offset.set(0);
                                include_ended.set(event_target_checked(&ev));
                            }
                        />
                        "登録終了した人も表示"
                    </label>
                </div>
            </form>
            <p class="result-status" role="status" aria-live="polite" data-testid="person-result-count">
                {status}
            </p>
            {results}
        </section>
    }
}

fn error_view(message: String) -> AnyView {
    view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="person-list-error" /> }
        .into_any()
}

/// `/persons?q=…` for a query (defaults left out).
fn list_url(query: &PersonQuery) -> String {
    let mut parts = Vec::new();
    if !query.q.is_empty() {
        parts.push(format!(
            "q={}",
            String::from(js_sys::encode_uri_component(&query.q))
        ));
    }
    if !query.category.is_empty() {
        parts.push(format!(
            "category={}",
            String::from(js_sys::encode_uri_component(&query.category))
        ));
    }
    if query.include_ended {
        parts.push("ended=1".to_owned());
    }
    if query.offset > 0 {
        parts.push(format!("offset={}", query.offset));
    }
    if parts.is_empty() {
        PERSONS_PATH.to_owned()
    } else {
        format!("{PERSONS_PATH}?{}", parts.join("&"))
    }
}
