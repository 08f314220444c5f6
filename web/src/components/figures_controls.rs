//! The choices of the figures page: period (年度 / 月 / 期間, in 和暦 with 西暦), breakdown rows,
//! measures and filters. Every control writes straight into the signals it is given; the page
//! turns them into a query.

use chrono::NaiveDate;
use leptos::prelude::*;
use shared::dates::format_wareki;

use crate::figures::{
    fiscal_year_label, month_label, months_of_fiscal_year, quarter_label, FIRST_FISCAL_YEAR, MEASURES,
};

/// Which kind of period is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    FiscalYear,
    Month,
    Range,
}

/// The state of every choice on the page.
#[derive(Debug, Clone, Copy)]
pub struct FigureChoices {
    pub kind: RwSignal<PeriodKind>,
    pub fiscal_year: RwSignal<i32>,
    /// 0 for the whole year, else 1–4.
    pub quarter: RwSignal<u8>,
    /// `2024-04`.
    pub month: RwSignal<String>,
    /// ISO dates of a range.
    pub from: RwSignal<String>,
    pub to: RwSignal<String>,
    pub rows: RwSignal<Vec<String>>,
    pub measures: RwSignal<Vec<String>>,
    /// `(dimension, codes)`; a dimension with no code is not filtered.
    pub filters: RwSignal<Vec<(String, Vec<String>)>>,
}

/// One filter on offer: the dimension, its Japanese name and its `(code, label)` choices.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterOffer {
    pub dimension: &'static str,
    pub label: &'static str,
    pub choices: Vec<(String, String)>,
}

#[component]
pub fn FiguresControls(
    choices: FigureChoices,
    /// The current 年度 and month: the latest offered.
    current_fiscal_year: i32,
    /// `(code, label)` of the breakdowns on offer, in API order.
    dimensions: Vec<(&'static str, &'static str)>,
    #[prop(into)] filters: Signal<Vec<FilterOffer>>,
) -> impl IntoView {
    view! {
        <form class="figures-controls no-print" data-testid="figures-controls" on:submit=|ev| ev.prevent_default()>
            <PeriodChooser choices current_fiscal_year />
            <fieldset class="control-group">
                <legend>"内訳（行）"</legend>
                <p class="control-hint">
                    "表はこの並び順で分かれます。対象区分は4区分（足すと合計）、該当区分は重複ありです。"
                </p>
                <div class="check-grid">
                    {dimensions
                        .into_iter()
                        .map(|(code, label)| {
                            view! { <Toggle list=choices.rows code label testid=format!("figures-row-{code}") /> }
                        })
                        .collect_view()}
                </div>
            </fieldset>
            <fieldset class="control-group">
                <legend>"集計項目"</legend>
                <div class="check-grid">
                    {MEASURES
                        .into_iter()
                        .map(|(code, label)| {
                            view! { <Toggle list=choices.measures code label testid=format!("figures-measure-{code}") /> }
                        })
                        .collect_view()}
                </div>
            </fieldset>
            <fieldset class="control-group">
                <legend>"絞り込み"</legend>
                {move || {
                    filters
                        .get()
                        .into_iter()
                        .map(|offer| view! { <FilterChooser offer filters=choices.filters /> })
                        .collect_view()
                }}
                <button
                    type="button"
                    class="button button-small"
                    data-testid="figures-filter-clear"
                    disabled=move || choices.filters.with(|f| f.iter().all(|(_, c)| c.is_empty()))
                    on:click=move |_| choices.filters.set(Vec::new())
                >
                    "絞り込みを解除"
                </button>
            </fieldset>
        </form>
    }
}

/// 年度 (with an optional quarter), one month, or a range of dates.
#[component]
fn PeriodChooser(choices: FigureChoices, current_fiscal_year: i32) -> impl IntoView {
    let kind = choices.kind;
    let radio = move |value: PeriodKind, label: &'static str, testid: &'static str| {
        view! {
            <label class="choice">
                <input
                    type="radio"
                    name="figures-period-kind"
                    data-testid=testid
                    prop:checked=move || kind.get() == value
                    on:change=move |_| kind.set(value)
                />
                {label}
            </label>
        }
    };
    let years: Vec<i32> = (FIRST_FISCAL_YEAR..=current_fiscal_year).rev().collect();
    let year_options = years
        .iter()
        .map(|&y| {
            view! {
                <option value=y.to_string() prop:selected=move || choices.fiscal_year.get() == y>
                    {fiscal_year_label(y)}
                </option>
            }
        })
        .collect_view();
    // Months of the last five 年度, newest first, grouped by 年度.
    let month_groups = years
        .iter()
        .take(5)
        .map(|&fy| {
            let options = months_of_fiscal_year(fy)
                .into_iter()
                .rev()
                .filter(|&(y, m)| fy < current_fiscal_year || (y, m) <= current_month(current_fiscal_year))
                .map(|(y, m)| {
                    let value = format!("{y}-{m:02}");
                    let selected = value.clone();
                    view! {
                        <option value=value prop:selected=move || choices.month.with(|v| *v == selected)>
                            {month_label(y, m)}
                        </option>
                    }
                })
                .collect_view();
            view! { <optgroup label=fiscal_year_label(fy)>{options}</optgroup> }
        })
        .collect_view();

    view! {
        <fieldset class="control-group">
            <legend>"期間"</legend>
            <div class="choices choices-tight" role="radiogroup">
                {radio(PeriodKind::FiscalYear, "年度", "figures-period-fy")}
                {radio(PeriodKind::Month, "月", "figures-period-month")}
                {radio(PeriodKind::Range, "期間を指定", "figures-period-range")}
            </div>
            <div class="period-fields" hidden=move || kind.get() != PeriodKind::FiscalYear>
                <label for="figures-fy">"年度"</label>
                <select
                    id="figures-fy"
                    data-testid="figures-fy"
                    on:change=move |ev| {
                        if let Ok(y) = event_target_value(&ev).parse() {
                            choices.fiscal_year.set(y);
                        }
                    }
                >
                    {year_options}
                </select>
                <label for="figures-quarter">"範囲"</label>
                <select
                    id="figures-quarter"
                    data-testid="figures-quarter"
                    on:change=move |ev| choices.quarter.set(event_target_value(&ev).parse().unwrap_or(0))
                >
                    <option value="0" prop:selected=move || choices.quarter.get() == 0>"通年（4月〜翌3月）"</option>
                    {(1..=4u8)
                        .map(|q| {
                            view! {
                                <option value=q.to_string() prop:selected=move || choices.quarter.get() == q>
                                    {quarter_label(q)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="period-fields" hidden=move || kind.get() != PeriodKind::Month>
                <label for="figures-month">"月"</label>
                <select
                    id="figures-month"
                    data-testid="figures-month"
                    on:change=move |ev| choices.month.set(event_target_value(&ev))
                >
                    {month_groups}
                </select>
            </div>
            <div class="period-fields" hidden=move || kind.get() != PeriodKind::Range>
                <DateInput id="figures-from" label="開始日" value=choices.from />
                <DateInput id="figures-to" label="終了日" value=choices.to />
            </div>
        </fieldset>
    }
}

/// The latest month of the current 年度 that has begun, from the month choice's default.
fn current_month(current_fiscal_year: i32) -> (i32, u32) {
    let today = crate::clock::today_jst();
    if shared::dates::fiscal_year(today) == current_fiscal_year {
        use chrono::Datelike;
        (today.year(), today.month())
    } else {
        (current_fiscal_year + 1, 3)
    }
}

/// A date input with the date in 和暦 beside it.
#[component]
fn DateInput(id: &'static str, label: &'static str, value: RwSignal<String>) -> impl IntoView {
    let wareki = move || {
        value.with(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(format_wareki)
                .unwrap_or_default()
        })
    };
    view! {
        <label for=id>{label}</label>
        <div class="date-with-wareki">
            <input
                id=id
                type="date"
                data-testid=id
                min="2009-04-01"
                prop:value=move || value.get()
                on:change=move |ev| value.set(event_target_value(&ev))
            />
            <span class="date-wareki" data-testid=format!("{id}-wareki")>{wareki}</span>
        </div>
    }
}

/// A checkbox that adds `code` to or removes it from `list`.
#[component]
fn Toggle(
    list: RwSignal<Vec<String>>,
    code: &'static str,
    label: &'static str,
    testid: String,
) -> impl IntoView {
    view! {
        <label class="choice choice-compact">
            <input
                type="checkbox"
                data-testid=testid
                prop:checked=move || list.with(|l| l.iter().any(|c| c == code))
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    list.update(|l| {
                        l.retain(|c| c != code);
                        if on {
                            l.push(code.to_owned());
                        }
                    });
                }
            />
            {label}
        </label>
    }
}

/// A disclosure per filter dimension: its summary says what is chosen, inside are the codes.
#[component]
fn FilterChooser(offer: FilterOffer, filters: RwSignal<Vec<(String, Vec<String>)>>) -> impl IntoView {
    let dimension = offer.dimension;
    let chosen = move || {
        filters.with(|f| {
            f.iter()
                .find(|(d, _)| d == dimension)
                .map(|(_, codes)| codes.clone())
                .unwrap_or_default()
        })
    };
    let labels = offer.choices.clone();
    let summary = move || {
        let codes = chosen();
        if codes.is_empty() {
            "すべて".to_owned()
        } else {
            labels
                .iter()
                .filter(|(c, _)| codes.contains(c))
                .map(|(_, l)| l.as_str())
                .collect::<Vec<_>>()
                .join("、")
        }
    };
    let open = offer.choices.is_empty();
    let boxes = offer
        .choices
        .into_iter()
        .map(|(code, label)| {
            let for_checked = code.clone();
            let testid = format!("figures-filter-{dimension}-{code}");
            view! {
                <label class="choice choice-compact">
                    <input
                        type="checkbox"
                        data-testid=testid
                        prop:checked=move || chosen().contains(&for_checked)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            let code = code.clone();
                            filters.update(|f| {
                                if !f.iter().any(|(d, _)| d == dimension) {
                                    f.push((dimension.to_owned(), Vec::new()));
                                }
                                for (_, codes) in f.iter_mut().filter(|(d, _)| d == dimension) {
                                    codes.retain(|c| *c != code);
                                    if on {
                                        codes.push(code.clone());
                                    }
                                }
                                f.retain(|(_, codes)| !codes.is_empty());
                            });
                        }
                    />
                    <span class="long-text">{label}</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <details class="filter" data-testid=format!("figures-filter-{dimension}") open=open>
            <summary>
                <span class="filter-name">{offer.label}</span>
                "："
                <span class="filter-summary long-text" data-testid=format!("figures-filter-{dimension}-summary")>
                    {summary}
                </span>
            </summary>
            <div class="filter-choices">{boxes}</div>
        </details>
    }
}
