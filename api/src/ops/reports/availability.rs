//! The sections about operating time: 稼働率 with and without the announced maintenance
//! windows, each month, each outage with its planned part, and the windows themselves.

use super::build::section;
use super::figures::*;
use super::Inputs;
use crate::domain::uptime::Availability;
use shared::dto::ops_report::ReportSection;

pub(super) fn maintenance(f: &Figures) -> ReportSection {
    let mut s = section("maintenance", "計画停止（定期点検など）");
    let done = f.maintenance_done();
    let planned: u64 = done
        .iter()
        .map(|m| minutes_between(m.record.starts_at, m.record.ends_at))
        .sum();
    s.facts = vec![
        times("maintenance.count", "実施（予定）回数", done.len()),
        minutes("maintenance.planned", "予定した停止時間", planned),
        minutes("work.maintenance", "作業時間", f.maintenance_minutes()),
    ];
    s.table = Some(table(
        &[
            ("id", "No."),
            ("starts_at", "開始"),
            ("ends_at", "終了"),
            ("announced_at", "告知"),
            ("summary", "作業内容"),
            ("work", "作業時間"),
            ("state", "状態"),
        ],
        f.maintenance
            .iter()
            .map(|m| {
                vec![
                    m.id.to_string(),
                    jst_text(m.record.starts_at),
                    jst_text(m.record.ends_at),
                    jst_text(m.announced_at),
                    m.record.summary.clone(),
                    hours_text(u64::from(m.record.work_minutes)),
                    if m.cancelled_at.is_some() {
                        "取消"
                    } else {
                        "予定どおり"
                    }
                    .into(),
                ]
            })
            .collect(),
    ));
    s.note = Some("事前に登録（告知）した計画停止の時間は、契約の稼働率の計算から除きます。".into());
    s
}

fn availability_facts(a: &Availability, target: f64) -> Vec<shared::dto::ops_report::ReportFact> {
    let unplanned: i64 = a
        .outages
        .iter()
        .map(|o| (o.1 - o.0 - a.planned_part(*o)).num_seconds())
        .sum();
    let measured = if a.recorded() {
        format!("{} 〜 {}", jst_text(a.from), jst_text(a.to))
    } else {
        "記録なし（この期間のこのノードの稼働記録はありません）".into()
    };
    vec![
        text("uptime.measured", "計測期間", measured),
        ratio(
            "uptime.ratio_excluding_maintenance",
            "稼働率（計画停止を除く・契約の指標）",
            a.ratio_excluding_maintenance(),
        ),
        ratio("uptime.ratio", "稼働率（計画停止を含む）", a.ratio()),
        verdict(a.ratio_excluding_maintenance(), target),
        times("uptime.outages", "停止の回数", a.outages.len()),
        minutes(
            "uptime.unplanned_minutes",
            "計画外の停止時間",
            u64::try_from(unplanned / 60).unwrap_or(0),
        ),
        minutes(
            "uptime.maintenance_minutes",
            "計画停止の時間",
            u64::try_from(a.maintenance_time().num_minutes()).unwrap_or(0),
        ),
    ]
}

pub(super) fn availability(i: &Inputs) -> ReportSection {
    let mut s = section("availability", "稼働率");
    s.facts = availability_facts(&i.availability, i.target);
    s.note = Some(
        "稼働率は、ノードの起動から最後の生存記録までを稼働、その間の空白を停止として計算します。ノードの運用開始前の期間は「記録なし」です。".into(),
    );
    s
}

pub(super) fn monthly(i: &Inputs) -> ReportSection {
    let mut s = section("monthly", "月ごとの稼働状況");
    s.table = Some(table(
        &[
            ("month", "月"),
            ("measured_hours", "計測時間"),
            ("maintenance", "計画停止"),
            ("unplanned", "計画外の停止"),
            ("ratio_excluding_maintenance", "稼働率（除く）"),
            ("ratio", "稼働率（含む）"),
            ("verdict", "判定"),
        ],
        i.months
            .iter()
            .map(|(p, a)| {
                let facts = availability_facts(a, i.target);
                let value = |key: &str| {
                    facts
                        .iter()
                        .find(|f| f.key == key)
                        .map(|f| f.value.clone())
                        .unwrap_or_default()
                };
                vec![
                    p.label.clone(),
                    if a.recorded() {
                        hours_text(u64::try_from((a.to - a.from).num_minutes()).unwrap_or(0))
                    } else {
                        "記録なし".into()
                    },
                    value("uptime.maintenance_minutes"),
                    value("uptime.unplanned_minutes"),
                    value("uptime.ratio_excluding_maintenance"),
                    value("uptime.ratio"),
                    value("uptime.verdict"),
                ]
            })
            .collect(),
    ));
    s
}

pub(super) fn outages(a: &Availability) -> ReportSection {
    let mut s = section("outages", "停止の一覧");
    s.table = Some(table(
        &[
            ("from", "開始"),
            ("to", "終了"),
            ("minutes", "時間"),
            ("planned", "うち計画停止"),
            ("kind", "区分"),
        ],
        a.outages
            .iter()
            .map(|o| {
                let all = u64::try_from((o.1 - o.0).num_minutes()).unwrap_or(0);
                let planned = u64::try_from(a.planned_part(*o).num_minutes()).unwrap_or(0);
                vec![
                    jst_text(o.0),
                    jst_text(o.1),
                    hours_text(all),
                    hours_text(planned),
                    match (planned, all) {
                        (0, _) => "計画外",
                        (p, a) if p >= a => "計画停止",
                        _ => "一部計画停止",
                    }
                    .into(),
                ]
            })
            .collect(),
    ));
    if a.outages.is_empty() {
        s.note = Some("停止はありませんでした。".into());
    }
    s
}
