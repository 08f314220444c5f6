//! One day's activities: the list (each opens its record), totals by function, and the ways to
//! record another one for that day — unless the day lies in a locked period.

use chrono::{Datelike, Days, NaiveDate};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::activity_master::{home_center, load_locks, lock_period_label, ActivityMaster};
use crate::api;
use crate::app::ACTIVITIES_PATH;
use crate::clock::today_jst;
use crate::components::activity_details::date_with_weekday;
use crate::components::activity_table::{ActivityRow, ActivityTable};
use crate::components::function_totals::FunctionTotalsTable;
use crate::components::messages::{ErrorAlert, Loading, SuccessNotice};
use crate::components::print::print;
use crate::pages::activity_calendar::{day_href, month_key, PrintCenter};
use crate::session::Session;

#[component]
pub fn ActivityDayPage() -> impl IntoView {
    let session = Session::expect();
    let codes = ActivityMaster::expect();
    let params = use_params_map();
    let query = use_query_map();
    let today = today_jst();
    let center = home_center();
    let date = Memo::new(move |_| {
        params.with(|p| {
            p.get("date")
                .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        })
    });
    let data = LocalResource::new(move || {
        let date = date.get();
        let center = center.clone();
        async move {
            match date {
                Some(date) => Some(futures::try_join!(
                    api::activities_on(session, date),
                    load_locks(session, center)
                )),
                None => None,
            }
        }
    });
    let saved_id = Memo::new(move |_| query.with(|q| q.get("saved")));
    let notice = Signal::derive(move || {
        query.with(|q| {
            if q.get("saved").is_some() {
                Some("記録しました。".to_owned())
            } else if q.get("deleted").is_some() {
                Some("活動を削除しました。".to_owned())
            } else {
                None
            }
        })
    });

    let body = move || {
        let Some(date) = date.get() else {
            return view! { <p class="alert alert-error" data-testid="activity-day-error">"日付が正しくありません。"</p> }.into_any();
        };
        let codes = match codes.get() {
            None => return view! { <Loading /> }.into_any(),
            Some(Err(e)) => return error_view(e.full_message()),
            Some(Ok(c)) => c,
        };
        match data.get().flatten() {
            None => view! { <Loading /> }.into_any(),
            Some(Err(e)) => error_view(e.full_message()),
            Some(Ok((list, locks))) => {
                let lock = locks.on(date).map(lock_period_label);
                let writable = lock.is_none() && date <= today;
                let saved = saved_id.get();
                let rows: Vec<ActivityRow> = list
                    .items
                    .iter()
                    .map(|s| ActivityRow {
                        function_label: codes.function_label(&s.function),
                        site_label: codes.site_label(s.site.as_deref()),
                        highlighted: saved.as_deref() == Some(&s.id.to_string()),
                        summary: s.clone(),
                    })
                    .collect();
                let empty = rows.is_empty();
                let new_href = move |kind: &str| {
                    format!(
                        "{ACTIVITIES_PATH}/new?kind={kind}&date={}",
                        crate::format::iso(date)
                    )
                };
                let label = {
                    let codes = codes.clone();
                    Callback::new(move |f: String| codes.function_label(&f))
                };
                view! {
                    {lock.map(|l| view! {
                        <p class="alert alert-info lock-banner" data-testid="activity-locked">
                            {format!("この日は締め済みです（{l}）。記録の追加・変更・削除はできません。")}
                        </p>
                    })}
                    {writable.then(|| view! {
                        <div class="toolbar no-print">
                            <a class="button button-primary" href=new_href("gathering") data-testid="activity-new">"＋ 集い・教室などを記録"</a>
                            <a class="button" href=new_href("individual") data-testid="activity-new-individual">"＋ 訪問・相談・つなぎを記録"</a>
                        </div>
                    })}
                    {if empty {
                        view! { <p class="empty" data-testid="activity-day-empty">"この日の記録はありません。"</p> }.into_any()
                    } else {
                        view! {
                            <ActivityTable rows />
                            <FunctionTotalsTable totals=list.by_function.clone() label caption="この日の合計".to_owned() testid="activity-day-totals" />
                        }
                        .into_any()
                    }}
                }
                .into_any()
            }
        }
    };

    let title = move || date.get().map(date_with_weekday).unwrap_or_default();
    let nav = move || {
        date.get().map(|d| {
            let prev = d - Days::new(1);
            let next = d + Days::new(1);
            let first = d.with_day(1).unwrap_or(d);
            view! {
                <nav class="toolbar no-print" aria-label="日の切り替え">
                    <a class="button" href=day_href(prev) data-testid="activity-prev-day">"← 前の日"</a>
                    <a class="button" href=format!("{ACTIVITIES_PATH}?month={}", month_key(first)) data-testid="activity-back-calendar">"カレンダーへ"</a>
                    {(next <= today).then(|| view! { <a class="button" href=day_href(next) data-testid="activity-next-day">"次の日 →"</a> })}
                    <button type="button" class="button" data-testid="activity-print" on:click=|_| print()>"印刷"</button>
                </nav>
            }
        })
    };

    view! {
        <section class="page page-activity-day" data-testid="page-activity-day" aria-labelledby="activity-day-title">
            <div class="no-print">
                <SuccessNotice message=notice testid="activity-saved" />
            </div>
            <div class="page-head">
                // On paper the print head below carries the title.
                <h1 id="activity-day-title" class="no-print" data-testid="activity-day-title">{title} "の活動"</h1>
            </div>
            <PrintCenter
                title=Signal::derive(move || format!("{}の活動", title()))
                period=Signal::derive(move || date.get().map(|d| (String::new(), d, d)))
            />
            {nav}
            {body}
        </section>
    }
}

fn error_view(message: String) -> AnyView {
    view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="activity-day-error" /> }
        .into_any()
}
