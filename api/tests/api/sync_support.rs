//! Two real nodes for the sync tests: a hub, centre nodes whose sender reaches the hub through
//! a TCP proxy that can take the hub off the network or cut a connection after the hub has
//! answered, and a comparison of `/stats` between a centre and the hub.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use shared::dto::auth::Role;
use shared::dto::meta::NodeRole;
use shared::dto::stats::StatsResponse;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::*;
use crate::sync_hub::issue_credential;

/// A TCP proxy in front of the hub.
pub struct Proxy {
    pub addr: SocketAddr,
    upstream: Arc<Mutex<Option<SocketAddr>>>,
    cut: Arc<AtomicUsize>,
    pub cuts_done: Arc<AtomicUsize>,
    live: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy bind");
        let proxy = Proxy {
            addr: listener.local_addr().expect("proxy addr"),
            upstream: Arc::new(Mutex::new(Some(upstream))),
            cut: Arc::new(AtomicUsize::new(0)),
            cuts_done: Arc::new(AtomicUsize::new(0)),
            live: Arc::new(Mutex::new(Vec::new())),
        };
        let (upstream, cut, cuts_done, live) = (
            proxy.upstream.clone(),
            proxy.cut.clone(),
            proxy.cuts_done.clone(),
            proxy.live.clone(),
        );
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let target = *upstream.lock().unwrap();
                let (cut, cuts_done) = (cut.clone(), cuts_done.clone());
                let task = tokio::spawn(async move {
                    // Down: the connection is accepted and closed at once.
                    let Some(target) = target else { return };
                    let Ok(server) = TcpStream::connect(target).await else {
                        return;
                    };
                    pump(client, server, cut, cuts_done).await;
                });
                live.lock().unwrap().push(task.abort_handle());
            }
        });
        proxy
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sends new connections to `upstream`, or (none) takes the hub off the network, closing
    /// the connections open now.
    pub fn set_upstream(&self, upstream: Option<SocketAddr>) {
        *self.upstream.lock().unwrap() = upstream;
        if upstream.is_none() {
            for task in self.live.lock().unwrap().drain(..) {
                task.abort();
            }
        }
    }

    /// The next `n` answers from the hub are dropped with their connection: the hub has done the
    /// work, the centre never hears of it.
    pub fn cut_next_answers(&self, n: usize) {
        self.cut.store(n, Ordering::SeqCst);
    }
}

async fn pump(client: TcpStream, server: TcpStream, cut: Arc<AtomicUsize>, cuts_done: Arc<AtomicUsize>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
    });
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match server_read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if cut
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |c| c.checked_sub(1))
            .is_ok()
        {
            cuts_done.fetch_add(1, Ordering::SeqCst);
            break;
        }
        if client_write.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    up.abort();
}

/// Fast retries, so faults heal within a test.
pub fn sync_settings(settings: &mut api::config::Settings, hub_url: &str, credential: &str) {
    settings.sync.hub_url = Some(hub_url.to_owned());
    settings.sync.credential = Some(credential.into());
    settings.sync.interval_ms = 30;
    settings.sync.retry_initial_ms = 30;
    settings.sync.retry_max_ms = 300;
    settings.sync.request_timeout_ms = 5_000;
    settings.sync.batch_max_entries = 25;
}

pub fn socket(app: &TestApp) -> SocketAddr {
    app.address
        .trim_start_matches("http://")
        .parse()
        .expect("app address")
}

/// A hub, a proxy in front of it, and a centre node (`center`) delivering through the proxy.
pub struct Pair {
    pub hub: TestApp,
    pub proxy: Proxy,
    pub centre: TestApp,
    pub center: &'static str,
    pub credential: String,
    pub alert_after_seconds: i64,
}

impl Pair {
    pub async fn start() -> Pair {
        Pair::start_with(CENTER, 3_600).await
    }

    pub async fn start_with(center: &'static str, alert_after_seconds: i64) -> Pair {
        let hub = spawn_node(NodeRole::Hub).await;
        let credential = issue_credential(&hub, center).await.credential;
        let proxy = Proxy::start(socket(&hub)).await;
        let centre = spawn_centre(&proxy, center, &credential, alert_after_seconds, None).await;
        Pair {
            hub,
            proxy,
            centre,
            center,
            credential,
            alert_after_seconds,
        }
    }

    /// Stops the centre node and starts it again on the same database.
    pub async fn restart_centre(&mut self) {
        self.centre.stop.stop().await;
        let dir = self.centre.dir.clone();
        self.centre = spawn_centre(
            &self.proxy,
            self.center,
            &self.credential,
            self.alert_after_seconds,
            Some(dir),
        )
        .await;
    }

    /// Stops the hub (the proxy finds nobody behind it).
    pub async fn stop_hub(&self) {
        self.proxy.set_upstream(None);
        self.hub.stop.stop().await;
    }

    /// Starts the hub again on its database (on a new port) and puts it back behind the proxy.
    pub async fn restart_hub(&mut self) {
        let dir = self.hub.dir.clone();
        self.hub = spawn_in(dir, NodeRole::Hub, false, |_| {}).await;
        self.proxy.set_upstream(Some(socket(&self.hub)));
    }

    pub async fn wait_until_synced(&self) {
        wait_until_synced(&self.centre).await;
    }
}

/// A centre node for `center` delivering through `proxy`: fresh, or restarted on `dir`.
pub async fn spawn_centre(
    proxy: &Proxy,
    center: &str,
    credential: &str,
    alert_after_seconds: i64,
    dir: Option<Arc<tempfile::TempDir>>,
) -> TestApp {
    let (dir, fresh) = match dir {
        Some(d) => (d, false),
        None => (Arc::new(tempfile::tempdir().expect("temp dir")), true),
    };
    let url = proxy.url();
    spawn_in(dir, NodeRole::Center, fresh, |s| {
        s.node.center = Some(center.to_owned());
        sync_settings(s, &url, credential);
        s.sync.alert_after_seconds = alert_after_seconds;
    })
    .await
}

/// Waits until the centre's outbox is empty (everything acknowledged by the hub).
pub async fn wait_until_synced(centre: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let state = centre.center_store().sync_outbox().await.expect("outbox state");
        if let Some(s) = &state {
            if s.backlog == 0 && s.last_acked_seq > 0 {
                return;
            }
        }
        assert!(Instant::now() < deadline, "the outbox did not drain: {state:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until `check` holds, or fails with `what`.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

pub const ACTIVITY_MEASURES: &str =
    "participations,unique_persons,activities,open_days,visits,consultations,referrals";
pub const ALL_MEASURES: &str = "participations,unique_persons,activities,open_days,new_registrations,registered_persons,visits,consultations,referrals";

/// Breakdowns compared: every measure where the registry measures allow it, the activity
/// measures by site and function.
pub const BREAKDOWNS: &[(&str, &str)] = &[
    (ALL_MEASURES, ""),
    (ALL_MEASURES, "month"),
    (ALL_MEASURES, "quarter,sex"),
    (ALL_MEASURES, "age_band"),
    (ALL_MEASURES, "group"),
    (ALL_MEASURES, "category"),
    (ALL_MEASURES, "care_level,household"),
    (ACTIVITY_MEASURES, "function"),
    (ACTIVITY_MEASURES, "site,function"),
    (ACTIVITY_MEASURES, "date"),
];

async fn stats(app: &TestApp, token: &str, query: &str) -> StatsResponse {
    let res = app.get(&format!("/api/v1/stats?{query}"), token).await;
    expect_json(res, StatusCode::OK).await
}

/// The centre's own figures (its staff) equal the hub's for that centre (the prefecture),
/// exactly, for every measure over every breakdown in `BREAKDOWNS`, in FY2024 and FY2025.
pub async fn assert_same_figures(centre: &TestApp, centre_user: &str, hub: &TestApp, center: &str) {
    let staff = centre.login_as(centre_user).await.access_token;
    let pref = hub.token(Role::Prefecture).await;
    for period in ["FY2024", "FY2025"] {
        for (measures, rows) in BREAKDOWNS {
            let q = format!("measures={measures}&rows={rows}&period={period}&totals=true&labels=code");
            let mine = stats(centre, &staff, &q).await;
            let theirs = stats(hub, &pref, &format!("{q}&filter=center:{center}")).await;
            assert_eq!(mine.columns, theirs.columns, "{q}");
            assert_eq!(mine.rows, theirs.rows, "rows differ for {q}");
            assert_eq!(mine.totals, theirs.totals, "totals differ for {q}");
        }
    }
}
