//! Controls of the operations log's forms: a date and time in Japan time, minutes of work; the
//! service-level badge; the tabs between the log's screens.

use leptos::prelude::*;
use shared::dto::ops_log::SlaView;

use crate::components::fields::{control_id, FieldError, RequiredMark};
use crate::forms::FormErrors;
use crate::ops::{jst_text, sla_class};

/// A date and time (`datetime-local`, keyboard usable), entered in Japan time.
#[component]
pub fn DateTimeField(
    form: &'static str,
    name: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(into)] errors: Signal<FormErrors>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let error = Signal::derive(move || errors.with(|e| e.get(name)));
    view! {
        <div class="field">
            <label for=control_id(form, name)>
                {label} "（日本時間）" {required.then(|| view! { <RequiredMark /> })}
            </label>
            <input
                id=control_id(form, name)
                name=name
                type="datetime-local"
                data-testid=format!("{form}-form-{name}")
                aria-describedby=format!("{form}-{name}-error")
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                aria-required=required.then_some("true")
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                on:change=move |ev| value.set(event_target_value(&ev))
            />
            <FieldError form name message=error />
        </div>
    }
}

/// Minutes of work (digits).
#[component]
pub fn MinutesField(
    form: &'static str,
    value: RwSignal<String>,
    #[prop(into)] errors: Signal<FormErrors>,
) -> impl IntoView {
    let name = "work_minutes";
    let error = Signal::derive(move || errors.with(|e| e.get(name)));
    view! {
        <div class="field">
            <label for=control_id(form, name)>"作業時間（分）"</label>
            <input
                id=control_id(form, name)
                name=name
                type="number"
                min="0"
                max="100000"
                step="1"
                inputmode="numeric"
                data-testid=format!("{form}-form-{name}")
                aria-describedby=format!("{form}-{name}-error")
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            <FieldError form name message=error />
        </div>
    }
}

/// A service-level clock: its state, and the limit.
#[component]
pub fn SlaBadge(sla: SlaView, testid: String) -> impl IntoView {
    let title = format!("期限 {}（{} 時間）", jst_text(sla.due_at), sla.limit_hours);
    view! {
        <span class=sla_class(sla.state) data-testid=testid data-state=format!("{:?}", sla.state) title=title.clone()>
            {sla.state.label()}
        </span>
        <br />
        <span class="muted small">{title}</span>
    }
}

/// Links between the screens of the operations log.
#[component]
pub fn OpsTabs(current: &'static str) -> impl IntoView {
    let tabs = [
        ("/ops/inquiries", "問い合わせ", "ops-tab-inquiries"),
        ("/ops/incidents", "障害", "ops-tab-incidents"),
        ("/ops/changes", "変更", "ops-tab-changes"),
        ("/ops/maintenance", "計画停止", "ops-tab-maintenance"),
        ("/ops/reports", "報告書", "ops-tab-reports"),
    ];
    view! {
        <nav class="ops-tabs no-print" aria-label="運用記録の画面">
            {tabs
                .into_iter()
                .map(|(href, label, testid)| {
                    let here = href == current;
                    view! {
                        <a href=href data-testid=testid class=if here { "ops-tab current" } else { "ops-tab" }
                           aria-current=here.then_some("page")>
                            {label}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
}

/// Turns a form's minutes text into minutes; files an error when it is not a whole number.
pub fn read_minutes(text: &str, errors: &mut FormErrors) -> u32 {
    let text = text.trim();
    if text.is_empty() {
        return 0;
    }
    match text.parse::<u32>() {
        Ok(m) if m <= 100_000 => m,
        _ => {
            errors.push(
                "work_minutes",
                "作業時間は0〜100000の整数（分）で入力してください。",
            );
            0
        }
    }
}

/// Reads a required or optional date-time input into `errors`.
pub fn read_time(
    text: &str,
    field: &str,
    label: &str,
    required: bool,
    errors: &mut FormErrors,
) -> Option<chrono::DateTime<chrono::Utc>> {
    if text.trim().is_empty() {
        if required {
            errors.push(field, format!("{label}を入力してください。"));
        }
        return None;
    }
    let t = crate::ops::from_input(text);
    if t.is_none() {
        errors.push(field, format!("{label}を正しく入力してください。"));
    }
    t
}
