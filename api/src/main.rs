//! `attaka`: telemetry → configuration → command.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Before anything is created: the database, its WAL, backups and logs are owner-only.
    api::ops::files::owner_only_from_now_on();
    let cli = api::cli::Cli::parse();
    if let api::cli::Command::Openapi = cli.command {
        // Needs no configuration: the spec is a property of the code.
        use std::io::Write;
        std::io::stdout().write_all(api::openapi::json().as_bytes())?;
        return Ok(());
    }
    if let api::cli::Command::Service(command) = cli.command {
        if !command.needs_settings() {
            // Talks to the Windows service manager only: works whatever the configuration holds.
            api::telemetry::init("info", "pretty");
            let report = api::service::run_command(command, None, None).await?;
            use std::io::Write;
            writeln!(std::io::stdout().lock(), "{report}")?;
            return Ok(());
        }
    }
    let settings = api::config::Settings::load(cli.config.as_deref())?;
    let log = &settings.log;
    // Kept until the end: dropping it writes out the last lines.
    let _files = if log.files {
        Some(api::telemetry::init_with_files(
            &log.level,
            &log.format,
            &settings.log_dir(),
            log.keep_days,
        )?)
    } else {
        api::telemetry::init(&log.level, &log.format);
        None
    };
    api::cli::run(cli, settings).await
}
