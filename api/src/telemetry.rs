//! Logging: human-readable lines in a terminal, JSON lines when configured; on a serving node
//! also JSON lines in a file per day (UTC), kept `log.keep_days`.

use std::io::IsTerminal;
use std::path::Path;

use tracing_appender::non_blocking::{NonBlocking, WorkerGuard};
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

/// Installs the global subscriber, console only. `RUST_LOG` overrides `level` when set.
pub fn init(level: &str, format: &str) {
    install(level, format, None);
}

/// As [`init`], and also `attaka.YYYY-MM-DD.log` in `dir` (JSON lines, a new file each UTC
/// day), deleting the oldest beyond `keep_days` files. Keep the guard until the process ends:
/// dropping it flushes the last lines.
pub fn init_with_files(
    level: &str,
    format: &str,
    dir: &Path,
    keep_days: usize,
) -> anyhow::Result<WorkerGuard> {
    crate::ops::files::create_owner_only_dir(dir)?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("attaka")
        .filename_suffix("log")
        .max_log_files(keep_days)
        .build(dir)?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    install(level, format, Some(writer));
    Ok(guard)
}

fn install(level: &str, format: &str, file: Option<NonBlocking>) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let file_layer = file.map(|writer| {
        fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_ansi(false)
            .with_writer(writer)
    });
    let registry = tracing_subscriber::registry().with(filter).with(file_layer);
    // A second init (tests spawn many apps in one process) is harmless: keep the first.
    let _ = if format == "json" {
        registry
            .with(fmt::layer().json().with_current_span(true).with_span_list(false))
            .try_init()
    } else {
        registry
            // Colours only for a person at a terminal, not in a log file (scripts/run.sh).
            .with(
                fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::stderr().is_terminal()),
            )
            .try_init()
    };
}
