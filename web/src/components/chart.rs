//! Small charts drawn as inline SVG from their props: horizontal bars to compare categories
//! (long Japanese names on the left, wrapped onto more lines rather than cut, so 55 centres stay
//! readable), lines for a trend over months or years. A period not over yet (this month, this
//! 年度) is drawn lighter and dashed and marked 「途中」, with a note saying so. No chart
//! library, nothing fetched: they work offline and print as vectors. The table beside a chart
//! carries the same figures for screen readers; the chart itself is one labelled image.

use leptos::prelude::*;

use crate::figures::{count, SUPPRESSED};

/// Width of the drawing in SVG units unless told otherwise; it scales to its container, so a
/// chart in a narrow column asks for a narrower drawing to keep its text readable.
pub const WIDTH: f64 = 760.0;
/// Colour-blind-safe series colours (Okabe–Ito), with a dash pattern each so that a grey print
/// still tells the lines apart.
const PALETTE: [(&str, &str); 8] = [
    ("#0b5cad", ""),
    ("#d55e00", "7 4"),
    ("#009e73", "2 3"),
    ("#cc79a7", "9 3 2 3"),
    ("#8a6d00", "4 2"),
    ("#56b4e9", "1 2"),
    ("#000000", "12 3"),
    ("#7a4fa3", "6 2 1 2"),
];

/// One bar: its label and value (`None` where the figure is suppressed); `partial` when it is a
/// period not over yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: Option<u64>,
    pub partial: bool,
}

/// One line: its name and a value per x position (`None` leaves a gap).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<u64>>,
}

/// A tick on the x axis: its text and, where a new year starts, a second line; `partial` when
/// the period is not over yet (its values are drawn lighter, dashed, under a 「途中」 band).
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub text: String,
    pub sub: Option<String>,
    pub partial: bool,
}

/// What a chart says under itself when it has a period not over yet.
pub const PARTIAL_NOTE: &str =
    "「途中」は、まだ終わっていない期間（今月・今年度など）で、今日までの値です。薄い色・点線で示しています。";

/// Rounded axis ticks from 0 covering `max`: `(top, step)`.
pub fn nice_scale(max: u64, target_ticks: u32) -> (u64, u64) {
    if max == 0 {
        return (1, 1);
    }
    let raw = max as f64 / f64::from(target_ticks.max(1));
    let magnitude = 10f64.powf(raw.log10().floor());
    let normalised = raw / magnitude;
    let factor = if normalised <= 1.0 {
        1.0
    } else if normalised <= 2.0 {
        2.0
    } else if normalised <= 5.0 {
        5.0
    } else {
        10.0
    };
    let step = ((factor * magnitude).round() as u64).max(1);
    let top = max.div_ceil(step) * step;
    (top, step)
}

/// Rough width of `text` in SVG units at `size`: full-width characters are about one em.
fn text_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| if c.is_ascii() { 0.58 } else { 1.0 })
        .sum::<f64>()
        * size
}

/// `text` broken into lines that fit `width` at `size`, at a space where there is one (a
/// centre's name and its place), else between characters; never cut short.
fn wrap(text: &str, width: f64, size: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for c in text.chars() {
        let next = format!("{line}{c}");
        if !line.is_empty() && text_width(&next, size) > width {
            match line.rfind([' ', '　']) {
                Some(at) if at > 0 => {
                    let rest = line[at..].trim_start().to_owned();
                    line.truncate(at);
                    lines.push(std::mem::replace(&mut line, rest));
                }
                _ => lines.push(std::mem::take(&mut line)),
            }
        }
        if !(line.is_empty() && (c == ' ' || c == '　')) {
            line.push(c);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Horizontal bars, one per category, value at the end of each bar.
#[component]
pub fn BarChart(
    /// What the chart shows, e.g. `実利用者数（対象区分別）`; also the image's accessible name.
    title: String,
    bars: Vec<Bar>,
    #[prop(optional)] testid: Option<&'static str>,
    /// Drawing width in SVG units (default [`WIDTH`]): about the CSS pixels it will get.
    #[prop(optional)]
    width: Option<f64>,
) -> impl IntoView {
    const FONT: f64 = 14.0;
    const LINE: f64 = 17.0;
    let width = width.unwrap_or(WIDTH);
    const ROW: f64 = 30.0;
    const BAR: f64 = 20.0;
    const TOP: f64 = 26.0;
    const VALUE_ROOM: f64 = 72.0;
    let longest = bars
        .iter()
        .map(|b| text_width(&b.label, FONT))
        .fold(0.0, f64::max);
    // Up to 45 % of the width for names; a longer name wraps onto a second (third) line.
    let label_width = longest.clamp(48.0, width * 0.45) + 12.0;
    let plot_left = label_width;
    let plot_width = width - plot_left - VALUE_ROOM;
    let max = bars.iter().filter_map(|b| b.value).max().unwrap_or(0);
    let (top, step) = nice_scale(max, 5);
    let x = move |v: u64| plot_left + plot_width * v as f64 / top as f64;
    let any_partial = bars.iter().any(|b| b.partial);
    // Each row as tall as its wrapped name.
    let mut y = TOP;
    let laid_out: Vec<(Bar, Vec<String>, f64, f64)> = bars
        .into_iter()
        .map(|bar| {
            let mut lines = wrap(&bar.label, label_width - 12.0, FONT);
            if bar.partial {
                lines.push("（途中）".to_owned());
            }
            let row = ROW.max(LINE * lines.len() as f64 + 10.0);
            let at = y;
            y += row;
            (bar, lines, at, row)
        })
        .collect();
    let height = y + 8.0;

    let grid = (0..=top / step)
        .map(|i| {
            let v = i * step;
            let gx = x(v);
            view! {
                <line class="chart-grid" x1=gx x2=gx y1=TOP - 4.0 y2=height - 8.0 />
                <text class="chart-axis-text" x=gx y=TOP - 10.0 text-anchor="middle">{count(v)}</text>
            }
        })
        .collect_view();
    let rows = laid_out
        .into_iter()
        .map(|(bar, lines, y, row)| {
            let middle = y + row / 2.0;
            let first_baseline = middle + 5.0 - LINE * (lines.len() as f64 - 1.0) / 2.0;
            let value_text = bar.value.map_or_else(|| SUPPRESSED.to_owned(), count);
            let bar_end = bar.value.map_or(plot_left, x);
            let tooltip = if bar.partial {
                format!("{}（途中）: {value_text}", bar.label)
            } else {
                format!("{}: {value_text}", bar.label)
            };
            let spans = lines
                .into_iter()
                .enumerate()
                .map(|(i, line)| {
                    let class = if line == "（途中）" { "chart-partial-mark" } else { "" };
                    view! { <tspan class=class x=plot_left - 10.0 y=first_baseline + LINE * i as f64>{line}</tspan> }
                })
                .collect_view();
            let bar_class = if bar.partial { "chart-bar chart-bar-partial" } else { "chart-bar" };
            view! {
                <g class="chart-bar-row" data-testid="chart-bar-item" data-partial=bar.partial.then_some("true")>
                    <title>{tooltip}</title>
                    <text class="chart-label" data-testid="chart-bar-label" text-anchor="end">{spans}</text>
                    <rect class=bar_class x=plot_left y=middle - BAR / 2.0 width=bar_end - plot_left height=BAR />
                    <text class="chart-value" x=bar_end + 6.0 y=middle + 5.0>{value_text}</text>
                </g>
            }
        })
        .collect_view();

    view! {
        <figure class="chart" data-testid=testid.unwrap_or("chart")>
            <svg
                class="chart-svg chart-bars"
                viewBox=format!("0 0 {width} {height}")
                role="img"
                aria-label=title.clone()
                data-testid="chart-bar"
                preserveAspectRatio="xMinYMin meet"
            >
                <title>{title.clone()}</title>
                {grid}
                <line class="chart-axis" x1=plot_left x2=plot_left y1=TOP - 4.0 y2=height - 8.0 />
                {rows}
            </svg>
            {any_partial.then(|| view! { <p class="chart-note chart-partial-note" data-testid="chart-partial-note">{PARTIAL_NOTE}</p> })}
            <figcaption class="chart-caption">{title}</figcaption>
        </figure>
    }
}

/// Lines over time positions with markers, y axis from 0, a legend when there are several.
#[component]
pub fn LineChart(
    title: String,
    ticks: Vec<Tick>,
    series: Vec<Series>,
    #[prop(optional)] testid: Option<&'static str>,
    /// Drawing width in SVG units (default [`WIDTH`]).
    #[prop(optional)]
    width: Option<f64>,
    /// Drawing height in SVG units (default 300).
    #[prop(optional)]
    height: Option<f64>,
) -> impl IntoView {
    let width = width.unwrap_or(WIDTH);
    let height = height.unwrap_or(300.0);
    const LEFT: f64 = 64.0;
    const RIGHT: f64 = 20.0;
    const TOP: f64 = 16.0;
    const BOTTOM: f64 = 52.0;
    let plot_width = width - LEFT - RIGHT;
    let plot_height = height - TOP - BOTTOM;
    let n = ticks.len().max(1);
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied())
        .max()
        .unwrap_or(0);
    let (top, step) = nice_scale(max, 5);
    // Points sit in the middle of equal slots, so one point or twelve look balanced.
    let slot = plot_width / n as f64;
    let x = move |i: usize| LEFT + slot * (i as f64 + 0.5);
    let y = move |v: u64| TOP + plot_height * (1.0 - v as f64 / top as f64);
    // Show every k-th tick so the labels never overlap.
    let widest = ticks
        .iter()
        .map(|t| text_width(&t.text, 13.0))
        .fold(0.0, f64::max)
        + 8.0;
    let every = ((widest / slot).ceil() as usize).max(1);

    let grid = (0..=top / step)
        .map(|i| {
            let v = i * step;
            let gy = y(v);
            view! {
                <line class="chart-grid" x1=LEFT x2=width - RIGHT y1=gy y2=gy />
                <text class="chart-axis-text" x=LEFT - 8.0 y=gy + 4.5 text-anchor="end">{count(v)}</text>
            }
        })
        .collect_view();
    let x_axis = ticks
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, t)| {
            let tx = x(i);
            let sub = t.sub.clone().map(|s| {
                view! { <text class="chart-axis-sub" x=tx y=height - BOTTOM + 38.0 text-anchor="middle">{s}</text> }
            });
            view! {
                <line class="chart-axis" x1=tx x2=tx y1=height - BOTTOM y2=height - BOTTOM + 5.0 />
                <text class="chart-axis-text" x=tx y=height - BOTTOM + 20.0 text-anchor="middle">{t.text.clone()}</text>
                {sub}
            }
        })
        .collect_view();
    let several = series.len() > 1;
    let legend = several.then(|| {
        series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (colour, dash) = PALETTE[i % PALETTE.len()];
                view! {
                    <li>
                        <svg class="chart-swatch" viewBox="0 0 28 10" aria-hidden="true">
                            <line x1="1" x2="27" y1="5" y2="5" stroke=colour stroke-width="3" stroke-dasharray=dash />
                        </svg>
                        <span class="long-text">{s.name.clone()}</span>
                    </li>
                }
            })
            .collect_view()
    });
    let partial_at: Vec<bool> = ticks.iter().map(|t| t.partial).collect();
    let partial = |i: usize| partial_at.get(i).copied().unwrap_or(false);
    let any_partial = partial_at.contains(&true);
    // The slot of a period not over yet, shaded and labelled 「途中」 above the plot.
    let bands = (0..ticks.len())
        .filter(|&i| partial(i))
        .map(|i| {
            view! {
                <rect class="chart-partial-band" x=x(i) - slot / 2.0 y=TOP width=slot height=plot_height />
                <text class="chart-partial-mark" data-testid="chart-partial-mark" x=x(i) y=TOP + 14.0 text-anchor="middle">
                    "途中"
                </text>
            }
        })
        .collect_view();
    let lines = series
        .into_iter()
        .enumerate()
        .map(|(si, s)| {
            let (colour, dash) = PALETTE[si % PALETTE.len()];
            // Segments between neighbouring points; one that reaches a period not over yet goes
            // into its own lighter, dashed path, so an unfinished month is no cliff.
            let mut path = String::new();
            let mut partial_path = String::new();
            for (i, pair) in s.values.windows(2).enumerate() {
                if let [Some(a), Some(b)] = pair {
                    let target = if partial(i) || partial(i + 1) { &mut partial_path } else { &mut path };
                    target.push_str(&format!(
                        "M{:.1},{:.1} L{:.1},{:.1} ",
                        x(i),
                        y(*a),
                        x(i + 1),
                        y(*b)
                    ));
                }
            }
            let markers = s
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let label = ticks
                        .get(i)
                        .map(|t| match &t.sub {
                            Some(sub) => format!("{sub}{}", t.text),
                            None => t.text.clone(),
                        })
                        .unwrap_or_default();
                    match v {
                        Some(v) => {
                            let unfinished = partial(i);
                            let tip = if unfinished {
                                format!("{} {label}（途中）: {}", s.name, count(*v))
                            } else {
                                format!("{} {label}: {}", s.name, count(*v))
                            };
                            let (class, fill) = if unfinished {
                                ("chart-point chart-point-partial", "#ffffff")
                            } else {
                                ("chart-point", colour)
                            };
                            view! {
                                <circle class=class cx=x(i) cy=y(*v) r="4" fill=fill stroke=colour stroke-width="2">
                                    <title>{tip}</title>
                                </circle>
                            }
                            .into_any()
                        }
                        None => view! {
                            <text class="chart-suppressed" x=x(i) y=height - BOTTOM - 6.0 text-anchor="middle">
                                {SUPPRESSED}
                            </text>
                        }
                        .into_any(),
                    }
                })
                .collect_view();
            view! {
                <g class="chart-series" data-testid="chart-line-series">
                    <path d=path fill="none" stroke=colour stroke-width="2.5" stroke-dasharray=dash stroke-linecap="round" />
                    <path
                        class="chart-line-partial"
                        d=partial_path
                        fill="none"
                        stroke=colour
                        stroke-width="2"
                        stroke-dasharray="3 4"
                        stroke-linecap="round"
                    />
                    {markers}
                </g>
            }
        })
        .collect_view();

    view! {
        <figure class="chart" data-testid=testid.unwrap_or("chart")>
            <svg
                class="chart-svg chart-lines"
                viewBox=format!("0 0 {width} {height}")
                role="img"
                aria-label=title.clone()
                data-testid="chart-line"
                preserveAspectRatio="xMinYMin meet"
            >
                <title>{title.clone()}</title>
                {bands}
                {grid}
                <line class="chart-axis" x1=LEFT x2=width - RIGHT y1=height - BOTTOM y2=height - BOTTOM />
                {x_axis}
                {lines}
            </svg>
            {legend.map(|items| view! { <ul class="chart-legend">{items}</ul> })}
            {any_partial.then(|| view! { <p class="chart-note chart-partial-note" data-testid="chart-partial-note">{PARTIAL_NOTE}</p> })}
            <figcaption class="chart-caption">{title}</figcaption>
        </figure>
    }
}
