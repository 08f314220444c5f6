//! `attaka`: telemetry → configuration → command.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = api::cli::Cli::parse();
    if let api::cli::Command::Openapi = cli.command {
        // Needs no configuration: the spec is a property of the code.
        use std::io::Write;
        std::io::stdout().write_all(api::openapi::json().as_bytes())?;
        return Ok(());
    }
    let settings = api::config::Settings::load(cli.config.as_deref())?;
    api::telemetry::init(&settings.log.level, &settings.log.format);
    api::cli::run(cli, settings).await
}
