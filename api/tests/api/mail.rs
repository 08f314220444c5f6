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

async fn mailing_node(sink: &Sink, role: NodeRole) -> TestApp {
    let url = format!("smtp://{}", sink.address);
    spawn_with(role, |s| {
        s.mail.smtp_url = Some(url.into());
        s.mail.from = "attaka@hub.example.jp".into();
        s.mail.to = vec!["unyou@example.jp".into()];
        // The mailer's lease lasts three rounds: 300 ms rounds leave a slow, shared SQL Server
        // hub time to answer a renewal before it runs out (decision 0031).
        s.mail.interval_ms = 300;
    })
    .await
}

#[tokio::test]
async fn a_cleared_alert_is_mailed_once_and_one_cleared_before_its_first_mail_gets_one_mail_for_both() {
    let sink = Sink::start().await;
    let app = mailing_node(&sink, NodeRole::Hub).await;
    let disk = NewAlert {
        event: "disk_low",
        subject: "/var/lib/attaka".into(),
        severity: Severity::Error,
        message: "ディスクの空きが少なくなっています。".into(),
    };
    alerts::raise(app.store.as_ref(), disk.clone()).await.unwrap();
    let mails = sink.wait_for(1).await;
    let (subject, body) = read_mail(&mails[0].data);
    let flat = |s: &str| s.replace(' ', "");
    assert!(flat(&subject).contains("[Attakahub]障害:disk_low"), "{subject}");
    assert!(
        body.contains("運用記録: 障害 No.1"),
        "the incident it opened: {body}"
    );
    assert!(body.contains("解消したときに1通お知らせします"), "{body}");

    alerts::clear(app.store.as_ref(), "disk_low", "/var/lib/attaka")
        .await
        .unwrap();
    let mails = sink.wait_for(2).await;
    let (subject, body) = read_mail(&mails[1].data);
    assert!(
        flat(&subject).contains("[Attakahub]解消（障害）:disk_low"),
        "{subject}"
    );
    assert!(body.contains("先にお知らせした障害は解消しました。"), "{body}");
    assert!(body.contains("解消: "), "{body}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        sink.mails().len(),
        2,
        "one mail for the clearing, not one per round"
    );

    // Raised and cleared while the mail server refused: one mail tells both.
    sink.refuse.store(true, Ordering::SeqCst);
    let burst = NewAlert {
        event: "login_burst",
        subject: "auth.login".into(),
        severity: Severity::Warn,
        message: "直近 10 分にログインの失敗が 25 回ありました。".into(),
    };
    alerts::raise(app.store.as_ref(), burst).await.unwrap();
    alerts::clear(app.store.as_ref(), "login_burst", "auth.login")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    sink.refuse.store(false, Ordering::SeqCst);
    let mails = sink.wait_for(3).await;
    let (subject, body) = read_mail(&mails[2].data);
    assert!(flat(&subject).contains("警告・解消:login_burst"), "{subject}");
    assert!(body.contains("通知の送信前に解消しました"), "{body}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(sink.mails().len(), 3);
    assert!(app.store.unmailed_alerts(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_inquiry_nearing_its_limit_is_mailed_once_before_it_lapses() {
    let sink = Sink::start().await;
    let app = mailing_node(&sink, NodeRole::Hub).await;
    let record = api::domain::ops_log::InquiryRecord {
        received_at: chrono::Utc::now() - chrono::Duration::hours(22),
        source_kind: "center".into(),
        source_code: Some(CENTER.into()),
        channel: "phone".into(),
        category: "account".into(),
        summary: "パスワードを忘れた".into(),
        answer: None,
        first_answered_at: None,
        closed_at: None,
        work_minutes: 0,
    };
    let made = app
        .store
        .create_inquiry(
            &record,
            "operator",
            chrono::Utc::now(),
            api::ops::audit::by_cli("x", None, None),
        )
        .await
        .unwrap();
    let settings = settings(NodeRole::Hub, app.dir.path());
    for _ in 0..3 {
        api::ops::sla::check(app.store.as_ref(), &settings, chrono::Utc::now())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let mails = sink.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.mails().len(), 1, "{:?}", sink.mails());
    let (subject, body) = read_mail(&mails[0].data);
    assert!(
        subject.replace(' ', "").contains("警告:sla_due_soon"),
        "{subject}"
    );
    assert!(
        body.contains(&format!(
            "問い合わせ No.{}「パスワードを忘れた」の初回回答（24 時間以内）の期限が近づいています",
            made.id
        )),
        "{body}"
    );
}
