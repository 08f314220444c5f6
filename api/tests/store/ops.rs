//! Operations data on every store: the audit log and its hash chain, alert events, the uptime
//! ledger.

use api::domain::alert::{NewAlert, Severity};
use api::domain::audit::{AuditEntry, AuditQuery, AuditRecord, Outcome};
use api::domain::uptime::Run;
use api::store::CommonStore;
use chrono::{DateTime, Duration, Utc};

use crate::data::{at, audit_entry};
use crate::harness::Fresh;

common_story!(
    audit_entries_come_back_whole_and_newest_first,
    the_audit_log_is_searched_by_action_prefix_actor_target_and_time,
    the_audit_chain_verifies_before_and_after_a_purge,
    an_alert_is_raised_once_while_open_and_cleared_once,
    alerts_are_mailed_oldest_first_and_once,
    the_uptime_ledger_keeps_runs_and_finds_those_in_a_window,
);

/// Whole seconds and microseconds: the chain hashes `at` as stored, so it must come back exact.
fn when(month: u32, day: u32) -> DateTime<Utc> {
    at(2024, month, day, 9, 30, 0) + Duration::microseconds(123_456)
}

/// The four entries the audit stories write, oldest first.
fn entries() -> [AuditEntry; 4] {
    let mut e2 = audit_entry("person.update", "bob", "C001-000002-2", when(2, 10));
    e2.outcome = Outcome::Denied;
    e2.account_id = None;
    e2.detail = None;
    let mut e3 = audit_entry("activity.create", "alice", "act-3", when(3, 10));
    e3.outcome = Outcome::Invalid;
    let mut e4 = audit_entry("person.read", "carol", "C001-000001-4", when(4, 10));
    e4.outcome = Outcome::NotFound;
    e4.client = None;
    [
        audit_entry("person.read", "alice", "C001-000001-4", when(1, 10)),
        e2,
        e3,
        e4,
    ]
}

fn same(a: &AuditEntry, b: &AuditEntry) -> bool {
    (
        a.at,
        &a.actor,
        a.account_id,
        &a.role,
        &a.scope,
        &a.action,
        &a.target,
        a.outcome,
        &a.client,
        &a.request_id,
        &a.detail,
    ) == (
        b.at,
        &b.actor,
        b.account_id,
        &b.role,
        &b.scope,
        &b.action,
        &b.target,
        b.outcome,
        &b.client,
        &b.request_id,
        &b.detail,
    )
}

fn query() -> AuditQuery {
    AuditQuery {
        limit: 1000,
        ..Default::default()
    }
}

fn targets(rows: &[AuditRecord]) -> Vec<(&str, &str)> {
    rows.iter()
        .map(|r| {
            (
                r.entry.action.as_str(),
                r.entry.actor.as_deref().unwrap_or_default(),
            )
        })
        .collect()
}

async fn append_all(store: &dyn CommonStore) -> [AuditEntry; 4] {
    let entries = entries();
    for e in &entries {
        store.append_audit(e).await.unwrap();
    }
    entries
}

async fn audit_entries_come_back_whole_and_newest_first(store: Fresh<dyn CommonStore>) {
    let before = store.audit(&query()).await.unwrap().len();
    let entries = append_all(&*store).await;
    let rows = store.audit(&query()).await.unwrap();
    assert_eq!(rows.len(), before + 4);
    let mine = &rows[..4];
    assert!(mine.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    for (row, entry) in mine.iter().zip(entries.iter().rev()) {
        assert!(same(&row.entry, entry), "{:?}\n!=\n{entry:?}", row.entry);
    }
    let limited = store
        .audit(&AuditQuery {
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        limited.iter().map(|r| r.id).collect::<Vec<_>>(),
        [mine[0].id, mine[1].id]
    );
}

async fn the_audit_log_is_searched_by_action_prefix_actor_target_and_time(store: Fresh<dyn CommonStore>) {
    append_all(&*store).await;
    let person = store
        .audit(&AuditQuery {
            action_prefix: Some("person.".into()),
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(
        targets(&person),
        [
            ("person.read", "carol"),
            ("person.update", "bob"),
            ("person.read", "alice")
        ]
    );
    let reads = store
        .audit(&AuditQuery {
            action_prefix: Some("person.read".into()),
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(reads.len(), 2);
    let alice = store
        .audit(&AuditQuery {
            actor: Some("alice".into()),
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(
        targets(&alice),
        [("activity.create", "alice"), ("person.read", "alice")]
    );
    let about = store
        .audit(&AuditQuery {
            target: Some("C001-000001-4".into()),
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(
        targets(&about),
        [("person.read", "carol"), ("person.read", "alice")]
    );
    // `since` is inclusive, `until` exclusive, both to the microsecond.
    let window = store
        .audit(&AuditQuery {
            since: Some(when(2, 10)),
            until: Some(when(4, 10)),
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(
        targets(&window),
        [("activity.create", "alice"), ("person.update", "bob")]
    );
    let combined = store
        .audit(&AuditQuery {
            action_prefix: Some("person.".into()),
            actor: Some("alice".into()),
            until: Some(when(1, 10) + Duration::microseconds(1)),
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(targets(&combined), [("person.read", "alice")]);
    assert!(store
        .audit(&AuditQuery {
            actor: Some("nobody".into()),
            ..query()
        })
        .await
        .unwrap()
        .is_empty());
}

async fn the_audit_chain_verifies_before_and_after_a_purge(store: Fresh<dyn CommonStore>) {
    let start = store.verify_audit_chain().await.unwrap();
    assert_eq!(start.broken_at, None);
    let entries = append_all(&*store).await;
    let report = store.verify_audit_chain().await.unwrap();
    assert_eq!(report.broken_at, None, "{report:?}");
    assert_eq!(report.rows, start.rows + 4);
    let rows = store.audit(&query()).await.unwrap();
    let newest = rows[0].id;
    assert_eq!(report.head.as_ref().map(|h| h.0), Some(newest));

    // Everything older than the third entry goes: the first two (and anything before them).
    let second_id = rows
        .iter()
        .find(|r| r.entry.action == "person.update")
        .unwrap()
        .id;
    let expected = rows.iter().filter(|r| r.id <= second_id).count();
    let purged_at = Utc::now();
    let removed = store.purge_audit(entries[2].at, purged_at).await.unwrap();
    assert_eq!(removed, expected);

    let after = store.verify_audit_chain().await.unwrap();
    assert_eq!(after.broken_at, None, "a purge keeps the chain whole: {after:?}");
    assert_eq!(
        after.rows,
        report.rows - removed as u64 + 1,
        "the purge is audited"
    );
    let purge = store
        .audit(&AuditQuery {
            action_prefix: Some("audit.purge".into()),
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(purge.len(), 1);
    assert_eq!(purge[0].entry.actor.as_deref(), Some("system"));
    assert!(store
        .audit(&AuditQuery {
            actor: Some("bob".into()),
            ..query()
        })
        .await
        .unwrap()
        .is_empty());

    // Nothing older is left; the chain goes on from the purge.
    assert_eq!(store.purge_audit(entries[2].at, Utc::now()).await.unwrap(), 0);
    store
        .append_audit(&audit_entry("person.read", "dan", "x", Utc::now()))
        .await
        .unwrap();
    let last = store.verify_audit_chain().await.unwrap();
    assert_eq!(last.broken_at, None, "{last:?}");
    assert_eq!(last.rows, after.rows + 1);
}

fn alert(event: &'static str, subject: &str, message: &str) -> NewAlert {
    NewAlert {
        event,
        subject: subject.into(),
        severity: Severity::Warn,
        message: message.into(),
    }
}

async fn an_alert_is_raised_once_while_open_and_cleared_once(store: Fresh<dyn CommonStore>) {
    let (t1, t2, t3, t4, t5) = (
        at(2025, 6, 1, 0, 0, 0),
        at(2025, 6, 1, 0, 5, 0),
        at(2025, 6, 1, 1, 0, 0),
        at(2025, 6, 1, 2, 0, 0),
        at(2025, 6, 2, 0, 0, 0),
    );
    assert!(store.alerts(false).await.unwrap().is_empty());
    let disk = alert("disk_low", "data", "空き容量が少なくなっています（10%）。");
    assert!(store.raise_alert(&disk, t1).await.unwrap(), "new");
    let still = alert("disk_low", "data", "空き容量が少なくなっています（8%）。");
    assert!(!store.raise_alert(&still, t2).await.unwrap(), "still open");
    let mut backlog = alert("sync_backlog_stuck", "C001", "送信が滞っています。");
    backlog.severity = Severity::Error;
    assert!(store.raise_alert(&backlog, t3).await.unwrap());
    // Same event about another subject: an alert of its own.
    assert!(store
        .raise_alert(&alert("sync_backlog_stuck", "C002", "送信が滞っています。"), t3)
        .await
        .unwrap());

    let open = store.alerts(true).await.unwrap();
    assert_eq!(open.len(), 3);
    let d = open.iter().find(|a| a.event == "disk_low").unwrap();
    assert_eq!((d.raised_at, d.last_seen_at, d.cleared_at), (t1, t2, None));
    assert_eq!(
        d.message, "空き容量が少なくなっています（8%）。",
        "the latest message"
    );
    assert_eq!((d.subject.as_str(), d.severity.as_str()), ("data", "warn"));
    let b = open
        .iter()
        .find(|a| a.event == "sync_backlog_stuck" && a.subject == "C001")
        .unwrap();
    assert_eq!(b.severity, "error");

    assert!(store.clear_alert("disk_low", "data", t4).await.unwrap());
    assert!(
        !store.clear_alert("disk_low", "data", t4).await.unwrap(),
        "cleared already"
    );
    assert!(!store.clear_alert("disk_low", "nothing", t4).await.unwrap());
    let open = store.alerts(true).await.unwrap();
    assert_eq!(open.len(), 2);
    assert!(open.iter().all(|a| a.event == "sync_backlog_stuck"));
    let all = store.alerts(false).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[2].event, "disk_low", "newest raised first");
    assert_eq!(all[2].cleared_at, Some(t4));

    // Raised again after clearing: a new alert, the old one stays as history.
    assert!(store.raise_alert(&disk, t5).await.unwrap());
    let all = store.alerts(false).await.unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!((all[0].event.as_str(), all[0].raised_at), ("disk_low", t5));
}

async fn alerts_are_mailed_oldest_first_and_once(store: Fresh<dyn CommonStore>) {
    let t = at(2025, 6, 1, 0, 0, 0);
    for (i, subject) in ["a", "b", "c"].into_iter().enumerate() {
        store
            .raise_alert(
                &alert("backup_failed", subject, "バックアップに失敗しました。"),
                t + Duration::minutes(i as i64),
            )
            .await
            .unwrap();
    }
    let subjects = |alerts: Vec<api::domain::alert::Alert>| -> Vec<String> {
        alerts.into_iter().map(|a| a.subject).collect()
    };
    let unmailed = store.unmailed_alerts(10).await.unwrap();
    assert_eq!(subjects(unmailed.clone()), ["a", "b", "c"]);
    assert_eq!(subjects(store.unmailed_alerts(2).await.unwrap()), ["a", "b"]);

    store
        .mark_alert_mailed(unmailed[0].id, t + Duration::hours(1))
        .await
        .unwrap();
    store
        .mark_alert_mailed(unmailed[2].id, t + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(subjects(store.unmailed_alerts(10).await.unwrap()), ["b"]);
    // Clearing does not mail: a cleared, unmailed alert is still owed to the operator.
    store
        .clear_alert("backup_failed", "b", t + Duration::hours(2))
        .await
        .unwrap();
    let owed = store.unmailed_alerts(10).await.unwrap();
    assert_eq!(subjects(owed.clone()), ["b"]);
    assert!(owed[0].cleared_at.is_some());
}

async fn the_uptime_ledger_keeps_runs_and_finds_those_in_a_window(store: Fresh<dyn CommonStore>) {
    let t0 = at(2025, 5, 1, 0, 0, 0);
    let day = Duration::days(1);
    assert_eq!(
        store.uptime_runs(t0 - day, t0 + day).await.unwrap(),
        (vec![], None)
    );

    let first = store.start_uptime_run(t0).await.unwrap();
    store
        .uptime_heartbeat(first, t0 + Duration::minutes(10))
        .await
        .unwrap();
    let second = store.start_uptime_run(t0 + Duration::hours(1)).await.unwrap();
    assert_ne!(first, second);
    store
        .uptime_heartbeat(second, t0 + Duration::hours(2))
        .await
        .unwrap();
    let run1 = Run {
        started_at: t0,
        last_seen_at: t0 + Duration::minutes(10),
    };
    let run2 = Run {
        started_at: t0 + Duration::hours(1),
        last_seen_at: t0 + Duration::hours(2),
    };

    let (runs, first_ever) = store.uptime_runs(t0 - day, t0 + day).await.unwrap();
    assert_eq!((runs, first_ever), (vec![run1, run2], Some(t0)));
    // A run overlaps `[from, to)` when it was seen at or after `from` and began before `to`.
    let window = store
        .uptime_runs(t0 + Duration::minutes(30), t0 + Duration::minutes(90))
        .await
        .unwrap();
    assert_eq!(window, (vec![run2], Some(t0)));
    let touching = store
        .uptime_runs(t0 + Duration::minutes(10), t0 + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(
        touching.0,
        vec![run1],
        "seen at `from` counts, begun at `to` does not"
    );
    let later = store
        .uptime_runs(t0 + Duration::hours(3), t0 + day)
        .await
        .unwrap();
    assert_eq!(
        later,
        (vec![], Some(t0)),
        "the first run is known whatever the window"
    );
}
