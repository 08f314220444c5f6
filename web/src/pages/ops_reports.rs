//! 報告書 — the contract's reports (業務報告書, 運用保守報告書, 稼働状況報告書, 障害対応報告書,
//! 変更状況報告書) for a month or a 年度, or 障害対応報告書 for one incident: the server computes
//! them; this page shows the document as it prints on A4 portrait (page numbers in the footer),
//! and saves the same document as CSV for Excel.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use shared::dto::ops_report::{OpsReport, ReportKind, ReportSection};

use crate::api;
use crate::clock::today_jst;
use crate::components::fields::SelectField;
use crate::components::messages::{ErrorAlert, Loading};
use crate::components::ops_fields::OpsTabs;
use crate::components::print::{print, PrintHead};
use crate::figures::{fiscal_year_label, month_label, months_of_fiscal_year};
use crate::forms::FormErrors;
use crate::session::Session;

const FORM: &str = "report";

/// What to report on.
#[derive(Debug, Clone, PartialEq)]
struct Request {
    kind: String,
    period: String,
    incident: Option<i64>,
}

#[component]
pub fn OpsReportsPage() -> impl IntoView {
    let session = Session::expect();
    let query = use_query_map();
    let today = today_jst();
    let current_fy = shared::dates::fiscal_year(today);
    // Last month by default: the one the monthly report is about.
    let last_month = {
        use chrono::Datelike;
        let first = today.with_day(1).unwrap_or(today);
        first.pred_opt().unwrap_or(first)
    };
    let kind = RwSignal::new(
        query
            .with_untracked(|q| q.get("kind"))
            .unwrap_or_else(|| "business".to_owned()),
    );
    let unit = RwSignal::new("month".to_owned());
    let fiscal_year = RwSignal::new(shared::dates::fiscal_year(last_month).to_string());
    let month = RwSignal::new(last_month.format("%Y-%m").to_string());
    let incident = RwSignal::new(query.with_untracked(|q| q.get("incident")).unwrap_or_default());
    let errors = RwSignal::new(FormErrors::default());
    let request = RwSignal::new(None::<Request>);
    let csv_error = RwSignal::new(None::<String>);

    let report = LocalResource::new(move || {
        let wanted = request.get();
        async move {
            match wanted {
                None => None,
                Some(r) => Some(api::ops_report(session, &r.kind, &r.period, r.incident).await),
            }
        }
    });

    let build = move || -> Option<Request> {
        let mut found = FormErrors::default();
        let kind_now = kind.get_untracked();
        let incident_id = incident.get_untracked();
        let incident_id = incident_id.trim();
        let one = if kind_now == "incidents" && !incident_id.is_empty() {
            match incident_id.parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    found.push("incident", "障害番号は数字で入力してください。");
                    None
                }
            }
        } else {
            None
        };
        let period = if unit.get_untracked() == "month" {
            month.get_untracked()
        } else {
            format!("FY{}", fiscal_year.get_untracked())
        };
        errors.set(found.clone());
        found.is_empty().then_some(Request {
            kind: kind_now,
            period,
            incident: one,
        })
    };
    // Opened from an incident's row: show its report at once.
    if query.with_untracked(|q| q.get("incident").is_some()) {
        request.set(build());
    }
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        csv_error.set(None);
        request.set(build());
    };
    let save_csv = move |_| {
        let Some(r) = request.get_untracked() else { return };
        spawn_local(async move {
            match api::ops_report_csv(session, &r.kind, &r.period, r.incident).await {
                Ok(bytes) => {
                    let name = match r.incident {
                        Some(id) => format!("attaka-incident-{id}.csv"),
                        None => format!("attaka-{}-{}.csv", r.kind, r.period),
                    };
                    if let Err(e) = crate::download::save(&bytes, &name, "text/csv") {
                        csv_error.set(Some(format!("保存できませんでした: {e}")));
                    }
                }
                Err(e) => csv_error.set(Some(e.full_message())),
            }
        });
    };

    let kinds: Vec<(String, String)> = ReportKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), k.title().to_owned()))
        .collect();
    let units = vec![
        ("month".to_owned(), "月".to_owned()),
        ("fy".to_owned(), "年度".to_owned()),
    ];
    let fy_options: Vec<(String, String)> = (0..=10)
        .map(|n| current_fy - n)
        .map(|y| (y.to_string(), fiscal_year_label(y)))
        .collect();
    let month_options = move || -> Vec<(String, String)> {
        let year: i32 = fiscal_year.get().parse().unwrap_or(current_fy);
        months_of_fiscal_year(year)
            .into_iter()
            .map(|(y, m)| (format!("{y}-{m:02}"), month_label(y, m)))
            .collect()
    };

    let document = move || {
        match report.get() {
        None => view! { <Loading /> }.into_any(),
        Some(None) => view! { <p class="muted" data-testid="report-none">"報告書と期間を選んで「表示」を押してください。"</p> }.into_any(),
        Some(Some(Err(e))) => {
            let message = e.full_message();
            view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="report-error" /> }.into_any()
        }
        Some(Some(Ok(r))) => view! { <ReportDocument report=r /> }.into_any(),
    }
    };

    view! {
        <section class="page page-ops page-report" data-testid="page-ops-reports" aria-labelledby="ops-title">
            <h1 id="ops-title" class="no-print">"報告書"</h1>
            <OpsTabs current="/ops/reports" />
            <form class="card ops-form no-print" novalidate on:submit=submit data-testid="report-form">
                <div class="grid-3">
                    <SelectField form=FORM name="kind" label="報告書" value=kind options=kinds errors required=true />
                    <SelectField form=FORM name="unit" label="期間の単位" value=unit options=units errors required=true />
                    <SelectField form=FORM name="fiscal_year" label="年度" value=fiscal_year options=fy_options errors required=true />
                </div>
                <div class="grid-3">
                    {move || (unit.get() == "month").then(|| view! {
                        <SelectField form=FORM name="month" label="月" value=month options=month_options() errors required=true />
                    })}
                    {move || (kind.get() == "incidents").then(|| view! {
                        <crate::components::fields::TextField form=FORM name="incident" label="障害番号（1件の報告書）"
                            value=incident errors input_mode="numeric" hint="空欄なら期間内のすべての障害" max_length=10 />
                    })}
                </div>
                <div class="actions">
                    <button type="submit" class="button button-primary" data-testid="report-show">"表示"</button>
                    <button type="button" class="button" data-testid="report-print"
                        disabled=move || request.get().is_none() on:click=|_| print()>
                        "印刷"
                    </button>
                    <button type="button" class="button" data-testid="report-csv"
                        disabled=move || request.get().is_none() on:click=save_csv>
                        "CSV で保存"
                    </button>
                </div>
                <ErrorAlert message=csv_error testid="report-csv-error" />
            </form>
            {document}
        </section>
    }
}

/// The report as it prints: the common print head (title, scope, period in 和暦 with 西暦,
/// 作成日時), then each section.
#[component]
fn ReportDocument(report: OpsReport) -> impl IntoView {
    // `node` is `県ハブ` or a centre's code: a centre is named.
    let scope = crate::master::Master::expect()
        .data()
        .and_then(|d| d.center_name(&report.node).map(str::to_owned))
        .unwrap_or_else(|| report.node.clone());
    view! {
        <article class="report-document" data-testid="report-document" data-kind=report.kind.as_str()>
            <PrintHead
                title=report.title.clone()
                scope
                period=(report.period_label.clone(), report.from, report.to)
                generated_at=report.generated_at
                on_screen=true
            />
            {report.sections.into_iter().map(|s| view! { <ReportSectionView section=s /> }).collect_view()}
        </article>
    }
}

#[component]
fn ReportSectionView(section: ReportSection) -> impl IntoView {
    let key = section.key.clone();
    let facts = (!section.facts.is_empty()).then(|| {
        view! {
            <table class="report-facts">
                <tbody>
                    {section
                        .facts
                        .into_iter()
                        .map(|f| view! {
                            <tr data-testid=format!("fact-{}", f.key.replace('.', "-"))>
                                <th scope="row">{f.label}</th>
                                <td>{f.value}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
    });
    let table = section.table.map(|t| {
        if t.rows.is_empty() {
            view! { <p class="muted">"該当なし"</p> }.into_any()
        } else {
            view! {
                <table class="report-table" data-testid=format!("report-table-{key}")>
                    <thead>
                        <tr>{t.columns.into_iter().map(|c| view! { <th scope="col">{c.label}</th> }).collect_view()}</tr>
                    </thead>
                    <tbody>
                        {t.rows
                            .into_iter()
                            .map(|row| view! { <tr>{row.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr> })
                            .collect_view()}
                    </tbody>
                </table>
            }
            .into_any()
        }
    });
    view! {
        <section class="report-section" data-testid=format!("report-section-{}", section.key)>
            <h3>{section.heading}</h3>
            {facts}
            {table}
            {section.note.map(|n| view! { <p class="report-note">{n}</p> })}
        </section>
    }
}
