//! What every centre does on each working day, in the weekly rhythm of a real centre: salons
//! (集い) dominate, with lifts to them, visits, meals, exercise, after-school care,
//! consultations and referrals, help at home, work training, rare emergency stays and a monthly
//! event. Sizes follow the centre's size; each participation carries the person's attributes
//! as of the day, as the API would record them.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rand::rngs::StdRng;
use rand::Rng;
use shared::dates::age_on;
use shared::holidays::is_working_day;

use super::centers::Plan;
use super::people::{Kind, Member};
use crate::domain::activity::{ActivityRecord, Detail, Participation, Snapshot, Unregistered};
use crate::domain::codes::Codes;

/// A centre's weekly programme.
pub struct Program {
    salon_days: Vec<Weekday>,
    /// Registered people at each salon, on average.
    salon_size: f64,
    /// Each satellite's salon day.
    satellites: Vec<(String, NaiveDate, Weekday)>,
    exercise_day: Weekday,
    meals_day: Weekday,
    kids_days: Vec<Weekday>,
    /// Everything else scales with this (1.0: an average centre).
    pub(super) scale: f64,
}

impl Program {
    pub fn of(plan: &Plan, rng: &mut StdRng) -> Program {
        use Weekday::*;
        let s = plan.size;
        let days = match s {
            s if s < 0.3 => 1,
            s if s < 0.7 => 2,
            s if s < 1.2 => 3,
            s if s < 1.5 => 4,
            _ => 5,
        };
        let rotation = [Mon, Wed, Fri, Tue, Thu];
        let shift = rng.random_range(0..5);
        let salon_days = (0..days).map(|i| rotation[(i + shift) % 5]).collect();
        let satellites = plan
            .sites
            .iter()
            .enumerate()
            .map(|(i, site)| (site.code.clone(), site.opened_on, [Tue, Thu, Wed][i % 3]))
            .collect();
        Program {
            salon_days,
            salon_size: 26.0 * s / f64::from(days as u8),
            satellites,
            exercise_day: [Thu, Tue, Mon][rng.random_range(0..3)],
            meals_day: [Wed, Fri][rng.random_range(0..2)],
            kids_days: if s < 0.3 { vec![Wed] } else { vec![Tue, Thu] },
            scale: s,
        }
    }
}

/// Up to `k` of `pool` chosen without replacement, each by its weight times `factor(kind)`
/// (Efraimidis–Spirakis: the `k` largest keys ln(u)/w).
pub(super) fn pick(
    rng: &mut StdRng,
    members: &[Member],
    pool: &[usize],
    k: usize,
    factor: fn(Kind) -> f64,
) -> Vec<usize> {
    if k == 0 || pool.is_empty() {
        return Vec::new();
    }
    let mut keyed: Vec<(f64, usize)> = pool
        .iter()
        .filter_map(|&i| {
            let w = members[i].weight * factor(members[i].kind);
            (w > 0.0).then(|| ((1.0 - rng.random::<f64>()).ln() / w, i))
        })
        .collect();
    let k = k.min(keyed.len());
    if k < keyed.len() {
        keyed.select_nth_unstable_by(k, |a, b| b.0.total_cmp(&a.0));
        keyed.truncate(k);
    }
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// A count near `mean` (at least zero): mean ± 30 %.
pub(super) fn about(rng: &mut StdRng, mean: f64) -> usize {
    (mean * rng.random_range(0.7..1.3)).round().max(0.0) as usize
}

pub(super) fn chance(rng: &mut StdRng, p: f64) -> bool {
    rng.random_bool(p.clamp(0.0, 1.0))
}

pub(crate) fn one_of<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

/// A seasonal gathering's title, by month (January first).
pub(crate) const EVENTS: [&str; 12] = [
    "新年会",
    "節分の集い",
    "ひな祭り",
    "お花見会",
    "母の日の集い",
    "紫陽花見学",
    "七夕会",
    "夏祭り",
    "敬老会",
    "ふれあい運動会",
    "秋祭り",
    "クリスマス会",
];

/// One centre's day being planned.
pub struct Day<'a> {
    pub rng: &'a mut StdRng,
    pub codes: &'a Codes,
    pub center: &'a str,
    pub program: &'a Program,
    pub members: &'a [Member],
    pub date: NaiveDate,
    pub out: &'a mut Vec<ActivityRecord>,
}

impl Day<'_> {
    pub(super) fn participation(&self, m: &Member, detail: Detail) -> Participation {
        let age = age_on(m.birth, self.date).unwrap_or(0);
        Participation {
            common_id: m.common_id.clone(),
            detail,
            snapshot: Snapshot {
                age_band: self
                    .codes
                    .age_band(age)
                    .unwrap_or(crate::stats::UNKNOWN)
                    .to_owned(),
                sex: m.sex.to_owned(),
                group: m.group.clone(),
                categories: m.categories.clone(),
                care_level: m.care_on(self.date).to_owned(),
                household: m.household.to_owned(),
            },
        }
    }

    /// Records an activity of `function` with `who` (and unregistered headcounts), unless
    /// nobody at all came.
    fn record(
        &mut self,
        function: &str,
        title: &str,
        times: Option<(&str, &str)>,
        who: &[usize],
        u: Unregistered,
    ) {
        if who.is_empty() && u.total() == 0 {
            return;
        }
        let mut participations: Vec<Participation> = who
            .iter()
            .map(|&i| self.participation(&self.members[i], Detail::default()))
            .collect();
        participations.sort_by(|a, b| a.common_id.cmp(&b.common_id));
        let staff = 1 + (who.len() / 8) as u16;
        self.push(function, title, times, staff, participations, u);
    }

    pub(super) fn push(
        &mut self,
        function: &str,
        title: &str,
        times: Option<(&str, &str)>,
        staff: u16,
        participations: Vec<Participation>,
        unregistered: Unregistered,
    ) {
        let volunteers = if participations.len() > 6 {
            self.rng.random_range(0..=3)
        } else {
            0
        };
        self.out.push(ActivityRecord {
            id: uuid::Builder::from_random_bytes(self.rng.random()).into_uuid(),
            center: self.center.to_owned(),
            site: None,
            date: self.date,
            function: function.to_owned(),
            title: Some(title.to_owned()),
            start_time: times.map(|t| t.0.to_owned()),
            end_time: times.map(|t| t.1.to_owned()),
            staff_count: staff,
            volunteer_count: volunteers,
            unregistered,
            note: None,
            participations,
        });
    }

    /// About `mean` people of `pool`, regulars more often.
    fn choose(&mut self, pool: &[usize], mean: f64) -> Vec<usize> {
        let k = about(self.rng, mean);
        pick(self.rng, self.members, pool, k, |_| 1.0)
    }

    /// Active people of these kinds (only those living alone when `alone`).
    pub(super) fn pool(&self, active: &[usize], kinds: &[Kind], alone: bool) -> Vec<usize> {
        active
            .iter()
            .copied()
            .filter(|&i| kinds.contains(&self.members[i].kind) && (!alone || self.members[i].alone()))
            .collect()
    }

    /// Everything the centre does on `self.date`; `active` are the people registered that day.
    pub fn plan(&mut self, active: &[usize]) {
        use Kind::*;
        let (p, date) = (self.program, self.date);
        let s = p.scale;
        let weekday = date.weekday();
        let week = (date.day() - 1) / 7 + 1;
        let event_day = week == 3 && weekday == p.salon_days[0];
        let salon_pool = self.pool(active, &[Elderly, Disabled, Other, Family], false);
        let salon_factor: fn(Kind) -> f64 = |k| match k {
            Elderly => 1.0,
            Disabled => 0.8,
            Other => 0.3,
            _ => 0.1,
        };
        if p.salon_days.contains(&weekday) && !event_day {
            let k = about(self.rng, p.salon_size);
            let came = pick(self.rng, self.members, &salon_pool, k, salon_factor);
            let u = Unregistered {
                elderly: self.rng.random_range(0..=1),
                other: u16::from(chance(self.rng, 0.3)),
                ..Default::default()
            };
            self.record("tsudoi", "ふれあいサロン", Some(("10:00", "15:00")), &came, u);
            let lifted: Vec<usize> = came
                .iter()
                .copied()
                .filter(|&i| self.members[i].needs_transport(date))
                .take(6)
                .collect();
            self.record(
                "sougei",
                "サロン送迎",
                Some(("09:15", "10:00")),
                &lifted,
                Unregistered::default(),
            );
        }
        if event_day {
            let everyone = self.pool(active, &[Elderly, Disabled, Child, Family, Other], false);
            let k = about(self.rng, 16.0 * s.sqrt());
            let came = pick(self.rng, self.members, &everyone, k, |_| 1.0);
            let u = Unregistered {
                elderly: self.rng.random_range(1..=4),
                disabled: u16::from(chance(self.rng, 0.2)),
                child: self.rng.random_range(0..=3),
                other: self.rng.random_range(0..=2),
            };
            let title = EVENTS[date.month0() as usize];
            self.record("other", title, Some(("10:00", "14:00")), &came, u);
        }
        for (site, opened, day) in &p.satellites {
            if weekday == *day && *opened <= date {
                let pool = self.pool(active, &[Elderly], false);
                let came = self.choose(&pool, 5.0 * s.sqrt());
                let before = self.out.len();
                let u = Unregistered {
                    elderly: self.rng.random_range(0..=1),
                    ..Default::default()
                };
                self.record("tsudoi", "サテライトサロン", Some(("13:30", "15:30")), &came, u);
                if let Some(a) = self.out.get_mut(before) {
                    a.site = Some(site.clone());
                }
            }
        }
        if weekday == p.exercise_day {
            let pool = self.pool(active, &[Elderly], false);
            let came = self.choose(&pool, 7.0 * s);
            self.record(
                "kaigoyobou",
                "いきいき百歳体操",
                Some(("10:00", "11:30")),
                &came,
                Unregistered::default(),
            );
        }
        if weekday == p.meals_day {
            let pool = self.pool(active, &[Elderly, Disabled], true);
            let served = self.choose(&pool, 6.0 * s);
            self.record(
                "haishoku",
                "配食サービス",
                Some(("11:00", "12:30")),
                &served,
                Unregistered::default(),
            );
        }
        if p.kids_days.contains(&weekday) {
            let pool = self.pool(active, &[Child], false);
            let came = self.choose(&pool, 4.5 * s);
            let u = Unregistered {
                child: u16::from(chance(self.rng, 0.4)),
                ..Default::default()
            };
            self.record("azukari", "放課後の居場所", Some(("15:00", "17:30")), &came, u);
        }
        if weekday == Weekday::Tue && matches!(week, 2 | 4) && s >= 0.4 {
            let pool = self.pool(active, &[Family, Child], false);
            let came = self.choose(&pool, 7.0 * s);
            self.record(
                "tsudoi",
                "親子ひろば",
                Some(("10:00", "11:30")),
                &came,
                Unregistered::default(),
            );
        }
        if weekday == Weekday::Fri && matches!(week, 1 | 3) {
            let pool = self.pool(active, &[Disabled, Other], false);
            let came = self.choose(&pool, 3.0 * s.sqrt());
            self.record(
                "hataraku",
                "農作業・軽作業",
                Some(("13:00", "15:00")),
                &came,
                Unregistered::default(),
            );
        }
        if chance(self.rng, 0.3 * s) {
            let pool = self.pool(active, &[Elderly], true);
            let helped = pick(self.rng, self.members, &pool, 1, |_| 1.0);
            self.record(
                "seikatsu",
                "ゴミ出し・電球交換",
                Some(("14:00", "15:00")),
                &helped,
                Unregistered::default(),
            );
        }
        if weekday == Weekday::Tue && week == 2 && matches!(date.month(), 8 | 11 | 1) && s >= 0.5 {
            let pool = self.pool(active, &[Elderly], true);
            let stayed = pick(self.rng, self.members, &pool, 1, |_| 1.0);
            self.record("tomari", "緊急一時宿泊", None, &stayed, Unregistered::default());
        }
        self.visits(active);
        self.consultations(active);
    }
}

/// Every centre's activities from `from` to `to` (inclusive), centre by centre, day by day.
/// `members[c]` are centre `c`'s registrations.
pub fn activities(
    rng: &mut StdRng,
    codes: &Codes,
    plans: &[Plan],
    programs: &[Program],
    members: &[Vec<Member>],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<ActivityRecord> {
    let mut out = Vec::new();
    let mut active = Vec::new();
    for (ci, plan) in plans.iter().enumerate() {
        let mut date = from;
        while date <= to {
            if is_working_day(date) && plan.center.is_open_on(date) {
                active.clear();
                active.extend((0..members[ci].len()).filter(|&i| members[ci][i].active_on(date)));
                Day {
                    rng,
                    codes,
                    center: &plan.center.code,
                    program: &programs[ci],
                    members: &members[ci],
                    date,
                    out: &mut out,
                }
                .plan(&active);
            }
            date += Duration::days(1);
        }
    }
    out
}
