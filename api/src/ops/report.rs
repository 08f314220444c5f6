//! The monthly operations report (月次運用報告): 稼働率 and outages, alert events of the month,
//! backups, and the state of the audit chain — Markdown, for the maintenance contract.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::Settings;
use crate::domain::clock::jst;
use crate::ops::{backup, uptime};
use crate::store::CommonStore;

fn jst_text(t: DateTime<Utc>) -> String {
    t.with_timezone(&jst()).format("%Y-%m-%d %H:%M").to_string()
}

/// The report of the month beginning on `first` (Japan time), as of `now`.
pub async fn monthly(
    store: &dyn CommonStore,
    settings: &Settings,
    first: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let up = uptime::report(store, settings, first, now).await?;
    // Written for the prefecture, so the hub is named in Japanese.
    let node = settings.node.center.as_deref().unwrap_or("県ハブ");
    let mut out = String::new();
    writeln!(out, "# 月次運用報告 {}（{node}）", up.month)?;
    writeln!(out, "\n作成: {}\n", jst_text(now))?;
    writeln!(out, "## 稼働率\n")?;
    match up.ratio {
        // A month before the node's first run: no record, so no rate and no verdict.
        None => {
            writeln!(
                out,
                "- 対象期間: 記録なし（この月のこのノードの稼働記録はありません）"
            )?;
            writeln!(out, "- 稼働率: 記録なし（目標 {:.0} %）", up.target * 100.0)?;
        }
        Some(ratio) => {
            writeln!(out, "- 対象期間: {} 〜 {}", jst_text(up.from), jst_text(up.to))?;
            writeln!(
                out,
                "- 稼働率: {:.2} %（目標 {:.0} %: {}）",
                ratio * 100.0,
                up.target * 100.0,
                if up.met { "達成" } else { "未達" }
            )?;
            writeln!(
                out,
                "- 停止: {} 回、計 {} 分",
                up.outages.len(),
                up.outages.iter().map(|o| o.seconds).sum::<i64>() / 60
            )?;
        }
    }
    for o in &up.outages {
        writeln!(
            out,
            "  - {} 〜 {}（{} 分）",
            jst_text(o.from),
            jst_text(o.to),
            o.seconds / 60
        )?;
    }

    writeln!(out, "\n## 障害・警告の通知\n")?;
    let alerts: Vec<_> = store
        .alerts(false)
        .await?
        .into_iter()
        .filter(|a| a.raised_at.with_timezone(&jst()).format("%Y-%m").to_string() == up.month)
        .collect();
    if alerts.is_empty() {
        writeln!(out, "なし")?;
    }
    for a in alerts.iter().rev() {
        let cleared = a
            .cleared_at
            .map_or_else(|| "継続中".to_owned(), |c| format!("{} 解消", jst_text(c)));
        writeln!(
            out,
            "- {} {}（{}）: {} — {cleared}",
            jst_text(a.raised_at),
            a.event,
            a.subject,
            a.message
        )?;
    }

    writeln!(out, "\n## バックアップ\n")?;
    let generations = backup::generations(&settings.backup_dir())?;
    let in_month: Vec<_> = generations
        .iter()
        .filter(|g| {
            g.manifest
                .as_ref()
                .is_ok_and(|m| m.created_at.with_timezone(&jst()).format("%Y-%m").to_string() == up.month)
        })
        .collect();
    writeln!(out, "- この月に作成され、残っている世代: {}", in_month.len())?;
    match generations.first() {
        Some(newest) => match newest.check(crate::store::backup_engine(settings)?.as_ref()) {
            Ok(()) => writeln!(out, "- 最新の世代 {}: 検証 OK", newest.name())?,
            Err(reason) => writeln!(out, "- 最新の世代 {}: 使用不可（{reason}）", newest.name())?,
        },
        None => writeln!(out, "- 世代がありません")?,
    }

    writeln!(out, "\n## 監査ログ\n")?;
    let chain = store.verify_audit_chain().await?;
    match chain.broken_at {
        None => writeln!(
            out,
            "- 改ざん検知の連鎖: 正常（{} 行、最新行 {}）",
            chain.rows,
            chain
                .head
                .map(|(id, hash)| format!("{id} / {}", &hash[..16.min(hash.len())]))
                .unwrap_or_else(|| "なし".into())
        )?,
        Some((id, how)) => writeln!(out, "- 改ざん検知の連鎖: 行 {id} で途切れています（{how}）")?,
    }
    Ok(out)
}
