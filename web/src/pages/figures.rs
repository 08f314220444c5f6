//! 集計: figures for the caller's scope (the server applies it). Choose the period, breakdowns,
//! filters and measures; read the table with its totals and a chart; download it as an Excel
//! workbook or CSV; print it on A4 portrait. The choices live in the URL with the API's parameter names.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use shared::dates::fiscal_year;
use shared::dto::auth::Scope;
use shared::dto::stats::StatsMeta;

use crate::api::{self, FileFormat, StatsQuery};
use crate::app::FIGURES_PATH;
use crate::clock::today_jst;
use crate::components::figures_chart::FiguresChart;
use crate::components::figures_controls::{FigureChoices, FiguresControls, FilterOffer, PeriodKind};
use crate::components::figures_result::{ResultHeader, ResultNotes};
use crate::components::messages::{ErrorAlert, Loading};
use crate::components::print::print;
use crate::components::stats_table::StatsTable;
use crate::download::{DownloadButtons, DownloadStatus, DownloadStatusLine};
use crate::figures::{
    dimension_label, figures_url, filter_choices, latest_stats, measure_label, offered_dimension,
    query_from_url, waiting, Lists, Period, Table, DIMENSIONS, FILTER_DIMENSIONS,
};
use crate::format::{iso, scope_label};
use crate::master::Master;
use crate::session::Session;

/// One answer of the server, with the query it answers.
#[derive(Clone)]
struct Answer {
    query: StatsQuery,
    period: Period,
    table: Table,
    meta: StatsMeta,
}

#[component]
pub fn FiguresPage() -> impl IntoView {
    let session = Session::expect();
    let master = Master::expect();
    let lists = Lists::new(session);
    let navigate = use_navigate();
    let today = today_jst();
    let current_fy = fiscal_year(today);
    let scope = session
        .account()
        .map_or(Scope::Prefecture, |account| account.scope);

    let (period, initial) = query_from_url(&use_query_map().get_untracked(), today);
    let choices = choices_from(&period, &initial, today);

    // What the choices ask for, or why they cannot be asked yet.
    let chosen = Memo::new(move |_| chosen_query(choices));

    Effect::new(move |previous: Option<String>| {
        let target = match chosen.get() {
            Ok((_, query)) => figures_url(FIGURES_PATH, &query),
            Err(_) => previous.clone().unwrap_or_default(),
        };
        if previous.is_some() && previous.as_ref() != Some(&target) {
            navigate(
                &target,
                NavigateOptions {
                    replace: true,
                    scroll: false,
                    ..Default::default()
                },
            );
        }
        target
    });

    let asked = Memo::new(move |_| chosen.get().ok().map(|(_, query)| query));
    let latest = latest_stats(session, asked.into());
    let busy = move || waiting(asked.get().as_ref(), latest.get().as_ref());
    // The table on screen: the latest answer (possibly to an earlier question, while the next
    // is on its way; `busy` says so).
    let answer = move || {
        latest.get().map(|(query, result)| {
            result.map(|response| Answer {
                period: Period::parse(Some(&query.period), Some(&query.from), Some(&query.to))
                    .unwrap_or_else(|| Period::current_fiscal_year(today)),
                table: Table::from_response(&response),
                meta: response.meta,
                query,
            })
        })
    };

    let offers = Signal::derive({
        let scope = scope.clone();
        move || {
            let (Some(data), Some(Ok(lists))) = (master.data(), lists.get()) else {
                return Vec::new();
            };
            FILTER_DIMENSIONS
                .iter()
                .filter(|d| offered_dimension(&scope, d))
                .map(|&d| FilterOffer {
                    dimension: d,
                    label: dimension_label(d),
                    choices: filter_choices(d, &scope, &data, &lists),
                })
                .filter(|o| !o.choices.is_empty())
                .collect()
        }
    });
    // Every name a filter code may have, whatever the scope offers: a URL (a bookmark, a link
    // from the overview) may carry a filter the controls do not offer, and the header still
    // says 「市町村：本山町」, never the bare code.
    let names = Signal::derive(move || {
        let (Some(data), Some(Ok(lists))) = (master.data(), lists.get()) else {
            return Vec::new();
        };
        let mut all: Vec<FilterOffer> = FILTER_DIMENSIONS
            .iter()
            .map(|&d| FilterOffer {
                dimension: d,
                label: dimension_label(d),
                choices: filter_choices(d, &Scope::Prefecture, &data, &lists),
            })
            .collect();
        all.push(FilterOffer {
            dimension: "region",
            label: dimension_label("region"),
            choices: data
                .regions
                .iter()
                .map(|r| (r.code.clone(), r.name.clone()))
                .collect(),
        });
        all
    });
    let dimensions: Vec<(&'static str, &'static str)> = DIMENSIONS
        .iter()
        .copied()
        .filter(|(d, _)| offered_dimension(&scope, d))
        .collect();

    let chart_measure = RwSignal::new(String::new());
    let download_status: DownloadStatus = RwSignal::new(None);
    let download_url = Callback::new(move |format: FileFormat| {
        chosen.with(|c| {
            c.as_ref()
                .ok()
                .map(|(_, query)| api::stats_file_url(query, &format))
        })
    });
    let download_fallback = Signal::derive(move || {
        chosen.with(|c| {
            c.as_ref()
                .map(|(period, _)| format!("attaka-stats-{}", period.slug()))
                .unwrap_or_else(|_| "attaka-stats".to_owned())
        })
    });

    let scope_text = {
        let scope = scope.clone();
        move || scope_label(&scope, master.data().as_deref())
    };

    let results = move || {
        let invalid = chosen.with(|c| c.as_ref().err().cloned());
        if let Some(message) = invalid {
            return view! { <p class="alert alert-info" data-testid="figures-invalid">{message}</p> }
                .into_any();
        }
        match answer() {
            None => view! { <Loading /> }.into_any(),
            Some(Err(e)) => {
                let message = e.full_message();
                view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="figures-error" /> }
                    .into_any()
            }
            Some(Ok(a)) => {
                let measure = {
                    let wanted = chart_measure.get();
                    if a.table.measure_index(&wanted).is_some() {
                        wanted
                    } else {
                        a.table.measures.first().cloned().unwrap_or_default()
                    }
                };
                let caption = format!("集計表　{}", a.period.label());
                let filters = filter_text(&a.query, &names.get());
                view! {
                    <ResultHeader
                        period=a.period.label()
                        from=a.meta.from
                        to=a.meta.to
                        generated_at=a.meta.generated_at
                        scope=scope_text()
                        filters
                        partial=a.meta.from <= today && today <= a.meta.to
                    />
                    <ResultNotes meta=a.meta.clone() has_suppressed=a.table.has_suppressed />
                    <div class="chart-head no-print">
                        <label for="figures-chart-measure">"グラフに表示する項目"</label>
                        <select
                            id="figures-chart-measure"
                            data-testid="figures-chart-measure"
                            on:change=move |ev| chart_measure.set(event_target_value(&ev))
                        >
                            {a
                                .table
                                .measures
                                .iter()
                                .map(|m| {
                                    let selected = *m == measure;
                                    view! { <option value=m.clone() selected=selected>{measure_label(m).to_owned()}</option> }
                                })
                                .collect_view()}
                        </select>
                    </div>
                    <FiguresChart table=a.table.clone() measure />
                    <StatsTable table=a.table caption testid="figures-table" />
                }
                .into_any()
            }
        }
    };

    view! {
        <section class="page page-figures" data-testid="page-figures" aria-labelledby="figures-title">
            <div class="page-head no-print">
                <h1 id="figures-title">"集計"</h1>
                <div class="toolbar toolbar-end">
                    <DownloadButtons url=download_url fallback=download_fallback status=download_status testid="figures" />
                    <button
                        type="button"
                        class="button button-primary"
                        data-testid="figures-print"
                        on:click=|_| print()
                    >
                        "印刷"
                    </button>
                </div>
            </div>
            <DownloadStatusLine status=download_status testid="figures" />
            <div class="figures-layout">
                <FiguresControls choices current_fiscal_year=current_fy dimensions filters=offers />
                <div
                    class="figures-result"
                    data-testid="figures-result"
                    aria-live="polite"
                    aria-busy=move || if busy() { "true" } else { "false" }
                >
                    {results}
                </div>
            </div>
        </section>
    }
}

/// `機能：集い・訪問　性別：女` from the query's filters, with labels where they are known
/// (`names` holds every code list, not only the ones the scope offers as filters).
fn filter_text(query: &StatsQuery, names: &[FilterOffer]) -> Option<String> {
    let parts: Vec<String> = query
        .filters
        .iter()
        .map(|(d, codes)| {
            let choices = names
                .iter()
                .find(|o| o.dimension == d)
                .map(|o| o.choices.as_slice());
            let labels: Vec<&str> = codes
                .iter()
                .map(|code| {
                    choices
                        .and_then(|c| c.iter().find(|(c, _)| c == code))
                        .map_or(code.as_str(), |(_, label)| label.as_str())
                })
                .collect();
            format!("{}：{}", dimension_label(d), labels.join("・"))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("　"))
}

/// The choices as the page opens them, from what the URL asked for.
fn choices_from(period: &Period, query: &StatsQuery, today: chrono::NaiveDate) -> FigureChoices {
    let current_fy = fiscal_year(today);
    let (fy_start, _) = shared::dates::fiscal_year_range(current_fy);
    let (kind, fy, quarter, month, from, to) = match period {
        Period::FiscalYear(y) => (PeriodKind::FiscalYear, *y, 0, None, None, None),
        Period::Quarter(y, q) => (PeriodKind::FiscalYear, *y, *q, None, None, None),
        Period::Month(y, m) => (
            PeriodKind::Month,
            current_fy,
            0,
            Some(format!("{y}-{m:02}")),
            None,
            None,
        ),
        Period::Range(f, t) => (
            PeriodKind::Range,
            current_fy,
            0,
            None,
            Some(iso(*f)),
            Some(iso(*t)),
        ),
    };
    let mut rows = query.rows.clone();
    rows.sort_by_key(|r| DIMENSIONS.iter().position(|(d, _)| d == r));
    FigureChoices {
        kind: RwSignal::new(kind),
        fiscal_year: RwSignal::new(fy),
        quarter: RwSignal::new(quarter),
        month: RwSignal::new(month.unwrap_or_else(|| today.format("%Y-%m").to_string())),
        from: RwSignal::new(from.unwrap_or_else(|| iso(fy_start))),
        to: RwSignal::new(to.unwrap_or_else(|| iso(today))),
        rows: RwSignal::new(rows),
        measures: RwSignal::new(query.measures.clone()),
        filters: RwSignal::new(query.filters.clone()),
    }
}

/// The query the choices make, or the reason there is none yet.
fn chosen_query(c: FigureChoices) -> Result<(Period, StatsQuery), String> {
    let period = match c.kind.get() {
        PeriodKind::FiscalYear => match c.quarter.get() {
            0 => Period::FiscalYear(c.fiscal_year.get()),
            q => Period::Quarter(c.fiscal_year.get(), q),
        },
        PeriodKind::Month => Period::parse(Some(&c.month.get()), None, None)
            .ok_or_else(|| "月を選んでください。".to_owned())?,
        PeriodKind::Range => {
            let (from, to) = (c.from.get(), c.to.get());
            match Period::parse(None, Some(&from), Some(&to)) {
                Some(Period::Range(f, t)) if f <= t => Period::Range(f, t),
                Some(_) => return Err("終了日は開始日と同じか、それより後の日にしてください。".to_owned()),
                None => return Err("開始日と終了日を入力してください。".to_owned()),
            }
        }
    };
    // Measures and rows in the order the API and the screens list them, whatever the clicks.
    let mut measures = c.measures.get();
    measures.sort_by_key(|m| crate::figures::MEASURES.iter().position(|(code, _)| code == m));
    if measures.is_empty() {
        return Err("集計項目を1つ以上選んでください。".to_owned());
    }
    let mut rows = c.rows.get();
    rows.sort_by_key(|r| DIMENSIONS.iter().position(|(d, _)| d == r));
    let mut filters = c.filters.get();
    filters.sort_by_key(|(d, _)| FILTER_DIMENSIONS.iter().position(|f| f == d));
    let mut query = StatsQuery {
        measures,
        rows,
        filters,
        ..StatsQuery::default()
    };
    period.apply(&mut query);
    Ok((period, query))
}
