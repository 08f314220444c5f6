//! Failure e-mail: each alert event (`ops_alerts`) is mailed once to the operator, by a task
//! that looks for unmailed rows. An alert stays one row while it lasts, so a condition is one
//! mail, not one per check; a send that fails is tried again on the next round, and an alert
//! raised by a command while no server ran is mailed when one runs.

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

    /// The mail about `alert`: subject with node, severity and event; the details in Japanese.
    pub fn message(&self, alert: &Alert) -> anyhow::Result<Message> {
        let kind = if alert.severity == "error" {
            "障害"
        } else {
            "警告"
        };
        let body = format!(
            "Attaka からの{kind}通知です。\n\n\
             ノード: {node}\n\
             事象: {event}\n\
             対象: {subject}\n\
             発生: {raised}\n\
             内容: {message}\n\n\
             同じ事象が解消されるまで、この通知は繰り返し送られません。\n\
             詳しくはノードのログ（event={event}）と運用手順書（docs/operator-runbook.md）をご覧ください。\n",
            node = self.node,
            event = alert.event,
            subject = alert.subject,
            raised = alert
                .raised_at
                .with_timezone(&jst())
                .format("%Y-%m-%d %H:%M:%S (JST)"),
            message = alert.message,
        );
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(format!("[Attaka {}] {kind}: {}", self.node, alert.event));
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

    /// Mails the alerts not yet mailed, oldest first; stops at the first send that fails (the
    /// next round tries again). Returns how many went out.
    pub async fn deliver_pending(&self, store: &dyn CommonStore) -> anyhow::Result<usize> {
        let mut sent = 0;
        for alert in store.unmailed_alerts(BATCH).await? {
            let message = self.message(&alert)?;
            if let Err(e) = self.transport.send(message).await {
                tracing::warn!(event = "alert_mail_failed", alert = %alert.event, error = %e, "could not mail the alert; trying again next round");
                break;
            }
            store.mark_alert_mailed(alert.id, Utc::now()).await?;
            tracing::info!(event = "alert_mailed", alert = %alert.event, subject = %alert.subject, "alert mailed to the operator");
            sent += 1;
        }
        Ok(sent)
    }
}

/// The mailer's rounds while the node serves (none without `mail.smtp_url`).
pub fn spawn(
    store: std::sync::Arc<dyn CommonStore>,
    settings: &Settings,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(mailer) = Mailer::from_settings(settings)? else {
        return Ok(None);
    };
    let every = std::time::Duration::from_millis(settings.mail.interval_ms);
    Ok(Some(tokio::spawn(async move {
        loop {
            if let Err(e) = mailer.deliver_pending(store.as_ref()).await {
                tracing::warn!(event = "alert_mail_failed", error = %format!("{e:#}"), "mailing alerts failed");
            }
            tokio::time::sleep(every).await;
        }
    })))
}
