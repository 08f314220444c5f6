//! Find a registered person by フリガナ, name or common ID and pick them: results appear as you
//! type (after a short pause), ↑/↓ move the highlight, Enter picks it (even when pressed before
//! the results arrive), Esc clears. The page runs the search for the text in `query`.

use std::time::Duration;

use leptos::ev::KeyboardEvent;
use leptos::leptos_dom::helpers::{set_timeout_with_handle, TimeoutHandle};
use leptos::prelude::*;
use shared::dates::format_wareki;
use shared::dto::person::PersonSummary;

use crate::format;

/// Pause in typing after which the search runs.
const DEBOUNCE: Duration = Duration::from_millis(200);

/// What a search found, and the text it was for.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    pub query: String,
    pub outcome: Result<Vec<PersonSummary>, String>,
}

#[component]
pub fn PersonPicker(
    /// The input's id; results get `{id}-results`.
    id: &'static str,
    label: &'static str,
    /// `data-testid` of the input; results are `{testid}-result` with `data-common-id`.
    testid: &'static str,
    /// The text to search for, set after a pause in typing.
    query: RwSignal<String>,
    #[prop(into)] results: Signal<Option<SearchResults>>,
    /// Common IDs already chosen (shown as such, not picked twice).
    #[prop(into)]
    chosen: Signal<Vec<String>>,
    on_pick: Callback<PersonSummary>,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let highlight = RwSignal::new(0usize);
    let open = RwSignal::new(false);
    let enter_pending = RwSignal::new(false);
    let notice = RwSignal::new(None::<String>);
    let timer = StoredValue::new(None::<TimeoutHandle>);

    let cancel_timer = move || {
        if let Some(handle) = timer.try_update_value(Option::take).flatten() {
            handle.clear();
        }
    };
    let search_now = move || {
        cancel_timer();
        let text = typed.get_untracked().trim().to_owned();
        if query.get_untracked() != text {
            query.set(text);
        }
    };
    on_cleanup(cancel_timer);

    // The results for what is typed now (not for an earlier text).
    let current = move || -> Option<Vec<PersonSummary>> {
        let text = typed.with(|t| t.trim().to_owned());
        results.with(|r| match r {
            Some(SearchResults {
                query,
                outcome: Ok(items),
            }) if *query == text => Some(items.clone()),
            _ => None,
        })
    };
    let pick_at = move |index: usize| {
        let Some(items) = untrack(current) else { return };
        let Some(person) = items.get(index) else {
            notice.set(Some("該当する方がいません。".to_owned()));
            return;
        };
        if chosen.with_untracked(|c| c.contains(&person.common_id)) {
            notice.set(Some(format!(
                "{}さんは既に選ばれています。",
                format::full_name(&person.family_name, &person.given_name)
            )));
        } else {
            notice.set(Some(format!(
                "{}さんを追加しました。",
                format::full_name(&person.family_name, &person.given_name)
            )));
            on_pick.run(person.clone());
        }
        cancel_timer();
        typed.set(String::new());
        query.set(String::new());
        highlight.set(0);
        open.set(false);
    };
    // Enter pressed before the answer came: pick as soon as it is here.
    Effect::new(move |_| {
        let ready = current().is_some();
        if ready && enter_pending.get_untracked() {
            enter_pending.set(false);
            pick_at(highlight.get_untracked());
        }
    });

    let on_keydown = move |ev: KeyboardEvent| {
        if ev.is_composing() || ev.key_code() == 229 {
            return; // the IME is converting: Enter confirms kana → kanji, not a pick
        }
        let count = untrack(current).map_or(0, |items| items.len());
        match ev.key().as_str() {
            "ArrowDown" => {
                ev.prevent_default();
                open.set(true);
                if count > 0 {
                    highlight.update(|h| *h = (*h + 1) % count);
                }
            }
            "ArrowUp" => {
                ev.prevent_default();
                if count > 0 {
                    highlight.update(|h| *h = (*h + count - 1) % count);
                }
            }
            "Enter" if !ev.ctrl_key() && !ev.meta_key() => {
                ev.prevent_default();
                if typed.with_untracked(|t| t.trim().is_empty()) {
                    return;
                }
                if untrack(current).is_some() {
                    pick_at(highlight.get_untracked());
                } else {
                    enter_pending.set(true);
                    search_now();
                }
            }
            "Escape" if !typed.with_untracked(String::is_empty) => {
                ev.prevent_default();
                cancel_timer();
                typed.set(String::new());
                query.set(String::new());
                open.set(false);
            }
            _ => {}
        }
    };
    let on_input = move |text: String| {
        typed.set(text);
        highlight.set(0);
        open.set(true);
        notice.set(None);
        enter_pending.set(false);
        cancel_timer();
        if let Ok(handle) = set_timeout_with_handle(search_now, DEBOUNCE) {
            timer.set_value(Some(handle));
        }
    };

    let results_id = format!("{id}-results");
    let option_id = move |i: usize| format!("{id}-option-{i}");
    let showing = move || open.get() && typed.with(|t| !t.trim().is_empty());
    let status = move || {
        if let Some(n) = notice.get() {
            return n;
        }
        if !showing() {
            return String::new();
        }
        match current() {
            None => match results.get() {
                Some(SearchResults {
                    outcome: Err(message),
                    ..
                }) => message,
                _ => "さがしています…".to_owned(),
            },
            Some(items) if items.is_empty() => "該当する方はいません。".to_owned(),
            Some(items) => format!("{}件。↑↓で選び、Enterで追加します。", items.len()),
        }
    };

    view! {
        <div class="field person-picker">
            <label for=id>{label}</label>
            {hint.map(|h| view! { <p class="field-hint" id=format!("{id}-hint")>{h}</p> })}
            <div class="picker-box">
                <input
                    id=id
                    type="search"
                    role="combobox"
                    autocomplete="off"
                    spellcheck="false"
                    placeholder="例: やまもと、ﾔﾏﾓﾄ、山本、C001-000012-3"
                    data-testid=testid
                    aria-autocomplete="list"
                    aria-controls=results_id.clone()
                    aria-expanded=move || showing().to_string()
                    aria-describedby=format!("{id}-status")
                    aria-activedescendant=move || {
                        (showing() && current().is_some_and(|i| !i.is_empty()))
                            .then(|| option_id(highlight.get()))
                    }
                    prop:value=move || typed.get()
                    on:input=move |ev| on_input(event_target_value(&ev))
                    on:keydown=on_keydown
                    on:focus=move |_| open.set(true)
                    on:blur=move |_| open.set(false)
                />
                <Show when=move || showing() && current().is_some_and(|i| !i.is_empty())>
                    <ul class="picker-results" id=results_id.clone() role="listbox" aria-label="検索結果">
                        {move || {
                            current()
                                .unwrap_or_default()
                                .into_iter()
                                .enumerate()
                                .map(|(i, p)| {
                                    let already = chosen.with(|c| c.contains(&p.common_id));
                                    let name = format::full_name(&p.family_name, &p.given_name);
                                    let kana = format::full_name(&p.family_kana, &p.given_kana);
                                    let born = format!("{}生 {}", format_wareki(p.birth_date), format::age(p.age));
                                    view! {
                                        <li
                                            id=option_id(i)
                                            role="option"
                                            class="picker-option"
                                            class:highlighted=move || highlight.get() == i
                                            aria-selected=move || (highlight.get() == i).to_string()
                                            data-testid=format!("{testid}-result")
                                            data-common-id=p.common_id.clone()
                                            on:mousedown=move |ev| {
                                                ev.prevent_default();
                                                highlight.set(i);
                                                pick_at(i);
                                            }
                                        >
                                            <span class="picker-name long-text">{name}</span>
                                            <span class="picker-kana long-text">{kana}</span>
                                            <span class="picker-sub">{born}</span>
                                            <span class="picker-id id-text">{p.common_id.clone()}</span>
                                            {already.then(|| view! { <span class="picker-chosen">"選択済み"</span> })}
                                        </li>
                                    }
                                })
                                .collect_view()
                        }}
                    </ul>
                </Show>
            </div>
            <p class="picker-status" id=format!("{id}-status") role="status" aria-live="polite" data-testid=format!("{testid}-status")>
                {status}
            </p>
        </div>
    }
}
