//! 抽出: the de-identified records behind the figures (participations, activities, registered
//! people), for a fiscal year or a month, downloaded as an Excel workbook or CSV — the same
//! files the API's `/extracts/*` gives integrators, within the caller's scope (the server
//! applies it, and decides what each role's view holds).

use leptos::prelude::*;
use shared::dates::fiscal_year;
use shared::dto::auth::Role;
use shared::dto::meta::MetaView;

use crate::api::{self, FileFormat};
use crate::clock::today_jst;
use crate::download::{DownloadButtons, DownloadStatus, DownloadStatusLine};
use crate::figures::Period;

/// Who may extract: the API's ReadExtracts, less the integrator (who has no sign-in to the app).
pub fn extracts_allowed(meta: &MetaView) -> bool {
    !matches!(meta.role, Role::Operator | Role::Integrator)
}

/// The record kinds: `(API name, label, what one row is)`.
const KINDS: [(&str, &str, &str); 3] = [
    (
        "participations",
        "参加記録",
        "登録者の参加1回につき1行（活動・センター・機能・性別・年齢区分など）",
    ),
    (
        "activities",
        "活動記録",
        "活動1回につき1行（参加者数、登録していない参加者の人数、職員・ボランティア数）",
    ),
    (
        "persons",
        "登録者",
        "期間中に登録されていた人1人につき1行（性別・生年月・対象区分など）",
    ),
];

/// Fiscal years offered: this one and the nine before it.
const YEARS_BACK: i32 = 9;

#[component]
pub fn ExtractsPage() -> impl IntoView {
    let today = today_jst();
    let current_fy = fiscal_year(today);
    let kind = RwSignal::new(KINDS[0].0.to_owned());
    let fy = RwSignal::new(current_fy);
    // 0 = the whole year; otherwise a calendar month (4…12, 1…3) of that fiscal year.
    let month = RwSignal::new(0u32);
    let status: DownloadStatus = RwSignal::new(None);

    let period = move || {
        let (fy, month) = (fy.get(), month.get());
        if month == 0 {
            format!("FY{fy}")
        } else {
            let year = if month >= 4 { fy } else { fy + 1 };
            format!("{year:04}-{month:02}")
        }
    };
    let url = Callback::new(move |format: FileFormat| {
        Some(api::extract_file_url(
            &kind.get(),
            &[("period", period())],
            &format,
        ))
    });
    let fallback = Signal::derive(move || format!("attaka-{}-{}", kind.get(), period()));
    let period_label = move || {
        Period::parse(Some(&period()), None, None)
            .map(|p| p.label())
            .unwrap_or_default()
    };

    view! {
        <section class="page page-extracts" data-testid="page-extracts" aria-labelledby="extracts-title">
            <div class="page-head">
                <h1 id="extracts-title">"抽出"</h1>
            </div>
            <p class="lead">
                "集計のもとになる記録を、個人を特定できない形（氏名・生年月日・住所などを含まない）で取り出します。"
                "範囲はあなたのアカウントで見られる範囲です。"
            </p>
            <form class="extracts-form" data-testid="extracts-form" on:submit=|ev| ev.prevent_default()>
                <fieldset>
                    <legend>"記録の種類"</legend>
                    {KINDS
                        .iter()
                        .map(|(code, label, what)| {
                            let id = format!("extracts-kind-{code}");
                            view! {
                                <div class="radio-row">
                                    <input
                                        type="radio"
                                        name="extracts-kind"
                                        id=id.clone()
                                        data-testid=id.clone()
                                        value=*code
                                        prop:checked=move || kind.with(|k| k == code)
                                        on:change=move |_| kind.set((*code).to_owned())
                                    />
                                    <label for=id>{*label}<span class="hint">"　"{*what}</span></label>
                                </div>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <fieldset>
                    <legend>"期間"</legend>
                    <label class="inline-label" for="extracts-year">"年度"</label>
                    <select
                        id="extracts-year"
                        class="select-inline"
                        data-testid="extracts-year"
                        on:change=move |ev| {
                            if let Ok(y) = event_target_value(&ev).parse() {
                                fy.set(y);
                            }
                        }
                    >
                        {(0..=YEARS_BACK)
                            .map(|back| {
                                let y = current_fy - back;
                                let label = Period::parse(Some(&format!("FY{y}")), None, None)
                                    .map(|p| p.label())
                                    .unwrap_or_else(|| format!("{y}年度"));
                                view! { <option value=y.to_string() prop:selected=move || fy.get() == y>{label}</option> }
                            })
                            .collect_view()}
                    </select>
                    <label class="inline-label" for="extracts-month">"月"</label>
                    <select
                        id="extracts-month"
                        class="select-inline"
                        data-testid="extracts-month"
                        on:change=move |ev| month.set(event_target_value(&ev).parse().unwrap_or(0))
                    >
                        <option value="0" prop:selected=move || month.get() == 0>"年度全体"</option>
                        {[4u32, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]
                            .into_iter()
                            .map(|m| view! { <option value=m.to_string() prop:selected=move || month.get() == m>{format!("{m}月")}</option> })
                            .collect_view()}
                    </select>
                    <p class="hint" data-testid="extracts-period-label">{period_label}</p>
                </fieldset>
            </form>
            <div class="toolbar">
                <DownloadButtons url fallback status testid="extracts" />
            </div>
            <DownloadStatusLine status testid="extracts" />
        </section>
    }
}
