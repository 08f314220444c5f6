//! Totals by function (実施回数, 登録者の延べ参加, 登録外) for a month or a day, with a grand total.

use leptos::prelude::*;
use shared::dto::activity::FunctionTotals;

#[component]
pub fn FunctionTotalsTable(
    totals: Vec<FunctionTotals>,
    /// Function code → label.
    label: Callback<String, String>,
    caption: String,
    testid: &'static str,
) -> impl IntoView {
    let sum = |f: fn(&FunctionTotals) -> i64| totals.iter().map(f).sum::<i64>();
    let (activities, participants, unregistered) = (
        sum(|t| t.activities),
        sum(|t| t.participants),
        sum(|t| t.unregistered),
    );
    let empty = totals.is_empty();
    view! {
        <table class="data-table totals-table" data-testid=testid>
            <caption>{caption}</caption>
            <thead>
                <tr>
                    <th scope="col">"機能"</th>
                    <th scope="col" class="num">"回数"</th>
                    <th scope="col" class="num">"登録者"</th>
                    <th scope="col" class="num">"登録外"</th>
                    <th scope="col" class="num">"延べ"</th>
                </tr>
            </thead>
            <tbody>
                {empty.then(|| view! { <tr><td colspan="5" class="muted">"記録はありません。"</td></tr> })}
                {totals
                    .into_iter()
                    .map(|t| {
                        view! {
                            <tr data-testid=format!("activity-total-{}", t.function)>
                                <th scope="row" class=format!("fn-label fn-{}", t.function)>{label.run(t.function.clone())}</th>
                                <td class="num">{t.activities}</td>
                                <td class="num">{t.participants}</td>
                                <td class="num">{t.unregistered}</td>
                                <td class="num">{t.participants + t.unregistered}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
            <tfoot>
                <tr data-testid="activity-total-all">
                    <th scope="row">"合計"</th>
                    <td class="num">{activities}</td>
                    <td class="num">{participants}</td>
                    <td class="num">{unregistered}</td>
                    <td class="num">{participants + unregistered}</td>
                </tr>
            </tfoot>
        </table>
    }
}
