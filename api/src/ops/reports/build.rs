//! The five reports as documents: which sections each has, each section's figures and tables.
//! Pure: everything comes in as [`Inputs`], so the figures can be checked on fixed records.

use shared::dto::ops_log::codes;
use shared::dto::ops_report::{OpsReport, ReportKind, ReportSection};

use super::availability::{availability, maintenance, monthly, outages};
use super::figures::*;
use super::Inputs;
use crate::domain::alert::Alert;
use crate::domain::ops_log::{Incident, Origin};

pub(super) fn section(key: &str, heading: &str) -> ReportSection {
    ReportSection {
        key: key.into(),
        heading: heading.into(),
        facts: Vec::new(),
        table: None,
        note: None,
    }
}

/// The report of `kind` for the inputs' period.
pub fn build(kind: ReportKind, i: &Inputs) -> OpsReport {
    let f = Figures::of(i);
    let sections = match kind {
        ReportKind::Business => vec![summary(i, &f), work(&f)],
        ReportKind::Operations => {
            let mut s = vec![
                availability(i),
                outages(&i.availability),
                work(&f),
                inquiries(i, &f),
                incidents_summary(&f),
                changes(&f),
                maintenance(&f),
                alerts(&i.alerts),
            ];
            s.extend(backups_and_audit(i));
            s
        }
        ReportKind::Availability => vec![
            availability(i),
            monthly(i),
            outages(&i.availability),
            maintenance(&f),
        ],
        ReportKind::Incidents => vec![incidents_summary(&f), incidents(i, &f)],
        ReportKind::Changes => vec![changes(&f)],
    };
    OpsReport {
        kind,
        title: kind.title().into(),
        period: i.period.code.clone(),
        period_label: i.period.label.clone(),
        from: i.period.first,
        to: i.period.last,
        node: i.node.clone(),
        generated_at: i.now,
        sections,
    }
}

/// 業務報告書's first section: the period at a glance.
fn summary(i: &Inputs, f: &Figures) -> ReportSection {
    let a = &i.availability;
    let mut s = section("summary", "概要");
    s.facts = vec![
        text("period", "対象期間", period_text(&i.period)),
        ratio(
            "uptime.ratio_excluding_maintenance",
            "稼働率（計画停止を除く）",
            a.ratio_excluding_maintenance(),
        ),
        verdict(a.ratio_excluding_maintenance(), i.target),
        count("inquiries.received", "問い合わせ件数", f.inquiries.len()),
        count(
            "inquiries.in_time",
            "うち24時間以内に初回回答",
            f.inquiries_in_time(),
        ),
        count(
            "inquiries.breaches",
            "うち初回回答の期限超過",
            f.inquiry_breaches(),
        ),
        count("incidents.detected", "障害件数", f.incidents.len()),
        count(
            "incidents.in_time",
            "うち12時間以内に一次切り分け",
            f.incidents_in_time(),
        ),
        count(
            "incidents.breaches",
            "うち一次切り分けの期限超過",
            f.incident_breaches(),
        ),
        count("changes.count", "変更件数", f.changes.len()),
        times("maintenance.count", "計画停止の回数", f.maintenance_done().len()),
        minutes("work.total", "作業時間の合計", f.total_minutes()),
    ];
    s
}

/// 作業時間 by kind of work.
fn work(f: &Figures) -> ReportSection {
    let mut s = section("work", "作業時間");
    s.facts = vec![
        minutes("work.inquiries", "問い合わせ対応", f.inquiry_minutes()),
        minutes("work.incidents", "障害対応", f.incident_minutes()),
        minutes("work.changes", "変更作業", f.change_minutes()),
        minutes(
            "work.maintenance",
            "計画保守（計画停止中の作業）",
            f.maintenance_minutes(),
        ),
        minutes("work.total", "合計", f.total_minutes()),
    ];
    s.note =
        Some("各記録の作業時間を、記録の始まった月（受付・検知・変更・停止開始）に計上しています。".into());
    s
}

fn inquiries(i: &Inputs, f: &Figures) -> ReportSection {
    let mut s = section("inquiries", "問い合わせ対応");
    s.facts = vec![
        count("inquiries.received", "受付件数", f.inquiries.len()),
        count("inquiries.in_time", "24時間以内に初回回答", f.inquiries_in_time()),
        count("inquiries.breaches", "初回回答の期限超過", f.inquiry_breaches()),
        count(
            "inquiries.unanswered",
            "初回回答待ち（作成時点）",
            f.inquiries_unanswered(),
        ),
        count("inquiries.open", "未完了（作成時点）", f.inquiries_open()),
        minutes("work.inquiries", "対応時間", f.inquiry_minutes()),
    ];
    let rows = f
        .inquiries
        .iter()
        .zip(&f.inquiry_states)
        .map(|(x, state)| {
            let r = &x.record;
            let from = match &r.source_code {
                Some(c) => format!("{}（{c}）", codes::label(codes::SOURCE_KINDS, &r.source_kind)),
                None => codes::label(codes::SOURCE_KINDS, &r.source_kind).to_owned(),
            };
            vec![
                x.id.to_string(),
                jst_text(r.received_at),
                from,
                codes::label(codes::CHANNELS, &r.channel).to_owned(),
                codes::label(codes::INQUIRY_CATEGORIES, &r.category).to_owned(),
                opt_jst(r.first_answered_at),
                state.label().to_owned(),
                opt_jst(r.closed_at),
                hours_text(u64::from(r.work_minutes)),
                r.summary.clone(),
            ]
        })
        .collect();
    s.table = Some(table(
        &[
            ("id", "No."),
            ("received_at", "受付"),
            ("source", "問い合わせ元"),
            ("channel", "手段"),
            ("category", "分類"),
            ("first_answered_at", "初回回答"),
            ("sla", "24時間"),
            ("closed_at", "完了"),
            ("work", "対応時間"),
            ("summary", "内容"),
        ],
        rows,
    ));
    s.note = Some(format!(
        "初回回答の期限は受付から{}時間（夜間・休日を含む暦どおりの時間）です。",
        i.policy.inquiry_hours
    ));
    s
}

fn incidents_summary(f: &Figures) -> ReportSection {
    let mut s = section("incidents_summary", "障害対応の概要");
    s.facts = vec![
        count("incidents.detected", "発生件数", f.incidents.len()),
        count(
            "incidents.in_time",
            "12時間以内に一次切り分け",
            f.incidents_in_time(),
        ),
        count(
            "incidents.breaches",
            "一次切り分けの期限超過",
            f.incident_breaches(),
        ),
        count(
            "incidents.unresolved",
            "未解決（作成時点）",
            f.incidents_unresolved(),
        ),
        minutes("work.incidents", "対応時間", f.incident_minutes()),
    ];
    s
}

fn incidents(i: &Inputs, f: &Figures) -> ReportSection {
    let mut s = section("incidents", "障害一覧");
    let rows = f
        .incidents
        .iter()
        .zip(&f.incident_states)
        .map(|(x, state)| {
            let r = &x.record;
            vec![
                x.id.to_string(),
                codes::label(codes::INCIDENT_KINDS, &r.kind).to_owned(),
                jst_text(r.detected_at),
                opt_jst(r.triaged_at),
                r.triaged_at
                    .map(|t| hours_text(minutes_between(r.detected_at, t)))
                    .unwrap_or_else(|| "—".into()),
                state.label().to_owned(),
                opt_jst(r.resolved_at),
                r.summary.clone(),
                r.cause.clone().unwrap_or_default(),
                r.impact.clone().unwrap_or_default(),
                hours_text(u64::from(r.work_minutes)),
            ]
        })
        .collect();
    s.table = Some(table(
        &[
            ("id", "No."),
            ("kind", "種類"),
            ("detected_at", "検知"),
            ("triaged_at", "一次切り分け"),
            ("to_triage", "切り分けまで"),
            ("sla", "12時間"),
            ("resolved_at", "解決"),
            ("summary", "概要"),
            ("cause", "原因"),
            ("impact", "影響"),
            ("work", "対応時間"),
        ],
        rows,
    ));
    s.note = Some(format!(
        "一次切り分けの期限は検知から{}時間（夜間・休日を含む暦どおりの時間）です。障害ごとの報告書は障害番号を指定して作成できます。",
        i.policy.incident_hours
    ));
    s
}

/// 障害対応報告書 for one incident.
pub fn incident(i: &Inputs, x: &Incident, events: &[Alert]) -> OpsReport {
    let r = &x.record;
    let sla = x.sla(&i.policy, i.now);
    let mut s = section("incident", "障害の内容と対応");
    s.facts = vec![
        text("incident.id", "障害番号", x.id.to_string()),
        text(
            "incident.kind",
            "種類",
            codes::label(codes::INCIDENT_KINDS, &r.kind),
        ),
        text(
            "incident.origin",
            "検知のきっかけ",
            match (&x.origin, &x.alert_event) {
                (Origin::Automatic, Some(e)) => format!(
                    "監視の通知 {e}（{}）、{} 回",
                    x.alert_subject.clone().unwrap_or_default(),
                    x.alert_count
                ),
                _ => "手動で記録".into(),
            },
        ),
        text("incident.detected_at", "検知日時", jst_text(r.detected_at)),
        text("incident.triage_due", "一次切り分けの期限", jst_text(sla.due_at)),
        text("incident.triaged_at", "一次切り分け日時", opt_jst(r.triaged_at)),
        text("incident.sla", "一次切り分けの判定", sla.state.label()),
        text("incident.resolved_at", "解決日時", opt_jst(r.resolved_at)),
        text("incident.summary", "概要", r.summary.clone()),
        text(
            "incident.cause",
            "原因",
            r.cause.clone().unwrap_or_else(|| "調査中".into()),
        ),
        text("incident.impact", "影響", r.impact.clone().unwrap_or_default()),
        text(
            "incident.handling",
            "対応内容",
            r.handling.clone().unwrap_or_default(),
        ),
        minutes("incident.work", "対応時間", u64::from(r.work_minutes)),
    ];
    let mut log = section("incident_alerts", "関連する監視の通知");
    log.table = Some(table(
        &[
            ("raised_at", "発生"),
            ("event", "事象"),
            ("subject", "対象"),
            ("message", "内容"),
            ("cleared_at", "解消"),
        ],
        events
            .iter()
            .map(|a| {
                vec![
                    jst_text(a.raised_at),
                    a.event.clone(),
                    a.subject.clone(),
                    a.message.clone(),
                    opt_jst(a.cleared_at),
                ]
            })
            .collect(),
    ));
    OpsReport {
        kind: shared::dto::ops_report::ReportKind::Incidents,
        title: format!("障害対応報告書（障害 No.{}）", x.id),
        period: i.period.code.clone(),
        period_label: i.period.label.clone(),
        from: i.period.first,
        to: i.period.last,
        node: i.node.clone(),
        generated_at: i.now,
        sections: vec![s, log],
    }
}

fn changes(f: &Figures) -> ReportSection {
    let mut s = section("changes", "変更");
    s.facts = vec![
        count("changes.count", "変更件数", f.changes.len()),
        count(
            "changes.auto",
            "うち自動記録（版の更新・データベース移行）",
            f.changes_auto(),
        ),
        minutes("work.changes", "作業時間", f.change_minutes()),
    ];
    s.table = Some(table(
        &[
            ("id", "No."),
            ("changed_at", "日時"),
            ("kind", "種別"),
            ("summary", "内容"),
            ("reason", "理由"),
            ("impact", "影響"),
            ("work", "作業時間"),
            ("origin", "記録"),
        ],
        f.changes
            .iter()
            .map(|x| {
                let r = &x.record;
                vec![
                    x.id.to_string(),
                    jst_text(r.changed_at),
                    codes::label(codes::CHANGE_KINDS, &r.kind).to_owned(),
                    r.summary.clone(),
                    r.reason.clone(),
                    r.impact.clone(),
                    hours_text(u64::from(r.work_minutes)),
                    if x.origin == Origin::Automatic {
                        "自動"
                    } else {
                        "手動"
                    }
                    .into(),
                ]
            })
            .collect(),
    ));
    s
}

fn alerts(events: &[Alert]) -> ReportSection {
    let mut s = section("alerts", "監視の通知");
    s.facts = vec![count("alerts.count", "通知の件数", events.len())];
    s.table = Some(table(
        &[
            ("raised_at", "発生"),
            ("event", "事象"),
            ("subject", "対象"),
            ("message", "内容"),
            ("cleared_at", "解消"),
            ("incident", "障害 No."),
        ],
        events
            .iter()
            .map(|a| {
                vec![
                    jst_text(a.raised_at),
                    a.event.clone(),
                    a.subject.clone(),
                    a.message.clone(),
                    a.cleared_at.map_or_else(|| "継続中".into(), jst_text),
                    a.incident_id.map(|i| i.to_string()).unwrap_or_default(),
                ]
            })
            .collect(),
    ));
    s
}

fn backups_and_audit(i: &Inputs) -> Vec<ReportSection> {
    let mut out = Vec::new();
    if let Some(b) = &i.backups {
        let mut s = section("backups", "バックアップ");
        s.facts = vec![
            count(
                "backups.in_period",
                "この期間に作成され、残っている世代",
                b.in_period,
            ),
            text(
                "backups.newest",
                "最新の世代",
                match &b.newest {
                    Some((name, Ok(()))) => format!("{name}: 検証 OK"),
                    Some((name, Err(why))) => format!("{name}: 使用不可（{why}）"),
                    None => "世代がありません".into(),
                },
            ),
        ];
        out.push(s);
    }
    if let Some(chain) = &i.audit {
        let mut s = section("audit", "監査ログ");
        s.facts = vec![text(
            "audit.chain",
            "改ざん検知の連鎖",
            match &chain.broken_at {
                None => format!(
                    "正常（{} 行、最新行 {}）",
                    chain.rows,
                    chain
                        .head
                        .as_ref()
                        .map(|(id, hash)| format!("{id} / {}", &hash[..16.min(hash.len())]))
                        .unwrap_or_else(|| "なし".into())
                ),
                Some((id, how)) => format!("行 {id} で途切れています（{how}）"),
            },
        )];
        out.push(s);
    }
    out
}
