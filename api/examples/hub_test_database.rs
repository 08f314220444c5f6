//! Test support for `scripts/run.sh --check` (not shipped with the node): the hub's SQL Server
//! database for the run check, made the way the store and HTTP tests make theirs
//! (`api::store::mssql::testing::fresh_database` on `ATTAKA_TEST_MSSQL_URL`: a new `attaka_t_…`
//! database where the login may create one, else the configured database emptied and held under
//! the tests' application lock), so the check never collides with tests running at the same time.
//!
//! - `hub_test_database hold`: prints the database's URL on the first line of stdout and a
//!   description (its name and the server's `@@VERSION`, no password) on the second, then keeps
//!   the database until stdin closes, and drops it (or lets the next test have it).
//! - `hub_test_database scan WORD…`: with the URL in `ATTAKA_HUB_DATABASE_URL`, looks for each
//!   word in every cell of every table the store creates; prints where it found one and exits 1,
//!   or exits 0 when none holds any (the check that the hub keeps no name or kana).

use std::io::{Read, Write};
use std::process::ExitCode;

use api::store::mssql::testing;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let result = match args.first().map(String::as_str) {
        Some("hold") => runtime.block_on(hold()),
        Some("scan") if args.len() > 1 => runtime.block_on(scan(&args[1..])),
        _ => Err(anyhow::anyhow!("usage: hub_test_database hold | scan WORD…")),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hub_test_database: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn hold() -> anyhow::Result<ExitCode> {
    let base = testing::test_url().ok_or_else(|| anyhow::anyhow!("{} is not set", testing::ENV))?;
    let (url, guard) = testing::fresh_database(&base).await?;
    let version = testing::rows_as_text(&url, "SELECT @@VERSION").await?;
    let version = version
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .unwrap_or_default();
    let version = version.lines().next().unwrap_or("").trim().to_owned();
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{url}")?;
        writeln!(out, "database {} on {version}", guard.name())?;
        out.flush()?;
    }
    // Until the caller closes our stdin (or goes away).
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
    guard.drop_now().await;
    Ok(ExitCode::SUCCESS)
}

async fn scan(words: &[String]) -> anyhow::Result<ExitCode> {
    let url = std::env::var("ATTAKA_HUB_DATABASE_URL")
        .map_err(|_| anyhow::anyhow!("ATTAKA_HUB_DATABASE_URL is not set"))?;
    let present: Vec<String> = testing::rows_as_text(&url, "SELECT name FROM sys.tables")
        .await?
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect();
    let mut found = false;
    // The store's tables this database has (`attaka migrate-hub`'s own appear only after a copy).
    for table in testing::store_tables()
        .into_iter()
        .filter(|t| present.iter().any(|p| p.eq_ignore_ascii_case(t)))
    {
        // The names come from migrations/sqlserver, never from input.
        let rows = testing::rows_as_text(&url, &format!("SELECT * FROM [{table}]")).await?;
        for cell in rows.iter().flatten().flatten() {
            if let Some(word) = words.iter().find(|w| cell.contains(w.as_str())) {
                writeln!(std::io::stdout(), "{table}: a cell holds {word}")?;
                found = true;
            }
        }
    }
    Ok(if found {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
