//! Failure e-mail: each alert event (`ops_alerts`) is mailed once to the operator, by a task
//! that looks for unmailed rows. An alert stays one row while it lasts, so a condition is one
//! mail, not one per check; a send that fails is tried again on the next round, and an alert
//! raised by a command while no server ran is mailed when one runs. Its clearing is mailed once
//! too (or, when it cleared before its first mail went, the one mail says both).

use chrono::Utc;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::Settings;
use crate::domain::alert::Alert;
use crate::domain::clock::jst;
use crate::store::CommonStore;

/// How many alerts one round mails at most.
const BATCH: usize = 20;

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
    /// `hub` or the centre's code, in each subject.
    node: String,
}

impl Mailer {
    /// The mailer `[mail]` describes; none without `mail.smtp_url`.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Option<Mailer>> {
        let Some(url) = crate::config::secret_text(&settings.mail.smtp_url) else {
            return Ok(None);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.trim())
            .map_err(|e| anyhow::anyhow!("mail.smtp_url: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let address = |field: &str, a: &str| {
            a.trim()
                .parse::<Mailbox>()
                .map_err(|e| anyhow::anyhow!("{field}: {a:?} is not an address: {e}"))
        };
        Ok(Some(Mailer {
            transport,
            from: address("mail.from", &settings.mail.from)?,
            to: settings
                .mail
                .to
                .iter()
                .map(|a| address("mail.to", a))
                .collect::<anyhow::Result<_>>()?,
            node: settings.node_name(),
        }))
    }

    /// The mail about `alert`: subject with node, severity, what happened and event; the details
    /// in Japanese. `news` says whether it tells of the raising, the clearing, or both.
    pub fn message(&self, alert: &Alert, news: News) -> anyhow::Result<Message> {
        let kind = if alert.severity == "error" {
            "障害"
        } else {
            "警告"
        };
        let jst_text = |t: chrono::DateTime<Utc>| {
            t.with_timezone(&jst())
                .format("%Y-%m-%d %H:%M:%S (JST)")
                .to_string()
        };
        let cleared = alert.cleared_at.map(jst_text).unwrap_or_default();
        let (subject_kind, opening, closing) = match news {
            News::Raised => (
                kind.to_owned(),
                format!("Attaka からの{kind}通知です。"),
                "同じ事象が解消されるまで、この通知は繰り返し送られません。解消したときに1通お知らせします。"
                    .to_owned(),
            ),
            News::Cleared => (
                format!("解消（{kind}）"),
                format!("先にお知らせした{kind}は解消しました。"),
                format!("解消: {cleared}"),
            ),
            News::RaisedAndCleared => (
                format!("{kind}・解消"),
                format!("Attaka からの{kind}通知です。通知の送信前に解消しました。"),
                format!("解消: {cleared}"),
            ),
        };
        let incident = alert
            .incident_id
            .map(|id| format!("運用記録: 障害 No.{id}\n"))
            .unwrap_or_default();
        let body = format!(
            "{opening}\n\n\
             ノード: {node}\n\
             事象: {event}\n\
             対象: {subject}\n\
             発生: {raised}\n\
             内容: {message}\n\
             {incident}\n\
             {closing}\n\
             詳しくはノードのログ（event={event}）と運用手順書（docs/operator-runbook.md）をご覧ください。\n",
            node = self.node,
            event = alert.event,
            subject = alert.subject,
            raised = jst_text(alert.raised_at),
            message = alert.message,
        );
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(format!("[Attaka {}] {subject_kind}: {}", self.node, alert.event));
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        Ok(builder.singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .header(lettre::message::header::ContentTransferEncoding::Base64)
                .body(body),
        )?)
    }

    /// Mails what the alerts are owed, oldest first: their raising, their clearing, or both in
    /// one mail when an alert cleared before its first mail went; stops at the first send that
    /// fails (the next round tries again). Returns how many mails went out.
    pub async fn deliver_pending(&self, store: &dyn CommonStore) -> anyhow::Result<usize> {
        let mut sent = 0;
        for alert in store.unmailed_alerts(BATCH).await? {
            let news = match (alert.notified_at, alert.cleared_at) {
                (None, None) => News::Raised,
                (None, Some(_)) => News::RaisedAndCleared,
                (Some(_), _) => News::Cleared,
            };
            let message = self.message(&alert, news)?;
            if let Err(e) = self.transport.send(message).await {
                tracing::warn!(event = "alert_mail_failed", alert = %alert.event, error = %e, "could not mail the alert; trying again next round");
                break;
            }
            let now = Utc::now();
            if news != News::Cleared {
                store.mark_alert_mailed(alert.id, now).await?;
            }
            if news != News::Raised {
                store.mark_alert_clear_mailed(alert.id, now).await?;
            }
            tracing::info!(event = "alert_mailed", alert = %alert.event, subject = %alert.subject, news = ?news, "alert mailed to the operator");
            sent += 1;
        }
        Ok(sent)
    }
}

/// What a mail tells of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum News {
    Raised,
    Cleared,
    /// Cleared before its first mail went: one mail tells both.
    RaisedAndCleared,
}

/// The mailer's rounds while the node serves (none without `mail.smtp_url`), by the one process
/// holding the mailer's lease, so an alert is mailed once however many processes serve.
pub fn spawn(
    store: std::sync::Arc<dyn CommonStore>,
    settings: &Settings,
    leases: std::sync::Arc<crate::ops::lease::Leases>,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(mailer) = Mailer::from_settings(settings)? else {
        return Ok(None);
    };
    let every = std::time::Duration::from_millis(settings.mail.interval_ms);
    let ttl = crate::ops::lease::ttl_for(every, 3);
    Ok(Some(tokio::spawn(async move {
        loop {
            if leases.take(store.as_ref(), crate::ops::lease::MAIL, ttl).await {
                if let Err(e) = mailer.deliver_pending(store.as_ref()).await {
                    tracing::warn!(event = "alert_mail_failed", error = %format!("{e:#}"), "mailing alerts failed");
                }
            }
            tokio::time::sleep(every).await;
        }
    })))
}
