//! The operator's home card: open inquiries and incidents whose service-level clock runs,
//! soonest limit first (those due soon or overdue marked), and the maintenance to come.

use leptos::prelude::*;
use shared::dto::ops_log::{OpsDue, SlaState};

use crate::components::ops_fields::SlaBadge;
use crate::ops::jst_text;

#[component]
pub fn OpsDueCard(due: OpsDue) -> impl IntoView {
    let pressing = due
        .items
        .iter()
        .filter(|i| matches!(i.sla.state, SlaState::DueSoon | SlaState::Overdue))
        .count();
    let lead = if due.items.is_empty() {
        "回答・一次切り分けを待っている記録はありません。".to_owned()
    } else if pressing > 0 {
        format!(
            "期限が近い、または過ぎた記録が {pressing} 件あります（期限の {} 分前から表示・メールでお知らせします）。",
            due.warn_before_minutes
        )
    } else {
        format!("対応中の記録が {} 件あります。", due.items.len())
    };
    let rows = due
        .items
        .into_iter()
        .map(|item| {
            let (what, href) = match item.kind.as_str() {
                "inquiry" => ("問い合わせ", format!("/ops/inquiries?edit={}", item.id)),
                _ => ("障害", format!("/ops/incidents?edit={}", item.id)),
            };
            let testid = format!("home-due-{}-{}", item.kind, item.id);
            view! {
                <tr data-testid=testid.clone()>
                    <td>
                        <a href=href>{format!("{what} No.{}", item.id)}</a>
                    </td>
                    <td class="long-text">{item.summary.clone()}</td>
                    <td>{jst_text(item.started_at)}</td>
                    <td>
                        <SlaBadge sla=item.sla.clone() testid=format!("{testid}-sla") />
                    </td>
                </tr>
            }
        })
        .collect_view();
    let maintenance = due
        .maintenance
        .into_iter()
        .map(|m| {
            view! {
                <li data-testid=format!("home-maintenance-{}", m.id)>
                    {format!("{} 〜 {} {}", jst_text(m.input.starts_at), jst_text(m.input.ends_at), m.input.summary)}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card home-ops" aria-labelledby="home-ops-title" data-testid="home-ops-due">
            <h3 id="home-ops-title">"運用記録の期限"</h3>
            <p data-testid="home-ops-lead">{lead}</p>
            <div class="table-scroll">
                <table class="data-table">
                    <caption class="visually-hidden">"期限のある記録"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"記録"</th>
                            <th scope="col">"内容"</th>
                            <th scope="col">"開始"</th>
                            <th scope="col">"期限"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <h4>"予定している計画停止"</h4>
            <ul data-testid="home-maintenance">{maintenance}</ul>
            <div class="actions">
                <a class="button button-primary" href="/ops/inquiries" data-testid="home-ops-link">"運用記録を開く"</a>
                <a class="button" href="/ops/reports" data-testid="home-reports-link">"報告書を作る"</a>
            </div>
        </section>
    }
}
