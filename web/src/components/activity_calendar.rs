//! A month of activities as a wall calendar (Sunday first): each day links to its list and shows
//! its activities as function labels with headcounts; weekends, holidays and locked days are
//! kept quiet.

use chrono::{Datelike, NaiveDate};
use leptos::prelude::*;

use crate::holidays::{DayKind, WEEKDAY_LABELS};

/// One activity in a day cell.
#[derive(Debug, Clone, PartialEq)]
pub struct DayChip {
    pub function: String,
    pub label: String,
    /// Registered participants plus unregistered headcount.
    pub people: i64,
    /// Tooltip: title, time and the split of the headcount.
    pub detail: String,
}

/// One day of the month.
#[derive(Debug, Clone, PartialEq)]
pub struct DayCell {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub locked: bool,
    pub today: bool,
    pub chips: Vec<DayChip>,
}

#[component]
pub fn MonthGrid(
    /// Every day of the month, in order.
    days: Vec<DayCell>,
    /// Where a day links to: the day's list.
    href: fn(NaiveDate) -> String,
) -> impl IntoView {
    let lead = days
        .first()
        .map_or(0, |d| d.date.weekday().num_days_from_sunday() as usize);
    let trail = (7 - (lead + days.len()) % 7) % 7;
    let blanks = |n: usize| {
        (0..n)
            .map(|_| view! { <li class="cal-cell cal-blank" aria-hidden="true"></li> })
            .collect_view()
    };
    view! {
        <div class="activity-calendar" data-testid="activity-calendar">
            <ol class="cal-head" aria-hidden="true">
                {WEEKDAY_LABELS
                    .iter()
                    .enumerate()
                    .map(|(i, w)| {
                        let class = match i {
                            0 => "cal-weekday day-sunday",
                            6 => "cal-weekday day-saturday",
                            _ => "cal-weekday",
                        };
                        view! { <li class=class>{*w}</li> }
                    })
                    .collect_view()}
            </ol>
            <ol class="cal-grid" on:keydown=move_between_days>
                {blanks(lead)}
                {days.into_iter().map(|d| view! { <DayCellView day=d href /> }).collect_view()}
                {blanks(trail)}
            </ol>
        </div>
    }
}

/// Arrow keys move between days (←→ a day, ↑↓ a week) without tabbing through each one.
fn move_between_days(ev: leptos::ev::KeyboardEvent) {
    use leptos::wasm_bindgen::JsCast;
    let delta: i64 = match ev.key().as_str() {
        "ArrowLeft" => -1,
        "ArrowRight" => 1,
        "ArrowUp" => -7,
        "ArrowDown" => 7,
        _ => return,
    };
    let Some(from) = ev
        .target()
        .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
        .and_then(|e| e.get_attribute("data-testid"))
        .and_then(|id| id.strip_prefix("activity-day-").map(str::to_owned))
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
    else {
        return;
    };
    ev.prevent_default();
    let to = from + chrono::Duration::days(delta);
    let target = leptos::web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector(&format!(
                "[data-testid=\"activity-day-{}\"]",
                crate::format::iso(to)
            ))
            .ok()
            .flatten()
        })
        .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok());
    if let Some(el) = target {
        let _ = el.focus();
    }
}

#[component]
fn DayCellView(day: DayCell, href: fn(NaiveDate) -> String) -> impl IntoView {
    let iso = crate::format::iso(day.date);
    let weekday = WEEKDAY_LABELS[day.date.weekday().num_days_from_sunday() as usize];
    let people: i64 = day.chips.iter().map(|c| c.people).sum();
    let mut aria = format!("{}月{}日（{weekday}）", day.date.month(), day.date.day());
    if day.kind == DayKind::Holiday {
        aria.push_str(" 祝日");
    }
    if day.chips.is_empty() {
        aria.push_str(" 記録なし");
    } else {
        aria.push_str(&format!(" {}件 延べ{people}人", day.chips.len()));
    }
    if day.locked {
        aria.push_str(" 締め済み");
    }
    let class = format!(
        "cal-cell {}{}{}{}",
        day.kind.class(),
        if day.kind.is_quiet() { " cal-quiet" } else { "" },
        if day.locked { " cal-locked" } else { "" },
        if day.today { " cal-today" } else { "" },
    );
    view! {
        <li class=class>
            <a
                class="cal-day"
                href=href(day.date)
                data-testid=format!("activity-day-{iso}")
                aria-label=aria
                aria-current=day.today.then_some("date")
            >
                <span class="cal-date">
                    <span class="cal-number">{day.date.day()}</span>
                    {(day.kind == DayKind::Holiday).then(|| view! { <span class="cal-mark">"祝"</span> })}
                    {day.locked.then(|| view! { <span class="cal-mark cal-lock-mark">"締"</span> })}
                </span>
                <span class="cal-chips">
                    {day
                        .chips
                        .into_iter()
                        .map(|c| {
                            view! {
                                <span
                                    class=format!("cal-chip fn-{}", c.function)
                                    title=c.detail
                                    data-testid="activity-day-chip"
                                    data-function=c.function.clone()
                                >
                                    <span class="cal-chip-label">{c.label}</span>
                                    <span class="cal-chip-count">{c.people}</span>
                                </span>
                            }
                        })
                        .collect_view()}
                </span>
            </a>
        </li>
    }
}
