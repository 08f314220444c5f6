//! The chart that suits a figures table: a line over time when the first breakdown is 年度,
//! 四半期, 月 or 日付 and there are at least two periods (one line per value of the other
//! breakdowns; a single period is bars, never a one-point line), bars when there is a single
//! other breakdown, and a short explanation otherwise. A period not over yet by today's date in
//! Japan is marked 「途中」.

use leptos::prelude::*;

use crate::clock::today_jst;
use crate::components::chart::{Bar, BarChart, LineChart, Series, Tick};
use crate::figures::{dimension_label, is_time_dimension, measure_label, time_tick, unfinished, Table};

/// Most lines one chart draws; the rest are in the table.
const MAX_SERIES: usize = 8;

#[component]
pub fn FiguresChart(
    table: Table,
    /// The measure to draw.
    measure: String,
    #[prop(optional)] testid: Option<&'static str>,
    /// Drawing width in SVG units (see [`crate::components::chart::WIDTH`]).
    #[prop(optional)]
    width: Option<f64>,
    /// Height of a line chart in SVG units (default 300).
    #[prop(optional)]
    height: Option<f64>,
) -> impl IntoView {
    let testid = testid.unwrap_or("figures-chart");
    let width = width.unwrap_or(crate::components::chart::WIDTH);
    let Some(mi) = table.measure_index(&measure) else {
        return ().into_any();
    };
    let Some(first) = table.dimensions.first().cloned() else {
        return view! {
            <p class="chart-note" data-testid="figures-chart-none">"内訳を選ぶと、ここにグラフを表示します。"</p>
        }
        .into_any();
    };
    if table.rows.is_empty() {
        return ().into_any();
    }
    let measure_name = measure_label(&measure).to_owned();

    if is_time_dimension(&first) {
        let (ticks, series, dropped) = line_data(&table, &first, mi);
        if let [only] = ticks.as_slice() {
            // One period: a trend of one point says nothing; bars (one per series) instead.
            // The server's own name of the period (every row has the same one).
            let when = table.rows[0].keys[0].1.clone();
            let bars = series
                .into_iter()
                .map(|s| Bar {
                    label: if table.dimensions.len() > 1 {
                        s.name
                    } else {
                        when.clone()
                    },
                    value: s.values.first().copied().flatten(),
                    partial: only.partial,
                })
                .collect();
            let title = format!("{measure_name}（{when}）");
            return view! { <BarChart title bars testid width /> }.into_any();
        }
        let title = if table.dimensions.len() > 1 {
            let others: Vec<&str> = table.dimensions[1..].iter().map(|d| dimension_label(d)).collect();
            format!("{measure_name}の推移（{}別）", others.join("・"))
        } else {
            format!("{measure_name}の推移")
        };
        return view! {
            <LineChart title ticks series testid width height=height.unwrap_or(300.0) />
            {(dropped > 0)
                .then(|| {
                    view! {
                        <p class="chart-note">
                            {format!("線は合計の多い{MAX_SERIES}本までを表示しています（ほか{dropped}本は表でご覧ください）。")}
                        </p>
                    }
                })}
        }
        .into_any();
    }
    if table.dimensions.len() == 1 {
        let bars = table
            .rows
            .iter()
            .map(|r| Bar {
                label: r.keys[0].1.clone(),
                value: r.values[mi],
                partial: false,
            })
            .collect();
        let title = format!("{measure_name}（{}別）", dimension_label(&first));
        return view! { <BarChart title bars testid width /> }.into_any();
    }
    view! {
        <p class="chart-note" data-testid="figures-chart-none">
            "グラフは、内訳が1つのとき（棒グラフ）か、最初の内訳が年度・四半期・月・日付のとき（折れ線グラフ）に表示します。"
        </p>
    }
    .into_any()
}

/// x positions (distinct values of the time dimension, in row order), one series per value of
/// the remaining dimensions (the largest first), and how many series were left out.
fn line_data(table: &Table, dimension: &str, mi: usize) -> (Vec<Tick>, Vec<Series>, usize) {
    let mut xs: Vec<(String, String)> = Vec::new();
    for row in &table.rows {
        if !xs.iter().any(|(code, _)| *code == row.keys[0].0) {
            xs.push(row.keys[0].clone());
        }
    }
    let today = today_jst();
    let ticks = xs
        .iter()
        .enumerate()
        .map(|(i, (code, _))| {
            let (text, sub) = time_tick(dimension, code, i == 0);
            Tick {
                text,
                sub,
                partial: unfinished(dimension, code, today),
            }
        })
        .collect();
    let mut series: Vec<(String, Vec<Option<u64>>, u64)> = Vec::new();
    for row in &table.rows {
        let name = if row.keys.len() > 1 {
            row.keys[1..]
                .iter()
                .map(|(_, label)| label.as_str())
                .collect::<Vec<_>>()
                .join("・")
        } else {
            measure_label(&table.measures[mi]).to_owned()
        };
        let x = xs
            .iter()
            .position(|(code, _)| *code == row.keys[0].0)
            .unwrap_or(0);
        let value = row.values[mi];
        match series.iter_mut().find(|(n, _, _)| *n == name) {
            Some((_, values, sum)) => {
                values[x] = value;
                *sum += value.unwrap_or(0);
            }
            None => {
                // The server sends no row for a combination with nothing in it: that is 0, not
                // a gap (a gap means a suppressed figure).
                let mut values = vec![Some(0); xs.len()];
                values[x] = value;
                series.push((name, values, value.unwrap_or(0)));
            }
        }
    }
    let dropped = series.len().saturating_sub(MAX_SERIES);
    if dropped > 0 {
        series.sort_by_key(|s| std::cmp::Reverse(s.2));
        series.truncate(MAX_SERIES);
    }
    (
        ticks,
        series
            .into_iter()
            .map(|(name, values, _)| Series { name, values })
            .collect(),
        dropped,
    )
}
