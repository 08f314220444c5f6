//! The operations log on every store: inquiries, incidents (also those alert events open),
//! changes (also those recorded at start), maintenance windows; the clear mail of an alert;
//! leases; and, on the hub, the position of a centre's outbox and the centres re-sending.

use std::sync::Arc;

use api::domain::alert::{NewAlert, Severity};
use api::domain::audit::AuditQuery;
use api::domain::ops_log::{
    ChangeRecord, IncidentRecord, InquiryRecord, LogWindow, MaintenanceRecord, Origin,
};
use api::domain::sync::StreamPosition;
use api::store::{CommonStore, HubStore, StoreError};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::data::{at, draft};
use crate::harness::{Fresh, CENTER, OTHER_CENTER};

mod any_store {
    use super::*;
    common_story!(
        an_inquiry_is_kept_whole_replaced_and_found_while_it_is_open,
        an_alert_opens_one_incident_and_raised_again_joins_it_until_it_is_resolved,
        a_reminder_opens_no_incident,
        a_change_the_node_makes_is_recorded_once_under_its_key,
        a_maintenance_window_is_found_by_overlap_and_cancelled_once,
        a_cleared_alert_is_owed_one_clear_mail,
        the_database_lists_its_migrations,
        one_holder_at_a_time_holds_a_lease_until_it_expires_or_is_released,
        of_holders_taking_a_free_lease_at_once_exactly_one_gets_it,
        of_two_processes_racing_for_a_lease_many_times_never_both_hold_it,
    );
}

mod hub {
    use super::*;
    hub_story!(the_hub_notes_the_centres_re_sending_until_each_is_level);
}

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    at(2025, 5, day, hour, 0, 0)
}

fn inquiry(
    received: DateTime<Utc>,
    answered: Option<DateTime<Utc>>,
    closed: Option<DateTime<Utc>>,
) -> InquiryRecord {
    InquiryRecord {
        received_at: received,
        source_kind: "municipality".into(),
        source_code: Some("392014".into()),
        channel: "email".into(),
        category: "data".into(),
        summary: "集計表の見方".into(),
        answer: Some("画面の説明を送付".into()),
        first_answered_at: answered,
        closed_at: closed,
        work_minutes: 25,
    }
}

async fn an_inquiry_is_kept_whole_replaced_and_found_while_it_is_open(store: Fresh<dyn CommonStore>) {
    let record = inquiry(t(2, 1), None, None);
    let made = store
        .create_inquiry(&record, "operator", t(2, 2), draft("ops.inquiry.create"))
        .await
        .unwrap();
    assert_eq!(made.record, record);
    assert_eq!(
        (made.recorded_by.as_str(), made.created_at),
        ("operator", t(2, 2))
    );
    assert_eq!(store.inquiry(made.id).await.unwrap(), made);
    // The audit row went with the write.
    let rows = store
        .audit(&AuditQuery {
            action_prefix: Some("ops.inquiry".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);

    // Open: found in any later window; closed on the 4th: not in a window after that.
    let june = LogWindow {
        from: at(2025, 6, 1, 0, 0, 0),
        to: at(2025, 7, 1, 0, 0, 0),
    };
    assert_eq!(store.inquiries(june).await.unwrap().len(), 1);
    let closed = inquiry(t(2, 1), Some(t(2, 3)), Some(t(4, 0)));
    let replaced = store
        .update_inquiry(made.id, &closed, t(4, 1), draft("ops.inquiry.update"))
        .await
        .unwrap();
    assert_eq!(replaced.record, closed);
    assert_eq!(replaced.created_at, t(2, 2));
    assert_eq!(replaced.updated_at, t(4, 1));
    assert!(store.inquiries(june).await.unwrap().is_empty());
    let may = LogWindow {
        from: t(1, 0),
        to: at(2025, 6, 1, 0, 0, 0),
    };
    assert_eq!(store.inquiries(may).await.unwrap(), [replaced]);
    let april = LogWindow {
        from: at(2025, 4, 1, 0, 0, 0),
        to: t(1, 0),
    };
    assert!(
        store.inquiries(april).await.unwrap().is_empty(),
        "received after the window"
    );
    assert!(matches!(
        store
            .update_inquiry(9_999, &closed, t(4, 1), draft("ops.inquiry.update"))
            .await,
        Err(StoreError::NotFound)
    ));
}

fn alert(event: &'static str, subject: &str) -> NewAlert {
    NewAlert {
        event,
        subject: subject.into(),
        severity: Severity::Error,
        message: "ディスクの空きが少なくなっています。".into(),
    }
}

async fn an_alert_opens_one_incident_and_raised_again_joins_it_until_it_is_resolved(
    store: Fresh<dyn CommonStore>,
) {
    let disk = alert("disk_low", "/data");
    assert!(store.raise_alert(&disk, t(10, 0)).await.unwrap());
    let all = store.incidents(LogWindow::all()).await.unwrap();
    assert_eq!(all.len(), 1);
    let first = &all[0];
    assert_eq!(first.origin, Origin::Automatic);
    assert_eq!(first.record.detected_at, t(10, 0));
    assert_eq!(first.record.kind, "failure");
    assert_eq!(first.alert_event.as_deref(), Some("disk_low"));
    assert_eq!(first.alert_subject.as_deref(), Some("/data"));
    assert_eq!(first.alert_count, 1);
    assert_eq!(first.recorded_by, "system");
    // Still open: noted again, no new incident.
    assert!(!store.raise_alert(&disk, t(10, 1)).await.unwrap());
    // Cleared and raised again while the incident is unresolved: it joins the incident.
    store.clear_alert("disk_low", "/data", t(10, 2)).await.unwrap();
    assert!(store.raise_alert(&disk, t(10, 3)).await.unwrap());
    let all = store.incidents(LogWindow::all()).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].alert_count, 2);
    let events = store.incident_alerts(first.id).await.unwrap();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|a| a.incident_id == Some(first.id)));
    // Another subject is another incident; a login burst a security one.
    store
        .raise_alert(&alert("disk_low", "/backups"), t(10, 4))
        .await
        .unwrap();
    store
        .raise_alert(&alert("login_burst", "auth.login"), t(10, 5))
        .await
        .unwrap();
    let all = store.incidents(LogWindow::all()).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[2].record.kind, "security");
    // Resolved: the next raise opens a new incident.
    let mut resolved = all[0].record.clone();
    resolved.triaged_at = Some(t(10, 6));
    resolved.resolved_at = Some(t(10, 7));
    resolved.cause = Some("ログの肥大".into());
    store
        .update_incident(first.id, &resolved, t(10, 7), draft("ops.incident.update"))
        .await
        .unwrap();
    store.clear_alert("disk_low", "/data", t(10, 8)).await.unwrap();
    store.raise_alert(&disk, t(11, 0)).await.unwrap();
    let all = store.incidents(LogWindow::all()).await.unwrap();
    assert_eq!(all.len(), 4);
    let again = store.incident(first.id).await.unwrap();
    assert_eq!(again.record, resolved);
    assert_eq!(
        again.origin,
        Origin::Automatic,
        "an edit keeps where it came from"
    );
    // A manual one.
    let manual = IncidentRecord {
        detected_at: t(12, 0),
        kind: "failure".into(),
        summary: "県庁の回線障害で接続できない".into(),
        triaged_at: None,
        resolved_at: None,
        cause: None,
        impact: None,
        handling: None,
        work_minutes: 0,
    };
    let made = store
        .create_incident(&manual, "operator", t(12, 1), draft("ops.incident.create"))
        .await
        .unwrap();
    assert_eq!((made.origin, made.alert_count), (Origin::Manual, 0));
    assert_eq!(made.record, manual);
}

async fn a_reminder_opens_no_incident(store: Fresh<dyn CommonStore>) {
    let reminder = NewAlert {
        event: "sla_due_soon",
        subject: "inquiry:1".into(),
        severity: Severity::Warn,
        message: "期限が近づいています。".into(),
    };
    assert!(store.raise_alert(&reminder, t(10, 0)).await.unwrap());
    assert!(store.incidents(LogWindow::all()).await.unwrap().is_empty());
    assert_eq!(store.alerts(true).await.unwrap()[0].incident_id, None);
}

fn change(at: DateTime<Utc>, summary: &str) -> ChangeRecord {
    ChangeRecord {
        changed_at: at,
        kind: "release".into(),
        summary: summary.into(),
        reason: "新しい版".into(),
        impact: "停止 5 分".into(),
        work_minutes: 0,
    }
}

async fn a_change_the_node_makes_is_recorded_once_under_its_key(store: Fresh<dyn CommonStore>) {
    // Migrations ran while the store was opened; recording at start is left to the node.
    assert_eq!(store.latest_auto_change_key("release:").await.unwrap(), None);
    assert!(store
        .record_auto_change("release:0.1.0", &change(t(1, 0), "0.1.0"), t(1, 0))
        .await
        .unwrap());
    assert!(!store
        .record_auto_change("release:0.1.0", &change(t(1, 1), "0.1.0 again"), t(1, 1))
        .await
        .unwrap());
    assert!(store
        .record_auto_change("release:0.2.0", &change(t(5, 0), "0.2.0"), t(5, 0))
        .await
        .unwrap());
    assert_eq!(
        store.latest_auto_change_key("release:").await.unwrap().as_deref(),
        Some("release:0.2.0")
    );
    assert_eq!(store.latest_auto_change_key("schema:").await.unwrap(), None);
    let manual = ChangeRecord {
        kind: "config".into(),
        work_minutes: 30,
        ..change(t(7, 0), "SMTP サーバーを変更")
    };
    let made = store
        .create_change(&manual, "operator", t(7, 1), draft("ops.change.create"))
        .await
        .unwrap();
    let all = store.changes(LogWindow::all()).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].auto_key.as_deref(), Some("release:0.1.0"));
    assert_eq!(all[0].record.summary, "0.1.0", "the first one stays");
    assert_eq!(all[2], made);
    assert_eq!(made.origin, Origin::Manual);
    let edited = ChangeRecord {
        impact: "再起動 1 回".into(),
        ..manual
    };
    let replaced = store
        .update_change(made.id, &edited, t(8, 0), draft("ops.change.update"))
        .await
        .unwrap();
    assert_eq!(replaced.record, edited);
    let first_week = LogWindow {
        from: t(1, 0),
        to: t(6, 0),
    };
    assert_eq!(store.changes(first_week).await.unwrap().len(), 2);
}

async fn a_maintenance_window_is_found_by_overlap_and_cancelled_once(store: Fresh<dyn CommonStore>) {
    let record = MaintenanceRecord {
        starts_at: t(10, 1),
        ends_at: t(10, 3),
        summary: "定期点検".into(),
        work_minutes: 120,
    };
    let made = store
        .create_maintenance(&record, "operator", t(1, 0), draft("ops.maintenance.create"))
        .await
        .unwrap();
    assert_eq!(
        (made.record.clone(), made.announced_at, made.cancelled_at),
        (record, t(1, 0), None)
    );
    assert!(made.counts());
    let overlapping = LogWindow {
        from: t(10, 2),
        to: t(10, 4),
    };
    assert_eq!(store.maintenance_windows(overlapping).await.unwrap().len(), 1);
    let after = LogWindow {
        from: t(10, 3),
        to: t(11, 0),
    };
    assert!(store.maintenance_windows(after).await.unwrap().is_empty());
    let cancelled = store
        .cancel_maintenance(made.id, t(5, 0), draft("ops.maintenance.cancel"))
        .await
        .unwrap();
    assert_eq!(cancelled.cancelled_at, Some(t(5, 0)));
    assert!(!cancelled.counts());
    let again = store
        .cancel_maintenance(made.id, t(6, 0), draft("ops.maintenance.cancel"))
        .await
        .unwrap();
    assert_eq!(again.cancelled_at, Some(t(5, 0)), "cancelled once");
    assert_eq!(store.maintenance(made.id).await.unwrap(), again);
    assert!(matches!(
        store.maintenance(9_999).await,
        Err(StoreError::NotFound)
    ));
}

async fn a_cleared_alert_is_owed_one_clear_mail(store: Fresh<dyn CommonStore>) {
    let disk = alert("disk_low", "/data");
    store.raise_alert(&disk, t(10, 0)).await.unwrap();
    let owed = store.unmailed_alerts(10).await.unwrap();
    assert_eq!((owed.len(), owed[0].notified_at), (1, None));
    let id = owed[0].id;
    store.mark_alert_mailed(id, t(10, 1)).await.unwrap();
    // Marking the clear mail of an alert still open changes nothing.
    store.mark_alert_clear_mailed(id, t(10, 1)).await.unwrap();
    assert!(store.unmailed_alerts(10).await.unwrap().is_empty());
    store.clear_alert("disk_low", "/data", t(10, 2)).await.unwrap();
    let owed = store.unmailed_alerts(10).await.unwrap();
    assert_eq!(owed.len(), 1);
    assert_eq!(owed[0].notified_at, Some(t(10, 1)));
    assert_eq!(owed[0].cleared_notified_at, None);
    store.mark_alert_clear_mailed(id, t(10, 3)).await.unwrap();
    assert!(store.unmailed_alerts(10).await.unwrap().is_empty());
    let all = store.alerts(false).await.unwrap();
    assert_eq!(all[0].cleared_notified_at, Some(t(10, 3)));
}

async fn the_database_lists_its_migrations(store: Fresh<dyn CommonStore>) {
    let migrations = store.applied_migrations().await.unwrap();
    assert!(migrations.windows(2).all(|w| w[0].version < w[1].version));
    // Every store lists the migrations it ran under their numbers (a SQL Server hub has only
    // the hub's share; numbers may leave gaps).
    for (version, name) in [(1, "init"), (19, "ops_log"), (21, "leases")] {
        let m = migrations.iter().find(|m| m.version == version).unwrap();
        assert_eq!((m.name.as_str(), m.skipped), (name, false), "{migrations:?}");
    }
    assert!(migrations
        .iter()
        .all(|m| m.applied_at > Utc::now() - Duration::hours(1)));
}

/// Leases run by the database's clock from their write (the caller passes no time), so this
/// story waits in real time: a few seconds.
async fn one_holder_at_a_time_holds_a_lease_until_it_expires_or_is_released(store: Fresh<dyn CommonStore>) {
    let ttl = Duration::seconds(3);
    let start = std::time::Instant::now();
    assert!(store.take_lease("watch", "a", ttl).await.unwrap(), "free");
    assert!(!store.take_lease("watch", "b", ttl).await.unwrap(), "a's");
    // Another lease is another name.
    assert!(store.take_lease("daily", "b", ttl).await.unwrap());
    // a renews two seconds in: its lease now runs to at least five seconds from the start, so b,
    // trying once the first three seconds have passed, still finds it taken.
    tokio::time::sleep(std::time::Duration::from_secs(2).saturating_sub(start.elapsed())).await;
    assert!(store.take_lease("watch", "a", ttl).await.unwrap(), "renewed");
    tokio::time::sleep(std::time::Duration::from_millis(3300).saturating_sub(start.elapsed())).await;
    assert!(
        !store.take_lease("watch", "b", ttl).await.unwrap(),
        "the renewal runs from its own write"
    );
    // Once it runs out, b takes it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !store.take_lease("watch", "b", ttl).await.unwrap() {
        assert!(std::time::Instant::now() < deadline, "a's lease never ran out");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(!store.take_lease("watch", "a", ttl).await.unwrap(), "b's now");
    // Released: not by another holder, and by its own at once.
    store.release_lease("watch", "a").await.unwrap();
    assert!(
        !store.take_lease("watch", "a", ttl).await.unwrap(),
        "not a's to release"
    );
    store.release_lease("watch", "b").await.unwrap();
    assert!(
        store.take_lease("watch", "a", ttl).await.unwrap(),
        "free once released"
    );
}

async fn of_holders_taking_a_free_lease_at_once_exactly_one_gets_it(store: Fresh<dyn CommonStore>) {
    for round in 0..12 {
        let name = format!("job-{round}");
        let start = Arc::new(tokio::sync::Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|n| {
                let (store, start, name) = (store.store.clone(), start.clone(), name.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    store
                        .take_lease(&name, &format!("holder-{n}"), Duration::minutes(5))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut winners = 0;
        for h in handles {
            winners += usize::from(h.await.unwrap());
        }
        assert_eq!(winners, 1, "round {round}");
    }
}

/// What the lease is like when two processes reach for it at once.
#[derive(Debug, Clone, Copy)]
enum Race {
    /// No row yet: both INSERT.
    Free,
    /// A third holder's lease ran out: both UPDATE the same row.
    Expired,
    /// The first process's own lease ran out: it renews while the second takes over.
    OwnExpired,
    /// The first process holds it: it renews while the second tries.
    Held,
}

/// Two processes on one database (each its own pool, as two hub processes are), reaching for
/// the same lease at the same instant, round after round: never do both get it.
async fn of_two_processes_racing_for_a_lease_many_times_never_both_hold_it(store: Fresh<dyn CommonStore>) {
    let second = store.another_process().await.common();
    let first = store.store.clone();
    let ttl = Duration::minutes(5);
    for round in 0..60 {
        let race = [Race::Free, Race::Expired, Race::OwnExpired, Race::Held][round % 4];
        let name = format!("race-{round}");
        // A lease of no length runs out as it is written.
        let over = Duration::zero();
        match race {
            Race::Free => {}
            Race::Expired => assert!(first.take_lease(&name, "gone", over).await.unwrap()),
            Race::OwnExpired => assert!(first.take_lease(&name, "a", over).await.unwrap()),
            Race::Held => assert!(first.take_lease(&name, "a", ttl).await.unwrap()),
        }
        let start = Arc::new(tokio::sync::Barrier::new(2));
        let reach = |store: Arc<dyn CommonStore>, holder: &'static str| {
            let (start, name) = (start.clone(), name.clone());
            tokio::spawn(async move {
                start.wait().await;
                store.take_lease(&name, holder, ttl).await.unwrap()
            })
        };
        let (a, b) = (reach(first.clone(), "a"), reach(second.clone(), "b"));
        let (a, b) = (a.await.unwrap(), b.await.unwrap());
        assert!(
            !(a && b),
            "round {round} ({race:?}): both processes hold the lease"
        );
        assert!(a || b, "round {round} ({race:?}): neither holds the free lease");
        if let Race::Held = race {
            assert!(a, "round {round}: the holder keeps a lease that has not run out");
        }
        // And afterwards, the one that lost still finds it taken.
        let (winner, loser, loser_store) = if a {
            ("a", "b", &second)
        } else {
            ("b", "a", &first)
        };
        assert!(
            !loser_store.take_lease(&name, loser, ttl).await.unwrap(),
            "round {round} ({race:?}): {winner}'s lease taken by {loser}"
        );
    }
}

fn position(stream: u128, last_seq: u64) -> StreamPosition {
    StreamPosition {
        stream: Uuid::from_u128(stream),
        last_seq,
    }
}

async fn the_hub_notes_the_centres_re_sending_until_each_is_level(store: Fresh<dyn HubStore>) {
    let epoch = t(1, 0);
    assert_eq!(store.sync_position(CENTER).await.unwrap(), None);
    assert!(store.resends(epoch).await.unwrap().is_empty());
    store
        .note_resend(CENTER, &position(1, 40), Some(&position(1, 25)), t(10, 0))
        .await
        .unwrap();
    let open = store.resends(epoch).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!((open[0].center.as_str(), open[0].detected_at), (CENTER, t(10, 0)));
    assert_eq!(
        (open[0].acked, open[0].hub),
        (position(1, 40), Some(position(1, 25)))
    );
    assert_eq!(open[0].caught_up_at, None);
    // Noted again while open: kept as first noted.
    store
        .note_resend(CENTER, &position(1, 40), Some(&position(2, 3)), t(10, 1))
        .await
        .unwrap();
    store
        .note_resend(OTHER_CENTER, &position(7, 9), None, t(10, 2))
        .await
        .unwrap();
    let open = store.resends(epoch).await.unwrap();
    assert_eq!(
        open.iter().map(|r| r.center.as_str()).collect::<Vec<_>>(),
        [CENTER, OTHER_CENTER]
    );
    assert_eq!(
        (open[0].detected_at, open[0].hub),
        (t(10, 0), Some(position(1, 25)))
    );
    assert_eq!(open[1].hub, None);
    assert!(store.end_resend(CENTER, t(11, 0)).await.unwrap());
    assert!(!store.end_resend(CENTER, t(11, 1)).await.unwrap(), "ended once");
    // Ended ones are listed from their end on, not before.
    let all = store.resends(t(11, 0)).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].caught_up_at, Some(t(11, 0)));
    let later = store.resends(t(11, 1)).await.unwrap();
    assert_eq!(
        later.iter().map(|r| r.center.as_str()).collect::<Vec<_>>(),
        [OTHER_CENTER]
    );
    // A later restore: the same centre is noted afresh.
    store
        .note_resend(CENTER, &position(3, 5), None, t(12, 0))
        .await
        .unwrap();
    let again = store.resends(t(12, 0)).await.unwrap();
    let c = again.iter().find(|r| r.center == CENTER).unwrap();
    assert_eq!(
        (c.detected_at, c.acked, c.caught_up_at),
        (t(12, 0), position(3, 5), None)
    );
}
