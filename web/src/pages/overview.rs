//! 概況: the year at a glance for the caller's scope (the prefecture, a municipality or a
//! centre; the server applies it): 実利用者数 by the four groups, 延べ利用者数, the month trend,
//! and the breakdown by municipality and centre where the scope has more than one. Each section
//! links to the figures page with the same query, to refine, download or print.

use leptos::prelude::*;
use shared::dates::fiscal_year;
use shared::dto::auth::Scope;

use crate::api::StatsQuery;
use crate::app::FIGURES_PATH;
use crate::clock::today_jst;
use crate::components::chart::{Bar, BarChart};
use crate::components::figures_chart::FiguresChart;
use crate::components::messages::{ErrorAlert, Loading};
use crate::components::print::print;
use crate::components::stats_table::StatsTable;
use crate::figures::{
    cell, figures_url, fiscal_year_label, latest_stats, measure_label, waiting, Period, StatsAnswer, Table,
    FIRST_FISCAL_YEAR,
};
use crate::format::scope_label;
use crate::master::Master;
use crate::session::Session;

/// Drawing width of the charts in the half-width cards (about their CSS pixels at 1280 wide).
const CHART_WIDTH: f64 = 520.0;

/// The headline figures, in the order of the cards.
const HEADLINE: [&str; 4] = ["unique_persons", "participations", "activities", "open_days"];

#[component]
pub fn OverviewPage() -> impl IntoView {
    let session = Session::expect();
    let master = Master::expect();
    let current_fy = fiscal_year(today_jst());
    let year = RwSignal::new(current_fy);
    let scope = session
        .account()
        .map_or(Scope::Prefecture, |account| account.scope);
    let scope_text = {
        let scope = scope.clone();
        move || scope_label(&scope, master.data().as_deref())
    };
    // The prefecture → region → municipality → centre levels the scope spans.
    let many_regions = matches!(scope, Scope::Prefecture);
    let many_municipalities = matches!(scope, Scope::Prefecture | Scope::Region(_));
    let many_centers = matches!(
        scope,
        Scope::Prefecture | Scope::Region(_) | Scope::Municipality(_)
    );

    let query = move |rows: &[&str], measures: &[&str]| {
        let mut q = StatsQuery {
            measures: measures.iter().map(|m| (*m).to_owned()).collect(),
            rows: rows.iter().map(|r| (*r).to_owned()).collect(),
            ..StatsQuery::default()
        };
        Period::FiscalYear(year.get()).apply(&mut q);
        q
    };
    let groups = Signal::derive(move || query(&["group"], &HEADLINE));
    let months = Signal::derive(move || query(&["month"], &["participations", "unique_persons"]));
    let regions = Signal::derive(move || query(&["region"], &["participations", "unique_persons"]));
    let municipalities =
        Signal::derive(move || query(&["municipality"], &["participations", "unique_persons"]));
    let centers = Signal::derive(move || query(&["center"], &["participations", "unique_persons"]));
    let sites = Signal::derive(move || query(&["site"], &["participations", "unique_persons"]));
    let functions = Signal::derive(move || query(&["function"], &["participations", "activities"]));
    // The headline cards and the group section read the same answer.
    let groups_answer = fetch(session, groups);

    view! {
        <section class="page page-overview" data-testid="page-overview" aria-labelledby="overview-title">
            <div class="page-head">
                <h1 id="overview-title">"概況"</h1>
                <div class="toolbar toolbar-end">
                    <label class="inline-label" for="overview-fy">"年度"</label>
                    <select
                        id="overview-fy"
                        class="select-inline"
                        data-testid="overview-fy"
                        on:change=move |ev| {
                            if let Ok(y) = event_target_value(&ev).parse() {
                                year.set(y);
                            }
                        }
                    >
                        {(FIRST_FISCAL_YEAR..=current_fy)
                            .rev()
                            .map(|y| {
                                view! {
                                    <option value=y.to_string() prop:selected=move || year.get() == y>
                                        {fiscal_year_label(y)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <button type="button" class="button" data-testid="overview-print" on:click=|_| print()>
                        "印刷"
                    </button>
                </div>
            </div>
            <p class="overview-scope">
                <span class="print-only print-title">"あったかふれあいセンター 概況　"</span>
                <span data-testid="overview-year">{move || fiscal_year_label(year.get())}</span>
                {move || {
                    (year.get() == current_fy)
                        .then(|| {
                            view! {
                                <span class="partial-badge" data-testid="overview-partial" title="この年度はまだ終わっていません（今日までの値）">
                                    "途中"
                                </span>
                            }
                        })
                }}
                "　範囲："
                <span class="long-text" data-testid="overview-scope">{scope_text}</span>
            </p>
            <div class="kpi-row" data-testid="overview-kpis">
                {move || match groups_answer.get() {
                    Some((_, Ok(response))) => render_kpis(&Table::from_response(&response)).into_any(),
                    _ => view! { <Loading /> }.into_any(),
                }}
            </div>
            <div class="overview-grid">
                <Section query=groups answer=groups_answer testid="overview-groups" title="対象区分別（4区分）" render=render_groups />
                <Section query=months answer=fetch(session, months) testid="overview-months" title="月別の推移" render=render_months />
                {many_regions
                    .then(|| {
                        view! {
                            <Section
                                query=regions
                                answer=fetch(session, regions)
                                testid="overview-regions"
                                title="福祉保健所別"
                                render=render_bars
                            />
                        }
                    })}
                {many_municipalities
                    .then(|| {
                        view! {
                            <Section
                                query=municipalities
                                answer=fetch(session, municipalities)
                                testid="overview-municipalities"
                                title="市町村別"
                                render=render_bars
                            />
                        }
                    })}
                {many_centers
                    .then(|| {
                        view! {
                            <Section query=centers answer=fetch(session, centers) testid="overview-centers" title="センター別" render=render_bars />
                        }
                    })}
                {(!many_centers)
                    .then(|| {
                        view! {
                            <Section query=sites answer=fetch(session, sites) testid="overview-sites" title="本所・サテライト別" render=render_bars />
                        }
                    })}
                <Section query=functions answer=fetch(session, functions) testid="overview-functions" title="機能別" render=render_bars />
            </div>
        </section>
    }
}

/// Asks `/stats` for `query`, again whenever it changes (the latest question's answer wins).
fn fetch(session: Session, query: Signal<StatsQuery>) -> ReadSignal<Option<StatsAnswer>> {
    latest_stats(session, Signal::derive(move || Some(query.get())))
}

/// One card: draws its answer with `render` and links to the figures page with its query.
#[component]
fn Section(
    query: Signal<StatsQuery>,
    answer: ReadSignal<Option<StatsAnswer>>,
    testid: &'static str,
    title: &'static str,
    render: fn(Table) -> AnyView,
) -> impl IntoView {
    let heading_id = format!("{testid}-title");
    let labelled_by = heading_id.clone();
    let body = move || match answer.get() {
        None => view! { <Loading /> }.into_any(),
        Some((_, Err(e))) => {
            let message = e.full_message();
            view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="overview-error" /> }
                .into_any()
        }
        Some((_, Ok(response))) => render(Table::from_response(&response)),
    };
    let busy = move || waiting(Some(&query.get()), answer.get().as_ref());
    view! {
        <section
            class="card overview-section"
            data-testid=testid
            aria-labelledby=labelled_by
            aria-busy=move || if busy() { "true" } else { "false" }
        >
            <div class="section-head">
                <h2 id=heading_id>{title}</h2>
                <a
                    class="no-print"
                    href=move || figures_url(FIGURES_PATH, &query.get())
                    data-testid=format!("{testid}-link")
                >
                    "集計画面で詳しく見る"
                </a>
            </div>
            {body}
        </section>
    }
}

/// The headline cards: the grand totals of the year.
fn render_kpis(table: &Table) -> impl IntoView {
    HEADLINE
        .iter()
        .map(|m| {
            let value = table
                .measure_index(m)
                .and_then(|i| table.totals.as_ref().and_then(|t| t.get(i).copied()))
                .flatten();
            let unit = match *m {
                "activities" => "回",
                "open_days" => "日",
                _ => "人",
            };
            view! {
                <div class="kpi" data-testid=format!("overview-kpi-{m}")>
                    <p class="kpi-label">{measure_label(m).to_owned()}</p>
                    <p class="kpi-value">
                        <span data-testid=format!("overview-kpi-{m}-value")>{cell(value)}</span>
                        <span class="kpi-unit">{unit}</span>
                    </p>
                </div>
            }
        })
        .collect_view()
}

/// The four groups: 実利用者数 by group as bars, then the table.
fn render_groups(table: Table) -> AnyView {
    let unique = table.measure_index("unique_persons").unwrap_or(0);
    let bars = table
        .rows
        .iter()
        .map(|r| Bar {
            label: r.keys[0].1.clone(),
            value: r.values.get(unique).copied().flatten(),
            partial: false,
        })
        .collect();
    let chart = (!table.rows.is_empty()).then(|| {
        view! { <BarChart title="実利用者数（対象区分別）".to_owned() bars testid="overview-groups-chart" width=CHART_WIDTH /> }
    });
    view! {
        {chart}
        <StatsTable table caption=String::new() testid="overview-groups-table" />
    }
    .into_any()
}

/// The month trend of 延べ利用者数 and 実利用者数, then the table.
fn render_months(table: Table) -> AnyView {
    view! {
        <FiguresChart table=table.clone() measure="participations".to_owned() testid="overview-months-participations" width=CHART_WIDTH height=230.0 />
        <FiguresChart table=table.clone() measure="unique_persons".to_owned() testid="overview-months-unique" width=CHART_WIDTH height=230.0 />
        <details class="overview-details">
            <summary>"表で見る"</summary>
            <StatsTable table caption="月別".to_owned() testid="overview-months-table" />
        </details>
    }
    .into_any()
}

/// Bars of the first measure by the one breakdown, then the table.
fn render_bars(table: Table) -> AnyView {
    let measure = table.measures.first().cloned().unwrap_or_default();
    view! {
        <FiguresChart table=table.clone() measure width=CHART_WIDTH />
        <StatsTable table caption=String::new() />
    }
    .into_any()
}
