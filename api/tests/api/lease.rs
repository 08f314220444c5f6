//! Two hub processes on one database (as behind a load balancer): one runs the watch, the
//! mailer and the nightly jobs; when it stops, the other takes over once its lease expires.

use std::time::{Duration, Instant};

use shared::dto::meta::NodeRole;

use crate::helpers::*;

/// The value of `attaka_lease_held{lease="…"}` in a node's `/metrics`, once it has tried.
async fn held(app: &TestApp, lease: &str) -> Option<bool> {
    let text = app.metrics_text().await;
    let series = format!("attaka_lease_held{{lease=\"{lease}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&series))
        .map(|v| v.trim() == "1")
}

/// A round every second, so a lease of three rounds (3 s): far longer than a shared test
/// server's stalls (half a second seen), so no lease runs out between rounds, and short enough
/// for the take-over below.
fn fast_watch(s: &mut api::config::Settings) {
    s.watch.interval_ms = 1000;
}

#[tokio::test]
async fn of_two_hub_processes_on_one_database_one_runs_the_watch_and_the_other_takes_over() {
    let first = spawn_with(NodeRole::Hub, fast_watch).await;
    let second = spawn_in(first.dir.clone(), NodeRole::Hub, false, fast_watch).await;
    // Both have tried: never do both hold it, and one does, as we look for several rounds. (Were
    // the database to stall for longer than a lease, neither would for a moment: /metrics says 1
    // only while the lease taken at the last try has not run out.)
    let deadline = Instant::now() + Duration::from_secs(10);
    while held(&first, "watch").await.is_none() || held(&second, "watch").await.is_none() {
        assert!(Instant::now() < deadline, "both processes try within ten seconds");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut one_held = 0;
    for _ in 0..8 {
        let (a, b) = (held(&first, "watch").await, held(&second, "watch").await);
        assert!(a.is_some() && b.is_some(), "both tried: {a:?} {b:?}");
        assert!(a != Some(true) || b != Some(true), "both hold the lease");
        one_held += usize::from(a == Some(true) || b == Some(true));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(one_held > 0, "neither process ever held the lease");
    let (holder, other) = if held(&first, "watch").await == Some(true) {
        (first, second)
    } else {
        (second, first)
    };
    // The holder stops; its lease (three rounds) runs out and the other takes it.
    holder.stop.stop().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while held(&other, "watch").await != Some(true) {
        assert!(Instant::now() < deadline, "the other process never took over");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn of_two_hub_processes_waking_for_the_nightly_jobs_one_runs_them() {
    let first = spawn_node(NodeRole::Hub).await;
    let second = spawn_in(first.dir.clone(), NodeRole::Hub, false, |_| {}).await;
    let mut settings = settings(NodeRole::Hub, first.dir.path());
    settings.backup.enabled = true;
    let (a, b) = (api::ops::lease::Leases::new(), api::ops::lease::Leases::new());
    let (ran_a, ran_b) = tokio::join!(
        api::ops::daily::run_leased(first.store.as_ref(), &settings, &a),
        api::ops::daily::run_leased(second.store.as_ref(), &settings, &b),
    );
    assert!(ran_a ^ ran_b, "exactly one ran them: {ran_a} {ran_b}");
    // On SQL Server the backup is the server's (Babelfish refuses BACKUP: the job raises
    // backup_failed instead, see backup::on_a_sql_server_hub_*); on SQLite, one file for the night.
    if first.sql_server.is_none() {
        let generations = api::ops::backup::generations(&settings.backup_dir()).unwrap();
        assert_eq!(generations.len(), 1, "one backup for the night");
    }
    // Later the same night the other process still finds the lease taken.
    let (late_store, late_leases) = if ran_a {
        (second.store.as_ref(), &b)
    } else {
        (first.store.as_ref(), &a)
    };
    assert!(!api::ops::daily::run_leased(late_store, &settings, late_leases).await);
    if first.sql_server.is_none() {
        assert_eq!(
            api::ops::backup::generations(&settings.backup_dir())
                .unwrap()
                .len(),
            1
        );
    }
}
