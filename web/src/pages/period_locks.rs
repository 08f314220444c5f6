//! 期間ロック (締め): after the annual report is submitted the prefecture locks a month or a
//! 年度 for a centre, a municipality or the whole prefecture, so nobody changes the figures
//! behind it; on the hub the centres receive the lock and refuse writes into it. Municipal
//! officers see the locks that concern them. Unlocking asks first and is audited on the server.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::dto::activity::{PeriodLockInput, PeriodLockView};
use shared::dto::auth::{Role, Scope};
use shared::sync_health::format_jst_long;

use crate::activity_master::lock_period_label;
use crate::api;
use crate::clock::today_jst;
use crate::components::fields::SelectField;
use crate::components::messages::{focus_element, ErrorAlert, Loading, SuccessNotice};
use crate::figures::{fiscal_year_label, month_label};
use crate::format::{scope_label, wareki_with_seireki};
use crate::forms::FormErrors;
use crate::master::{Master, MasterData};
use crate::session::Session;

const FORM: &str = "lock";

#[component]
pub fn PeriodLocksPage() -> impl IntoView {
    let session = Session::expect();
    let master = Master::expect();
    let show_unlocked = RwSignal::new(false);
    let reload = RwSignal::new(0_u32);
    let notice = RwSignal::new(None::<String>);
    let locks = LocalResource::new(move || {
        reload.track();
        async move { api::period_locks_with_history(session).await }
    });
    let may_lock = move || session.account().is_some_and(|a| a.role == Role::Prefecture);
    let done = Callback::new(move |message: String| {
        notice.set(Some(message));
        reload.update(|r| *r += 1);
    });

    let list = move || match (master.data(), locks.get()) {
        (_, None) => view! { <Loading /> }.into_any(),
        (_, Some(Err(e))) => {
            let message = e.full_message();
            view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="locks-error" /> }
                .into_any()
        }
        (master, Some(Ok(all))) => {
            let shown: Vec<PeriodLockView> = all
                .into_iter()
                .filter(|l| show_unlocked.get() || l.unlocked_at.is_none())
                .collect();
            view! { <LockTable locks=shown master can_unlock=may_lock() done /> }.into_any()
        }
    };

    view! {
        <section class="page page-locks" data-testid="page-locks" aria-labelledby="locks-title">
            <h1 id="locks-title">"期間ロック（締め）"</h1>
            <p class="muted">
                "ロックした期間の活動記録は、対象のセンターで追加・変更・削除できなくなります。県ハブでロックすると、各センターに届きます。"
            </p>
            <SuccessNotice message=notice testid="locks-notice" />
            {move || may_lock().then(|| view! { <LockForm done /> })}
            <div class="toolbar">
                <label class="check-line">
                    <input
                        type="checkbox"
                        data-testid="locks-show-unlocked"
                        prop:checked=move || show_unlocked.get()
                        on:change=move |ev| show_unlocked.set(event_target_checked(&ev))
                    />
                    "解除済みのロックも表示する"
                </label>
            </div>
            {list}
        </section>
    }
}

/// 年度 choices: this one and the ten before it, newest first.
fn fiscal_years() -> Vec<i32> {
    let current = shared::dates::fiscal_year(today_jst());
    (0..=10).map(|n| current - n).collect()
}

#[component]
fn LockForm(done: Callback<String>) -> impl IntoView {
    let session = Session::expect();
    let master = Master::expect();
    let level = RwSignal::new("prefecture".to_owned());
    let municipality = RwSignal::new(String::new());
    let center = RwSignal::new(String::new());
    let unit = RwSignal::new("fy".to_owned());
    let current_fy = shared::dates::fiscal_year(today_jst());
    let fiscal_year = RwSignal::new(current_fy.saturating_sub(1).to_string());
    let month = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let alert = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);

    let levels = vec![
        ("prefecture".to_owned(), "県全体".to_owned()),
        ("municipality".to_owned(), "市町村".to_owned()),
        ("center".to_owned(), "センター".to_owned()),
    ];
    let units = vec![
        ("fy".to_owned(), "年度".to_owned()),
        ("month".to_owned(), "月".to_owned()),
    ];
    let fy_options: Vec<(String, String)> = fiscal_years()
        .into_iter()
        .map(|y| (y.to_string(), fiscal_year_label(y)))
        .collect();
    let month_options = move || -> Vec<(String, String)> {
        let year: i32 = fiscal_year.get().parse().unwrap_or(current_fy);
        crate::figures::months_of_fiscal_year(year)
            .into_iter()
            .map(|(y, m)| (format!("{y}-{m:02}"), month_label(y, m)))
            .collect()
    };
    let municipality_options = move || -> Vec<(String, String)> {
        master.data().map_or_else(Vec::new, |d| {
            d.municipalities
                .iter()
                .map(|m| (m.code.clone(), m.name.clone()))
                .collect()
        })
    };
    let center_options = move || -> Vec<(String, String)> {
        master.data().map_or_else(Vec::new, |d| {
            d.centers
                .iter()
                .map(|c| (c.code.clone(), format!("{}（{}）", c.name, c.code)))
                .collect()
        })
    };

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let mut found = FormErrors::default();
        let scope = match level.get_untracked().as_str() {
            "municipality" => {
                let code = municipality.get_untracked();
                if code.is_empty() {
                    found.push("municipality", "市町村を選んでください。");
                }
                Scope::Municipality(code)
            }
            "center" => {
                let code = center.get_untracked();
                if code.is_empty() {
                    found.push("center", "センターを選んでください。");
                }
                Scope::Center(code)
            }
            _ => Scope::Prefecture,
        };
        let period = if unit.get_untracked() == "month" {
            let m = month.get_untracked();
            if m.is_empty() {
                found.push("month", "月を選んでください。");
            }
            m
        } else {
            format!("FY{}", fiscal_year.get_untracked())
        };
        if !found.is_empty() {
            alert.set(Some("入力内容を確認してください。".to_owned()));
            errors.set(found);
            return;
        }
        errors.set(FormErrors::default());
        alert.set(None);
        pending.set(true);
        let input = PeriodLockInput { scope, period };
        spawn_local(async move {
            match api::lock_period(session, &input).await {
                Ok((lock, created)) => {
                    let what = lock_period_label(&lock);
                    done.run(if created {
                        format!("{what}をロックしました。")
                    } else {
                        format!("{what}はすでにロックされています。")
                    });
                }
                Err(e) => {
                    // The server names `scope` or `period`: show them at the inputs that make them.
                    let mut found = FormErrors::default();
                    if let Some(p) = e.problem() {
                        for fe in &p.errors {
                            let key = if fe.field.starts_with("period") {
                                if unit.get_untracked() == "month" {
                                    "month"
                                } else {
                                    "fiscal_year"
                                }
                            } else if fe.field.starts_with("scope") {
                                match level.get_untracked().as_str() {
                                    "municipality" => "municipality",
                                    "center" => "center",
                                    _ => "level",
                                }
                            } else {
                                "level"
                            };
                            found.push_exact(key, fe.message.clone());
                        }
                    }
                    errors.set(found);
                    alert.set(Some(e.user_message()));
                }
            }
            pending.set(false);
        });
    };

    view! {
        <form class="card lock-form no-print" novalidate on:submit=submit data-testid="lock-form" aria-labelledby="lock-form-title">
            <h3 id="lock-form-title">"期間をロックする"</h3>
            <ErrorAlert message=alert testid="lock-form-error" />
            <div class="grid-3">
                <SelectField form=FORM name="level" label="対象" value=level options=levels errors required=true />
                {move || match level.get().as_str() {
                    "municipality" => view! {
                        <SelectField
                            form=FORM
                            name="municipality"
                            label="市町村"
                            value=municipality
                            options=municipality_options()
                            errors
                            required=true
                            placeholder="選んでください"
                        />
                    }
                    .into_any(),
                    "center" => view! {
                        <SelectField
                            form=FORM
                            name="center"
                            label="センター"
                            value=center
                            options=center_options()
                            errors
                            required=true
                            placeholder="選んでください"
                        />
                    }
                    .into_any(),
                    _ => ().into_any(),
                }}
            </div>
            <div class="grid-3">
                <SelectField form=FORM name="unit" label="期間の単位" value=unit options=units errors required=true />
                <SelectField form=FORM name="fiscal_year" label="年度" value=fiscal_year options=fy_options errors required=true />
                {move || {
                    (unit.get() == "month")
                        .then(|| {
                            view! {
                                <SelectField
                                    form=FORM
                                    name="month"
                                    label="月"
                                    value=month
                                    options=month_options()
                                    errors
                                    required=true
                                    placeholder="選んでください"
                                />
                            }
                        })
                }}
            </div>
            <div class="actions">
                <button type="submit" class="button button-primary" data-testid="lock-submit" disabled=move || pending.get()>
                    {move || if pending.get() { "ロック中…" } else { "ロックする" }}
                </button>
            </div>
        </form>
    }
}

#[component]
fn LockTable(
    locks: Vec<PeriodLockView>,
    master: Option<std::sync::Arc<MasterData>>,
    can_unlock: bool,
    done: Callback<String>,
) -> impl IntoView {
    if locks.is_empty() {
        return view! { <p data-testid="locks-empty">"ロックされている期間はありません。"</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="data-table lock-table" data-testid="locks-table">
                <caption class="visually-hidden">"期間ロックの一覧"</caption>
                <thead>
                    <tr>
                        <th scope="col">"期間"</th>
                        <th scope="col">"対象"</th>
                        <th scope="col">"ロック"</th>
                        <th scope="col">"状態"</th>
                        {can_unlock.then(|| view! { <th scope="col" class="no-print">"操作"</th> })}
                    </tr>
                </thead>
                <tbody>
                    {locks
                        .into_iter()
                        .map(|lock| {
                            let scope = scope_label(&lock.scope, master.as_deref());
                            view! { <LockRow lock scope can_unlock done /> }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn LockRow(lock: PeriodLockView, scope: String, can_unlock: bool, done: Callback<String>) -> impl IntoView {
    let session = Session::expect();
    let confirming = RwSignal::new(false);
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let id = lock.id;
    let label = lock_period_label(&lock);
    let range = format!(
        "{} 〜 {}",
        wareki_with_seireki(lock.from),
        wareki_with_seireki(lock.to)
    );
    let locked = format!("{}（{}）", format_jst_long(lock.locked_at), lock.locked_by);
    let state = match (&lock.unlocked_at, &lock.unlocked_by) {
        (Some(at), by) => format!(
            "解除済み {}（{}）",
            format_jst_long(*at),
            by.clone().unwrap_or_default()
        ),
        (None, _) if lock.hub_lock_id.is_some() => "有効（県ハブで設定）".to_owned(),
        (None, _) => "有効".to_owned(),
    };
    // A lock a centre received from the hub is the hub's to lift.
    let active = lock.unlocked_at.is_none() && lock.hub_lock_id.is_none();
    let question = format!("{label}（{scope}）のロックを解除しますか？");
    let unlock = move |_| {
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        let label = label.clone();
        spawn_local(async move {
            match api::unlock_period(session, id).await {
                Ok(_) => done.run(format!("{label}のロックを解除しました。")),
                Err(e) => {
                    error.set(Some(e.user_message()));
                    pending.set(false);
                }
            }
        });
    };
    // The question takes the focus when it appears (the 解除 button it replaces is gone); the
    // effect runs again once the button is in the page.
    let confirm_ref = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if confirming.get() {
            if let Some(button) = confirm_ref.get() {
                let _ = button.focus();
            }
        }
    });
    let actions = (can_unlock && active).then(|| {
        view! {
            <td class="no-print">
                <Show
                    when=move || confirming.get()
                    fallback=move || {
                        view! {
                            <button
                                type="button"
                                class="button button-danger"
                                id=format!("lock-unlock-{id}")
                                data-testid=format!("lock-unlock-{id}")
                                on:click=move |_| confirming.set(true)
                            >
                                "解除"
                            </button>
                        }
                    }
                >
                    <p class="confirm-text" role="alert">{question.clone()}</p>
                    <button
                        type="button"
                        class="button button-danger"
                        node_ref=confirm_ref
                        id=format!("lock-unlock-confirm-{id}")
                        data-testid=format!("lock-unlock-confirm-{id}")
                        disabled=move || pending.get()
                        on:click=unlock.clone()
                    >
                        "解除する"
                    </button>
                    " "
                    <button
                        type="button"
                        class="button"
                        on:click=move |_| {
                            confirming.set(false);
                            request_animation_frame(move || focus_element(&format!("lock-unlock-{id}")));
                        }
                    >
                        "やめる"
                    </button>
                </Show>
                <ErrorAlert message=error testid="lock-unlock-error" />
            </td>
        }
    });
    view! {
        <tr data-testid=format!("lock-row-{id}") data-period=lock.period.clone()>
            <th scope="row">
                <span class="lock-period">{lock_period_label(&lock)}</span>
                <br />
                <span class="muted">{range}</span>
            </th>
            <td class="long-text">{scope}</td>
            <td>{locked}</td>
            <td data-testid=format!("lock-state-{id}")>{state}</td>
            {actions}
        </tr>
    }
}
