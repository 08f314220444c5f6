//! One recorded activity: what, when, where, how many, and everyone who took part with the
//! attributes recorded for that day (printable on A4).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use shared::dto::activity::{ActivityView, ParticipationView};

use crate::activity_master::ActivityCodes;
use crate::activity_rules::detail_rule;
use crate::holidays::weekday_label;
use crate::master::{label, labels_in_order};

/// `令和6年4月1日（月）`.
pub fn date_with_weekday(date: chrono::NaiveDate) -> String {
    format!(
        "{}（{}）",
        shared::dates::format_wareki(date),
        weekday_label(date)
    )
}

/// A server timestamp in Japan time, `2024年4月1日 10:05`.
pub fn jst(at: DateTime<Utc>) -> String {
    crate::format::timestamp_jst(at)
}

/// The detail of a participation in words: `見守り・安否確認`, `介護、健康・医療 → 地域包括支援センター`.
pub fn detail_text(
    codes: &ActivityCodes,
    visit_purpose: Option<&str>,
    topics: &[String],
    referral: Option<&str>,
) -> String {
    let mut parts = Vec::new();
    if let Some(v) = visit_purpose {
        parts.push(label(&codes.visit_purposes, v));
    }
    if !topics.is_empty() {
        parts.push(labels_in_order(&codes.consultation_topics, topics));
    }
    if let Some(r) = referral {
        parts.push(format!("→ {}", label(&codes.referral_destinations, r)));
    }
    parts.join("　")
}

#[component]
pub fn ActivityDetails(activity: ActivityView, codes: Arc<ActivityCodes>) -> impl IntoView {
    let a = &activity;
    let time = match (&a.start_time, &a.end_time) {
        (Some(s), Some(e)) => format!("{s}〜{e}"),
        (Some(s), None) => format!("{s}〜"),
        _ => "—".to_owned(),
    };
    let u = a.unregistered;
    let unregistered = format!(
        "高齢者 {}人・障害のある人 {}人・子ども {}人・それ以外 {}人（計 {}人）",
        u.elderly,
        u.disabled,
        u.child,
        u.other,
        u.total()
    );
    let rows: Vec<(&str, &str, String)> = vec![
        ("date", "日付", date_with_weekday(a.date)),
        ("function", "機能", codes.function_label(&a.function)),
        ("title", "名目", a.title.clone().unwrap_or_else(|| "—".to_owned())),
        ("site", "場所", codes.site_label(a.site.as_deref())),
        ("time", "時間", time),
        ("staff_count", "職員", format!("{}人", a.staff_count)),
        (
            "volunteer_count",
            "ボランティア",
            format!("{}人", a.volunteer_count),
        ),
        ("participants", "登録者", format!("{}人", a.participants.len())),
        ("unregistered", "登録外", unregistered),
        (
            "total",
            "延べ人数",
            format!("{}人", a.participants.len() as i64 + u.total()),
        ),
        ("note", "メモ", a.note.clone().unwrap_or_else(|| "—".to_owned())),
        (
            "recorded",
            "記録",
            if a.updated_at != a.created_at {
                format!("{}（変更 {}）", jst(a.created_at), jst(a.updated_at))
            } else {
                jst(a.created_at)
            },
        ),
    ];
    let rule = detail_rule(&a.function);
    let has_detail = rule.visit_purpose.shown() || rule.topics.shown() || rule.referral_destination.shown();
    let participants = a.participants.clone();
    let codes2 = codes.clone();
    view! {
        <section class="card activity-details" aria-labelledby="activity-details-title" data-testid="activity-details">
            <h2 id="activity-details-title" class="visually-hidden">"活動の内容"</h2>
            <dl class="details-list">
                {rows
                    .into_iter()
                    .map(|(key, term, value)| {
                        view! {
                            <dt>{term}</dt>
                            <dd class="long-text" data-testid=format!("activity-detail-{key}")>{value}</dd>
                        }
                    })
                    .collect_view()}
            </dl>
        </section>
        <section class="card activity-people" aria-labelledby="activity-people-title">
            <h2 id="activity-people-title">{format!("参加した登録者（{}人）", participants.len())}</h2>
            {if participants.is_empty() {
                view! { <p class="empty">"登録者の参加はありません。"</p> }.into_any()
            } else {
                view! {
                    <table class="data-table participant-table" data-testid="activity-participant-table">
                        <thead>
                            <tr>
                                <th scope="col" class="num">"No."</th>
                                <th scope="col">"氏名（フリガナ）"</th>
                                <th scope="col">"共通利用者番号"</th>
                                <th scope="col">"区分"</th>
                                <th scope="col">"年齢区分"</th>
                                {has_detail.then(|| view! { <th scope="col">"内容"</th> })}
                            </tr>
                        </thead>
                        <tbody>
                            {participants
                                .into_iter()
                                .enumerate()
                                .map(|(i, p)| view! { <ParticipantRow index=i + 1 p codes=codes2.clone() has_detail /> })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </section>
    }
}

#[component]
fn ParticipantRow(
    index: usize,
    p: ParticipationView,
    codes: Arc<ActivityCodes>,
    has_detail: bool,
) -> impl IntoView {
    let detail = detail_text(
        &codes,
        p.visit_purpose.as_deref(),
        &p.topics,
        p.referral_destination.as_deref(),
    );
    let name = p.name.clone().unwrap_or_else(|| "（氏名なし）".to_owned());
    view! {
        <tr data-testid="activity-participant-row" data-common-id=p.common_id.clone()>
            <td class="num">{index}</td>
            <td class="long-text">
                <a href=format!("/persons/{}", p.common_id)>{name}</a>
                <span class="kana">{p.kana.clone().unwrap_or_default()}</span>
            </td>
            <td class="id-text">{p.common_id.clone()}</td>
            <td>{label(&codes.groups, &p.group)}</td>
            <td>{label(&codes.age_bands, &p.age_band)}</td>
            {has_detail.then(|| view! { <td class="long-text">{detail}</td> })}
        </tr>
    }
}
