//! A realistic stretch of activities for the demo centre — the previous 年度 and the current one
//! up to today — in the weekly rhythm of a real centre, quiet at weekends, public holidays and
//! the year end. Every activity passes the same rules as one entered through the API.

use std::collections::HashMap;

use anyhow::Context as _;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shared::dto::activity::{ActivityInput, ParticipantInput, UnregisteredCounts};
use shared::holidays::is_working_day;

use crate::domain::activity::{ActivityRecord, Context};
use crate::domain::org::{Center, Site};
use crate::domain::person::{Person, PersonQuery};
use crate::generate::{one_of, EVENTS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Elderly,
    Disabled,
    Child,
    Family,
    Other,
}

/// A registered person as the planner sees them.
struct Member {
    id: String,
    kind: Kind,
    /// How likely they are to come: regulars near 1, occasional visitors near 0.
    weight: f64,
    /// Lives alone or with older people only: visits, meals and help at home.
    alone: bool,
    /// Needs a lift to the salon (要支援・要介護).
    transport: bool,
    from: NaiveDate,
    to: Option<NaiveDate>,
}

impl Member {
    fn of(p: &Person, rng: &mut StdRng) -> Member {
        let has = |c: &str| p.facts.categories.iter().any(|x| x == c);
        let kind = if has("disabled") {
            Kind::Disabled
        } else if has("child") {
            Kind::Child
        } else if has("elderly") {
            Kind::Elderly
        } else if has("childrearing") {
            Kind::Family
        } else {
            Kind::Other
        };
        let weight = match rng.random_range(0..10) {
            0..=2 => 1.0,
            3..=6 => 0.35,
            _ => 0.08,
        };
        Member {
            id: p.common_id.to_string(),
            kind,
            weight,
            alone: matches!(
                p.facts.household.as_str(),
                "alone" | "elderly_only" | "daytime_alone"
            ),
            transport: matches!(
                p.facts.care_level.as_str(),
                "jigyou" | "shien1" | "shien2" | "kaigo1"
            ),
            from: p.facts.registered_on,
            to: p.ended_on,
        }
    }

    fn active_on(&self, date: NaiveDate) -> bool {
        self.from <= date && self.to.is_none_or(|t| date <= t)
    }
}

/// Up to `k` of `pool` chosen without replacement, regulars first more often
/// (Efraimidis–Spirakis weighted sampling).
fn pick<'a>(rng: &mut StdRng, pool: &[&'a Member], k: usize) -> Vec<&'a Member> {
    let mut keyed: Vec<(f64, &Member)> = pool
        .iter()
        .map(|m| (rng.random::<f64>().powf(1.0 / m.weight.max(0.01)), *m))
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
    keyed.into_iter().take(k).map(|(_, m)| m).collect()
}

/// The planner's state: the generator, the centre and its people.
struct Planner<'a> {
    rng: StdRng,
    center: &'a Center,
    site: Option<&'a Site>,
    members: Vec<Member>,
    records: Vec<ActivityInput>,
}

impl Planner<'_> {
    /// The IDs of `lo..=hi` people of `kinds` active on `date` (only those living alone when
    /// `alone`), regulars more often.
    fn choose(&mut self, date: NaiveDate, kinds: &[Kind], alone: bool, lo: usize, hi: usize) -> Vec<String> {
        let pool: Vec<&Member> = self
            .members
            .iter()
            .filter(|m| m.active_on(date) && kinds.contains(&m.kind) && (!alone || m.alone))
            .collect();
        let n = self.rng.random_range(lo..=hi);
        pick(&mut self.rng, &pool, n)
            .iter()
            .map(|m| m.id.clone())
            .collect()
    }

    /// Everything the centre does on one working day.
    fn day(&mut self, date: NaiveDate) {
        use Kind::*;
        let weekday = date.weekday();
        let week_of_month = (date.day() - 1) / 7 + 1;
        let event_day = weekday == Weekday::Wed && week_of_month == 3;
        // 集い: the salon on Monday, Wednesday and Friday, with a lift for those who need one.
        if matches!(weekday, Weekday::Mon | Weekday::Wed | Weekday::Fri) && !event_day {
            let came = self.choose(date, &[Elderly, Disabled, Other], false, 8, 20);
            let mut a = self.activity(date, "tsudoi", Some("ふれあいサロン"), Some(("10:00", "15:00")));
            a.staff_count = 3;
            a.volunteer_count = self.rng.random_range(1..=3);
            a.unregistered.elderly = self.rng.random_range(0..=3);
            a.unregistered.other = self.rng.random_range(0..=1);
            if self.rng.random_bool(0.1) {
                let note = one_of(
                    &mut self.rng,
                    &[
                        "血圧測定を実施。",
                        "誕生日会を兼ねて実施。",
                        "雨天のため参加少なめ。",
                    ],
                );
                a.note = Some(note.to_owned());
            }
            let lifted: Vec<String> = self
                .members
                .iter()
                .filter(|m| m.transport && came.contains(&m.id))
                .take(6)
                .map(|m| m.id.clone())
                .collect();
            self.record(a, &came);
            let t = self.activity(date, "sougei", Some("サロン送迎"), Some(("09:15", "10:00")));
            self.record(t, &lifted);
        }
        // その他: the month's seasonal event instead of the third Wednesday's salon.
        if event_day {
            let came = self.choose(date, &[Elderly, Disabled, Child, Family, Other], false, 15, 30);
            let title = EVENTS[date.month0() as usize];
            let mut a = self.activity(date, "other", Some(title), Some(("10:00", "14:00")));
            a.staff_count = 4;
            a.volunteer_count = self.rng.random_range(3..=8);
            a.unregistered = UnregisteredCounts {
                elderly: self.rng.random_range(2..=8),
                disabled: self.rng.random_range(0..=1),
                child: self.rng.random_range(0..=5),
                other: self.rng.random_range(0..=3),
            };
            self.record(a, &came);
        }
        // 集い at the satellite on Tuesday afternoons.
        let site = self
            .site
            .filter(|s| s.opened_on <= date && s.closed_on.is_none_or(|c| date <= c))
            .map(|s| s.code.clone());
        if let (Weekday::Tue, Some(site)) = (weekday, site) {
            let came = self.choose(date, &[Elderly], false, 5, 10);
            let mut a = self.activity(date, "tsudoi", Some("サテライトサロン"), Some(("13:30", "15:30")));
            a.site = Some(site);
            a.staff_count = 2;
            a.unregistered.elderly = self.rng.random_range(0..=2);
            self.record(a, &came);
        }
        // 介護予防: いきいき百歳体操 on Thursday mornings.
        if weekday == Weekday::Thu {
            let came = self.choose(date, &[Elderly], false, 6, 15);
            let mut a = self.activity(
                date,
                "kaigoyobou",
                Some("いきいき百歳体操"),
                Some(("10:00", "11:30")),
            );
            a.staff_count = 2;
            a.volunteer_count = 1;
            self.record(a, &came);
        }
        // 預かり: children after school on Tuesday and Thursday.
        if matches!(weekday, Weekday::Tue | Weekday::Thu) {
            let came = self.choose(date, &[Child], false, 3, 8);
            let mut a = self.activity(date, "azukari", Some("放課後の居場所"), Some(("15:00", "17:30")));
            a.staff_count = 2;
            a.unregistered.child = self.rng.random_range(0..=3);
            self.record(a, &came);
        }
        // 配食: Wednesday lunches for people living alone.
        if weekday == Weekday::Wed {
            let served = self.choose(date, &[Elderly], true, 5, 10);
            let mut a = self.activity(date, "haishoku", Some("配食サービス"), Some(("11:00", "12:30")));
            a.staff_count = 2;
            a.volunteer_count = 2;
            self.record(a, &served);
        }
        // 働く・生活訓練: the first and third Friday.
        if weekday == Weekday::Fri && matches!(week_of_month, 1 | 3) {
            let came = self.choose(date, &[Disabled, Other], false, 2, 5);
            let mut a = self.activity(date, "hataraku", Some("農作業・軽作業"), Some(("13:00", "15:00")));
            a.staff_count = 2;
            self.record(a, &came);
        }
        // 生活支援: help at home on Tuesday and Thursday, now and then.
        if matches!(weekday, Weekday::Tue | Weekday::Thu) && self.rng.random_bool(0.5) {
            let helped = self.choose(date, &[Elderly], true, 1, 1);
            let a = self.activity(
                date,
                "seikatsu",
                Some("ゴミ出し・電球交換"),
                Some(("14:00", "15:00")),
            );
            self.record(a, &helped);
        }
        // 泊まり: a rare emergency stay (the second Tuesday of August, November and January);
        // overnight, so without a time span.
        if weekday == Weekday::Tue && week_of_month == 2 && matches!(date.month(), 8 | 11 | 1) {
            let stayed = self.choose(date, &[Elderly], true, 1, 1);
            let mut a = self.activity(date, "tomari", Some("緊急一時宿泊"), None);
            a.staff_count = 2;
            self.record(a, &stayed);
        }
        self.visits(date);
        self.consultations(date);
    }

    /// 訪問: one to three visits a day to people living alone, each its own activity.
    fn visits(&mut self, date: NaiveDate) {
        let visited = self.choose(date, &[Kind::Elderly], true, 1, 3);
        for (i, id) in visited.into_iter().enumerate() {
            let purpose = match self.rng.random_range(0..20) {
                0..=11 => "watching",
                12..=14 => "delivery",
                15..=17 => "shopping",
                _ => "consultation",
            };
            let (start, end) = (format!("{:02}:00", 13 + i), format!("{:02}:30", 13 + i));
            let mut a = self.activity(date, "houmon", Some("見守り訪問"), Some((&start, &end)));
            a.participants = vec![participant(id, Some(purpose), Vec::new(), None)];
            self.records.push(a);
        }
    }

    /// 相談 (about one and a half a week, a quarter referred on) and つなぎ (about two a month).
    fn consultations(&mut self, date: NaiveDate) {
        use Kind::*;
        if self.rng.random_bool(0.3) {
            if let Some(id) = self
                .choose(date, &[Elderly, Disabled, Family, Other], false, 1, 1)
                .pop()
            {
                let kind = self.members.iter().find(|m| m.id == id).map_or(Other, |m| m.kind);
                let (topics, referral): (&[&str], &str) = match kind {
                    Elderly => (&["health", "care", "isolation", "housing"], "houkatsu"),
                    Disabled => (&["disability", "livelihood", "health"], "disability_support"),
                    Family => (&["childcare", "livelihood"], "municipal"),
                    _ => (&["livelihood", "housing", "isolation", "other"], "shakyo"),
                };
                let mut chosen = vec![one_of(&mut self.rng, topics).to_owned()];
                let second = one_of(&mut self.rng, topics).to_owned();
                if self.rng.random_bool(0.3) && !chosen.contains(&second) {
                    chosen.push(second);
                }
                let referred = self.rng.random_bool(0.25).then_some(referral);
                let mut a = self.activity(date, "soudan", None, Some(("10:30", "11:00")));
                a.participants = vec![participant(id, None, chosen, referred)];
                self.records.push(a);
            }
        }
        if self.rng.random_bool(0.1) {
            if let Some(id) = self.choose(date, &[Elderly, Disabled], false, 1, 1).pop() {
                let disabled = self.members.iter().any(|m| m.id == id && m.kind == Disabled);
                let destination = if disabled {
                    "disability_support"
                } else {
                    one_of(
                        &mut self.rng,
                        &[
                            "houkatsu",
                            "houkatsu",
                            "houkatsu",
                            "municipal",
                            "minsei",
                            "medical",
                            "shakyo",
                        ],
                    )
                };
                let mut a = self.activity(date, "tsunagi", None, Some(("16:00", "16:30")));
                a.participants = vec![participant(id, None, Vec::new(), Some(destination))];
                self.records.push(a);
            }
        }
    }

    /// An activity without participants yet, with a fresh ID.
    fn activity(
        &mut self,
        date: NaiveDate,
        function: &str,
        title: Option<&str>,
        times: Option<(&str, &str)>,
    ) -> ActivityInput {
        ActivityInput {
            id: uuid::Builder::from_random_bytes(self.rng.random()).into_uuid(),
            site: None,
            date,
            function: function.into(),
            title: title.map(str::to_owned),
            start_time: times.map(|t| t.0.to_owned()),
            end_time: times.map(|t| t.1.to_owned()),
            staff_count: 1,
            volunteer_count: 0,
            unregistered: UnregisteredCounts::default(),
            note: None,
            participants: Vec::new(),
        }
    }

    /// Keeps `a` with `ids` as its participants, unless nobody at all took part.
    fn record(&mut self, mut a: ActivityInput, ids: &[String]) {
        if ids.is_empty() && a.unregistered.total() == 0 {
            return;
        }
        a.participants = ids
            .iter()
            .map(|id| participant(id.clone(), None, Vec::new(), None))
            .collect();
        self.records.push(a);
    }
}

fn participant(
    common_id: String,
    visit_purpose: Option<&str>,
    topics: Vec<String>,
    referral_destination: Option<&str>,
) -> ParticipantInput {
    ParticipantInput {
        common_id,
        visit_purpose: visit_purpose.map(str::to_owned),
        topics,
        referral_destination: referral_destination.map(str::to_owned),
    }
}

/// Records the demo centre's activities from the start of the previous 年度 to `today`,
/// one month per transaction. Returns (activities, participations).
pub async fn fill(
    store: &dyn crate::store::CenterStore,
    center: &str,
    seed: u64,
    today: NaiveDate,
) -> anyhow::Result<(usize, usize)> {
    let codes = store.codes().await?;
    let center = store.center(center).await.context("the demo centre")?;
    let sites = store.sites(Some(&center.code)).await?;
    let query = PersonQuery {
        include_ended: true,
        limit: 1_000_000,
        ..Default::default()
    };
    let (people, _) = store.persons(&center.code, &query).await?;
    // The centre goes into the seed: activity IDs are drawn from this generator, and two
    // centres filled with the same seed must not send the hub the same IDs.
    let centre_bits = center.code.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut rng = StdRng::seed_from_u64(seed ^ 0xA77A_CA11 ^ centre_bits);
    let members = people.iter().map(|p| Member::of(p, &mut rng)).collect();
    let by_id: HashMap<String, Person> = people.into_iter().map(|p| (p.common_id.to_string(), p)).collect();
    let mut planner = Planner {
        rng,
        center: &center,
        site: sites.first(),
        members,
        records: Vec::new(),
    };
    let ctx = Context {
        codes: &codes,
        today,
        center: &center,
        sites: &sites,
        people: &by_id,
    };
    let (mut date, _) = shared::dates::fiscal_year_range(shared::dates::fiscal_year(today) - 1);
    let (mut activities, mut participations) = (0, 0);
    while date <= today {
        if is_working_day(date) && planner.center.is_open_on(date) {
            planner.day(date);
        }
        let next = date + Duration::days(1);
        if next.month() != date.month() || next > today {
            let batch: Vec<ActivityRecord> = planner
                .records
                .drain(..)
                .map(|input| {
                    ActivityRecord::parse(&input, &ctx)
                        .map_err(|e| anyhow::anyhow!("demo activity on {} invalid: {e:?}", input.date))
                })
                .collect::<anyhow::Result<_>>()?;
            participations += batch.iter().map(|r| r.participations.len()).sum::<usize>();
            activities += store.import_activities(&batch).await?;
        }
        date = next;
    }
    Ok((activities, participations))
}
