//! 活動記録: a month of the centre's activities as a calendar (each day opens its list), the
//! month's totals by function, and the ways to record a gathering or a visit. Months in a locked
//! period are read-only.

use chrono::{Datelike, Months, NaiveDate};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use shared::dto::activity::ActivityList;

use crate::activity_master::{home_center, load_locks, lock_period_label, ActivityMaster, Locks};
use crate::api::{self, ApiError};
use crate::app::ACTIVITIES_PATH;
use crate::clock::today_jst;
use crate::components::activity_calendar::{DayCell, DayChip, MonthGrid};
use crate::components::function_totals::FunctionTotalsTable;
use crate::components::messages::{ErrorAlert, Loading};
use crate::components::print::{print, PrintHead};
use crate::holidays::DayKind;
use crate::session::Session;

/// `2024-05` for the month of `date`.
pub fn month_key(date: NaiveDate) -> String {
    date.format("%Y-%m").to_string()
}

/// The first day of the month named `2024-05`.
pub fn parse_month(value: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{value}-01"), "%Y-%m-%d").ok()
}

/// `令和6年5月（2024年5月）`.
pub fn month_title(first: NaiveDate) -> String {
    format!("{}（{}年{}月）", era_month(first), first.year(), first.month())
}

/// `令和6年5月`.
fn era_month(first: NaiveDate) -> String {
    let wareki = shared::dates::format_wareki(first);
    wareki.split_once('年').map_or_else(
        || wareki.clone(),
        |(era_year, _)| format!("{era_year}年{}月", first.month()),
    )
}

pub fn day_href(date: NaiveDate) -> String {
    format!("{ACTIVITIES_PATH}/day/{}", crate::format::iso(date))
}

#[component]
pub fn ActivityCalendarPage() -> impl IntoView {
    let session = Session::expect();
    let codes = ActivityMaster::expect();
    let query = use_query_map();
    let navigate = use_navigate();
    let today = today_jst();
    let center = home_center();
    let first = Memo::new(move |_| {
        query
            .with(|q| q.get("month").and_then(|m| parse_month(&m)))
            .unwrap_or_else(|| today.with_day(1).unwrap_or(today))
    });
    let data = LocalResource::new(move || {
        let month = month_key(first.get());
        let center = center.clone();
        async move {
            futures::try_join!(
                api::activities_in_month(session, &month, None),
                load_locks(session, center)
            )
        }
    });

    let go = move |first: NaiveDate| {
        navigate(
            &format!("{ACTIVITIES_PATH}?month={}", month_key(first)),
            Default::default(),
        )
    };
    let go_prev = {
        let go = go.clone();
        move |_| go(first.get_untracked() - Months::new(1))
    };
    let go_next = {
        let go = go.clone();
        move |_| go(first.get_untracked() + Months::new(1))
    };
    let go_today = move |_| go(today.with_day(1).unwrap_or(today));
    let is_this_month = move || first.get() == today.with_day(1).unwrap_or(today);

    let body = move || {
        let codes = match codes.get() {
            None => return view! { <Loading /> }.into_any(),
            Some(Err(e)) => return error_view(e),
            Some(Ok(c)) => c,
        };
        match data.get() {
            None => view! { <Loading /> }.into_any(),
            Some(Err(e)) => error_view(e),
            Some(Ok((list, locks))) => {
                let first = first.get();
                let month_lock = locks.on(first).map(|l| {
                    format!(
                        "この月は締め済みです（{}の締め）。記録の追加・変更・削除はできません。",
                        lock_period_label(l)
                    )
                });
                let days = month_days(first, today, &list, &locks, |f| codes.function_label(f));
                let label = {
                    let codes = codes.clone();
                    Callback::new(move |f: String| codes.function_label(&f))
                };
                view! {
                    {month_lock.map(|m| view! { <p class="alert alert-info lock-banner" data-testid="activity-locked">{m}</p> })}
                    <div class="calendar-layout">
                        <MonthGrid days href=day_href />
                        <aside class="calendar-side">
                            <FunctionTotalsTable
                                totals=list.by_function.clone()
                                label
                                caption=format!("{}の合計", month_title(first))
                                testid="activity-month-totals"
                            />
                            <p class="muted text-small">"延べ = 登録者の参加 ＋ 登録外の人数"</p>
                        </aside>
                    </div>
                }
                .into_any()
            }
        }
    };
    let locked_now = move || {
        data.get()
            .and_then(Result::ok)
            .is_some_and(|(_, locks)| locks.is_locked(first.get()))
    };
    let new_href = move |kind: &str| {
        let date = if is_this_month() { today } else { first.get() };
        format!(
            "{ACTIVITIES_PATH}/new?kind={kind}&date={}",
            crate::format::iso(date)
        )
    };

    view! {
        <section class="page page-activities" data-testid="page-activities" aria-labelledby="activities-title">
            <div class="page-head">
                // On paper the print head below carries the title.
                <h1 id="activities-title" class="no-print">
                    "活動記録　" <span data-testid="activity-month-title">{move || month_title(first.get())}</span>
                </h1>
                <Show when=move || !locked_now()>
                    <div class="actions-inline no-print">
                        <a class="button button-primary" href=move || new_href("gathering") data-testid="activity-new">
                            "＋ 集い・教室などを記録"
                        </a>
                        <a class="button" href=move || new_href("individual") data-testid="activity-new-individual">
                            "＋ 訪問・相談・つなぎを記録"
                        </a>
                    </div>
                </Show>
            </div>
            <PrintCenter
                title=Signal::derive(move || format!("活動記録　{}", month_title(first.get())))
                period=Signal::derive(move || {
                    let first = first.get();
                    let last = first
                        .checked_add_months(Months::new(1))
                        .and_then(|d| d.pred_opt())
                        .unwrap_or(first);
                    Some((era_month(first), first, last))
                })
            />
            <nav class="toolbar month-nav no-print" aria-label="月の切り替え">
                <button type="button" class="button" data-testid="activity-prev-month" on:click=go_prev>"← 前の月"</button>
                <button type="button" class="button" data-testid="activity-this-month" disabled=is_this_month on:click=go_today>"今月"</button>
                <button type="button" class="button" data-testid="activity-next-month" on:click=go_next>"次の月 →"</button>
                <button type="button" class="button" data-testid="activity-print" on:click=|_| print()>"印刷"</button>
                <p class="muted text-small">"日付を選ぶと、その日の活動の一覧を開きます。"</p>
            </nav>
            {body}
        </section>
    }
}

fn error_view(e: ApiError) -> AnyView {
    let message = e.full_message();
    view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="activity-calendar-error" /> }
        .into_any()
}

/// The month's days with their activities, kinds and locks.
fn month_days(
    first: NaiveDate,
    today: NaiveDate,
    list: &ActivityList,
    locks: &Locks,
    label: impl Fn(&str) -> String,
) -> Vec<DayCell> {
    first
        .iter_days()
        .take_while(|d| d.month() == first.month())
        .map(|date| DayCell {
            date,
            kind: DayKind::of(date),
            locked: locks.is_locked(date),
            today: date == today,
            chips: list
                .items
                .iter()
                .filter(|a| a.date == date)
                .map(|a| {
                    let fn_label = label(&a.function);
                    let mut detail = a.title.clone().unwrap_or_else(|| fn_label.clone());
                    if let (Some(s), Some(e)) = (&a.start_time, &a.end_time) {
                        detail.push_str(&format!(" {s}〜{e}"));
                    }
                    detail.push_str(&format!(
                        " 登録者{}人・登録外{}人",
                        a.participants, a.unregistered
                    ));
                    DayChip {
                        function: a.function.clone(),
                        label: fn_label,
                        people: a.participants + a.unregistered,
                        detail,
                    }
                })
                .collect(),
        })
        .collect()
}

/// The head of a recording print (issue 14): the common print head with the centre's name (the
/// header that names it on screen does not print), the day or month in 和暦 and 西暦, and
/// 作成日時 in 和暦.
#[component]
pub fn PrintCenter(
    title: Signal<String>,
    /// The period's name (empty for one day) and its first and last day.
    period: Signal<Option<(String, NaiveDate, NaiveDate)>>,
) -> impl IntoView {
    let master = crate::master::Master::expect();
    let code = home_center();
    let name = move || {
        master
            .data()
            .and_then(|d| d.center_name(&code).map(str::to_owned))
            .unwrap_or_else(|| code.clone())
    };
    let head = move || {
        let period = period.get();
        match period {
            Some(period) => view! {
                <PrintHead title=title.get() scope=name() period generated_at=crate::ops::now_utc() />
            }
            .into_any(),
            None => view! {
                <PrintHead title=title.get() scope=name() generated_at=crate::ops::now_utc() />
            }
            .into_any(),
        }
    };
    view! { <div class="print-only print-center" data-testid="activity-print-center">{head}</div> }
}
