//! Failure e-mail through a real SMTP conversation: a small SMTP server in the test takes the
//! node's mail. A failing backup is mailed once while it lasts, in Japanese, to the operator;
//! a mail the server refuses is sent again on a later round.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use api::domain::alert::{NewAlert, Severity};
use api::ops::{alerts, backup};
use base64::Engine;
use shared::dto::meta::NodeRole;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::helpers::*;

/// One mail as the server received it.
#[derive(Debug, Clone)]
struct Received {
    recipients: Vec<String>,
    data: String,
}

/// An SMTP server that keeps what it is sent; with `refuse` set it answers MAIL FROM with a
/// temporary failure.
struct Sink {
    address: String,
    mails: Arc<Mutex<Vec<Received>>>,
    refuse: Arc<AtomicBool>,
}

impl Sink {
    async fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("addr").to_string();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let refuse = Arc::new(AtomicBool::new(false));
        let (kept, refusing) = (mails.clone(), refuse.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (kept, refusing) = (kept.clone(), refusing.clone());
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                    let mut recipients = Vec::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "MAIL" if refusing.load(Ordering::SeqCst) => b"451 4.3.0 try again later\r\n",
                            "RCPT" => {
                                recipients.push(line[8..].trim().to_owned());
                                b"250 ok\r\n"
                            }
                            "DATA" => {
                                let _ = write.write_all(b"354 go ahead\r\n").await;
                                let mut data = String::new();
                                while let Ok(Some(l)) = lines.next_line().await {
                                    if l == "." {
                                        break;
                                    }
                                    data.push_str(&l);
                                    data.push('\n');
                                }
                                kept.lock().unwrap().push(Received {
                                    recipients: std::mem::take(&mut recipients),
                                    data,
                                });
                                b"250 queued\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                break;
                            }
                            _ => b"250 ok\r\n",
                        };
                        if write.write_all(reply).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        Sink {
            address,
            mails,
            refuse,
        }
    }

    fn mails(&self) -> Vec<Received> {
        self.mails.lock().unwrap().clone()
    }

    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..100 {
            if self.mails().len() >= n {
                return self.mails();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{n} mail(s) expected, got {:?}", self.mails());
    }
}

/// The subject (encoded words decoded) and the body (base64 decoded) of a mail.
fn read_mail(data: &str) -> (String, String) {
    let (head, body) = data.split_once("\n\n").expect("headers, then the body");
    let unfolded = head.replace("\n ", " ").replace("\n\t", " ");
    let raw_subject = unfolded
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .expect("a subject");
    let b64 = base64::engine::general_purpose::STANDARD;
    let subject = raw_subject
        .split(' ')
        .map(|word| {
            let lower = word.to_ascii_lowercase();
            match lower
                .strip_prefix("=?utf-8?b?")
                .and_then(|w| w.strip_suffix("?="))
            {
                Some(_) => {
                    String::from_utf8(b64.decode(&word[10..word.len() - 2]).expect("b64")).expect("utf-8")
                }
                None => format!("{word} "),
            }
        })
        .collect::<String>();
    let body = String::from_utf8(
        b64.decode(body.split_whitespace().collect::<String>())
            .expect("base64 body"),
    )
    .expect("utf-8 body");
    (subject, body)
}

#[tokio::test]
async fn a_failing_backup_is_mailed_once_and_a_refused_mail_is_sent_again() {
    let sink = Sink::start().await;
    let url = format!("smtp://{}", sink.address);
    let app = spawn_with(NodeRole::Center, |s| {
        s.mail.smtp_url = Some(url.into());
        s.mail.from = "attaka@c001.example.jp".into();
        s.mail.to = vec!["unyou@example.jp".into()];
        s.mail.interval_ms = 100;
    })
    .await;
    let mut settings = settings(NodeRole::Center, app.dir.path());
    let blocked = app.dir.path().join("not-a-dir");
    std::fs::write(&blocked, b"x").unwrap();
    settings.backup.dir = Some(blocked.join("backups"));

    assert!(backup::run_once(app.store.as_ref(), &settings).await.is_err());
    let mails = sink.wait_for(1).await;
    assert_eq!(mails[0].recipients, ["<unyou@example.jp>"]);
    let (subject, body) = read_mail(&mails[0].data);
    assert!(
        subject.contains("[Attaka C001]") && subject.contains("障害") && subject.contains("backup_failed"),
        "{subject}"
    );
    assert!(body.contains("バックアップを作成できませんでした"), "{body}");
    assert!(
        body.contains(&blocked.display().to_string()),
        "names what it is about: {body}"
    );

    // Still failing: the alert is the same one, and it is not mailed again.
    assert!(backup::run_once(app.store.as_ref(), &settings).await.is_err());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(sink.mails().len(), 1);

    // The server refuses for a while: the next alert waits, then goes out.
    sink.refuse.store(true, Ordering::SeqCst);
    let stuck = NewAlert {
        event: "sync_backlog_stuck",
        subject: "C001".into(),
        severity: Severity::Warn,
        message: "未送信の変更が1時間以上たまっています。".into(),
    };
    alerts::raise(app.store.as_ref(), stuck).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(sink.mails().len(), 1);
    assert_eq!(app.store.unmailed_alerts(10).await.unwrap().len(), 1);
    sink.refuse.store(false, Ordering::SeqCst);
    let mails = sink.wait_for(2).await;
    let (subject, body) = read_mail(&mails[1].data);
    assert!(
        subject.contains("警告") && subject.contains("sync_backlog_stuck"),
        "{subject}"
    );
    assert!(body.contains("未送信の変更が1時間以上たまっています。"), "{body}");
    assert!(app.store.unmailed_alerts(10).await.unwrap().is_empty());
}

#[test]
fn mail_settings_are_checked_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(NodeRole::Hub, dir.path());
    s.mail.smtp_url = Some("smtp://127.0.0.1:25".into());
    assert!(s.check().is_err(), "no recipient");
    s.mail.to = vec!["not an address".into()];
    assert!(s.check().is_err(), "a malformed recipient");
    s.mail.to = vec!["unyou@example.jp".into()];
    s.check().expect("a complete [mail]");
    s.mail.smtp_url = Some("gopher://x".into());
    assert!(s.check().is_err(), "an unknown scheme");
}
