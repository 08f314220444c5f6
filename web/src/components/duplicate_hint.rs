//! The optional duplicate hint on the registration form: 「この方は <センター名> で共通利用者番号
//! <ID> として登録済みの可能性があります」 with a button that registers the person under that ID.
//! Shows nothing while the hint is off, not asked yet, or finds nobody.

use leptos::prelude::*;
use shared::dto::duplicate_hint::{DuplicateHintAnswer, DuplicateHintStatus};

#[component]
pub fn DuplicateHintNotice(
    /// The latest answer for the kana and birth date in the form (`None`: not asked).
    #[prop(into)]
    answer: Signal<Option<DuplicateHintAnswer>>,
    /// The common ID the form will register with, if any (marks the candidate chosen).
    #[prop(into)]
    chosen: Signal<Option<String>>,
    /// "この番号で登録する" on a candidate.
    on_use: Callback<String>,
) -> impl IntoView {
    let body = move || {
        let answer = answer.get()?;
        match answer.status {
            DuplicateHintStatus::Checked if !answer.candidates.is_empty() => Some(
                view! {
                    <div class="alert alert-info duplicate-hint-box">
                        <ul class="duplicate-hint-list">
                            {answer
                                .candidates
                                .into_iter()
                                .map(|c| {
                                    let id = c.common_id.clone();
                                    let testid = format!("person-duplicate-hint-{}", c.common_id);
                                    let is_chosen = {
                                        let id = id.clone();
                                        move || chosen.with(|ch| ch.as_deref() == Some(id.as_str()))
                                    };
                                    let use_id = {
                                        let id = id.clone();
                                        move |_| on_use.run(id.clone())
                                    };
                                    view! {
                                        <li data-testid=testid>
                                            <p class="duplicate-hint-text">
                                                "この方は "<strong>{c.center_name}</strong>" で共通利用者番号 "
                                                <strong class="common-id">{c.common_id}</strong>
                                                " として登録済みの可能性があります"
                                            </p>
                                            <Show
                                                when=is_chosen
                                                fallback=move || {
                                                    let use_id = use_id.clone();
                                                    view! {
                                                        <button
                                                            type="button"
                                                            class="button button-small"
                                                            data-testid="person-duplicate-hint-use"
                                                            on:click=use_id
                                                        >
                                                            "この番号で登録する"
                                                        </button>
                                                    }
                                                }
                                            >
                                                <p class="duplicate-hint-chosen" data-testid="person-duplicate-hint-chosen">
                                                    "この番号で登録します（上の「共通利用者番号」欄に入れました）。"
                                                </p>
                                            </Show>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                        <p class="duplicate-hint-note">
                            "フリガナと生年月日が同じ別の方の場合もあります。ご本人に確かめてから使ってください。"
                        </p>
                    </div>
                }
                .into_any(),
            ),
            DuplicateHintStatus::HubUnreachable => Some(
                view! {
                    <p class="field-hint" data-testid="person-duplicate-hint-unreachable">
                        "県ハブに接続できないため、他のセンターでの登録は確認できませんでした。このまま登録できます。"
                    </p>
                }
                .into_any(),
            ),
            DuplicateHintStatus::RateLimited => Some(
                view! {
                    <p class="field-hint" data-testid="person-duplicate-hint-limited">
                        "確認の回数が一時的に上限に達したため、他のセンターでの登録は確認できませんでした。少し待つと再び確認できます。このまま登録もできます。"
                    </p>
                }
                .into_any(),
            ),
            _ => None,
        }
    };
    view! {
        <div class="duplicate-hint" role="status" aria-live="polite" data-testid="person-duplicate-hint">
            {body}
        </div>
    }
}
