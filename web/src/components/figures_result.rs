//! What a figures table covers (period, dates in 和暦 with 西暦, scope, filters; on paper also a
//! title and when it was made) and the notes that go with it: what `＊` means where cells are
//! suppressed, and the server's own notes on reading the table.

use chrono::{DateTime, FixedOffset, NaiveDate};
use leptos::prelude::*;
use shared::dto::stats::StatsMeta;

use crate::format;

#[component]
pub fn ResultHeader(
    /// `令和6年度（2024年度）`.
    period: String,
    from: NaiveDate,
    to: NaiveDate,
    generated_at: DateTime<FixedOffset>,
    scope: String,
    /// `機能：集い・訪問` and so on, if any filter is set.
    filters: Option<String>,
    /// The period is not over yet (today, JST, falls in it): its figures run to today.
    #[prop(optional)]
    partial: bool,
) -> impl IntoView {
    let range = crate::components::print::period_range(from, to);
    let generated = format::timestamp_jst(generated_at.with_timezone(&chrono::Utc));
    view! {
        <header class="result-header">
            <h2 class="print-only print-title">"あったかふれあいセンター 集計表"</h2>
            <p class="result-period">
                <span data-testid="figures-period-label">{period}</span>
                {partial
                    .then(|| {
                        view! {
                            <span class="partial-badge" data-testid="figures-partial" title="この期間はまだ終わっていません（今日までの値）">
                                "途中"
                            </span>
                        }
                    })}
            </p>
            <dl class="result-facts">
                <dt>"期間"</dt>
                <dd data-testid="figures-range">{range}</dd>
                <dt>"範囲"</dt>
                <dd class="long-text" data-testid="figures-scope">{scope}</dd>
                {filters
                    .map(|text| {
                        view! {
                            <dt>"絞り込み"</dt>
                            <dd class="long-text" data-testid="figures-filters">{text}</dd>
                        }
                    })}
                <dt class="print-only">"作成日時"</dt>
                <dd class="print-only">{generated}</dd>
            </dl>
        </header>
    }
}

/// The server's notes and, where cells are hidden, what `＊` means; where they are perturbed,
/// that they are.
#[component]
pub fn ResultNotes(meta: StatsMeta, has_suppressed: bool) -> impl IntoView {
    let suppression = (has_suppressed || meta.suppressed_cells > 0).then(|| {
        let threshold = meta
            .suppression_threshold
            .map(|k| format!("{k}人未満の"))
            .unwrap_or_default();
        format!(
            "＊ は個人が特定されないよう秘匿した値です（{threshold}少ない人数と、合計から逆算できないようにした周りのセル、計{}セル）。",
            meta.suppressed_cells
        )
    });
    // Only where the prefecture configures perturbation for an account's role (integrators,
    // who use the API, have it by default).
    let perturbation = meta.perturbation.as_ref().map(|p| {
        format!(
            "人数のセルは、個人が特定されないよう ±{} 以内でずらした値です（同じ対象は常に同じ値。行の和は合計と一致しないことがあります）。",
            p.max_deviation
        )
    });
    let notes = meta.notes;
    (suppression.is_some() || perturbation.is_some() || !notes.is_empty()).then(|| {
        view! {
            <ul class="result-notes" data-testid="figures-notes">
                {suppression.map(|s| view! { <li class="note-suppression" data-testid="figures-suppression-note">{s}</li> })}
                {perturbation.map(|s| view! { <li class="note-perturbation" data-testid="figures-perturbation-note">{s}</li> })}
                {notes.into_iter().map(|n| view! { <li data-testid="figures-note">{n}</li> }).collect_view()}
            </ul>
        }
    })
}
