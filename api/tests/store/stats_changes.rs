//! The `/stats` result cache's change log on every store (decision 0033): what a write changed
//! comes back in order after any point, old entries are pruned, and entries appended at the
//! same time by several writers are read by a reader following the log without one skipped.

use std::collections::BTreeSet;
use std::sync::Arc;

use api::domain::stats_change::{StatsChange, KEPT_FOR};
use api::store::CommonStore;
use chrono::{Duration, Utc};

use crate::harness::{Fresh, CENTER, OTHER_CENTER};

mod any_store {
    use super::*;
    common_story!(
        the_change_log_gives_back_what_was_appended_in_order_after_any_point,
        entries_older_than_the_log_keeps_are_pruned_by_the_next_append,
        a_reader_following_the_log_misses_no_entry_of_writers_appending_at_once,
    );
}

async fn the_change_log_gives_back_what_was_appended_in_order_after_any_point(store: Fresh<dyn CommonStore>) {
    assert_eq!(store.stats_changes_head().await.unwrap(), 0, "empty at first");
    assert!(store.stats_changes_since(0, 10).await.unwrap().is_empty());
    let first = vec![
        StatsChange::Year(CENTER.into(), 2024),
        StatsChange::Center(OTHER_CENTER.into()),
    ];
    let last_of_first = store.append_stats_changes(&first, Utc::now()).await.unwrap();
    let second = vec![StatsChange::All];
    let last = store.append_stats_changes(&second, Utc::now()).await.unwrap();
    assert!(last > last_of_first, "numbers grow: {last_of_first} then {last}");
    assert_eq!(store.stats_changes_head().await.unwrap(), last);

    let all = store.stats_changes_since(0, 10).await.unwrap();
    let changes: Vec<StatsChange> = all.iter().map(|(_, c)| c.clone()).collect();
    assert_eq!(changes, [first.clone(), second.clone()].concat());
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0), "oldest first: {all:?}");
    assert_eq!(all[1].0, last_of_first);
    // After a point, only what came later; a limit cuts the page.
    let after = store.stats_changes_since(last_of_first, 10).await.unwrap();
    assert_eq!(after, vec![(last, StatsChange::All)]);
    assert_eq!(store.stats_changes_since(0, 1).await.unwrap(), all[..1].to_vec());
    assert!(store.stats_changes_since(last, 10).await.unwrap().is_empty());
}

async fn entries_older_than_the_log_keeps_are_pruned_by_the_next_append(store: Fresh<dyn CommonStore>) {
    let now = Utc::now();
    let old = store
        .append_stats_changes(&[StatsChange::All], now - KEPT_FOR - Duration::minutes(1))
        .await
        .unwrap();
    let kept = store
        .append_stats_changes(&[StatsChange::All], now - KEPT_FOR + Duration::minutes(1))
        .await
        .unwrap();
    let newest = store
        .append_stats_changes(&[StatsChange::Year(CENTER.into(), 2025)], now)
        .await
        .unwrap();
    let left: Vec<i64> = store
        .stats_changes_since(0, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|(seq, _)| seq)
        .collect();
    assert_eq!(left, vec![kept, newest], "{old} pruned");
    // Numbers are never handed out again, even once everything before is pruned.
    let later = store
        .append_stats_changes(&[StatsChange::All], now + KEPT_FOR + Duration::minutes(1))
        .await
        .unwrap();
    assert!(later > newest);
    assert_eq!(
        store.stats_changes_since(newest, 10).await.unwrap(),
        vec![(later, StatsChange::All)]
    );
}

async fn a_reader_following_the_log_misses_no_entry_of_writers_appending_at_once(
    store: Fresh<dyn CommonStore>,
) {
    const WRITERS: i32 = 4;
    const EACH: i32 = 15;
    let store: Arc<dyn CommonStore> = store.store.clone();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..EACH {
                    let change = StatsChange::Year(format!("C{w:03}"), 2000 + i);
                    store.append_stats_changes(&[change], Utc::now()).await.unwrap();
                }
            })
        })
        .collect();
    // A reader asks for what follows the last entry it read, as every serving process does.
    let reader = {
        let store = store.clone();
        tokio::spawn(async move {
            let (mut seen, mut read) = (0, BTreeSet::new());
            while read.len() < (WRITERS * EACH) as usize {
                for (seq, change) in store.stats_changes_since(seen, 7).await.unwrap() {
                    assert!(seq > seen);
                    seen = seq;
                    read.insert(change);
                }
                tokio::task::yield_now().await;
            }
            read
        })
    };
    for w in writers {
        w.await.unwrap();
    }
    let read = tokio::time::timeout(std::time::Duration::from_secs(60), reader)
        .await
        .expect("the reader read every entry (none skipped)")
        .unwrap();
    assert_eq!(read.len(), (WRITERS * EACH) as usize);
}
