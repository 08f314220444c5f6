//! `attaka bench`: on a (generated) database, starts the real server on 127.0.0.1:0, signs in
//! as a prefecture officer and times the standard `/stats` questions through HTTP, each beside
//! the same aggregation as plain SQL on the same database (the floor); then times CSV
//! extraction of participations and watches the process's memory. Writes a Markdown report.
//! A command, not a test: it needs a big database and a quiet machine.

mod http;
mod load;
mod report;

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use shared::dto::auth::{NewAccount, Role, Scope};

use crate::config::Settings;
use crate::startup::Application;
use crate::store::sqlite::floor::{self, Question};
use report::{Extraction, Timed};

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Timed runs of each standard query, through HTTP and as plain SQL.
    #[arg(long, default_value_t = 30)]
    pub runs: usize,
    /// Untimed runs first (warm caches, prepared statements).
    #[arg(long, default_value_t = 3)]
    pub warmup: usize,
    /// The fiscal year the standard queries look at (default: the last complete one).
    #[arg(long)]
    pub fiscal_year: Option<i32>,
    /// The centre whose months are asked for.
    #[arg(long, default_value = "C001")]
    pub center: String,
    /// Fiscal years of participations extracted for the throughput run (ending with the
    /// fiscal year above); six years of prefecture data are over a million rows.
    #[arg(long, default_value_t = 6)]
    pub extract_years: i32,
    /// Only the extraction runs (e.g. under a profiler).
    #[arg(long)]
    pub extract_only: bool,
    /// Only the questions, no extraction runs.
    #[arg(long, conflicts_with = "extract_only")]
    pub queries_only: bool,
    /// Keep the `/stats` result cache on (decision 0029). Off by default, so every timed run
    /// computes its answer; on, the runs after the first time the cache.
    #[arg(long)]
    pub cache: bool,
    /// A SQL Server (or Babelfish) where the benchmark may take a scratch database, as the
    /// tests do (`sqlserver://…` or `Server=…;…`): a new `attaka_t_…` database dropped
    /// afterwards, or on a single-database Babelfish the named database itself, emptied of the
    /// store's tables and held under the tests' lock for the run. The SQLite hub is copied
    /// into it (`attaka migrate-hub`, with its checks) and every question is also timed through
    /// HTTP against a second hub on it, beside the SQLite hub on the same facts.
    #[arg(long, value_name = "URL")]
    pub sql_server: Option<String>,
    /// Concurrency runs: simulated users at once, one run per number (e.g. `50,200`), against
    /// the SQLite hub with the result cache on, as served.
    #[arg(long, value_delimiter = ',')]
    pub users: Vec<usize>,
    /// Seconds each concurrency run lasts.
    #[arg(long, default_value_t = 60)]
    pub load_seconds: u64,
    /// A simulated user's think time between questions, uniform between these (ms).
    #[arg(long, default_value_t = 1000)]
    pub think_min_ms: u64,
    #[arg(long, default_value_t = 5000)]
    pub think_max_ms: u64,
}

/// One standard question: its `/stats` query string and, for the first four, its floor.
struct Standard {
    name: &'static str,
    query: String,
    question: Option<Question>,
    from: String,
    to: String,
    /// The fiscal years it covers.
    years: (i32, i32),
}

fn standards(fy: i32, center: &str) -> Vec<Standard> {
    let (from, to) = shared::dates::fiscal_year_range(fy);
    let (trend_from, _) = shared::dates::fiscal_year_range(fy - 4);
    let (from, to, trend_from) = (from.to_string(), to.to_string(), trend_from.to_string());
    vec![
        Standard {
            name: "(a) prefecture FY × municipality × function, 実利用者, totals",
            query: format!("measures=participations,unique_persons&rows=municipality,function&period=FY{fy}&totals=true"),
            question: Some(Question::MunicipalityFunction),
            from: from.clone(),
            to: to.clone(),
            years: (fy, fy),
        },
        Standard {
            name: "(b) one centre's months of one FY, totals",
            query: format!(
                "measures=participations,unique_persons,activities,open_days&rows=month&period=FY{fy}&filter=center:{center}&totals=true"
            ),
            question: Some(Question::CenterMonths {
                center: center.to_owned(),
            }),
            from: from.clone(),
            to: to.clone(),
            years: (fy, fy),
        },
        Standard {
            name: "(c) FY × age band × category, totals",
            query: format!("measures=participations,unique_persons&rows=age_band,category&period=FY{fy}&totals=true"),
            question: Some(Question::AgeBandCategory),
            from: from.clone(),
            to: to.clone(),
            years: (fy, fy),
        },
        Standard {
            name: "(d) five-year trend by fiscal year",
            query: format!("measures=participations,unique_persons&rows=fiscal_year&from={trend_from}&to={to}"),
            question: Some(Question::FiscalYears),
            from: trend_from.clone(),
            to: to.clone(),
            years: (fy - 4, fy),
        },
        // Issue 15: periods other than whole fiscal years (no hand-written floor; the DuckDB
        // script in bench/ answers them on the same facts).
        Standard {
            name: "(e) FY by month, prefecture-wide, totals",
            query: format!("measures=participations,unique_persons&rows=month&period=FY{fy}&totals=true"),
            ..no_floor()
        },
        Standard {
            name: "(f) one month × centre × function",
            query: format!("measures=participations,unique_persons&rows=center,function&period={fy}-06"),
            ..no_floor()
        },
        Standard {
            name: "(g) FY quarter by centre, totals",
            query: format!("measures=participations,unique_persons&rows=center&period=FY{fy}Q1&totals=true"),
            ..no_floor()
        },
        Standard {
            name: "(h) five years by month",
            query: format!("measures=participations,unique_persons&rows=month&from={trend_from}&to={to}"),
            ..no_floor()
        },
        Standard {
            name: "(i) half year (Apr–Sep) by municipality, totals",
            query: format!(
                "measures=participations,unique_persons&rows=municipality&from={fy}-04-01&to={fy}-09-30&totals=true"
            ),
            ..no_floor()
        },
        // Issue 15 again: a free range whose first and last months are partial (decision 0030:
        // whole months from the month aggregates, the edge days from the facts).
        Standard {
            name: "(j) free range (10 May – 20 Aug) by month, totals",
            query: format!("measures=participations,unique_persons&rows=month&from={fy}-05-10&to={fy}-08-20&totals=true"),
            ..no_floor()
        },
    ]
}

fn no_floor() -> Standard {
    Standard {
        name: "",
        query: String::new(),
        question: None,
        from: String::new(),
        to: String::new(),
        years: (0, 0),
    }
}

/// The `/stats` JSON as cells by dimension codes, and its totals' measures.
fn cells(body: &[u8]) -> anyhow::Result<floor::Answer> {
    let r: shared::dto::stats::StatsResponse = serde_json::from_slice(body).context("a /stats answer")?;
    let dims = r
        .columns
        .iter()
        .filter(|c| c.kind == shared::dto::stats::ColumnKind::Dimension)
        .count();
    let value = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
    let rows = r
        .rows
        .iter()
        .map(|row| {
            let key = row[..dims]
                .iter()
                .map(|v| v.as_str().unwrap_or("").to_owned())
                .collect();
            (key, row[dims..].iter().map(value).collect())
        })
        .collect();
    let totals = r.totals.map(|t| t[dims..].iter().map(value).collect());
    Ok((rows, totals))
}

/// The SQLite file behind the configured database URL.
fn sqlite_path(settings: &Settings) -> anyhow::Result<String> {
    let url = settings.database_url();
    match url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        Some(p) => Ok(p.to_owned()),
        None => bail!("the benchmark runs on SQLite; the database URL is {url:?}"),
    }
}

/// A prefecture officer's account for the run, with a fresh random password; returns it.
async fn officer(
    store: &dyn crate::store::CommonStore,
    settings: &Settings,
) -> anyhow::Result<(String, String)> {
    let username = "bench-prefecture".to_owned();
    let password = crate::auth::tokens::random_token("bench-")?;
    match store.find_account(&username).await? {
        Some(a) => {
            store
                .set_password(a.id, &crate::auth::password::hash(&password)?)
                .await?;
            let row = crate::ops::audit::by_cli("account.unlock", Some(username.clone()), None);
            store.unlock_account(a.id, row).await?;
        }
        None => {
            let new = NewAccount {
                username: username.clone(),
                display_name: "ベンチマーク（県）".into(),
                password: password.clone(),
                role: Role::Prefecture,
                scope: Scope::Prefecture,
            };
            let row = crate::ops::audit::by_cli("account.create", Some(username.clone()), None);
            crate::auth::accounts::create(store, settings, new, None, row)
                .await
                .map_err(|e| anyhow::anyhow!("creating the benchmark account: {e}"))?;
        }
    }
    Ok((username, password))
}

/// One timed `/stats` request; anything but 200 is an error.
async fn timed_get(hub: &mut Hub, url: &str) -> anyhow::Result<(Duration, Vec<u8>)> {
    let t = Instant::now();
    let (status, body) = hub.client.get(url, &hub.token).await?;
    let took = t.elapsed();
    anyhow::ensure!(status == 200, "{url} answered {status}");
    Ok((took, body))
}

async fn login(client: &mut http::Client, username: &str, password: &str) -> anyhow::Result<String> {
    let body = serde_json::to_vec(&shared::dto::auth::LoginRequest {
        username: username.to_owned(),
        password: password.to_owned(),
    })?;
    let mut answer = Vec::new();
    let status = client
        .send("POST", "/api/v1/auth/login", None, Some(&body), &mut |b| {
            answer.extend_from_slice(b)
        })
        .await?;
    anyhow::ensure!(status == 200, "login answered {status}");
    let token: shared::dto::auth::TokenResponse = serde_json::from_slice(&answer)?;
    Ok(token.access_token)
}

/// Extracts participations over `[from, to]` through HTTP, counting rows as they stream and
/// sampling the process's resident memory meanwhile.
async fn extraction(
    client: &mut http::Client,
    token: &str,
    label: &str,
    query: String,
    known_rows: Option<u64>,
) -> anyhow::Result<Option<Extraction>> {
    report::reset_peak_memory();
    let (rss_before, anon_before) = report::memory();
    let peaks = std::sync::Arc::new((
        std::sync::atomic::AtomicU64::new(rss_before),
        std::sync::atomic::AtomicU64::new(anon_before),
    ));
    let sampler = {
        let peaks = peaks.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            loop {
                tick.tick().await;
                let (rss, anon) = report::memory();
                peaks.0.fetch_max(rss, std::sync::atomic::Ordering::Relaxed);
                peaks.1.fetch_max(anon, std::sync::atomic::Ordering::Relaxed);
            }
        })
    };
    let (mut lines, mut bytes) = (0u64, 0u64);
    let started = Instant::now();
    let status = client
        .send(
            "GET",
            &format!("/api/v1/extracts/participations?{query}"),
            Some(token),
            None,
            &mut |b| {
                bytes += b.len() as u64;
                lines += b.iter().filter(|&&c| c == b'\n').count() as u64;
            },
        )
        .await?;
    let elapsed = started.elapsed();
    sampler.abort();
    // A workbook of more rows than one sheet holds is refused (decision 0027); on ten years
    // of data the default six years are over that, and the CSV timings still stand.
    if status == 413 && query.contains("format=xlsx") {
        return Ok(None);
    }
    anyhow::ensure!(status == 200, "extraction answered {status}");
    let relaxed = std::sync::atomic::Ordering::Relaxed;
    Ok(Some(Extraction {
        label: label.to_owned(),
        // A workbook is compressed: its rows are those of the same request as CSV.
        rows: known_rows.unwrap_or(lines.saturating_sub(1)),
        bytes,
        elapsed,
        rss_before,
        rss_peak: peaks.0.load(relaxed).max(report::peak_memory()),
        anon_before,
        anon_peak: peaks.1.load(relaxed),
    }))
}

/// A hub of the run: its server task, a client and an officer's token.
struct Hub {
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    client: http::Client,
    token: String,
}

/// Starts the real server on `node` (already migrated) and signs in as the benchmark's officer.
async fn start_hub(settings: &Settings, node: crate::store::NodeStore) -> anyhow::Result<Hub> {
    let (username, password) = officer(node.common().as_ref(), settings).await?;
    let app = Application::build_with_store(settings.clone(), node).await?;
    let address = format!("127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let mut client = http::Client::new(address);
    let token = login(&mut client, &username, &password).await?;
    Ok(Hub {
        server,
        client,
        token,
    })
}

/// The SQL Server side of a run: a scratch database loaded from the SQLite hub, a hub on it.
struct SqlServerSide {
    hub: Hub,
    /// Holds the scratch database (or the shared one's lock) until the run ends.
    guard: crate::store::mssql::testing::DropGuard,
    info: report::SqlServerInfo,
}

async fn sql_server_side(settings: &Settings, base: &str, sqlite: &str) -> anyhow::Result<SqlServerSide> {
    use crate::store::mssql::testing;
    tracing::info!("taking a scratch database on the SQL Server");
    let (url, guard) = testing::fresh_database(base).await?;
    let version = testing::rows_as_text(&url, "SELECT @@VERSION")
        .await?
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
        .unwrap_or_default();
    tracing::info!(database = guard.name(), "copying the SQLite hub (migrate-hub)");
    let loading = Instant::now();
    let outcome = crate::ops::migrate_hub::run(sqlite, &url).await?;
    let loaded = loading.elapsed();
    anyhow::ensure!(
        outcome.differences.is_empty(),
        "the SQL Server copy differs from the SQLite hub: {:?}",
        outcome.differences
    );
    let mut ms = settings.clone();
    ms.database.url = Some(url);
    let node = crate::store::open(&ms).await?;
    anyhow::ensure!(
        node.common().migrate().await? == 0,
        "migrate-hub left migrations to apply"
    );
    let hub = start_hub(&ms, node).await?;
    Ok(SqlServerSide {
        hub,
        info: report::SqlServerInfo {
            version: version.split_whitespace().collect::<Vec<_>>().join(" "),
            database: guard.name().to_owned(),
            rows_copied: outcome.copied.iter().map(|(_, n)| n).sum(),
            tables: outcome.copied.len(),
            questions_checked: outcome.questions,
            loaded,
        },
        guard,
    })
}

/// The concurrency runs, on a hub of their own on the same store with the result cache on.
async fn concurrency(
    settings: &Settings,
    node: &crate::store::NodeStore,
    db: &rusqlite::Connection,
    args: &BenchArgs,
) -> anyhow::Result<report::Load> {
    let (centers, years) = floor::centers_and_years(db)?;
    let (first, last) = years.context("no activities to ask about")?;
    let mix = std::sync::Arc::new(load::mix(first, last, &centers));
    let mut served = settings.clone();
    served.stats.cache.enabled = true;
    let hub = start_hub(&served, node.clone()).await?;
    let addr = hub.client.addr().to_owned();
    let load_settings = |users| load::LoadSettings {
        users,
        duration: Duration::from_secs(args.load_seconds),
        think: (
            Duration::from_millis(args.think_min_ms),
            Duration::from_millis(args.think_max_ms),
        ),
        timeout: Duration::from_secs(30),
        max_retries: 10,
    };
    let mut out = report::Load {
        questions: mix.len(),
        settings: load_settings(0),
        pool: served.stats.pool.clone(),
        runs: Vec::new(),
    };
    for &users in &args.users {
        tracing::info!(users, "concurrency run");
        out.runs
            .push(load::run(&addr, &hub.token, mix.clone(), &load_settings(users)).await);
    }
    hub.server.abort();
    Ok(out)
}

/// Runs the benchmark; returns the Markdown report.
pub async fn run(mut settings: Settings, args: &BenchArgs) -> anyhow::Result<String> {
    let path = sqlite_path(&settings)?;
    settings.server.listen = "127.0.0.1:0".parse()?;
    settings.stats.cache.enabled = args.cache;
    // Long enough that the access token outlives the run.
    settings.auth.access_token_minutes = settings.auth.access_token_minutes.max(600);
    let fy = args
        .fiscal_year
        .unwrap_or_else(|| shared::dates::fiscal_year(crate::domain::clock::today_jst()) - 1);

    let node = crate::store::open(&settings).await?;
    let store = node.common();
    let migrating = Instant::now();
    let applied = store.migrate().await?;
    let migrated = migrating.elapsed();
    // The officer first, so the SQL Server copy has the account too.
    officer(store.as_ref(), &settings).await?;
    floor::settle(&path)?;
    let mut sqlite_hub = start_hub(&settings, node.clone()).await?;
    let db = floor::open(&path)?;
    let mut report = report::Report::new(&path, &db, fy, args.runs, applied, migrated)?;
    report.cache = args.cache;
    let mut sql_server = match &args.sql_server {
        Some(base) => Some(sql_server_side(&settings, base, &path).await?),
        None => None,
    };
    if let Some(side) = &sql_server {
        report.sql_server = Some(side.info.clone());
    }

    let questions = if args.extract_only {
        Vec::new()
    } else {
        standards(fy, &args.center)
    };
    for s in questions {
        tracing::info!(query = s.name, "timing");
        let url = format!("/api/v1/stats?{}", s.query);
        // All are interleaved, so a busy moment on a shared machine hits them alike.
        let (mut http, mut floor_times, mut years_times, mut ms_times) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut last, mut ms_last) = (Vec::new(), None);
        let mut answer: Option<floor::Answer> = None;
        let mut from_years: Option<floor::Answer> = None;
        for i in 0..args.warmup + args.runs {
            let timed = i >= args.warmup;
            let (took, body) = timed_get(&mut sqlite_hub, &url).await?;
            if timed {
                http.push(took);
            }
            last = body;
            if let Some(side) = sql_server.as_mut() {
                let (took, body) = timed_get(&mut side.hub, &url).await?;
                if timed {
                    ms_times.push(took);
                }
                ms_last = Some(body);
            }
            if let Some(q) = &s.question {
                let t = Instant::now();
                answer = Some(floor::answer(&db, q, &s.from, &s.to)?);
                if timed {
                    floor_times.push(t.elapsed());
                }
                let t = Instant::now();
                from_years = floor::answer_from_years(&db, q, s.years.0, s.years.1)?;
                if timed && from_years.is_some() {
                    years_times.push(t.elapsed());
                }
            }
        }
        let http_answer = cells(&last)?;
        let same_as_floor = answer
            .as_ref()
            .is_none_or(|a| http_answer == *a && from_years.as_ref().is_none_or(|y| y == a));
        let sql_server_same = match &ms_last {
            Some(body) => Some(cells(body)? == http_answer),
            None => None,
        };
        report.queries.push(Timed {
            name: s.name.to_owned(),
            query: s.query.clone(),
            http,
            rows: http_answer.0.len(),
            same: same_as_floor,
            floor: answer.is_some().then_some(floor_times),
            floor_years: from_years.map(|_| years_times),
            sql_server: sql_server.as_ref().map(|_| ms_times),
            sql_server_same,
        });
    }
    if let Some(side) = sql_server.take() {
        side.hub.server.abort();
        side.guard.drop_now().await;
    }
    if !args.users.is_empty() {
        report.load = concurrency(&settings, &node, &db, args).await?;
    }
    if args.queries_only {
        sqlite_hub.server.abort();
        return Ok(report.to_markdown());
    }
    let (client, token) = (&mut sqlite_hub.client, sqlite_hub.token.clone());

    let (last_day, first_fy) = (
        shared::dates::fiscal_year_range(fy).1,
        fy - args.extract_years + 1,
    );
    let first_day = shared::dates::fiscal_year_range(first_fy).0;
    let range = format!("from={first_day}&to={last_day}");
    for (label, query) in [
        (
            format!("FY{fy} only, labels=code"),
            format!("period=FY{fy}&labels=code&encoding=utf-8"),
        ),
        (
            format!("FY{first_fy}–FY{fy}, labels=code (integrator)"),
            format!("{range}&labels=code&encoding=utf-8"),
        ),
        (
            format!("FY{first_fy}–FY{fy}, default CSV (BOM, Japanese labels)"),
            range.clone(),
        ),
        (
            format!("FY{first_fy}–FY{fy}, xlsx (Japanese labels, header block)"),
            format!("{range}&format=xlsx"),
        ),
    ] {
        tracing::info!(extract = %label, "timing");
        let known = query
            .contains("format=xlsx")
            .then(|| report.extractions.last().map(|e| e.rows))
            .flatten();
        match extraction(client, &token, &label, query, known).await? {
            Some(timed) => report.extractions.push(timed),
            None => {
                let why = format!(
                    "{label}: {} rows do not fit one sheet (the server answered 413)",
                    known.map_or("its".into(), |r| r.to_string())
                );
                tracing::warn!(%why, "extraction skipped");
                report.skipped.push(why);
            }
        }
    }
    sqlite_hub.server.abort();
    Ok(report.to_markdown())
}
