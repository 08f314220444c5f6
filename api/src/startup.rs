//! Building and running the HTTP server: `Application::build / port / run_until_stopped`.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{from_fn, Compress, DefaultHeaders, Next};
use actix_web::{web, App, HttpMessage, HttpServer};
use anyhow::Context;
use chrono::Duration;
use secrecy::ExposeSecret;
use shared::common_id::CenterCode;
use tracing::Instrument;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::tokens::JwtKeys;
use crate::auth::RequestId;
use crate::config::Settings;
use crate::error::REQUEST_ID;
use crate::openapi::ApiDoc;
use crate::ops::rate_limit::KeyedLimit;
use crate::routes::{self, extract};
use crate::store::{CenterStore, CommonStore, HubStore, NodeStore};

/// Shared by every request.
pub struct AppState {
    /// The part of the store both roles use.
    pub store: Arc<dyn CommonStore>,
    /// The same store typed by this node's role: [`AppState::center_store`] and
    /// [`AppState::hub_store`] reach the role's own part.
    pub node: NodeStore,
    pub settings: Settings,
    pub jwt: JwtKeys,
    /// The centre this node belongs to (centre nodes only).
    pub node_center: Option<CenterCode>,
    /// Hub: each centre's budget of duplicate-hint look-ups.
    pub hint_lookups: KeyedLimit,
    /// Failed logins per client address and per username (decision 0024).
    pub login_throttle: crate::auth::throttle::LoginThrottle,
    /// `/stats` results, their invalidation and the bounded pool they are computed on
    /// (decision 0029).
    pub stats_cache: Arc<crate::stats::cache::StatsCache>,
}

impl AppState {
    /// The generations of the facts: every write that can change a figure bumps them once its
    /// transaction has committed.
    pub fn generations(&self) -> &crate::stats::cache::Generations {
        &self.stats_cache.generations
    }

    /// Tells every process serving this database that a committed write changed `changes`,
    /// so that none serves a cached answer it may have changed (decision 0033).
    pub async fn facts_changed(&self, changes: Vec<crate::domain::stats_change::StatsChange>) {
        self.generations().record(self.store.as_ref(), &changes).await;
    }

    /// The centre's part of the store; on the hub, `NotFound` (the hub holds no person data and
    /// no recorded activities, so such a route finds nothing there).
    pub fn center_store(&self) -> crate::error::ApiResult<&dyn CenterStore> {
        self.node
            .center()
            .map(|s| s.as_ref())
            .ok_or(crate::error::ApiError::NotFound)
    }

    /// The hub's part of the store; on a centre node, `NotFound`.
    pub fn hub_store(&self) -> crate::error::ApiResult<&dyn HubStore> {
        self.node
            .hub()
            .map(|s| s.as_ref())
            .ok_or(crate::error::ApiError::NotFound)
    }
}

pub struct Application {
    port: u16,
    server: Server,
    /// Background tasks: the centre node's sync sender (when `[sync]` is configured), the
    /// nightly jobs (backup, audit retention), the uptime heartbeat, the watch (disk, logins,
    /// service levels) and the alert mailer (when `[mail]` is set); the nightly jobs, the watch
    /// and the mailer each run in one process of several on a database (`ops::lease`).
    workers: Vec<tokio::task::JoinHandle<()>>,
}

/// Stops a running application from elsewhere (tests restart nodes with it): the background
/// tasks at once, then the server after its in-flight requests.
#[derive(Clone)]
pub struct StopHandle {
    server: actix_web::dev::ServerHandle,
    workers: Vec<tokio::task::AbortHandle>,
}

impl StopHandle {
    pub async fn stop(&self) {
        for worker in &self.workers {
            worker.abort();
        }
        self.server.stop(true).await;
    }
}

impl Application {
    /// Opens and migrates the configured database, then binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let store = crate::store::open(&settings).await?;
        store.common().migrate().await.context("migrating the database")?;
        Application::build_with_store(settings, store).await
    }

    /// Binds `settings.server.listen` (port 0 picks a free port, for tests).
    pub async fn build_with_store(settings: Settings, node: NodeStore) -> anyhow::Result<Application> {
        let store = node.common();
        let secret = match settings.auth.jwt_secret.as_ref().map(|s| s.expose_secret()) {
            Some(s) if s.len() >= 32 => s.as_bytes().to_vec(),
            Some(_) => anyhow::bail!("auth.jwt_secret must be at least 32 characters"),
            None => store
                .node_secret("jwt_hmac", 32)
                .await
                .context("loading the JWT secret")?,
        };
        // The first login for an unknown name would otherwise also pay for making the hash it
        // is checked against, and take longer than one for a real name.
        tokio::task::spawn_blocking(|| crate::auth::password::dummy_hash().len())
            .await
            .context("preparing the password check")?;
        crate::sync::hint::on_start(&node, &settings)
            .await
            .context("the duplicate hint's stored match keys")?;
        // A version or migrations new since the last start go into the operations log.
        if let Err(e) =
            crate::ops::changes::record_start(store.as_ref(), env!("CARGO_PKG_VERSION"), chrono::Utc::now())
                .await
        {
            tracing::warn!(event = "ops_change_record_failed", error = %e, "could not record this start's changes in the operations log");
        }
        let leases = Arc::new(crate::ops::lease::Leases::new());
        let leases_data = web::Data::from(leases.clone());
        let http_metrics = web::Data::new(crate::ops::http_metrics::HttpMetrics::default());
        let state_store = store.clone();
        let state = web::Data::new(AppState {
            jwt: JwtKeys::new(&secret, Duration::minutes(settings.auth.access_token_minutes)),
            node_center: settings.center_code(),
            hint_lookups: KeyedLimit::per_minute(settings.duplicate_hint.lookups_per_minute),
            login_throttle: crate::auth::throttle::LoginThrottle::new(
                crate::auth::throttle::Limits::from_settings(&settings.auth),
            ),
            stats_cache: Arc::new(crate::stats::cache::StatsCache::new(
                &settings.stats.cache,
                &settings.stats.pool,
            )),
            store,
            node: node.clone(),
            settings: settings.clone(),
        });
        let listener = TcpListener::bind(settings.server.listen)
            .with_context(|| format!("binding {}", settings.server.listen))?;
        let port = listener.local_addr()?.port();
        let body_limit = settings.server.body_limit;
        let static_dir = settings.server.static_dir.clone();
        let openapi = ApiDoc::openapi();
        let server = HttpServer::new(move || {
            let mut app = App::new()
                .app_data(state.clone())
                .app_data(leases_data.clone())
                .app_data(http_metrics.clone())
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(
                    web::JsonConfig::default()
                        .limit(body_limit)
                        .error_handler(extract::json_error),
                )
                .app_data(web::QueryConfig::default().error_handler(extract::query_error))
                .app_data(web::PathConfig::default().error_handler(extract::path_error))
                .wrap(Compress::default())
                .wrap(
                    DefaultHeaders::new()
                        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                        .add((header::X_FRAME_OPTIONS, "DENY"))
                        .add((header::REFERRER_POLICY, "no-referrer")),
                )
                .wrap(from_fn(routes::hardening::harden))
                .wrap(from_fn(crate::ops::http_metrics::track))
                .wrap(from_fn(request_context))
                // Before the /api/v1 scope, whose default service would answer 404 for the spec.
                .service(SwaggerUi::new("/api/docs/{_:.*}").url("/api/v1/openapi.json", openapi.clone()))
                .configure(routes::configure);
            if let Some(dir) = &static_dir {
                // Precompressed copies first; the plain files and the page's deep links after.
                app = app
                    .service(routes::assets::service(dir.clone()))
                    .service(spa_files(dir));
            }
            app.wrap(from_fn(routes::assets::cache_headers))
        })
        .shutdown_timeout(10)
        .listen(listener)?
        .run();
        let workers = [
            Some(crate::ops::daily::spawn(
                state_store.clone(),
                &settings,
                leases.clone(),
            )?),
            Some(crate::ops::uptime::spawn(state_store.clone(), &settings).await?),
            Some(crate::ops::watch::spawn(
                state_store.clone(),
                &settings,
                leases.clone(),
            )),
            crate::ops::mail::spawn(state_store.clone(), &settings, leases.clone())?,
            match &node {
                NodeStore::Center(center) => crate::sync::worker::spawn(center.clone(), &settings)?,
                NodeStore::Hub(_) => None,
            },
        ]
        .into_iter()
        .flatten()
        .collect();
        Ok(Application {
            port,
            server,
            workers,
        })
    }

    pub fn stop_handle(&self) -> StopHandle {
        StopHandle {
            server: self.server.handle(),
            workers: self.workers.iter().map(|w| w.abort_handle()).collect(),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs until SIGINT/SIGTERM, then finishes in-flight requests (graceful shutdown). The
    /// background tasks stop with the server; what the sync sender had not delivered waits in
    /// the outbox, and a backup cut short leaves only a `.partial` file the next one replaces.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        for worker in self.workers {
            worker.abort();
        }
        result
    }
}

/// The built SPA; unknown paths get `index.html` so deep links work, except paths naming a
/// file (`/nonexistent.js`): those are 404, so a missing asset is not answered with a page.
fn spa_files(dir: &std::path::Path) -> actix_files::Files {
    let index = dir.join("index.html");
    actix_files::Files::new("/", dir)
        .index_file("index.html")
        .default_handler(web::to(move |req: actix_web::HttpRequest| {
            let index = index.clone();
            async move {
                let last = req.path().rsplit('/').next().unwrap_or_default();
                if last.contains('.') {
                    return Err(crate::error::ApiError::NotFound.into());
                }
                actix_files::NamedFile::open(index)
                    .map(|f| f.into_response(&req))
                    .map_err(actix_web::Error::from)
            }
        }))
}

/// Gives every request an ID (kept from a sane `X-Request-Id` or generated), logs one line
/// per request with it, returns it in `X-Request-Id`, and makes it available to error bodies.
/// The query string is not logged: it may hold a name being searched for.
async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| (8..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path());
    let is_api = req.path().starts_with("/api/");
    let started = Instant::now();
    let mut res = REQUEST_ID
        .scope(id.clone(), next.call(req))
        .instrument(span.clone())
        .await?;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), v);
    }
    if is_api {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let status = res.status().as_u16();
    let elapsed_ms = started.elapsed().as_millis() as u64;
    span.in_scope(|| tracing::info!(status, elapsed_ms, "request"));
    Ok(res)
}
