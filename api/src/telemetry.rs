//! Logging: human-readable lines in a terminal, JSON lines when configured.

use std::io::IsTerminal;

use tracing_subscriber::{fmt, prelude::*, EnvFilter};

/// Installs the global subscriber. `RUST_LOG` overrides `level` when set.
pub fn init(level: &str, format: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let registry = tracing_subscriber::registry().with(filter);
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
