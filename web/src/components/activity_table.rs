//! A day's activities as a table, each row linking to the activity.

use leptos::prelude::*;
use shared::dto::activity::ActivitySummary;

/// One row, with labels already looked up.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRow {
    pub summary: ActivitySummary,
    pub function_label: String,
    pub site_label: String,
    /// Just saved: highlighted.
    pub highlighted: bool,
}

#[component]
pub fn ActivityTable(rows: Vec<ActivityRow>) -> impl IntoView {
    view! {
        <table class="data-table activity-table" data-testid="activity-table">
            <caption class="visually-hidden">"この日の活動"</caption>
            <thead>
                <tr>
                    <th scope="col">"時間"</th>
                    <th scope="col">"機能"</th>
                    <th scope="col">"名目"</th>
                    <th scope="col">"場所"</th>
                    <th scope="col" class="num">"登録者"</th>
                    <th scope="col" class="num">"登録外"</th>
                    <th scope="col" class="num">"職員"</th>
                    <th scope="col" class="num">"ボランティア"</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|r| {
                        let s = r.summary;
                        let time = match (&s.start_time, &s.end_time) {
                            (Some(a), Some(b)) => format!("{a}〜{b}"),
                            (Some(a), None) => format!("{a}〜"),
                            _ => "—".to_owned(),
                        };
                        let title = s.title.clone().unwrap_or_else(|| r.function_label.clone());
                        view! {
                            <tr
                                data-testid="activity-row"
                                data-activity-id=s.id.to_string()
                                class:row-highlight=r.highlighted
                            >
                                <td class="cell-time">{time}</td>
                                <td class=format!("fn-label fn-{}", s.function)>{r.function_label}</td>
                                <td class="long-text">
                                    <a href=format!("/activities/{}", s.id) data-testid="activity-row-link">{title}</a>
                                    {s
                                        .person
                                        .as_ref()
                                        .map(|p| {
                                            let who = p.name.clone().unwrap_or_else(|| p.common_id.clone());
                                            view! {
                                                <span class="row-person" data-testid="activity-row-person">
                                                    {format!("（{who}）")}
                                                </span>
                                            }
                                        })}
                                </td>
                                <td class="long-text">{r.site_label}</td>
                                <td class="num" data-testid="activity-row-participants">{s.participants}</td>
                                <td class="num" data-testid="activity-row-unregistered">{s.unregistered}</td>
                                <td class="num">{s.staff_count}</td>
                                <td class="num">{s.volunteer_count}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
