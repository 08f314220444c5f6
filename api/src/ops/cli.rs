//! `attaka ops …`: the contract's reports and the operations log from the command line (for the
//! operator on the node's machine, and for scripts). Writes are audited with actor `cli`.

use anyhow::Context;
use chrono::{DateTime, NaiveDateTime, Utc};
use clap::Subcommand;
use shared::dto::ops_log::{ChangeInput, IncidentInput, InquiryInput, MaintenanceInput};
use shared::dto::ops_report::ReportKind;

use crate::cli::OpsCommand;
use crate::config::Settings;
use crate::domain::clock::jst;
use crate::domain::ops_log::LogWindow;
use crate::ops::audit::by_cli;
use crate::ops::log::{self, LogError};
use crate::ops::reports::{self, render, ReportPeriod};
use crate::store::CommonStore;

/// `recorded_by` of what the command line records.
const BY: &str = "cli";

/// A time as typed: `2025-05-20 10:00` (Japan time) or RFC 3339; `now` for now.
pub fn parse_time(s: &str) -> anyhow::Result<DateTime<Utc>> {
    let s = s.trim();
    if s == "now" {
        return Ok(Utc::now());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .with_context(|| format!("{s:?}: write the time as 2025-05-20 10:00 (Japan time) or RFC 3339"))?;
    local
        .and_local_timezone(jst())
        .single()
        .map(|t| t.with_timezone(&Utc))
        .context("not a time in Japan")
}

#[derive(Debug, Subcommand)]
pub enum InquiryCommand {
    /// Record an inquiry (問い合わせ).
    Add {
        #[arg(long, default_value = "now")]
        received_at: String,
        /// center, municipality, prefecture or other.
        #[arg(long)]
        source_kind: String,
        /// The centre (C001) or municipality (392014) code.
        #[arg(long)]
        source_code: Option<String>,
        /// phone, email, web, visit, other.
        #[arg(long)]
        channel: String,
        /// usage, account, data, failure, request, other.
        #[arg(long)]
        category: String,
        #[arg(long)]
        summary: String,
    },
    /// Record the first answer (stops the 24-hour clock).
    Answer {
        id: i64,
        #[arg(long, default_value = "now")]
        at: String,
        #[arg(long)]
        answer: Option<String>,
        /// Minutes of work to add.
        #[arg(long, default_value_t = 0)]
        minutes: u32,
    },
    /// Close it.
    Close {
        id: i64,
        #[arg(long, default_value = "now")]
        at: String,
        #[arg(long, default_value_t = 0)]
        minutes: u32,
    },
    /// The inquiries not closed, and those of a period.
    List {
        #[arg(long)]
        period: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Record an incident (alert events open theirs by themselves).
    Add {
        #[arg(long, default_value = "now")]
        detected_at: String,
        /// failure or security.
        #[arg(long, default_value = "failure")]
        kind: String,
        #[arg(long)]
        summary: String,
    },
    /// Record the first triage (stops the 12-hour clock).
    Triage {
        id: i64,
        #[arg(long, default_value = "now")]
        at: String,
        #[arg(long, default_value_t = 0)]
        minutes: u32,
    },
    /// Record the resolution, its cause, impact and handling.
    Resolve {
        id: i64,
        #[arg(long, default_value = "now")]
        at: String,
        #[arg(long)]
        cause: Option<String>,
        #[arg(long)]
        impact: Option<String>,
        #[arg(long)]
        handling: Option<String>,
        #[arg(long, default_value_t = 0)]
        minutes: u32,
    },
    List {
        #[arg(long)]
        period: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ChangeCommand {
    /// Record a change (version upgrades and migrations are recorded at start by the node).
    Add {
        #[arg(long, default_value = "now")]
        at: String,
        /// release, schema, config, data, infrastructure, other.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        summary: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        impact: String,
        #[arg(long, default_value_t = 0)]
        minutes: u32,
    },
    List {
        #[arg(long)]
        period: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MaintenanceCommand {
    /// Announce a scheduled maintenance window (before it begins).
    Add {
        #[arg(long)]
        starts_at: String,
        #[arg(long)]
        ends_at: String,
        #[arg(long)]
        summary: String,
        #[arg(long, default_value_t = 0)]
        minutes: u32,
    },
    /// Cancel a window that has not begun.
    Cancel { id: i64 },
    List {
        #[arg(long)]
        period: Option<String>,
    },
}

fn refused(e: LogError) -> anyhow::Error {
    match e {
        LogError::Invalid(errors) => anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        LogError::Begun => anyhow::anyhow!("この計画停止は始まっているため取り消せません。"),
        LogError::Store(e) => anyhow::Error::new(e),
    }
}

fn window(period: Option<&str>) -> anyhow::Result<LogWindow> {
    Ok(match period {
        None => LogWindow::all(),
        Some(p) => {
            let p = ReportPeriod::parse(p, crate::domain::clock::today_jst())
                .map_err(|_| anyhow::anyhow!("--period must be YYYY-MM or FY2025, not in the future"))?;
            LogWindow {
                from: p.from,
                to: p.to,
            }
        }
    })
}

fn line(id: i64, when: DateTime<Utc>, state: &str, summary: &str) -> String {
    format!(
        "{id:>5}  {}  {state:<12}  {summary}\n",
        when.with_timezone(&jst()).format("%Y-%m-%d %H:%M")
    )
}

/// Runs an `ops` command; returns what to print.
pub async fn run(
    store: &dyn CommonStore,
    settings: &Settings,
    command: OpsCommand,
) -> anyhow::Result<Vec<u8>> {
    let now = Utc::now();
    let policy = settings.ops.sla();
    let text = match command {
        OpsCommand::Report {
            month,
            period,
            kind,
            incident,
            format,
        } => {
            let report = match incident {
                Some(id) => reports::incident_report(store, settings, id, now).await?,
                None => {
                    let kind =
                        ReportKind::parse(&kind).with_context(|| format!("unknown report kind {kind:?}"))?;
                    let today = crate::domain::clock::today_jst();
                    let period = match month.or(period) {
                        Some(p) => ReportPeriod::parse(&p, today).map_err(|_| {
                            anyhow::anyhow!("the period must be YYYY-MM or FY2025, not in the future: {p:?}")
                        })?,
                        None => {
                            use chrono::Datelike;
                            ReportPeriod::month(today.with_day(1).unwrap_or(today) - chrono::Months::new(1))
                        }
                    };
                    reports::report(store, settings, kind, period, now).await?
                }
            };
            return match format.as_str() {
                "md" => Ok(render::markdown(&report).into_bytes()),
                "csv" => render::csv(&report),
                other => anyhow::bail!("--format must be md or csv, not {other:?}"),
            };
        }
        OpsCommand::Inquiry(InquiryCommand::Add {
            received_at,
            source_kind,
            source_code,
            channel,
            category,
            summary,
        }) => {
            let input = InquiryInput {
                received_at: parse_time(&received_at)?,
                source_kind,
                source_code,
                channel,
                category,
                summary,
                answer: None,
                first_answered_at: None,
                closed_at: None,
                work_minutes: 0,
            };
            let i = log::add_inquiry(store, &input, BY, by_cli("ops.inquiry.create", None, None), now)
                .await
                .map_err(refused)?;
            format!(
                "問い合わせ No.{} を記録しました（初回回答の期限 {}）。\n",
                i.id,
                i.sla(&policy, now)
                    .due_at
                    .with_timezone(&jst())
                    .format("%Y-%m-%d %H:%M")
            )
        }
        OpsCommand::Inquiry(InquiryCommand::Answer {
            id,
            at,
            answer,
            minutes,
        }) => {
            let mut input = store.inquiry(id).await?.record.to_input();
            input.first_answered_at = Some(parse_time(&at)?);
            input.answer = answer.or(input.answer);
            input.work_minutes += minutes;
            let row = by_cli("ops.inquiry.update", Some(log::target("inquiry", id)), None);
            let i = log::edit_inquiry(store, id, &input, row, now)
                .await
                .map_err(refused)?;
            format!(
                "問い合わせ No.{id}: 初回回答を記録しました（{}）。\n",
                i.sla(&policy, now).state.label()
            )
        }
        OpsCommand::Inquiry(InquiryCommand::Close { id, at, minutes }) => {
            let mut input = store.inquiry(id).await?.record.to_input();
            input.closed_at = Some(parse_time(&at)?);
            input.work_minutes += minutes;
            let row = by_cli("ops.inquiry.update", Some(log::target("inquiry", id)), None);
            log::edit_inquiry(store, id, &input, row, now)
                .await
                .map_err(refused)?;
            format!("問い合わせ No.{id} を完了にしました。\n")
        }
        OpsCommand::Inquiry(InquiryCommand::List { period }) => store
            .inquiries(window(period.as_deref())?)
            .await?
            .iter()
            .map(|i| {
                line(
                    i.id,
                    i.record.received_at,
                    i.sla(&policy, now).state.label(),
                    &i.record.summary,
                )
            })
            .collect(),
        OpsCommand::Incident(IncidentCommand::Add {
            detected_at,
            kind,
            summary,
        }) => {
            let input = IncidentInput {
                detected_at: parse_time(&detected_at)?,
                kind,
                summary,
                triaged_at: None,
                resolved_at: None,
                cause: None,
                impact: None,
                handling: None,
                work_minutes: 0,
            };
            let i = log::add_incident(store, &input, BY, by_cli("ops.incident.create", None, None), now)
                .await
                .map_err(refused)?;
            format!("障害 No.{} を記録しました。\n", i.id)
        }
        OpsCommand::Incident(IncidentCommand::Triage { id, at, minutes }) => {
            let mut input = store.incident(id).await?.record.to_input();
            input.triaged_at = Some(parse_time(&at)?);
            input.work_minutes += minutes;
            let row = by_cli("ops.incident.update", Some(log::target("incident", id)), None);
            let i = log::edit_incident(store, id, &input, row, now)
                .await
                .map_err(refused)?;
            format!(
                "障害 No.{id}: 一次切り分けを記録しました（{}）。\n",
                i.sla(&policy, now).state.label()
            )
        }
        OpsCommand::Incident(IncidentCommand::Resolve {
            id,
            at,
            cause,
            impact,
            handling,
            minutes,
        }) => {
            let mut input = store.incident(id).await?.record.to_input();
            input.resolved_at = Some(parse_time(&at)?);
            input.cause = cause.or(input.cause);
            input.impact = impact.or(input.impact);
            input.handling = handling.or(input.handling);
            input.work_minutes += minutes;
            let row = by_cli("ops.incident.update", Some(log::target("incident", id)), None);
            log::edit_incident(store, id, &input, row, now)
                .await
                .map_err(refused)?;
            format!("障害 No.{id} を解決にしました。\n")
        }
        OpsCommand::Incident(IncidentCommand::List { period }) => store
            .incidents(window(period.as_deref())?)
            .await?
            .iter()
            .map(|i| {
                line(
                    i.id,
                    i.record.detected_at,
                    i.sla(&policy, now).state.label(),
                    &i.record.summary,
                )
            })
            .collect(),
        OpsCommand::Change(ChangeCommand::Add {
            at,
            kind,
            summary,
            reason,
            impact,
            minutes,
        }) => {
            let input = ChangeInput {
                changed_at: parse_time(&at)?,
                kind,
                summary,
                reason,
                impact,
                work_minutes: minutes,
            };
            let c = log::add_change(store, &input, BY, by_cli("ops.change.create", None, None), now)
                .await
                .map_err(refused)?;
            format!("変更 No.{} を記録しました。\n", c.id)
        }
        OpsCommand::Change(ChangeCommand::List { period }) => store
            .changes(window(period.as_deref())?)
            .await?
            .iter()
            .map(|c| line(c.id, c.record.changed_at, &c.record.kind, &c.record.summary))
            .collect(),
        OpsCommand::Maintenance(MaintenanceCommand::Add {
            starts_at,
            ends_at,
            summary,
            minutes,
        }) => {
            let input = MaintenanceInput {
                starts_at: parse_time(&starts_at)?,
                ends_at: parse_time(&ends_at)?,
                summary,
                work_minutes: minutes,
            };
            let row = by_cli("ops.maintenance.create", None, None);
            let m = log::add_maintenance(store, &input, BY, row, now)
                .await
                .map_err(refused)?;
            format!("計画停止 No.{} を登録しました。\n", m.id)
        }
        OpsCommand::Maintenance(MaintenanceCommand::Cancel { id }) => {
            let row = by_cli(
                "ops.maintenance.cancel",
                Some(log::target("maintenance", id)),
                None,
            );
            log::cancel_maintenance(store, id, row, now)
                .await
                .map_err(refused)?;
            format!("計画停止 No.{id} を取り消しました。\n")
        }
        OpsCommand::Maintenance(MaintenanceCommand::List { period }) => store
            .maintenance_windows(window(period.as_deref())?)
            .await?
            .iter()
            .map(|m| {
                let state = if m.cancelled_at.is_some() {
                    "取消"
                } else {
                    "予定"
                };
                line(m.id, m.record.starts_at, state, &m.record.summary)
            })
            .collect(),
    };
    Ok(text.into_bytes())
}
