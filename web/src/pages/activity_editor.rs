//! What the new-activity and edit pages share: the form with its suggestions (the people who
//! came to the last few sessions of the same function, found through the activity list and the
//! activities themselves), the person search, and saving — `POST` with the form's own ID, so a
//! save retried after a lost answer records nothing twice, or `PUT` for a correction.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Months, NaiveDate};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use shared::dto::activity::{ActivitySummary, ActivityView};
use shared::error::ProblemCode;

use crate::activity_form::{errors_from_api, ActivityFormState, PersonRef};
use crate::activity_master::{home_center, load_locks, lock_period_label, ActivityCodes};
use crate::activity_rules::FormKind;
use crate::api::{self, ApiError, PersonQuery};
use crate::app::ACTIVITIES_PATH;
use crate::components::activity_form::{ActivityForm, PreviousSession, Suggestions};
use crate::components::participant_checklist::ChecklistEntry;
use crate::components::person_picker::SearchResults;
use crate::forms::Submission;
use crate::pages::activity_calendar::{day_href, month_key};
use crate::session::Session;

/// How many earlier sessions suggest participants.
const RECENT_SESSIONS: usize = 5;
/// Search results shown at once.
const SEARCH_LIMIT: u64 = 8;

/// A person seen at recent sessions, and how often.
#[derive(Debug, Clone, PartialEq)]
struct Regular {
    person: PersonRef,
    times: usize,
    last: NaiveDate,
}

#[derive(Debug, Clone, PartialEq)]
struct Recent {
    regulars: Vec<Regular>,
    sessions: usize,
    span: Option<(NaiveDate, NaiveDate)>,
    previous: Option<PreviousSession>,
}

/// The last few sessions of `function` at `site` up to `date` (this month and the one before),
/// and who came, most regular first.
async fn recent(
    session: Session,
    function: String,
    site: Option<String>,
    date: NaiveDate,
    exclude: Option<String>,
) -> Result<Recent, ApiError> {
    let (this, before) = (month_key(date), month_key(date - Months::new(1)));
    let (this_month, last_month) = futures::try_join!(
        api::activities_in_month(session, &this, Some(&function)),
        api::activities_in_month(session, &before, Some(&function)),
    )?;
    let mut items: Vec<ActivitySummary> = this_month
        .items
        .into_iter()
        .chain(last_month.items)
        .filter(|a| a.date <= date && a.site == site && a.participants > 0)
        .filter(|a| exclude.as_deref() != Some(a.id.to_string().as_str()))
        .collect();
    items.sort_by(|a, b| (b.date, &b.start_time).cmp(&(a.date, &a.start_time)));
    items.truncate(RECENT_SESSIONS);
    let views: Vec<ActivityView> = futures::future::try_join_all(
        items
            .iter()
            .map(|a| async move { api::activity(session, &a.id.to_string()).await }),
    )
    .await?;
    Ok(tally(&views))
}

fn tally(views: &[ActivityView]) -> Recent {
    let mut seen: HashMap<String, Regular> = HashMap::new();
    for v in views {
        for p in &v.participants {
            let entry = seen.entry(p.common_id.clone()).or_insert_with(|| Regular {
                person: PersonRef::from_participation(p),
                times: 0,
                last: v.date,
            });
            entry.times += 1;
            entry.last = entry.last.max(v.date);
        }
    }
    let mut regulars: Vec<Regular> = seen.into_values().collect();
    regulars.sort_by(|a, b| {
        b.times
            .cmp(&a.times)
            .then(b.last.cmp(&a.last))
            .then(a.person.kana.cmp(&b.person.kana))
    });
    let previous = views.first().map(|v| PreviousSession {
        date: v.date,
        title: v.title.clone(),
        start_time: v.start_time.clone(),
        end_time: v.end_time.clone(),
        staff_count: v.staff_count,
        volunteer_count: v.volunteer_count,
        participants: v.participants.iter().map(PersonRef::from_participation).collect(),
    });
    Recent {
        regulars,
        sessions: views.len(),
        span: views.last().zip(views.first()).map(|(a, b)| (a.date, b.date)),
        previous,
    }
}

/// People who share a name (同姓同名) are told apart by their common ID.
fn mark_same_names(mut entries: Vec<ChecklistEntry>) -> Vec<ChecklistEntry> {
    let names: Vec<String> = entries.iter().map(|e| e.person.name.clone()).collect();
    for e in &mut entries {
        e.same_name = names.iter().filter(|n| **n == e.person.name).count() > 1;
    }
    entries
}

fn md(d: NaiveDate) -> String {
    d.format("%-m月%-d日").to_string()
}

#[component]
pub fn ActivityEditor(
    state: ActivityFormState,
    codes: Arc<ActivityCodes>,
    /// The activity being corrected; `None` for a new one.
    existing: Option<ActivityView>,
    cancel_href: String,
) -> impl IntoView {
    let session = Session::expect();
    let navigate = use_navigate();
    let center = home_center();
    let is_new = existing.is_none();
    let draft = match &existing {
        Some(v) => format!("activity-edit:{}", v.id),
        None => format!("activity-new:{}", state.kind.query()),
    };
    let (state, restored) = state.with_draft(&draft);
    let draft_name = StoredValue::new(draft);
    let exclude = existing.as_ref().map(|v| v.id.to_string());
    let kept = StoredValue::new(Vec::<PersonRef>::new());
    let submission = Submission::new();
    let Submission {
        errors,
        alert,
        pending,
    } = submission;
    let values = Memo::new(move |_| state.field_values());
    crate::forms::clear_fixed_errors(submission, values, move || {
        state.to_input().err().unwrap_or_default()
    });

    let locks = LocalResource::new({
        let center = center.clone();
        move || load_locks(session, center.clone())
    });
    let locked = Signal::derive(move || {
        let date = state.date_value()?;
        let locks = locks.get()?.ok()?;
        locks.on(date).map(|l| {
            format!(
                "この日は締め済みです（{}）。記録・変更できません。",
                lock_period_label(l)
            )
        })
    });

    let source = Memo::new(move |_| {
        let function = state.function.get();
        let site = state.site.with(|s| (!s.is_empty()).then(|| s.clone()));
        (function, site, state.date_value())
    });
    let recent_data = LocalResource::new(move || {
        let (function, site, date) = source.get();
        let exclude = exclude.clone();
        async move {
            match date {
                Some(date) if !function.is_empty() => {
                    Some(recent(session, function, site, date, exclude).await)
                }
                _ => None,
            }
        }
    });
    let kind = state.kind;
    let function_label = {
        let codes = codes.clone();
        move |f: &str| codes.function_label(f)
    };
    let suggestions = Signal::derive(move || match recent_data.get() {
        None => Suggestions::Loading,
        Some(None) => Suggestions::Ready(String::new()),
        Some(Some(Err(e))) => Suggestions::Failed(format!(
            "最近の参加者を読み込めませんでした: {}",
            e.user_message()
        )),
        Some(Some(Ok(r))) => {
            let label = function_label(&state.function.get());
            Suggestions::Ready(match r.span {
                None => format!("最近の{label}の記録はありません。フリガナでさがして追加してください。"),
                Some((from, to)) if from == to => {
                    format!("前回の{label}（{}）に参加した方: {}人", md(to), r.regulars.len())
                }
                Some((from, to)) => format!(
                    "最近{}回の{label}（{}〜{}）に参加した方: {}人（よく来る方から順に）",
                    r.sessions,
                    md(from),
                    md(to),
                    r.regulars.len()
                ),
            })
        }
    });
    let previous = Signal::derive(move || {
        recent_data
            .get()
            .flatten()
            .and_then(Result::ok)
            .and_then(|r| r.previous)
    });
    let entries = Memo::new(move |_| {
        let regulars = recent_data
            .get()
            .flatten()
            .and_then(Result::ok)
            .map(|r| r.regulars)
            .unwrap_or_default();
        let sessions = recent_data
            .get()
            .flatten()
            .and_then(Result::ok)
            .map_or(0, |r| r.sessions);
        let mut out: Vec<ChecklistEntry> = Vec::new();
        let mut push = |entry: ChecklistEntry| {
            if !out.iter().any(|e| e.person.common_id == entry.person.common_id) {
                out.push(entry);
            }
        };
        if kind == FormKind::Individual {
            for r in regulars {
                if !state.is_chosen(&r.person.common_id) {
                    push(ChecklistEntry {
                        person: r.person,
                        note: None,
                        added: false,
                        same_name: false,
                    });
                }
            }
            return mark_same_names(out);
        }
        for p in state.added.get() {
            push(ChecklistEntry {
                person: p,
                note: Some("追加".to_owned()),
                added: true,
                same_name: false,
            });
        }
        // Everyone ticked so far stays listed (also when another function or date brings other
        // suggestions), so nobody chosen is out of sight and unticking moves nothing.
        kept.update_value(|kept| {
            state.chosen.with(|chosen| {
                for c in chosen {
                    if !kept.iter().any(|k| k.common_id == c.person.common_id) {
                        kept.push(c.person.clone());
                    }
                }
            })
        });
        for p in kept.get_value() {
            if !regulars.iter().any(|r| r.person.common_id == p.common_id) {
                push(ChecklistEntry {
                    person: p,
                    note: None,
                    added: false,
                    same_name: false,
                });
            }
        }
        for r in regulars {
            let note = if sessions > 1 {
                format!("{}回中{}回", sessions, r.times)
            } else {
                "前回参加".to_owned()
            };
            push(ChecklistEntry {
                person: r.person,
                note: Some(note),
                added: false,
                same_name: false,
            });
        }
        mark_same_names(out)
    });

    let search_query = RwSignal::new(String::new());
    let search = LocalResource::new(move || {
        let q = search_query.get();
        async move {
            if q.trim().is_empty() {
                return None;
            }
            let query = PersonQuery {
                q: q.clone(),
                limit: SEARCH_LIMIT,
                ..Default::default()
            };
            let outcome = api::persons(session, &query)
                .await
                .map(|page| page.items)
                .map_err(|e| e.user_message());
            Some(SearchResults { query: q, outcome })
        }
    });
    let search_results = Signal::derive(move || search.get().flatten());

    let on_submit = Callback::new(move |()| {
        let input = match state.to_input() {
            Ok(input) => input,
            Err(found) => return submission.refuse(found),
        };
        submission.start();
        let navigate = navigate.clone();
        let draft = draft_name.get_value();
        spawn_local(async move {
            let result = if is_new {
                api::record_activity(session, &input).await.map(|(v, _)| v)
            } else {
                api::replace_activity(session, &input).await
            };
            if result.is_ok() {
                crate::drafts::discard(&draft);
            }
            match result {
                Ok(view) if is_new => navigate(
                    &format!("{}?saved={}", day_href(view.date), view.id),
                    Default::default(),
                ),
                Ok(view) => navigate(
                    &format!("{ACTIVITIES_PATH}/{}?saved=1", view.id),
                    Default::default(),
                ),
                Err(e) => {
                    let found = errors_from_api(&e, &input);
                    let message = match e.code() {
                        Some(ProblemCode::ActivityIdConflict) => format!(
                            "{} この入力は前に一度保存されています。その日の一覧で確かめてください。",
                            e.user_message()
                        ),
                        _ if !found.is_empty() => found.summary(),
                        _ => e.user_message(),
                    };
                    submission.fail(found, message);
                }
            }
        });
    });

    view! {
        <crate::drafts::DraftNotice name=draft_name.get_value() restored />
        <ActivityForm
            state
            codes
            center
            errors
            alert
            locked
            pending
            entries
            suggestions
            previous
            search_query
            search_results
            on_submit
            is_new
            cancel_href
        />
    }
}

/// Where "キャンセル" goes from a new activity for `date`.
pub fn back_to_day(date: Option<NaiveDate>) -> String {
    date.map_or_else(|| ACTIVITIES_PATH.to_owned(), day_href)
}
