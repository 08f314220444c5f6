//! Period locks: after the annual report is submitted the prefecture closes a month or a 年度
//! for a centre, a municipality or everyone, and activity writes dated in it are refused.
//! How a centre node mirrors the hub's locks is in `mirror`.

mod mirror;

use chrono::{DateTime, NaiveDate, Utc};
use shared::dates::{Period, PeriodKind};
use shared::dto::activity::{PeriodLockInput, PeriodLockView};
use shared::dto::auth::Scope;
use shared::dto::sync::HubPeriodLock;
use shared::error::{FieldError, FieldErrors};

use super::codes::Codes;
use super::org::Center;

pub use mirror::{mirror_hub_locks, HubLockStep};

/// A lock to create: a month or a 年度, for a scope that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPeriodLock {
    pub scope: Scope,
    pub period: Period,
}

/// A lock as stored; it no longer refuses anything once unlocked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodLock {
    pub id: i64,
    pub scope: Scope,
    pub period: Period,
    pub locked_by: String,
    pub locked_at: DateTime<Utc>,
    pub unlocked_by: Option<String>,
    pub unlocked_at: Option<DateTime<Utc>>,
    /// On a centre node: the lock's ID on the hub, when it is the hub's lock mirrored here.
    pub hub_lock_id: Option<i64>,
}

/// A lock the hub holds, as a centre node receives it to mirror: a month or a 年度.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubLock {
    /// The lock's ID on the hub.
    pub hub_id: i64,
    pub scope: Scope,
    pub period: Period,
    pub locked_by: String,
    pub locked_at: DateTime<Utc>,
    pub unlocked_by: Option<String>,
    pub unlocked_at: Option<DateTime<Utc>>,
}

/// What mirroring the hub's locks changed on a centre node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HubLocksApplied {
    /// Locks that refuse writes now and did not before.
    pub locked: usize,
    /// Copies unlocked because the hub unlocked (or no longer lists) them.
    pub unlocked: usize,
}

impl HubLock {
    /// Reads a lock from the hub's answer; a period this node cannot read (or a quarter, which
    /// cannot be locked) is refused, naming the lock.
    pub fn parse(lock: &HubPeriodLock) -> Result<HubLock, String> {
        let period = Period::parse(&lock.period)
            .ok()
            .filter(|p| !matches!(p.kind(), PeriodKind::FiscalQuarter { .. }))
            .ok_or_else(|| format!("hub lock {}: unreadable period {:?}", lock.id, lock.period))?;
        let scope = match &lock.scope {
            Scope::Prefecture => Scope::Prefecture,
            Scope::Municipality(c) | Scope::Center(c) if c.trim().is_empty() => {
                return Err(format!("hub lock {}: scope without a code", lock.id))
            }
            other => other.clone(),
        };
        Ok(HubLock {
            hub_id: lock.id,
            scope,
            period,
            locked_by: lock.locked_by.clone(),
            locked_at: lock.locked_at,
            unlocked_by: lock.unlocked_by.clone(),
            unlocked_at: lock.unlocked_at,
        })
    }

    pub fn is_active(&self) -> bool {
        self.unlocked_at.is_none()
    }
}

impl NewPeriodLock {
    pub fn parse(
        input: &PeriodLockInput,
        codes: &Codes,
        centers: &[Center],
    ) -> Result<NewPeriodLock, Vec<FieldError>> {
        let mut e = FieldErrors::default();
        let period = match e.take("period", Period::parse(&input.period)) {
            Some(p) if matches!(p.kind(), PeriodKind::FiscalQuarter { .. }) => {
                e.push(
                    "period",
                    "unsupported_period",
                    "締めは月（2024-05）または年度（FY2024）で指定してください。",
                );
                None
            }
            p => p,
        };
        let scope = match &input.scope {
            Scope::Prefecture => Scope::Prefecture,
            Scope::Municipality(code) => {
                if !codes.is_municipality(code.trim()) {
                    e.push("scope.code", "unknown_code", "市町村コードが登録されていません。");
                }
                Scope::Municipality(code.trim().to_owned())
            }
            Scope::Center(code) => {
                let code = code.trim().to_ascii_uppercase();
                if !centers.iter().any(|c| c.code == code) {
                    e.push(
                        "scope.code",
                        "unknown_code",
                        "センターコードが登録されていません。",
                    );
                }
                Scope::Center(code)
            }
            // A region's membership changes over time; a lock is set on what it freezes.
            Scope::Region(_) => {
                e.push(
                    "scope.level",
                    "unsupported_scope",
                    "締めは県・市町村・センター単位で設定してください（地域単位の締めはありません）。",
                );
                input.scope.clone()
            }
        };
        e.into_result()?;
        Ok(NewPeriodLock {
            scope,
            period: period.ok_or_else(Vec::new)?,
        })
    }
}

impl PeriodLock {
    pub fn is_active(&self) -> bool {
        self.unlocked_at.is_none()
    }

    /// Whether this lock's scope covers `center` (the centre, its municipality, or everyone),
    /// whatever its period and whether or not it is still active.
    pub fn covers(&self, center: &Center) -> bool {
        match &self.scope {
            Scope::Prefecture => true,
            Scope::Municipality(m) => *m == center.municipality,
            // Never stored (refused when a lock is made).
            Scope::Region(_) => false,
            Scope::Center(c) => *c == center.code,
        }
    }

    /// Whether this lock refuses writes to `center`'s activities dated `date`.
    pub fn refuses(&self, center: &Center, date: NaiveDate) -> bool {
        self.is_active() && self.covers(center) && self.period.contains(date)
    }

    /// Whether an administrator of this node may unlock it: it must be active, and not the
    /// hub's lock mirrored on a centre node.
    pub fn check_unlock(&self) -> Result<(), UnlockRefusal> {
        if !self.is_active() {
            Err(UnlockRefusal::AlreadyUnlocked)
        } else if self.hub_lock_id.is_some() {
            Err(UnlockRefusal::FromHub)
        } else {
            Ok(())
        }
    }

    /// The lock as the hub hands it to a centre node.
    pub fn to_hub_dto(&self) -> HubPeriodLock {
        HubPeriodLock {
            id: self.id,
            scope: self.scope.clone(),
            period: self.period.to_string(),
            locked_by: self.locked_by.clone(),
            locked_at: self.locked_at,
            unlocked_by: self.unlocked_by.clone(),
            unlocked_at: self.unlocked_at,
        }
    }

    pub fn to_view(&self) -> PeriodLockView {
        PeriodLockView {
            id: self.id,
            scope: self.scope.clone(),
            period: self.period.to_string(),
            from: self.period.from(),
            to: self.period.to(),
            locked_by: self.locked_by.clone(),
            locked_at: self.locked_at,
            unlocked_by: self.unlocked_by.clone(),
            unlocked_at: self.unlocked_at,
            hub_lock_id: self.hub_lock_id,
        }
    }
}

/// An activity write refused by a lock: the locked period as users say it (`2024年5月`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("period locked: {0}")]
pub struct PeriodLocked(pub String);

/// Checks a write to one of `center`'s activities against `locks` (at least the active locks
/// whose period contains one of the dates, in the order to report them; any others are
/// ignored). The write is refused when the activity's date before the change (`before`: update,
/// delete, a participation change) or after it (`after`: create, update) lies in a period a lock
/// refuses for the centre: moving an activity out of a locked month changes that month too. The
/// date before is checked first, so its lock is the one named.
pub fn check_activity_write(
    locks: &[PeriodLock],
    center: &Center,
    before: Option<NaiveDate>,
    after: Option<NaiveDate>,
) -> Result<(), PeriodLocked> {
    for date in [before, after].into_iter().flatten() {
        if let Some(l) = locks.iter().find(|l| l.refuses(center, date)) {
            return Err(PeriodLocked(period_label(&l.period)));
        }
    }
    Ok(())
}

/// Why a lock cannot be unlocked here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UnlockRefusal {
    #[error("the lock is already unlocked")]
    AlreadyUnlocked,
    /// A centre node's copy of the hub's lock: only the hub unlocks it.
    #[error("the lock is the hub's, mirrored here")]
    FromHub,
}

/// A period as users say it: `2024年5月`, `2024年度`.
pub fn period_label(period: &Period) -> String {
    match period.kind() {
        PeriodKind::Month { year, month } => format!("{year}年{month}月"),
        PeriodKind::FiscalYear { fiscal_year } => format!("{fiscal_year}年度"),
        PeriodKind::FiscalQuarter { fiscal_year, quarter } => format!("{fiscal_year}年度第{quarter}四半期"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn center(code: &str, municipality: &str) -> Center {
        Center {
            code: code.into(),
            name: code.into(),
            municipality: municipality.into(),
            operator_body: "社協".into(),
            opened_on: d(2009, 4, 1),
            closed_on: None,
        }
    }

    fn lock(scope: Scope, period: &str) -> PeriodLock {
        PeriodLock {
            id: 1,
            scope,
            period: Period::parse(period).unwrap(),
            locked_by: "pref".into(),
            locked_at: Utc::now(),
            unlocked_by: None,
            unlocked_at: None,
            hub_lock_id: None,
        }
    }

    #[test]
    fn a_month_lock_refuses_only_that_month_of_its_centre() {
        let l = lock(Scope::Center("C001".into()), "2024-05");
        let (here, there) = (center("C001", "392014"), center("C002", "392014"));
        assert!(l.refuses(&here, d(2024, 5, 1)));
        assert!(l.refuses(&here, d(2024, 5, 31)));
        assert!(!l.refuses(&here, d(2024, 6, 1)));
        assert!(!l.refuses(&there, d(2024, 5, 15)));
    }

    #[test]
    fn a_municipality_lock_covers_the_centres_in_it_for_the_whole_fiscal_year() {
        let l = lock(Scope::Municipality("392014".into()), "FY2024");
        assert!(l.refuses(&center("C002", "392014"), d(2025, 3, 31)));
        assert!(!l.refuses(&center("C002", "392014"), d(2025, 4, 1)));
        assert!(!l.refuses(&center("C003", "392022"), d(2024, 10, 1)));
    }

    #[test]
    fn an_unlocked_lock_refuses_nothing() {
        let mut l = lock(Scope::Prefecture, "FY2024");
        assert!(l.refuses(&center("C005", "393649"), d(2024, 4, 1)));
        l.unlocked_at = Some(Utc::now());
        assert!(!l.refuses(&center("C005", "393649"), d(2024, 4, 1)));
    }

    #[test]
    fn quarters_and_unknown_scopes_cannot_be_locked() {
        let codes = Codes::new(Vec::new(), ["392014".to_owned()]);
        let centers = [center("C001", "392014")];
        let input = |scope: Scope, period: &str| PeriodLockInput {
            scope,
            period: period.into(),
        };
        let ok =
            NewPeriodLock::parse(&input(Scope::Center("c001".into()), "fy2024"), &codes, &centers).unwrap();
        assert_eq!(ok.scope, Scope::Center("C001".into()));
        assert_eq!(period_label(&ok.period), "2024年度");
        let fields = |r: Result<NewPeriodLock, Vec<FieldError>>| -> Vec<(String, String)> {
            r.unwrap_err().into_iter().map(|e| (e.field, e.code)).collect()
        };
        assert_eq!(
            fields(NewPeriodLock::parse(
                &input(Scope::Prefecture, "FY2024Q1"),
                &codes,
                &centers
            )),
            [("period".to_owned(), "unsupported_period".to_owned())]
        );
        assert_eq!(
            fields(NewPeriodLock::parse(
                &input(Scope::Municipality("392022".into()), "2024-05"),
                &codes,
                &centers
            )),
            [("scope.code".to_owned(), "unknown_code".to_owned())]
        );
    }

    #[test]
    fn a_hub_lock_with_an_unreadable_period_or_a_quarter_is_refused() {
        let dto = |period: &str, scope: Scope| HubPeriodLock {
            id: 7,
            scope,
            period: period.into(),
            locked_by: "pref".into(),
            locked_at: Utc::now(),
            unlocked_by: None,
            unlocked_at: None,
        };
        let ok = HubLock::parse(&dto("FY2024", Scope::Municipality("392014".into()))).unwrap();
        assert_eq!((ok.hub_id, period_label(&ok.period)), (7, "2024年度".to_owned()));
        assert!(ok.is_active());
        assert!(HubLock::parse(&dto("FY2024Q1", Scope::Prefecture)).is_err());
        assert!(HubLock::parse(&dto("2024-13", Scope::Prefecture)).is_err());
        assert!(HubLock::parse(&dto("2024-05", Scope::Center(" ".into()))).is_err());
    }

    #[test]
    fn an_activity_dated_in_a_locked_month_is_refused() {
        let locks = [lock(Scope::Center("C001".into()), "2024-05")];
        let here = center("C001", "392014");
        assert_eq!(
            check_activity_write(&locks, &here, None, Some(d(2024, 5, 20))),
            Err(PeriodLocked("2024年5月".into()))
        );
        assert_eq!(
            check_activity_write(&locks, &here, None, Some(d(2024, 6, 1))),
            Ok(())
        );
        assert_eq!(
            check_activity_write(&locks, &center("C002", "392014"), None, Some(d(2024, 5, 20))),
            Ok(())
        );
    }

    #[test]
    fn moving_an_activity_out_of_a_locked_month_is_refused_too() {
        let locks = [lock(Scope::Prefecture, "2024-05")];
        let here = center("C001", "392014");
        assert_eq!(
            check_activity_write(&locks, &here, Some(d(2024, 5, 2)), Some(d(2024, 6, 2))),
            Err(PeriodLocked("2024年5月".into()))
        );
        assert_eq!(
            check_activity_write(&locks, &here, Some(d(2024, 6, 2)), Some(d(2024, 5, 2))),
            Err(PeriodLocked("2024年5月".into()))
        );
        assert_eq!(
            check_activity_write(&locks, &here, Some(d(2024, 6, 2)), Some(d(2024, 7, 2))),
            Ok(())
        );
    }

    #[test]
    fn the_lock_of_the_date_before_the_change_is_the_one_named() {
        let locks = [
            lock(Scope::Prefecture, "2024-06"),
            lock(Scope::Municipality("392014".into()), "FY2023"),
        ];
        let here = center("C001", "392014");
        assert_eq!(
            check_activity_write(&locks, &here, Some(d(2024, 3, 1)), Some(d(2024, 6, 1))),
            Err(PeriodLocked("2023年度".into()))
        );
    }

    #[test]
    fn an_unlocked_lock_or_no_lock_lets_the_write_through() {
        let mut l = lock(Scope::Prefecture, "2024-05");
        l.unlocked_at = Some(Utc::now());
        let here = center("C001", "392014");
        assert_eq!(
            check_activity_write(&[l], &here, Some(d(2024, 5, 1)), None),
            Ok(())
        );
        assert_eq!(
            check_activity_write(&[], &here, Some(d(2024, 5, 1)), None),
            Ok(())
        );
    }

    #[test]
    fn only_an_active_lock_of_this_node_can_be_unlocked() {
        let mut l = lock(Scope::Prefecture, "2024-05");
        assert_eq!(l.check_unlock(), Ok(()));
        l.hub_lock_id = Some(3);
        assert_eq!(l.check_unlock(), Err(UnlockRefusal::FromHub));
        l.unlocked_at = Some(Utc::now());
        assert_eq!(l.check_unlock(), Err(UnlockRefusal::AlreadyUnlocked));
    }

    #[test]
    fn a_lock_covers_its_centre_its_municipality_or_everyone_whatever_its_state() {
        let here = center("C001", "392014");
        let mut l = lock(Scope::Municipality("392014".into()), "2024-05");
        l.unlocked_at = Some(Utc::now());
        assert!(l.covers(&here));
        assert!(lock(Scope::Prefecture, "2024-05").covers(&here));
        assert!(!lock(Scope::Center("C002".into()), "2024-05").covers(&here));
        assert!(!lock(Scope::Municipality("392022".into()), "2024-05").covers(&here));
    }
}
