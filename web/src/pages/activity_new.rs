//! Recording an activity: a gathering with its participants, or one person's visit,
//! consultation or referral (`?kind=individual`); `?date=` and `?function=` preset the form.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::activity_form::ActivityFormState;
use crate::activity_master::ActivityMaster;
use crate::activity_rules::FormKind;
use crate::app::ACTIVITIES_PATH;
use crate::clock::today_jst;
use crate::components::messages::{ErrorAlert, Loading};
use crate::pages::activity_editor::{back_to_day, ActivityEditor};

#[component]
pub fn ActivityNewPage() -> impl IntoView {
    let codes = ActivityMaster::expect();
    let query = use_query_map();
    let today = today_jst();
    let kind = Memo::new(move |_| query.with(|q| FormKind::from_query(&q.get("kind").unwrap_or_default())));
    let date = Memo::new(move |_| {
        query.with(|q| {
            q.get("date")
                .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        })
    });
    let tab_href = move |k: FormKind| {
        let mut href = format!("{ACTIVITIES_PATH}/new?kind={}", k.query());
        if let Some(d) = date.get() {
            href.push_str(&format!("&date={}", crate::format::iso(d)));
        }
        href
    };
    let tab = move |k: FormKind, label: &'static str, testid: &'static str| {
        view! {
            <a
                class="tab"
                href=move || tab_href(k)
                data-testid=testid
                aria-current=move || (kind.get() == k).then_some("page")
            >
                {label}
            </a>
        }
    };

    let body = move || {
        let kind = kind.get();
        match codes.get() {
            None => view! { <Loading /> }.into_any(),
            Some(Err(e)) => {
                let message = e.full_message();
                view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="activity-new-error" /> }
                    .into_any()
            }
            Some(Ok(codes)) => {
                let date = untrack(|| date.get());
                let function = untrack(|| query.with(|q| q.get("function")))
                    .filter(|f| FormKind::for_function(f) == kind)
                    .unwrap_or_else(|| kind.default_function().to_owned());
                let state = ActivityFormState::new(kind, date.unwrap_or(today).min(today), &function);
                view! { <ActivityEditor state codes existing=None cancel_href=back_to_day(date) /> }
                    .into_any()
            }
        }
    };

    view! {
        <section class="page page-activity-new" data-testid="page-activity-new" aria-labelledby="activity-new-title">
            <div class="page-head">
                <h1 id="activity-new-title">"活動を記録する"</h1>
                <nav class="tabs" aria-label="記録の種類">
                    {tab(FormKind::Gathering, "集い・教室など（複数の方）", "activity-kind-gathering")}
                    {tab(FormKind::Individual, "訪問・相談・つなぎ（1人の方）", "activity-kind-individual")}
                </nav>
            </div>
            {body}
        </section>
    }
}
