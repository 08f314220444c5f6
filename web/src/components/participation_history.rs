//! A person's participations at this centre, newest first, each linking to its activity.

use std::sync::Arc;

use leptos::prelude::*;
use shared::dto::activity::PersonParticipationPage;

use crate::activity_master::ActivityCodes;
use crate::components::activity_details::{date_with_weekday, detail_text};

#[component]
pub fn ParticipationHistory(
    page: PersonParticipationPage,
    codes: Arc<ActivityCodes>,
    /// Shows the next, older rows; `None` when all are shown.
    on_more: Option<Callback<()>>,
) -> impl IntoView {
    let shown = page.items.len();
    let total = page.total;
    view! {
        <p class="result-status" data-testid="person-participations-count">
            {if total == 0 {
                "まだ参加の記録はありません。".to_owned()
            } else {
                format!("全{total}件（新しい順に{shown}件を表示）")
            }}
        </p>
        {(total > 0).then(|| view! {
            <table class="data-table history-table" data-testid="person-participations-table">
                <thead>
                    <tr>
                        <th scope="col">"日付"</th>
                        <th scope="col">"機能"</th>
                        <th scope="col">"名目"</th>
                        <th scope="col">"場所"</th>
                        <th scope="col">"内容"</th>
                    </tr>
                </thead>
                <tbody>
                    {page
                        .items
                        .into_iter()
                        .map(|p| {
                            let detail = detail_text(&codes, p.visit_purpose.as_deref(), &p.topics, p.referral_destination.as_deref());
                            view! {
                                <tr data-testid="person-participation-row">
                                    <td>
                                        <a href=format!("/activities/{}", p.activity_id) data-testid="person-participation-link">
                                            {date_with_weekday(p.date)}
                                        </a>
                                    </td>
                                    <td class=format!("fn-label fn-{}", p.function)>{codes.function_label(&p.function)}</td>
                                    <td class="long-text">{p.title.clone().unwrap_or_default()}</td>
                                    <td class="long-text">{codes.site_label(p.site.as_deref())}</td>
                                    <td class="long-text">{detail}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        })}
        {on_more.map(|more| view! {
            <button type="button" class="button" data-testid="person-participations-more" on:click=move |_| more.run(())>
                "さらに表示"
            </button>
        })}
    }
}
