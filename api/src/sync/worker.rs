//! The centre node's sender: delivers the outbox to the hub in batches, in order, and marks
//! entries delivered only when the hub acknowledges them. It keeps trying with exponential
//! backoff while the hub or the network is down; a batch whose answer was lost is sent again
//! unchanged (the hub skips what it already has). Started by `attaka serve` when `[sync]` is set.
//! Between deliveries it also pulls the period locks the prefecture made on the hub and mirrors
//! them into this node's `period_locks` (`pull_locks`); a failed pull never holds up delivery.
//! The pull reports what the hub last acknowledged and reads back the hub's position: a hub
//! holding less than it acknowledged (restored from an older copy) gets everything again, in a
//! new stream with a full snapshot, without waiting for a change here. Beside the sender, a
//! timer checks the backlog's age against `alert_after_seconds` (`watch_loop`), so the alert is
//! raised during an outage, not at the next delivery attempt.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use reqwest::StatusCode;
use shared::dto::sync::{HubPeriodLocks, SyncAck, SyncBatch, SyncEntry};
use shared::error::Problem;

use crate::config::{Settings, SyncSettings};
use crate::domain::alert::{NewAlert, Severity};
use crate::domain::period_lock::{HubLock, HubLocksApplied};
use crate::domain::sync::position;
use crate::ops::alerts;
use crate::store::CenterStore;

/// Stable event name of the alert raised when entries wait too long.
pub const BACKLOG_STUCK: &str = "sync_backlog_stuck";

/// What one delivery attempt came to.
#[derive(Debug, PartialEq, Eq)]
enum Delivery {
    /// Nothing waiting.
    Idle,
    /// A batch was acknowledged; look again at once.
    Sent,
    /// The hub's record of this centre does not follow on from ours: start a new stream.
    StartOver(&'static str),
}

pub struct Worker {
    store: Arc<dyn CenterStore>,
    settings: SyncSettings,
    center: String,
    batches_url: String,
    locks_url: String,
    credential: String,
    client: reqwest::Client,
}

/// Starts the sender on a centre node whose `[sync]` is configured; none otherwise.
pub fn spawn(
    store: Arc<dyn CenterStore>,
    settings: &Settings,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let sync = &settings.sync;
    if settings.node.role != shared::dto::meta::NodeRole::Center {
        return Ok(None);
    }
    if sync.hub_url.is_some() && !sync.is_configured() {
        tracing::warn!(
            event = "sync_not_configured",
            "sync.hub_url is set but there is no sync.credential: nothing is sent to the hub"
        );
        return Ok(None);
    }
    let (Some(url), Some(credential), Some(center)) = (
        sync.hub_url.as_deref(),
        crate::config::secret_text(&sync.credential),
        settings.center_code(),
    ) else {
        return Ok(None);
    };
    let timeout = Duration::from_millis(sync.request_timeout_ms);
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("attaka/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the HTTP client for sync")?;
    let base = url.trim_end_matches('/');
    let worker = Worker {
        store,
        settings: sync.clone(),
        center: center.to_string(),
        batches_url: format!("{base}/api/v1/sync/batches"),
        locks_url: format!("{base}/api/v1/sync/period-locks"),
        credential: credential.trim().to_owned(),
        client,
    };
    tracing::info!(center = %worker.center, hub = %url, "sync sender starting");
    Ok(Some(tokio::spawn(async move {
        tokio::join!(worker.run(), worker.watch_loop());
    })))
}

/// How often the backlog's age is checked: a tenth of the alert's limit, between 0.2 and 10 s.
pub fn backlog_check_every(alert_after_seconds: i64) -> Duration {
    let ms = u64::try_from(alert_after_seconds.saturating_mul(100)).unwrap_or(0);
    Duration::from_millis(ms.clamp(200, 10_000))
}

/// `base` plus up to half again, so many centres coming back at once do not arrive together.
fn jittered(base: Duration) -> Duration {
    let spread = u64::try_from(base.as_millis() / 2).unwrap_or(0);
    let extra = match getrandom::u64() {
        Ok(r) if spread > 0 => r % spread,
        _ => 0,
    };
    base + Duration::from_millis(extra)
}

/// The hub's refusal in one line: the problem's status, code, detail and field errors, or the
/// start of whatever else it answered.
fn refusal(status: StatusCode, text: &str) -> String {
    match serde_json::from_str::<Problem>(text) {
        Ok(p) => {
            let fields: Vec<String> = p
                .errors
                .iter()
                .map(|e| format!("{} {}", e.field, e.code))
                .collect();
            format!("{} {}: {} {}", p.status, p.code, p.detail, fields.join(", "))
        }
        Err(_) => format!("{status}: {}", text.chars().take(300).collect::<String>()),
    }
}

impl Worker {
    async fn run(&self) {
        let initial = Duration::from_millis(self.settings.retry_initial_ms);
        let max = Duration::from_millis(self.settings.retry_max_ms);
        let interval = Duration::from_millis(self.settings.interval_ms);
        let mut backoff = initial;
        loop {
            match self.store.sync_start(&self.center).await {
                Ok(_) => break,
                Err(e) => {
                    tracing::error!(event = "sync_start_failed", error = ?e, "cannot start synchronisation");
                    tokio::time::sleep(jittered(backoff)).await;
                    backoff = (backoff * 2).min(max);
                }
            }
        }
        backoff = initial;
        let locks_every = Duration::from_millis(self.settings.locks_interval_ms);
        let mut locks_due = Instant::now();
        loop {
            if Instant::now() >= locks_due {
                if self.refresh_locks().await {
                    self.start_over("the hub holds less than it acknowledged (restored from an older copy)")
                        .await;
                }
                locks_due = Instant::now() + locks_every;
            }
            let pause = match self.deliver_once().await {
                Ok(Delivery::Sent) => {
                    backoff = initial;
                    Duration::ZERO
                }
                Ok(Delivery::Idle) => {
                    backoff = initial;
                    interval
                }
                Ok(Delivery::StartOver(reason)) => {
                    if self.start_over(reason).await {
                        Duration::ZERO
                    } else {
                        jittered(backoff)
                    }
                }
                Err(e) => {
                    let message = format!("{e:#}");
                    tracing::warn!(event = "sync_delivery_failed", center = %self.center, error = %message, retry_in_ms = backoff.as_millis() as u64, "delivery to the hub failed");
                    if let Err(e) = self.store.sync_failed(&message, Utc::now()).await {
                        tracing::error!(error = ?e, "cannot record the failed delivery");
                    }
                    let pause = jittered(backoff);
                    backoff = (backoff * 2).min(max);
                    pause
                }
            };
            self.watch_backlog().await;
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
    }

    /// Starts a new stream with a full snapshot; false when it could not be queued.
    async fn start_over(&self, reason: &str) -> bool {
        tracing::warn!(event = "sync_resnapshot", center = %self.center, reason, "starting a new stream with a full snapshot");
        match self.store.sync_resnapshot(&self.center).await {
            Ok(entries) => {
                tracing::info!(entries, "snapshot queued");
                true
            }
            Err(e) => {
                tracing::error!(event = "sync_resnapshot_failed", error = ?e, "cannot queue a snapshot");
                false
            }
        }
    }

    /// Checks the backlog's age on a timer, whatever the deliveries do.
    async fn watch_loop(&self) {
        let every = backlog_check_every(self.settings.alert_after_seconds);
        loop {
            tokio::time::sleep(every).await;
            self.watch_backlog().await;
        }
    }

    /// Sends the next batch (or the one in flight again) and records the acknowledgement.
    async fn deliver_once(&self) -> anyhow::Result<Delivery> {
        let Some(batch) = self
            .store
            .sync_next_batch(self.settings.batch_max_entries, self.settings.batch_max_bytes)
            .await?
        else {
            return Ok(Delivery::Idle);
        };
        let entries = batch
            .entries
            .iter()
            .map(|(seq, payload)| {
                Ok(SyncEntry {
                    seq: *seq,
                    op: serde_json::from_str(payload).with_context(|| format!("outbox entry {seq}"))?,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let body = SyncBatch {
            center: self.center.clone(),
            stream: batch.stream,
            batch_seq: batch.batch_seq,
            entries,
        };
        let res = self
            .client
            .post(&self.batches_url)
            .bearer_auth(&self.credential)
            .json(&body)
            .send()
            .await
            .context("sending the batch to the hub")?;
        let status = res.status();
        if status.is_success() {
            let ack: SyncAck = res.json().await.context("reading the hub's acknowledgement")?;
            if ack.stream != batch.stream || batch.diverges(ack.last_seq, ack.applied, ack.skipped) {
                // The hub holds entries of this stream this node does not (it was restored from
                // an older backup): only a new stream with a snapshot puts it right.
                return Ok(Delivery::StartOver(
                    "the hub holds entries of this stream that this node does not",
                ));
            }
            self.store
                .sync_acknowledge(batch.stream, batch.batch_seq, ack.last_seq, Utc::now())
                .await?;
            tracing::info!(
                event = "sync_batch_delivered",
                batch_seq = batch.batch_seq,
                entries = batch.entries.len(),
                applied = ack.applied,
                skipped = ack.skipped,
                last_seq = ack.last_seq,
                "batch delivered"
            );
            return Ok(Delivery::Sent);
        }
        let text = res.text().await.unwrap_or_default();
        let problem: Option<Problem> = serde_json::from_str(&text).ok();
        if status == StatusCode::CONFLICT
            && problem
                .as_ref()
                .is_some_and(|p| p.code == shared::error::ProblemCode::SyncOutOfOrder)
        {
            return Ok(Delivery::StartOver(
                "the hub does not have the entries before this batch",
            ));
        }
        anyhow::bail!(
            "the hub refused batch {}: {}",
            batch.batch_seq,
            refusal(status, &text)
        )
    }

    /// Pulls the hub's period locks and mirrors them; a failure is logged and kept for
    /// `/sync/status` (`locks_error`), and the next pull tries again. True when the hub's
    /// answer shows it holds less of this centre than it acknowledged.
    async fn refresh_locks(&self) -> bool {
        match self.pull_locks().await {
            Ok((applied, hub_behind)) => {
                if applied != HubLocksApplied::default() {
                    tracing::info!(
                        event = "sync_locks_applied",
                        center = %self.center,
                        locked = applied.locked,
                        unlocked = applied.unlocked,
                        "period locks from the hub applied"
                    );
                }
                hub_behind
            }
            Err(e) => {
                let message = format!("{e:#}");
                tracing::warn!(event = "sync_locks_pull_failed", center = %self.center, error = %message, "cannot pull the period locks from the hub");
                if let Err(e) = self.store.hub_locks_pull_failed(&message).await {
                    tracing::error!(error = ?e, "cannot record the failed pull of period locks");
                }
                false
            }
        }
    }

    /// Asks the hub for every lock covering this centre (reporting what the hub acknowledged)
    /// and applies the list in one transaction; with whether the hub is behind.
    async fn pull_locks(&self) -> anyhow::Result<(HubLocksApplied, bool)> {
        let outbox = self.store.sync_outbox().await?;
        let acked = outbox.as_ref().and_then(|o| o.acknowledged());
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(a) = acked {
            query.push(("stream", a.stream.to_string()));
            query.push(("acked_seq", a.last_seq.to_string()));
        }
        if let Some(o) = &outbox {
            query.push(("backlog", o.backlog.to_string()));
        }
        let url =
            reqwest::Url::parse_with_params(&self.locks_url, query.iter().map(|(k, v)| (*k, v.as_str())))
                .context("the hub's period-locks URL")?;
        let res = self
            .client
            .get(url)
            .bearer_auth(&self.credential)
            .send()
            .await
            .context("asking the hub for its period locks")?;
        let status = res.status();
        if !status.is_success() {
            let text = res.text().await.unwrap_or_default();
            anyhow::bail!("the hub refused the period locks: {}", refusal(status, &text));
        }
        let answer: HubPeriodLocks = res.json().await.context("reading the hub's period locks")?;
        anyhow::ensure!(
            answer.center == self.center,
            "the hub answered the period locks of {} instead of {}",
            answer.center,
            self.center
        );
        let locks = answer
            .locks
            .iter()
            .map(HubLock::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(anyhow::Error::msg)?;
        let applied = self.store.apply_hub_locks(&locks, Utc::now()).await?;
        // A hub too old to say where it stands is taken as level.
        let behind = match (answer.position.as_ref(), acked.as_ref()) {
            (Some(hub), Some(acked)) => {
                let hub = position::from_view(hub);
                let behind = position::hub_is_behind(hub.as_ref(), acked);
                if behind {
                    tracing::warn!(
                        event = "sync_hub_behind", center = %self.center, acked_seq = acked.last_seq,
                        hub_seq = hub.map(|h| h.last_seq),
                        "the hub holds less of this centre than it acknowledged"
                    );
                }
                behind
            }
            _ => false,
        };
        Ok((applied, behind))
    }

    /// Raises `sync_backlog_stuck` while the oldest waiting entry is older than allowed, and
    /// clears it once deliveries catch up.
    async fn watch_backlog(&self) {
        let limit = chrono::Duration::seconds(self.settings.alert_after_seconds);
        let result = async {
            let Some(state) = self.store.sync_outbox().await? else {
                return Ok(());
            };
            if state.is_stuck(Utc::now(), limit) {
                alerts::raise(
                    self.store.as_ref(),
                    NewAlert {
                        event: BACKLOG_STUCK,
                        subject: self.center.clone(),
                        severity: Severity::Error,
                        message: state.stuck_message(),
                    },
                )
                .await?;
            } else {
                alerts::clear(self.store.as_ref(), BACKLOG_STUCK, &self.center).await?;
            }
            Ok::<_, crate::store::StoreError>(())
        }
        .await;
        if let Err(e) = result {
            tracing::error!(error = ?e, "cannot check the sync backlog");
        }
    }
}
