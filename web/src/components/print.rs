//! What every print shares (issue 14): the browser's print dialog, and the head of the paper —
//! title, scope (the centre's or municipality's name), the period in 和暦 with 西暦, and when it
//! was made in 和暦. The print stylesheet (`@media print` in style.css) gives every print A4
//! portrait, 「1 / 3」 page numbers, column headings on every page and the grand total once.

use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;

use crate::format;

/// Opens the browser's print dialog; the print stylesheet keeps only what belongs on paper.
pub fn print() {
    if let Some(window) = leptos::web_sys::window() {
        if let Err(err) = window.print() {
            leptos::logging::warn!("print failed: {err:?}");
        }
    }
}

/// `令和6年4月1日（2024年4月1日）〜令和7年3月31日（2025年3月31日）`; one date when `from == to`.
pub fn period_range(from: NaiveDate, to: NaiveDate) -> String {
    if from == to {
        format::wareki_with_seireki(from)
    } else {
        format!(
            "{}〜{}",
            format::wareki_with_seireki(from),
            format::wareki_with_seireki(to)
        )
    }
}

/// The head of a printed document: its title and, in a line of facts, the scope, the period
/// (`label` such as 令和7年5月, then the dates) and 作成日時. Shown on paper only unless
/// `on_screen`.
#[component]
pub fn PrintHead(
    title: String,
    /// The centre's, municipality's or office's name.
    scope: String,
    /// The period's name and its first and last day, where the document covers one.
    #[prop(optional)]
    period: Option<(String, NaiveDate, NaiveDate)>,
    generated_at: DateTime<Utc>,
    /// Also on screen (a report that is read on screen as it prints).
    #[prop(optional)]
    on_screen: bool,
) -> impl IntoView {
    let class = if on_screen {
        "print-head"
    } else {
        "print-head print-only"
    };
    let period = period.map(|(label, from, to)| {
        let text = if label.is_empty() {
            period_range(from, to)
        } else {
            format!("{label}　{}", period_range(from, to))
        };
        view! {
            <dt>"期間"</dt>
            <dd data-testid="print-period">{text}</dd>
        }
    });
    view! {
        <header class=class data-testid="print-head">
            <h2 class="print-head-title" data-testid="print-title">{title}</h2>
            <dl class="print-head-facts">
                <dt>"対象"</dt>
                <dd class="long-text" data-testid="print-scope">{scope}</dd>
                {period}
                <dt>"作成日時"</dt>
                <dd data-testid="print-generated">{format::timestamp_jst(generated_at)}</dd>
            </dl>
        </header>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_reads_in_wareki_with_seireki_and_one_day_once() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            period_range(d(2024, 4, 1), d(2025, 3, 31)),
            "令和6年4月1日（2024年4月1日）〜令和7年3月31日（2025年3月31日）"
        );
        assert_eq!(
            period_range(d(2024, 4, 1), d(2024, 4, 1)),
            "令和6年4月1日（2024年4月1日）"
        );
    }
}
