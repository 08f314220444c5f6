//! A figures table: one column per breakdown (labels, codes on hover), one per measure (right
//! aligned, grouped digits), suppressed cells as `＊`, and the server's grand total as the last
//! row.

use leptos::prelude::*;

use crate::figures::{cell, dimension_label, measure_label, Table};

#[component]
pub fn StatsTable(
    table: Table,
    /// The table's caption (read by screen readers, shown when printed).
    caption: String,
    #[prop(optional)] testid: Option<&'static str>,
) -> impl IntoView {
    let testid = testid.unwrap_or("stats-table");
    let dims = table.dimensions.len();
    let head = table
        .dimensions
        .iter()
        .map(|d| view! { <th scope="col" class="col-dim">{dimension_label(d).to_owned()}</th> })
        .chain(table.measures.iter().map(|m| {
            view! { <th scope="col" class="col-num">{measure_label(m).to_owned()}</th> }
        }))
        .collect_view();
    let measure_codes = table.measures.clone();
    let rows = table
        .rows
        .iter()
        .map(|row| {
            let keys = row
                .keys
                .iter()
                .zip(&table.dimensions)
                .enumerate()
                .map(|(i, ((code, label), dim))| {
                    let testid = format!("stats-cell-{dim}");
                    let title = (code != label).then(|| code.clone());
                    if i == 0 {
                        view! { <th scope="row" class="cell-dim long-text" title=title data-testid=testid>{label.clone()}</th> }
                            .into_any()
                    } else {
                        view! { <td class="cell-dim long-text" title=title data-testid=testid>{label.clone()}</td> }
                            .into_any()
                    }
                })
                .collect_view();
            let values = value_cells(&row.values, &measure_codes, "stats-cell");
            view! { <tr data-testid="stats-row">{keys}{values}</tr> }
        })
        .collect_view();
    let totals = table.totals.as_ref().map(|t| {
        let label_cells = if dims == 0 {
            None
        } else {
            Some(view! { <th scope="row" colspan=dims class="cell-dim">"合計"</th> })
        };
        let values = value_cells(t, &measure_codes, "stats-total");
        view! {
            <tfoot>
                <tr class="row-total" data-testid="stats-total-row">{label_cells}{values}</tr>
            </tfoot>
        }
    });
    let empty = table.rows.is_empty().then(|| {
        view! {
            <tr>
                <td colspan=dims + table.measures.len() class="cell-empty" data-testid="stats-empty">
                    "この条件に当てはまる記録はありません。"
                </td>
            </tr>
        }
    });
    // With no breakdown the totals row is the whole answer; show it as the only row.
    let totals_only = dims == 0;

    view! {
        <div class="table-scroll">
            <table class="data-table stats-table" data-testid=testid>
                <caption class="stats-caption">{caption}</caption>
                <thead>
                    <tr>{head}</tr>
                </thead>
                {(!totals_only).then(|| view! { <tbody>{rows}{empty}</tbody> })}
                {totals}
            </table>
        </div>
    }
}

fn value_cells(values: &[Option<u64>], measures: &[String], prefix: &str) -> impl IntoView {
    values
        .iter()
        .zip(measures)
        .map(|(v, m)| {
            let text = cell(*v);
            let suppressed = v.is_none();
            let testid = format!("{prefix}-{m}");
            view! {
                <td
                    class="cell-num"
                    class:cell-suppressed=suppressed
                    title=suppressed.then_some("少人数のため秘匿")
                    data-testid=testid
                >
                    {text}
                </td>
            }
        })
        .collect_view()
}
