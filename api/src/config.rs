//! Layered configuration: defaults, then a TOML file, then `ATTAKA_…` environment variables.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use shared::dto::meta::NodeRole;

/// A configured secret: never printed by `Debug` (shown as `[REDACTED]`), wiped when dropped.
/// Read it with [`ExposeSecret::expose_secret`] where it is used, and nowhere else.
pub type Secret = SecretString;

/// The text of an optional secret, blank treated as absent.
pub fn secret_text(secret: &Option<Secret>) -> Option<&str> {
    secret
        .as_ref()
        .map(|s| s.expose_secret())
        .filter(|s| !s.trim().is_empty())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub node: NodeSettings,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub log: LogSettings,
    pub stats: StatsSettings,
    /// Centre nodes: delivery of the outbox to the prefecture hub (off unless configured).
    #[serde(default)]
    pub sync: SyncSettings,
    /// The optional duplicate hint (off unless the prefecture turns it on).
    #[serde(default)]
    pub duplicate_hint: DuplicateHintSettings,
    /// When the nightly jobs run (backup, audit retention and chain check).
    #[serde(default)]
    pub daily: DailySettings,
    /// Daily backups of the database in generations.
    #[serde(default)]
    pub backup: BackupSettings,
    /// Audit log retention.
    #[serde(default)]
    pub audit: AuditSettings,
    /// The uptime ledger and the 稼働率 target.
    #[serde(default)]
    pub uptime: UptimeSettings,
    /// Conditions watched while serving (disk space, failed logins).
    #[serde(default)]
    pub watch: WatchSettings,
    /// Failure e-mail to the operator (off unless an SMTP server is configured).
    #[serde(default)]
    pub mail: MailSettings,
    /// The operations log's service levels (the maintenance contract's).
    #[serde(default)]
    pub ops: OpsSettings,
}

/// `[ops]`: the contract's service-level clocks (wall-clock hours) and how early an open item is
/// shown as due soon on the operator's home screen and mailed once.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct OpsSettings {
    /// First answer to an inquiry within this many hours.
    pub inquiry_answer_hours: u32,
    /// First triage (一次切り分け) of an incident within this many hours.
    pub incident_triage_hours: u32,
    /// An open item is due soon (and mailed) this many minutes before its limit.
    pub warn_before_minutes: u32,
}

impl Default for OpsSettings {
    fn default() -> Self {
        OpsSettings {
            inquiry_answer_hours: 24,
            incident_triage_hours: 12,
            warn_before_minutes: 180,
        }
    }
}

impl OpsSettings {
    pub fn sla(&self) -> crate::domain::ops_log::sla::SlaPolicy {
        crate::domain::ops_log::sla::SlaPolicy {
            inquiry_hours: self.inquiry_answer_hours,
            incident_hours: self.incident_triage_hours,
            warn_before: chrono::Duration::minutes(i64::from(self.warn_before_minutes)),
        }
    }
}

/// `[mail]`: every alert event is mailed once to the operator.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct MailSettings {
    /// `smtp://host:25` (plain; add `?tls=required` for STARTTLS), `smtps://user:pass@host:465`.
    /// Better in `ATTAKA_MAIL__SMTP_URL` when it holds a password. None: no mail.
    pub smtp_url: Option<Secret>,
    pub from: String,
    /// The operator's addresses.
    pub to: Vec<String>,
    /// How often unmailed alerts are looked for (and a failed send is tried again).
    pub interval_ms: u64,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            smtp_url: None,
            from: "attaka@localhost".into(),
            to: Vec::new(),
            interval_ms: 60_000,
        }
    }
}

/// `[daily]`: the nightly jobs of a serving node (`ops::daily`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct DailySettings {
    /// Time of day, Japan time, `HH:MM`.
    pub at: String,
}

impl Default for DailySettings {
    fn default() -> Self {
        DailySettings { at: "02:30".into() }
    }
}

impl DailySettings {
    pub fn time_of_day(&self) -> anyhow::Result<chrono::NaiveTime> {
        chrono::NaiveTime::parse_from_str(self.at.trim(), "%H:%M")
            .map_err(|_| anyhow::anyhow!("daily.at must be HH:MM, not {:?}", self.at))
    }
}

/// `[uptime]`: how often a serving node notes it is up, and the monthly target.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct UptimeSettings {
    pub heartbeat_ms: u64,
    /// The contract's monthly 稼働率, as a fraction.
    pub target: f64,
}

impl Default for UptimeSettings {
    fn default() -> Self {
        UptimeSettings {
            heartbeat_ms: 60_000,
            target: 0.95,
        }
    }
}

/// `[watch]`: what a serving node checks every `interval_ms` (each an alert event).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct WatchSettings {
    pub interval_ms: u64,
    /// `disk_low` below this many MB free (database, logs or backups)…
    pub disk_min_free_mb: u64,
    /// …or below this share free.
    pub disk_min_free_percent: f64,
    /// `login_burst` at this many failed logins…
    pub login_failures: u32,
    /// …within this many minutes.
    pub login_window_minutes: u32,
}

impl Default for WatchSettings {
    fn default() -> Self {
        WatchSettings {
            interval_ms: 300_000,
            disk_min_free_mb: 1024,
            disk_min_free_percent: 5.0,
            login_failures: 20,
            login_window_minutes: 10,
        }
    }
}

/// `[audit]`: how long audit rows are kept.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct AuditSettings {
    /// Rows older than this many days are removed by the nightly jobs; at least 366.
    pub keep_days: u32,
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings { keep_days: 400 }
    }
}

/// `[backup]`: the daily backup `attaka serve` makes (and `attaka backup run` makes at once).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct BackupSettings {
    /// Make the daily backup while serving.
    pub enabled: bool,
    /// Where the generations go; default `<data_dir>/backups`. Better on another disk.
    pub dir: Option<PathBuf>,
    /// How many generations to keep.
    pub keep: usize,
    /// Hub on SQL Server: the generations' directory as the database server names it (the
    /// server writes the files there with BACKUP DATABASE); `dir` is the same directory as the
    /// node sees it. Default: `dir` as written (the server on the same machine).
    pub server_dir: Option<String>,
}

impl Default for BackupSettings {
    fn default() -> Self {
        BackupSettings {
            enabled: true,
            dir: None,
            keep: 14,
            server_dir: None,
        }
    }
}

/// `[duplicate_hint]`: the optional hint that a person being registered may already have a
/// common ID at another centre. Off by default; see `docs/sync.md`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct DuplicateHintSettings {
    /// Hub: store the match keys centres send and answer their look-ups.
    pub enabled: bool,
    /// Centre node: the prefecture's key (hex, at least 32 bytes). Set = this centre takes part.
    /// Never configured on the hub. Keep it out of shared files, e.g. in
    /// `ATTAKA_DUPLICATE_HINT__KEY`.
    pub key: Option<Secret>,
    /// Centre node: how long a look-up waits for the hub before answering "hub unreachable".
    pub timeout_ms: u64,
    /// Hub: look-ups one centre may make in a minute. Registrations come a few a day; the
    /// budget bounds how fast a holder of the key could test guesses through the hub.
    pub lookups_per_minute: u32,
}

impl Default for DuplicateHintSettings {
    fn default() -> Self {
        DuplicateHintSettings {
            enabled: false,
            key: None,
            timeout_ms: 3_000,
            lookups_per_minute: 30,
        }
    }
}

impl DuplicateHintSettings {
    /// The centre's keyer when a key is configured (a malformed key is refused by `check`).
    pub fn keyer(&self) -> Option<crate::domain::duplicate_hint::MatchKeyer> {
        let key = secret_text(&self.key)?;
        crate::domain::duplicate_hint::MatchKeyer::from_hex(key).ok()
    }
}

/// `[sync]`: where a centre node sends its outbox, and how patiently.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct SyncSettings {
    /// The hub's base URL, e.g. `https://attaka-hub.example.pref.kochi.lg.jp` (HTTPS in production).
    pub hub_url: Option<String>,
    /// The centre's credential issued by the hub (`ats_…`); keep it out of shared files, e.g.
    /// in `ATTAKA_SYNC__CREDENTIAL`.
    pub credential: Option<Secret>,
    /// Pause between looks at an empty outbox.
    pub interval_ms: u64,
    /// First pause after a failed delivery; it doubles on each failure up to `retry_max_ms`.
    pub retry_initial_ms: u64,
    pub retry_max_ms: u64,
    /// Time allowed for one delivery (connect, send, acknowledgement).
    pub request_timeout_ms: u64,
    /// Largest batch, in entries and (roughly) in bytes of JSON; keep below the hub's
    /// `server.body_limit`.
    pub batch_max_entries: usize,
    pub batch_max_bytes: usize,
    /// Raise the `sync_backlog_stuck` alert when an entry has waited longer than this.
    pub alert_after_seconds: i64,
    /// Pause between pulls of the hub's period locks (also pulled once when the sender starts).
    pub locks_interval_ms: u64,
    /// Hub: how long after the last centre finished re-sending the restore's alert
    /// (`sync_hub_behind`) clears, so centres that notice later join it.
    pub hub_behind_clear_after_seconds: i64,
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings {
            hub_url: None,
            credential: None,
            interval_ms: 2_000,
            retry_initial_ms: 1_000,
            retry_max_ms: 300_000,
            request_timeout_ms: 30_000,
            batch_max_entries: 200,
            batch_max_bytes: 512 * 1024,
            alert_after_seconds: 3_600,
            locks_interval_ms: 60_000,
            hub_behind_clear_after_seconds: 300,
        }
    }
}

impl SyncSettings {
    /// Whether a centre node should run the sender.
    pub fn is_configured(&self) -> bool {
        self.hub_url.is_some() && secret_text(&self.credential).is_some()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsSettings {
    /// Small-cell suppression threshold k per role code (`integrator = 10`): people-counts
    /// 1 ≤ v < k are hidden. A role not listed, or 0, sees exact figures.
    pub suppression: std::collections::HashMap<String, u64>,
    /// Most row dimensions one `/stats` request may break down by (422 beyond).
    pub max_row_dimensions: usize,
    /// Largest table a `/stats` request may ask for, estimated before any SQL runs: the
    /// product of each row dimension's number of values (time buckets, code-list sizes, or
    /// the filter's codes) times the number of measures (413 beyond).
    pub max_cells: u64,
    /// Time one `/stats` request may take; its SQL is interrupted beyond it (422).
    pub timeout_ms: u64,
    /// Time one extraction may stream; it is cut off (and its SQL interrupted) beyond it.
    pub extract_timeout_ms: u64,
    /// Cell-key perturbation per role code: the most a people-count cell may move
    /// (`integrator = 2`; decision 0020). A role not listed, or 0, gets unperturbed figures.
    #[serde(default)]
    pub perturbation: std::collections::HashMap<String, u32>,
    /// The result cache (decision 0029; defaults in the operator runbook).
    #[serde(default)]
    pub cache: crate::stats::cache::CacheSettings,
    /// The bounded pool `/stats` computations run on (503 + `Retry-After` when full).
    #[serde(default)]
    pub pool: crate::stats::cache::PoolSettings,
}

impl StatsSettings {
    pub fn threshold(&self, role: shared::dto::auth::Role) -> Option<u64> {
        self.suppression.get(role.as_str()).copied().filter(|k| *k > 1)
    }

    pub fn max_perturbation(&self, role: shared::dto::auth::Role) -> Option<u32> {
        self.perturbation.get(role.as_str()).copied().filter(|d| *d > 0)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSettings {
    /// `center` or `hub`.
    pub role: NodeRole,
    /// The centre this node belongs to (required when `role = "center"`).
    pub center: Option<String>,
    /// Where the default database, secrets and logs live.
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    /// Directory of the built SPA (`web/dist`); none serves the API only.
    pub static_dir: Option<PathBuf>,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Reverse proxies (addresses or CIDR blocks, e.g. `10.0.0.5`, `10.1.0.0/16`) whose
    /// `Forwarded` / `X-Forwarded-For` / `X-Forwarded-Proto` headers are believed. From any other
    /// peer those headers are ignored: the client address audited and throttled is the peer's.
    /// A TOML list, or one comma-separated string (`ATTAKA_SERVER__TRUSTED_PROXIES=10.0.0.5,10.1.0.0/16`).
    #[serde(default, deserialize_with = "proxy_list")]
    pub trusted_proxies: Vec<ProxyNet>,
}

/// `server.trusted_proxies` from a list or from one comma-separated string (an environment
/// variable cannot hold a list).
fn proxy_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ProxyNet>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        List(Vec<String>),
        One(String),
    }
    let entries = match Given::deserialize(d)? {
        Given::List(list) => list,
        Given::One(s) => s.split(',').map(str::to_owned).collect(),
    };
    entries
        .iter()
        .filter(|e| !e.trim().is_empty())
        .map(|e| ProxyNet::parse(e).map_err(serde::de::Error::custom))
        .collect()
}

/// One entry of `server.trusted_proxies`: an address (a block of one) or a CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyNet(pub ipnet::IpNet);

impl ProxyNet {
    pub fn parse(s: &str) -> Result<ProxyNet, String> {
        let s = s.trim();
        if let Ok(net) = s.parse::<ipnet::IpNet>() {
            return Ok(ProxyNet(net.trunc()));
        }
        s.parse::<std::net::IpAddr>()
            .map(|ip| ProxyNet(ipnet::IpNet::from(ip)))
            .map_err(|_| format!("{s:?} is neither an IP address nor a CIDR block such as 10.0.0.0/8"))
    }

    pub fn contains(&self, ip: &std::net::IpAddr) -> bool {
        self.0.contains(ip)
    }
}

impl<'de> Deserialize<'de> for ProxyNet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ProxyNet, D::Error> {
        let s = String::deserialize(d)?;
        ProxyNet::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://path/to/file.sqlite3` (default: `<data_dir>/attaka.sqlite3`); on the hub also
    /// `sqlserver://user:password@host:1433/database?encrypt=required` or an ADO.NET string
    /// (`store::mssql::connect` has the forms). Better in `ATTAKA_DATABASE__URL` when it holds a
    /// password.
    pub url: Option<String>,
    pub pool_size: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// HMAC secret for access tokens. When absent one is generated on first start and kept in
    /// the database, so every process sharing the database shares it.
    pub jwt_secret: Option<Secret>,
    pub access_token_minutes: i64,
    pub refresh_token_hours: i64,
    /// Login throttling (decision 0024): failed logins counted within this many minutes…
    pub login_window_minutes: u32,
    /// …from one client address (any usernames) before that address waits (429)…
    pub login_failures_per_address: u32,
    /// …for one username from one client address before that pair waits…
    pub login_failures_per_account_and_address: u32,
    /// …and for one username from all addresses in an hour (OWASP ASVS 2.2.1: at most 100)
    /// before only addresses that signed in to it before may still try.
    pub login_failures_per_account_per_hour: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `tracing` filter, e.g. `info` or `api=debug,info`.
    pub level: String,
    /// `pretty` (terminal) or `json`.
    pub format: String,
    /// Write daily log files (JSON lines) besides the console.
    #[serde(default = "default_true")]
    pub files: bool,
    /// Where; default `<data_dir>/logs`.
    pub dir: Option<PathBuf>,
    /// How many daily files to keep: at least a year's (366).
    #[serde(default = "default_log_keep_days")]
    pub keep_days: usize,
}

/// Where a node keeps its data unless told: `%ProgramData%\Attaka` on Windows (a service starts
/// in `System32`, so a relative default would land there), `./data` elsewhere.
pub fn default_data_dir() -> String {
    if cfg!(windows) {
        let base = std::env::var("ProgramData").unwrap_or_else(|_| r"C:\ProgramData".into());
        format!(r"{}\Attaka", base.trim_end_matches('\\'))
    } else {
        "./data".into()
    }
}

fn default_true() -> bool {
    true
}

fn default_log_keep_days() -> usize {
    400
}

impl Settings {
    /// Reads defaults, then `file` (if given), then `ATTAKA_SECTION__KEY` variables
    /// (e.g. `ATTAKA_SERVER__LISTEN=0.0.0.0:8080`).
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let settings = Settings::load_unchecked(file)?;
        settings.check()?;
        Ok(settings)
    }

    /// Like [`Settings::load`] without the consistency check, for callers (tests) that
    /// adjust the values and then call [`Settings::check`].
    pub fn load_unchecked(file: Option<&Path>) -> anyhow::Result<Settings> {
        Settings::load_with_env(file, std::env::vars())
    }

    /// [`Settings::load_unchecked`] with the environment given (tests). Variables count as
    /// settings when they look like `ATTAKA_SECTION__KEY`; others (`ATTAKA_CONFIG`, a test's
    /// `ATTAKA_TEST_…`) are not settings and are left alone. An unknown or misspelt key, in
    /// the file or in a variable, is refused naming the key and where it came from.
    pub fn load_with_env(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Settings> {
        let vars: config::Map<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.strip_prefix("ATTAKA_").is_some_and(|rest| rest.contains("__")))
            .collect();
        let mut builder = config::Config::builder()
            .set_default("node.role", "center")?
            .set_default("node.data_dir", default_data_dir())?
            .set_default("server.listen", "127.0.0.1:8080")?
            .set_default("server.body_limit", 1_048_576)?
            .set_default("database.pool_size", 8)?
            .set_default("auth.access_token_minutes", 15)?
            .set_default("auth.refresh_token_hours", 12)?
            .set_default("auth.login_window_minutes", 15)?
            .set_default("auth.login_failures_per_address", 20)?
            .set_default("auth.login_failures_per_account_and_address", 5)?
            .set_default("auth.login_failures_per_account_per_hour", 100)?
            .set_default("log.level", "info")?
            .set_default("log.format", "pretty")?
            .set_default("stats.suppression.integrator", 10)?
            .set_default("stats.max_row_dimensions", 4)?
            .set_default("stats.max_cells", 200_000)?
            .set_default("stats.timeout_ms", 30_000)?
            .set_default("stats.extract_timeout_ms", 600_000)?
            .set_default("stats.perturbation.integrator", 2)?;
        if let Some(path) = file {
            builder = builder.add_source(config::File::from(path).required(true));
        }
        let merged = builder
            .add_source(
                config::Environment::with_prefix("ATTAKA")
                    .prefix_separator("_")
                    .separator("__")
                    .source(Some(vars.clone())),
            )
            .build()
            .context("reading configuration")?;
        serde_path_to_error::deserialize::<_, Settings>(merged).map_err(|e| {
            let key = e.path().to_string();
            let origin = origin_of(&key, file, &vars);
            anyhow::anyhow!("configuration key {key} ({origin}): {}", e.into_inner())
        })
    }

    /// Refuses inconsistent settings (a centre node without its centre, bad durations).
    pub fn check(&self) -> anyhow::Result<()> {
        if self.node.role == NodeRole::Center {
            let code = self
                .node
                .center
                .as_deref()
                .context("node.center (ATTAKA_NODE__CENTER) is required when node.role = \"center\"")?;
            shared::common_id::CenterCode::parse(code)
                .map_err(|e| anyhow::anyhow!("node.center {code:?}: {e}"))?;
        }
        anyhow::ensure!(
            self.auth.access_token_minutes > 0,
            "auth.access_token_minutes must be positive"
        );
        anyhow::ensure!(
            self.auth.refresh_token_hours > 0,
            "auth.refresh_token_hours must be positive"
        );
        let a = &self.auth;
        anyhow::ensure!(
            a.login_window_minutes > 0
                && a.login_failures_per_address > 0
                && a.login_failures_per_account_and_address > 0
                && a.login_failures_per_account_per_hour > 0,
            "auth.login_window_minutes and the auth.login_failures_* limits must be positive"
        );
        anyhow::ensure!(
            a.login_failures_per_account_per_hour <= 100,
            "auth.login_failures_per_account_per_hour must be at most 100 (OWASP ASVS 2.2.1)"
        );
        let st = &self.stats;
        anyhow::ensure!(
            st.max_row_dimensions > 0 && st.max_cells > 0 && st.timeout_ms > 0 && st.extract_timeout_ms > 0,
            "stats.max_row_dimensions, stats.max_cells, stats.timeout_ms and stats.extract_timeout_ms must be positive"
        );
        self.check_database()?;
        self.check_sync()?;
        self.check_duplicate_hint()?;
        self.daily.time_of_day()?;
        anyhow::ensure!(
            self.uptime.heartbeat_ms > 0,
            "uptime.heartbeat_ms must be positive"
        );
        anyhow::ensure!(
            self.watch.interval_ms > 0
                && self.watch.login_failures > 0
                && self.watch.login_window_minutes > 0,
            "watch.interval_ms, watch.login_failures and watch.login_window_minutes must be positive"
        );
        anyhow::ensure!(
            (0.0..=1.0).contains(&self.uptime.target),
            "uptime.target is a fraction between 0 and 1"
        );
        anyhow::ensure!(
            self.ops.inquiry_answer_hours > 0 && self.ops.incident_triage_hours > 0,
            "ops.inquiry_answer_hours and ops.incident_triage_hours must be positive"
        );
        anyhow::ensure!(
            self.audit.keep_days >= 366,
            "audit.keep_days must be at least 366: the audit log is kept for at least a year"
        );
        anyhow::ensure!(
            self.log.keep_days >= 366,
            "log.keep_days must be at least 366: logs are kept for at least a year"
        );
        if self.mail.smtp_url.is_some() {
            anyhow::ensure!(
                !self.mail.to.is_empty(),
                "mail.to needs at least one address when mail.smtp_url is set"
            );
            anyhow::ensure!(self.mail.interval_ms > 0, "mail.interval_ms must be positive");
            crate::ops::mail::Mailer::from_settings(self)?;
        }
        anyhow::ensure!(self.backup.keep > 0, "backup.keep must be at least 1");
        Ok(())
    }

    fn check_duplicate_hint(&self) -> anyhow::Result<()> {
        let hint = &self.duplicate_hint;
        let key = secret_text(&hint.key);
        match self.node.role {
            NodeRole::Hub => anyhow::ensure!(
                key.is_none(),
                "duplicate_hint.key must not be configured on the hub: only centre nodes hold the key"
            ),
            NodeRole::Center => {
                anyhow::ensure!(
                    !hint.enabled,
                    "duplicate_hint.enabled is a hub setting; a centre node takes part when duplicate_hint.key is set"
                );
                if let Some(key) = key {
                    crate::domain::duplicate_hint::MatchKeyer::from_hex(key)
                        .map_err(|e| anyhow::anyhow!("duplicate_hint.key: {e}"))?;
                }
            }
        }
        anyhow::ensure!(hint.timeout_ms > 0, "duplicate_hint.timeout_ms must be positive");
        anyhow::ensure!(
            hint.lookups_per_minute > 0,
            "duplicate_hint.lookups_per_minute must be positive"
        );
        Ok(())
    }

    fn check_sync(&self) -> anyhow::Result<()> {
        let sync = &self.sync;
        if sync.hub_url.is_none() && sync.credential.is_none() {
            return Ok(());
        }
        anyhow::ensure!(
            self.node.role == NodeRole::Center,
            "[sync] is for centre nodes: the hub receives batches, it does not send them"
        );
        let url = sync
            .hub_url
            .as_deref()
            .context("sync.hub_url is required when sync.credential is set")?;
        anyhow::ensure!(
            url.starts_with("https://") || url.starts_with("http://"),
            "sync.hub_url must start with https:// (or http:// for a local test hub)"
        );
        // A hub URL without a credential (not issued yet) is allowed: the node works on, its
        // sender does not run (`SyncSettings::is_configured`), and `serve` says so.
        anyhow::ensure!(
            sync.interval_ms > 0
                && sync.locks_interval_ms > 0
                && sync.retry_initial_ms > 0
                && sync.retry_max_ms >= sync.retry_initial_ms,
            "sync intervals must be positive, and retry_max_ms at least retry_initial_ms"
        );
        anyhow::ensure!(
            sync.batch_max_entries > 0 && sync.batch_max_bytes > 0,
            "sync batch limits must be positive"
        );
        Ok(())
    }

    /// The database URL, defaulting to an SQLite file under the data directory.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.node.data_dir.join("attaka.sqlite3").display()),
        }
    }

    /// The SQLite file the database URL names (none for another engine).
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let url = self.database_url();
        url.strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .map(PathBuf::from)
    }

    /// The database URL when it names SQL Server (`sqlserver://…` or an ADO.NET `Server=…;…`
    /// string, see `store::mssql::connect`): the prefecture hub's production database.
    pub fn sql_server_url(&self) -> Option<String> {
        let url = self.database_url();
        crate::store::mssql::connect::is_sql_server_url(&url).then_some(url)
    }

    /// Refuses a database URL this node cannot use: an unknown engine, or SQL Server for a
    /// centre node (its personal data stays in the embedded SQLite database).
    fn check_database(&self) -> anyhow::Result<()> {
        if self.sqlite_path().is_some() {
            return Ok(());
        }
        let Some(url) = self.sql_server_url() else {
            anyhow::bail!(
                "database.url must be sqlite://… (any node) or sqlserver://… / Server=…;… (the prefecture hub)"
            );
        };
        anyhow::ensure!(
            self.node.role == NodeRole::Hub,
            "database.url names SQL Server, which only the prefecture hub may use: a centre node keeps \
             its people's personal data in its embedded SQLite database (database.url = \"sqlite://…\", \
             or leave it unset)"
        );
        crate::store::mssql::connect::ConnectOptions::parse(&url)
            .map(|_| ())
            .context("database.url")
    }

    /// This node in operators' messages: the centre's code, or `hub`.
    pub fn node_name(&self) -> String {
        self.node.center.clone().unwrap_or_else(|| "hub".into())
    }

    /// Where the daily log files go.
    pub fn log_dir(&self) -> PathBuf {
        self.log
            .dir
            .clone()
            .unwrap_or_else(|| self.node.data_dir.join("logs"))
    }

    /// Where backups go.
    pub fn backup_dir(&self) -> PathBuf {
        self.backup
            .dir
            .clone()
            .unwrap_or_else(|| self.node.data_dir.join("backups"))
    }

    /// The centre code of a centre node.
    pub fn center_code(&self) -> Option<shared::common_id::CenterCode> {
        self.node
            .center
            .as_deref()
            .and_then(|c| shared::common_id::CenterCode::parse(c).ok())
    }
}

/// Where a configuration key came from: the file, an environment variable, or the defaults.
fn origin_of(key: &str, file: Option<&Path>, vars: &config::Map<String, String>) -> String {
    let variable = format!("ATTAKA_{}", key.replace('.', "__")).to_ascii_uppercase();
    if let Some(name) = vars.keys().find(|k| k.to_ascii_uppercase() == variable) {
        return format!("environment variable {name}");
    }
    match file {
        Some(path) => format!("in {}", path.display()),
        None => "in the environment".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(role: NodeRole, url: Option<&str>) -> Settings {
        let mut s = Settings::load_unchecked(None).expect("default settings");
        s.node.role = role;
        s.node.center = (role == NodeRole::Center).then(|| "C001".to_owned());
        s.database.url = url.map(str::to_owned);
        s.duplicate_hint = DuplicateHintSettings::default();
        s.sync = SyncSettings::default();
        s
    }

    #[test]
    fn a_centre_node_with_a_sql_server_url_is_refused_at_start() {
        for url in [
            "sqlserver://hub:secret@db.example:1433/attaka",
            "Server=tcp:db.example,1433;User Id=hub;Password=secret;Database=attaka",
        ] {
            let e = settings(NodeRole::Center, Some(url))
                .check()
                .unwrap_err()
                .to_string();
            assert!(e.contains("only the prefecture hub"), "{e}");
            assert!(!e.contains("secret"), "{e}");
        }
    }

    #[test]
    fn the_hub_takes_a_sql_server_url_and_sqlite_stays_the_default() {
        let hub = settings(
            NodeRole::Hub,
            Some("sqlserver://hub:secret@db.example/attaka?encrypt=on"),
        );
        hub.check().unwrap();
        assert!(hub.sqlite_path().is_none());
        assert!(hub.sql_server_url().is_some());
        let centre = settings(NodeRole::Center, None);
        centre.check().unwrap();
        assert!(centre.sqlite_path().is_some());
        assert!(centre.sql_server_url().is_none());
        settings(NodeRole::Hub, Some("sqlite://data/hub.sqlite3"))
            .check()
            .unwrap();
    }

    #[test]
    fn an_unknown_or_malformed_database_url_is_refused() {
        assert!(settings(NodeRole::Hub, Some("postgres://h/db")).check().is_err());
        let e = settings(NodeRole::Hub, Some("sqlserver://db.example/attaka?encrypt=maybe"))
            .check()
            .unwrap_err();
        assert!(format!("{e:#}").contains("database.url"), "{e:#}");
    }
}
