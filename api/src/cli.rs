//! Command line: `attaka [--config FILE] serve | migrate | demo | generate | bench | admin |
//! privacy report …`.

use crate::domain::stats_change::StatsChange;
use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use shared::dto::auth::{NewAccount, Role, Scope};

use crate::config::Settings;
use crate::startup::Application;

#[derive(Debug, Parser)]
#[command(
    name = "attaka",
    version,
    about = "あったかふれあいセンター 利用者データ管理 (Attaka)"
)]
pub struct Cli {
    /// TOML configuration file; `ATTAKA_…` environment variables override it.
    #[arg(long, short, global = true, env = "ATTAKA_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the node (migrates the database first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Fill a fresh database with demo data and print the demo accounts.
    Demo(crate::demo::DemoArgs),
    /// Fill a fresh database with prefecture-scale data (55 centres, ten years) for benchmarks.
    Generate(crate::generate::GenerateArgs),
    /// Time the standard statistics and extraction through the real server on this database.
    Bench(crate::bench::BenchArgs),
    /// Print the OpenAPI document (what `openapi/openapi.json` holds).
    Openapi,
    /// Account administration.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Synchronisation with the prefecture hub: credentials (hub), snapshot and status (centre).
    #[command(subcommand)]
    Sync(crate::sync::SyncCommand),
    /// Backups of this node's database: make one now, list the generations, restore.
    #[command(subcommand)]
    Backup(BackupCommand),
    /// The audit log's tamper evidence.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Operations reports.
    #[command(subcommand)]
    Ops(OpsCommand),
    /// The node as a Windows service: install, start, stop, uninstall, status (Windows only).
    #[command(subcommand)]
    Service(crate::service::ServiceCommand),
    /// Copy a hub's SQLite database into SQL Server (resumable), then check row counts and the
    /// statistics of every fiscal year on both; exits non-zero on any difference.
    MigrateHub {
        /// The SQLite hub database: `sqlite://path` or a path. The node must be stopped.
        #[arg(long)]
        from: String,
        /// The SQL Server database (`sqlserver://…` or `Server=…;…`); default `database.url`.
        #[arg(long)]
        to: Option<String>,
    },
    /// Re-identification risk of what leaves the node.
    #[command(subcommand)]
    Privacy(PrivacyCommand),
}

#[derive(Debug, Subcommand)]
pub enum PrivacyCommand {
    /// k-anonymity of an extract as a role would receive it: the share of people alone on its
    /// quasi-identifiers (k = 1), and in groups smaller than 5 and 10, from the real extract
    /// stream of this node's database.
    Report {
        /// participations, persons or activities.
        #[arg(long)]
        kind: String,
        /// prefecture, municipality:CODE, integrator (a token with the coarsened grant) or
        /// integrator:detailed.
        #[arg(long = "as")]
        recipient: String,
        /// FY2025, 2025-04 or FY2025Q1; default the last complete fiscal year.
        #[arg(long)]
        period: Option<String>,
        /// Also measure the exact rows after each step of coarsening in turn, up to the
        /// default view: what each step does to k.
        #[arg(long)]
        steps: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum OpsCommand {
    /// The contract's reports (Markdown or CSV): by default the 運用保守報告書 of last month.
    Report {
        /// `YYYY-MM` (Japan time); default last month.
        #[arg(long, conflicts_with = "period")]
        month: Option<String>,
        /// A month `YYYY-MM` or a 年度 `FY2025`.
        #[arg(long)]
        period: Option<String>,
        /// business (業務報告書), operations (運用保守報告書), availability (稼働状況報告書),
        /// incidents (障害対応報告書), changes (変更状況報告書).
        #[arg(long, default_value = "operations")]
        kind: String,
        /// 障害対応報告書 of this one incident (its number).
        #[arg(long, conflicts_with_all = ["month", "period"])]
        incident: Option<i64>,
        /// md or csv.
        #[arg(long, default_value = "md")]
        format: String,
    },
    /// The operations log: inquiries, incidents, changes, maintenance windows.
    #[command(subcommand)]
    Inquiry(crate::ops::cli::InquiryCommand),
    #[command(subcommand)]
    Incident(crate::ops::cli::IncidentCommand),
    #[command(subcommand)]
    Change(crate::ops::cli::ChangeCommand),
    #[command(subcommand)]
    Maintenance(crate::ops::cli::MaintenanceCommand),
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain of the audit log; fails naming the first row that breaks it.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Make a backup now and verify it (the node may be running).
    Run,
    /// The generations, newest first, each checked as a restore would check it.
    List,
    /// Put the newest generation that checks in place of the database, falling back one
    /// generation at a time. Stop the node first. Without --yes, only says what it would do.
    Restore {
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account (e.g. the first administrator). The password is read from stdin.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        /// center_staff, center_admin, municipality, region, prefecture, operator.
        #[arg(long)]
        role: String,
        /// `prefecture`, `municipality:392014`, `region:aki` or `center:C001`; defaults from the
        /// role and node.
        #[arg(long)]
        scope: Option<String>,
    },
    /// Clear a lock recorded in the database by an older version. Failed logins of a running
    /// node are counted in its memory: clear those with `POST /accounts/{id}/unlock`.
    Unlock {
        #[arg(long)]
        username: String,
    },
    /// Set an account's password (read from stdin), e.g. the operator's own or a first
    /// administrator's. Every session of the account ends.
    SetPassword {
        #[arg(long)]
        username: String,
    },
    /// Reset an account's password to a temporary one (read from stdin) that must be changed at
    /// the next login. Every session of the account ends.
    ResetPassword {
        #[arg(long)]
        username: String,
    },
    /// Create or replace a region (a regional office's area) and its municipalities, from a
    /// JSON file as `PUT /api/v1/regions/{code}` takes it (`-`: stdin). Hub.
    Region {
        #[arg(long)]
        file: PathBuf,
    },
    /// Print the regions and their municipalities as JSON.
    Regions,
    /// Create or update a centre (拠点): a new centre node needs its own centre before anyone
    /// can be registered there.
    Center {
        /// `C` and three digits, e.g. C012.
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// 6-digit municipality code, e.g. 392014.
        #[arg(long)]
        municipality: String,
        /// 運営主体, e.g. 社会福祉協議会.
        #[arg(long, default_value = "")]
        operator_body: String,
        #[arg(long)]
        opened_on: chrono::NaiveDate,
        #[arg(long)]
        closed_on: Option<chrono::NaiveDate>,
    },
}

pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command {
        Command::Openapi => {
            use std::io::Write;
            std::io::stdout().write_all(crate::openapi::json().as_bytes())?;
        }
        Command::Serve => {
            // Held until the node stops: a restore refuses to swap the database under it.
            let _in_use = crate::ops::backup::serving(&settings)?;
            let app = Application::build(settings).await?;
            tracing::info!(port = app.port(), "attaka listening");
            app.run_until_stopped().await?;
            tracing::info!("attaka stopped");
        }
        Command::Migrate => {
            let store = crate::store::open_common(&settings).await?;
            let applied = store.migrate().await?;
            tracing::info!(applied, "migrations up to date");
        }
        Command::Demo(args) => {
            let node = crate::store::open(&settings).await?;
            node.common().migrate().await?;
            let report = crate::demo::fill(&node, &settings, &args).await?;
            // A node serving this database meanwhile drops its cached figures (decision 0033).
            node.common()
                .append_stats_changes(&[StatsChange::All], chrono::Utc::now())
                .await?;
            let mut out = std::io::stdout().lock();
            use std::io::Write;
            writeln!(out, "{report}")?;
        }
        Command::Generate(args) => {
            let store = crate::store::open_common(&settings).await?;
            store.migrate().await?;
            let report = crate::generate::run(store.clone(), &settings, &args).await?;
            store
                .append_stats_changes(&[StatsChange::All], chrono::Utc::now())
                .await?;
            use std::io::Write;
            writeln!(std::io::stdout().lock(), "{report}")?;
        }
        Command::Bench(args) => {
            let report = crate::bench::run(settings, &args).await?;
            use std::io::Write;
            writeln!(std::io::stdout().lock(), "{report}")?;
        }
        Command::Admin(AdminCommand::CreateUser {
            username,
            display_name,
            role,
            scope,
        }) => {
            let role = Role::parse(&role).with_context(|| format!("unknown role {role:?}"))?;
            let scope = match scope {
                Some(s) => parse_scope(&s)?,
                None => default_scope(role, &settings)?,
            };
            let password = password_from_stdin()?;
            let store = crate::store::open_common(&settings).await?;
            store.migrate().await?;
            if let Some(existing) = store.find_account(username.trim()).await? {
                anyhow::bail!(
                    "an account named {:?} already exists (usernames are case-insensitive); to give it a new password use `attaka admin reset-password --username {}`",
                    existing.username,
                    existing.username
                );
            }
            let new = NewAccount {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                password,
                role,
                scope,
            };
            let row = crate::ops::audit::by_cli("account.create", Some(new.username.clone()), None);
            let account = crate::auth::accounts::create(store.as_ref(), &settings, new, None, row)
                .await
                .map_err(refused)?;
            tracing::info!(id = account.id, username = %account.username, "account created");
        }
        Command::Admin(AdminCommand::Center {
            code,
            name,
            municipality,
            operator_body,
            opened_on,
            closed_on,
        }) => {
            let input = shared::dto::master::CenterInput {
                code,
                name,
                municipality,
                operator_body,
                opened_on,
                closed_on,
            };
            let center = crate::domain::org::Center::parse(&input).map_err(|errors| {
                let lines: Vec<String> = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect();
                anyhow::anyhow!("invalid centre: {}", lines.join("; "))
            })?;
            let store = crate::store::open_common(&settings).await?;
            store.migrate().await?;
            anyhow::ensure!(
                store.codes().await?.is_municipality(&center.municipality),
                "unknown municipality {}",
                center.municipality
            );
            store.upsert_center(&center).await?;
            tracing::info!(code = %center.code, name = %center.name, "centre saved");
        }
        Command::Admin(AdminCommand::Region { file }) => {
            anyhow::ensure!(
                settings.node.role == shared::dto::meta::NodeRole::Hub,
                "regions are kept on the hub (node.role = \"hub\")"
            );
            let text = if file.as_os_str() == "-" {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                s
            } else {
                std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?
            };
            let input: shared::dto::master::RegionInput = serde_json::from_str(&text)
                .context("the file is not a region (see PUT /api/v1/regions/{code})")?;
            let store = crate::store::open_common(&settings).await?;
            store.migrate().await?;
            let invalid = |errors: Vec<shared::error::FieldError>| {
                let lines: Vec<String> = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect();
                anyhow::anyhow!("invalid region: {}", lines.join("; "))
            };
            let region =
                crate::domain::region::Region::parse(&input, &store.codes().await?).map_err(invalid)?;
            let clashes = crate::domain::region::clashes(&region, &store.regions().await?);
            if !clashes.is_empty() {
                return Err(invalid(crate::domain::region::clash_errors(&clashes)));
            }
            let row = crate::ops::audit::by_cli("region.put", Some(region.code.clone()), None);
            store.put_region(&region, row).await?;
            tracing::info!(code = %region.code, name = %region.name, members = region.members.len(), "region saved");
        }
        Command::Admin(AdminCommand::Regions) => {
            let store = crate::store::open_common(&settings).await?;
            store.migrate().await?;
            let views: Vec<_> = store.regions().await?.iter().map(|r| r.to_view()).collect();
            use std::io::Write;
            writeln!(
                std::io::stdout().lock(),
                "{}",
                serde_json::to_string_pretty(&views)?
            )?;
        }
        Command::Admin(AdminCommand::Unlock { username }) => {
            let store = crate::store::open_common(&settings).await?;
            let account = store
                .find_account(&username)
                .await?
                .with_context(|| format!("no account {username:?}"))?;
            let row = crate::ops::audit::by_cli("account.unlock", Some(account.username.clone()), None);
            store.unlock_account(account.id, row).await?;
            tracing::info!(username = %username, "account unlocked");
        }
        Command::Admin(AdminCommand::SetPassword { username }) => {
            set_password(&settings, &username, false).await?;
        }
        Command::Admin(AdminCommand::ResetPassword { username }) => {
            set_password(&settings, &username, true).await?;
        }
        Command::Sync(command) => {
            let report = crate::sync::run_command(command, &settings).await?;
            use std::io::Write;
            writeln!(std::io::stdout().lock(), "{report}")?;
        }
        Command::Audit(AuditCommand::Verify) => {
            let store = crate::store::open_common(&settings).await?;
            store.migrate().await?;
            let report = store.verify_audit_chain().await?;
            if let Some((id, how)) = report.broken_at {
                anyhow::bail!("the audit chain is broken at row {id}: {how}");
            }
            let head = report
                .head
                .map(|(id, hash)| format!("; newest row {id}, hash {hash}"))
                .unwrap_or_default();
            use std::io::Write;
            writeln!(
                std::io::stdout().lock(),
                "audit chain intact: {} rows{head}",
                report.rows
            )?;
        }
        Command::Ops(command) => {
            let store = crate::store::open_common(&settings).await?;
            store.migrate().await?;
            let out = crate::ops::cli::run(store.as_ref(), &settings, command).await?;
            use std::io::Write;
            std::io::stdout().lock().write_all(&out)?;
        }
        Command::Service(command) => {
            let report = crate::service::run_command(command, config.as_deref(), Some(settings)).await?;
            if !report.is_empty() {
                use std::io::Write;
                writeln!(std::io::stdout().lock(), "{report}")?;
            }
        }
        Command::MigrateHub { from, to } => {
            let to = match to {
                Some(to) => to,
                None => settings
                    .sql_server_url()
                    .context("--to is required when database.url does not name SQL Server")?,
            };
            let outcome = crate::ops::migrate_hub::run(&from, &to).await?;
            use std::io::Write;
            write!(std::io::stdout().lock(), "{}", outcome.report)?;
            anyhow::ensure!(
                outcome.differences.is_empty(),
                "the SQL Server database differs from the SQLite one ({} difference(s))",
                outcome.differences.len()
            );
        }
        Command::Privacy(PrivacyCommand::Report {
            kind,
            recipient,
            period,
            steps,
        }) => {
            use crate::stats::extract::ExtractKind;
            use crate::stats::privacy::report::{self, Recipient};
            let kind = match kind.as_str() {
                "participations" => ExtractKind::Participations,
                "persons" => ExtractKind::Persons,
                "activities" => ExtractKind::Activities,
                k => anyhow::bail!("--kind must be participations, persons or activities, not {k:?}"),
            };
            let recipient = Recipient::parse(&recipient).with_context(|| {
                format!("--as must be prefecture, municipality:CODE, integrator or integrator:GRANT, not {recipient:?}")
            })?;
            let period = match period {
                Some(p) => shared::dates::Period::parse(p.trim())
                    .map_err(|e| anyhow::anyhow!("--period {p:?}: {e}"))?,
                None => {
                    let fy = shared::dates::fiscal_year(crate::domain::clock::today_jst()) - 1;
                    shared::dates::Period::fiscal_year(fy).map_err(|e| anyhow::anyhow!("{e}"))?
                }
            };
            let store = crate::store::open_common(&settings).await?;
            store.migrate().await?;
            let found = report::run(store, kind, &recipient, period.from(), period.to(), steps).await?;
            use std::io::Write;
            write!(std::io::stdout().lock(), "{found}")?;
        }
        Command::Backup(command) => {
            let report = backup_command(command, &settings).await?;
            use std::io::Write;
            writeln!(std::io::stdout().lock(), "{report}")?;
        }
    }
    Ok(())
}

/// A password given on stdin (its line break taken off).
fn password_from_stdin() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("reading the password from stdin")?;
    Ok(password.trim_end_matches(['\r', '\n']).to_owned())
}

/// A refusal as the operator should read it: each field with its message.
fn refused(e: crate::error::ApiError) -> anyhow::Error {
    match e {
        crate::error::ApiError::Validation(errors) => {
            let lines: Vec<String> = errors
                .iter()
                .map(|f| format!("  {}: {} ({})", f.field, f.message, f.code))
                .collect();
            anyhow::anyhow!("refused:\n{}", lines.join("\n"))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

/// `admin set-password` / `admin reset-password`: the password policy applies, the account's
/// sessions end, and the change is audited as the command line's.
async fn set_password(settings: &Settings, username: &str, must_change: bool) -> anyhow::Result<()> {
    let password = password_from_stdin()?;
    let store = crate::store::open_common(settings).await?;
    store.migrate().await?;
    let account = store
        .find_account(username.trim())
        .await?
        .with_context(|| format!("no account {username:?}"))?;
    let action = if must_change {
        "account.password_reset"
    } else {
        "account.password_set"
    };
    // The command line's row (actor `cli`) commits with the change.
    let row = crate::ops::audit::by_cli(
        action,
        Some(account.username.clone()),
        Some(serde_json::json!({"by": "command line"})),
    );
    crate::auth::accounts::set_password(store.as_ref(), None, &account, &password, must_change, row)
        .await
        .map_err(refused)?;
    tracing::info!(username = %account.username, must_change, "password set; the account's sessions have ended");
    Ok(())
}

fn parse_scope(s: &str) -> anyhow::Result<Scope> {
    match s.split_once(':') {
        None if s == "prefecture" => Ok(Scope::Prefecture),
        Some(("municipality", code)) => Ok(Scope::Municipality(code.to_owned())),
        Some(("region", code)) => Ok(Scope::Region(code.to_owned())),
        Some(("center", code)) => Ok(Scope::Center(code.to_owned())),
        _ => anyhow::bail!("scope must be prefecture, municipality:CODE, region:CODE or center:CODE"),
    }
}

fn default_scope(role: Role, settings: &Settings) -> anyhow::Result<Scope> {
    match role {
        Role::Prefecture | Role::Operator => Ok(Scope::Prefecture),
        Role::CenterStaff | Role::CenterAdmin => settings
            .node
            .center
            .clone()
            .map(Scope::Center)
            .context("--scope center:CODE is required on a hub"),
        Role::Municipality | Role::Region | Role::Integrator => {
            anyhow::bail!("--scope is required for role {}", role.as_str())
        }
    }
}

/// The generations a restore passes over, a line each.
fn passed_over(skipped: &[(String, String)]) -> String {
    skipped
        .iter()
        .map(|(name, reason)| format!("\n  passed over {name}: {reason}"))
        .collect()
}

async fn backup_command(command: BackupCommand, settings: &Settings) -> anyhow::Result<String> {
    use crate::ops::backup;
    let dir = settings.backup_dir();
    Ok(match command {
        BackupCommand::Run => {
            let store = crate::store::open_common(settings).await?;
            store.migrate().await?;
            let made = backup::run_once(store.as_ref(), settings).await?;
            format!("backup made and verified: {}", made.path.display())
        }
        BackupCommand::List => {
            let engine = crate::store::backup_engine(settings)?;
            let all = backup::generations(&dir)?;
            if all.is_empty() {
                return Ok(format!("no backup in {}", dir.display()));
            }
            let lines: Vec<String> = all
                .iter()
                .map(|g| match g.check(engine.as_ref()) {
                    Ok(()) => format!("{}  ok", g.path.display()),
                    Err(reason) => format!("{}  UNUSABLE: {reason}", g.path.display()),
                })
                .collect();
            lines.join("\n")
        }
        BackupCommand::Restore { yes: false } => {
            let engine = crate::store::backup_engine(settings)?;
            let (from, skipped) = backup::choose(engine.as_ref(), &dir)?;
            format!(
                "would restore from {}{}\nstop the node, then run again with --yes",
                from.path.display(),
                passed_over(&skipped)
            )
        }
        BackupCommand::Restore { yes: true } => {
            let done = backup::restore_configured(settings).await?;
            let previous = done
                .previous
                .map(|p| format!("\nthe database it replaced is kept as {}", p.display()))
                .unwrap_or_default();
            format!(
                "restored from {}{}{previous}",
                done.from.path.display(),
                passed_over(&done.skipped)
            )
        }
    })
}
