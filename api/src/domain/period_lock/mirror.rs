//! How a centre node mirrors the hub's locks: the hub's complete list of locks covering the
//! centre against the copies held here → the rows to unlock, insert or lock again.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{HubLock, HubLocksApplied, PeriodLock};
use crate::domain::audit::{AuditEntry, Outcome};

/// One change mirroring the hub's list makes on a centre node, in the order to write them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubLockStep {
    /// Unlock the copy `id`: the hub unlocked the lock (`by`, `at` are the hub's), or no longer
    /// lists it (a replaced hub: `by` is `hub`, `at` the time of the pull). Audited as `lock`.
    Unlock {
        id: i64,
        by: String,
        at: DateTime<Utc>,
        lock: HubLock,
    },
    /// Insert the hub's lock as a copy. `audited` when it is active: a lock already unlocked on
    /// the hub is kept as history and never refused anything here.
    Insert { lock: HubLock, audited: bool },
    /// Lock the copy `id` again: the hub has the lock active again (restored there from a
    /// backup taken before the unlock).
    Relock { id: i64, lock: HubLock },
}

/// Whether the copy `m` is the hub's lock `h`: the hub's ID and time of locking (IDs start
/// again on a replaced hub), and the same scope and period.
fn is_copy_of(m: &PeriodLock, h: &HubLock) -> bool {
    m.hub_lock_id == Some(h.hub_id)
        && m.locked_at == h.locked_at
        && m.scope == h.scope
        && m.period == h.period
}

/// The changes that make `mirrored` (this node's copies: rows with a hub lock ID) match `hub`
/// (the hub's complete list for this centre), pulled at `at`. Unlocks come first, so a lock
/// taken again on the hub never meets its old copy still active; then, in the hub's order, the
/// locks new here and those locked again. Nothing when the two already agree.
pub fn mirror_hub_locks(mirrored: &[PeriodLock], hub: &[HubLock], at: DateTime<Utc>) -> Vec<HubLockStep> {
    let mut steps = Vec::new();
    for m in mirrored.iter().filter(|m| m.is_active()) {
        let listed = hub.iter().find(|h| is_copy_of(m, h));
        let (by, when) = match listed {
            Some(h) if h.is_active() => continue,
            Some(h) => (
                h.unlocked_by.clone().unwrap_or_else(|| "hub".into()),
                h.unlocked_at.unwrap_or(at),
            ),
            None => ("hub".to_owned(), at),
        };
        // A copy the hub no longer lists is audited as what it was here.
        let lock = listed.cloned().unwrap_or_else(|| HubLock {
            hub_id: m.hub_lock_id.unwrap_or_default(),
            scope: m.scope.clone(),
            period: m.period,
            locked_by: m.locked_by.clone(),
            locked_at: m.locked_at,
            unlocked_by: Some(by.clone()),
            unlocked_at: Some(when),
        });
        steps.push(HubLockStep::Unlock {
            id: m.id,
            by,
            at: when,
            lock,
        });
    }
    for h in hub {
        match mirrored.iter().find(|m| is_copy_of(m, h)) {
            None => steps.push(HubLockStep::Insert {
                lock: h.clone(),
                audited: h.is_active(),
            }),
            Some(m) if h.is_active() && !m.is_active() => steps.push(HubLockStep::Relock {
                id: m.id,
                lock: h.clone(),
            }),
            Some(_) => {}
        }
    }
    steps
}

impl HubLockStep {
    /// The audit row of this step on the copy `id` (known once inserted), pulled at `at`, by
    /// `sync:hub`: `period.lock.from_hub` or `period.unlock.from_hub` with the hub's lock and who
    /// locked or unlocked it there. None for a lock kept only as history.
    pub fn audit_entry(&self, id: i64, at: DateTime<Utc>) -> Option<AuditEntry> {
        let (action, lock, by) = match self {
            HubLockStep::Unlock { lock, .. } => ("period.unlock.from_hub", lock, lock.unlocked_by.as_deref()),
            HubLockStep::Insert { lock, audited: true } | HubLockStep::Relock { lock, .. } => {
                ("period.lock.from_hub", lock, Some(lock.locked_by.as_str()))
            }
            HubLockStep::Insert { audited: false, .. } => return None,
        };
        let detail = json!({
            "hub_lock_id": lock.hub_id,
            "scope": lock.scope,
            "period": lock.period.to_string(),
            "by": by,
        });
        Some(AuditEntry {
            at,
            actor: Some("sync:hub".into()),
            account_id: None,
            role: None,
            scope: None,
            action: action.to_owned(),
            target: Some(id.to_string()),
            outcome: Outcome::Ok,
            client: None,
            request_id: None,
            detail: Some(detail.to_string()),
        })
    }
}

impl HubLocksApplied {
    /// What `steps` change in what is refused.
    pub fn of(steps: &[HubLockStep]) -> HubLocksApplied {
        let mut applied = HubLocksApplied::default();
        for step in steps {
            match step {
                HubLockStep::Unlock { .. } => applied.unlocked += 1,
                HubLockStep::Insert { audited: true, .. } | HubLockStep::Relock { .. } => applied.locked += 1,
                HubLockStep::Insert { audited: false, .. } => {}
            }
        }
        applied
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use shared::dates::Period;
    use shared::dto::auth::Scope;

    use super::*;

    fn t(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, day, 9, 0, 0).unwrap()
    }

    fn hub(id: i64, period: &str) -> HubLock {
        HubLock {
            hub_id: id,
            scope: Scope::Center("C001".into()),
            period: Period::parse(period).unwrap(),
            locked_by: "pref".into(),
            locked_at: t(1),
            unlocked_by: None,
            unlocked_at: None,
        }
    }

    fn copy(id: i64, h: &HubLock) -> PeriodLock {
        PeriodLock {
            id,
            scope: h.scope.clone(),
            period: h.period,
            locked_by: h.locked_by.clone(),
            locked_at: h.locked_at,
            unlocked_by: h.unlocked_by.clone(),
            unlocked_at: h.unlocked_at,
            hub_lock_id: Some(h.hub_id),
        }
    }

    #[test]
    fn the_same_list_again_changes_nothing() {
        let (a, mut b) = (hub(1, "2024-05"), hub(2, "FY2023"));
        b.unlocked_at = Some(t(2));
        let mirrored = [copy(10, &a), copy(11, &b)];
        assert_eq!(mirror_hub_locks(&mirrored, &[a, b], t(3)), []);
    }

    #[test]
    fn a_lock_new_to_the_node_is_locked_and_one_already_unlocked_is_kept_as_history() {
        let a = hub(1, "2024-05");
        let mut b = hub(2, "2024-06");
        b.unlocked_at = Some(t(2));
        let steps = mirror_hub_locks(&[], &[a.clone(), b.clone()], t(3));
        assert_eq!(
            steps,
            [
                HubLockStep::Insert {
                    lock: a,
                    audited: true
                },
                HubLockStep::Insert {
                    lock: b,
                    audited: false
                },
            ]
        );
        assert_eq!(
            HubLocksApplied::of(&steps),
            HubLocksApplied {
                locked: 1,
                unlocked: 0
            }
        );
    }

    #[test]
    fn a_lock_unlocked_on_the_hub_is_unlocked_here_by_whom_and_when_the_hub_says() {
        let a = hub(1, "2024-05");
        let mirrored = [copy(10, &a)];
        let mut unlocked = a.clone();
        unlocked.unlocked_by = Some("pref2".into());
        unlocked.unlocked_at = Some(t(2));
        let steps = mirror_hub_locks(&mirrored, std::slice::from_ref(&unlocked), t(3));
        assert_eq!(
            steps,
            [HubLockStep::Unlock {
                id: 10,
                by: "pref2".into(),
                at: t(2),
                lock: unlocked
            }]
        );
    }

    #[test]
    fn a_copy_the_hub_no_longer_lists_is_unlocked_by_the_hub_at_the_pull() {
        let a = hub(1, "2024-05");
        let steps = mirror_hub_locks(&[copy(10, &a)], &[], t(3));
        let HubLockStep::Unlock { id, by, at, lock } = &steps[0] else {
            panic!("expected an unlock, got {steps:?}");
        };
        assert_eq!((*id, by.as_str(), *at), (10, "hub", t(3)));
        assert_eq!((lock.hub_id, lock.unlocked_at), (1, Some(t(3))));
    }

    #[test]
    fn a_replaced_hub_reusing_an_id_unlocks_the_old_copy_before_locking_the_new_one() {
        let old = hub(1, "2024-05");
        let mut new = hub(1, "2024-05");
        new.locked_at = t(5);
        let steps = mirror_hub_locks(&[copy(10, &old)], std::slice::from_ref(&new), t(6));
        assert!(matches!(steps[0], HubLockStep::Unlock { id: 10, .. }));
        assert_eq!(
            steps[1],
            HubLockStep::Insert {
                lock: new,
                audited: true
            }
        );
        assert_eq!(
            HubLocksApplied::of(&steps),
            HubLocksApplied {
                locked: 1,
                unlocked: 1
            }
        );
    }

    #[test]
    fn each_change_to_what_is_refused_is_audited_as_the_hubs_and_history_is_not() {
        let a = hub(1, "2024-05");
        let mut gone = a.clone();
        gone.unlocked_by = Some("pref2".into());
        let lock = HubLockStep::Insert {
            lock: a.clone(),
            audited: true,
        };
        let e = lock.audit_entry(10, t(3)).unwrap();
        assert_eq!(
            (e.action.as_str(), e.actor.as_deref(), e.target.as_deref()),
            ("period.lock.from_hub", Some("sync:hub"), Some("10"))
        );
        let detail: serde_json::Value = serde_json::from_str(e.detail.as_deref().unwrap()).unwrap();
        assert_eq!(
            (&detail["hub_lock_id"], &detail["period"], &detail["by"]),
            (&json!(1), &json!("2024-05"), &json!("pref"))
        );
        let unlock = HubLockStep::Unlock {
            id: 10,
            by: "pref2".into(),
            at: t(2),
            lock: gone,
        };
        let e = unlock.audit_entry(10, t(3)).unwrap();
        assert_eq!(e.action, "period.unlock.from_hub");
        assert!(e.detail.unwrap().contains(r#""by":"pref2""#));
        let history = HubLockStep::Insert {
            lock: a,
            audited: false,
        };
        assert_eq!(history.audit_entry(11, t(3)).map(|e| e.action), None);
    }

    #[test]
    fn a_lock_active_again_on_the_hub_is_locked_again_here() {
        let a = hub(1, "2024-05");
        let mut here = copy(10, &a);
        here.unlocked_at = Some(t(2));
        let steps = mirror_hub_locks(&[here], std::slice::from_ref(&a), t(3));
        assert_eq!(steps, [HubLockStep::Relock { id: 10, lock: a }]);
    }
}
