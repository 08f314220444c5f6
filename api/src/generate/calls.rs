//! The one-to-one work of a centre: visits (訪問), consultations (相談, some referred on) and
//! referrals (つなぎ), each its own activity with one person and the detail its function asks
//! for.

use rand::Rng;

use super::people::Kind;
use super::schedule::{about, chance, one_of, pick, Day};
use crate::domain::activity::{Detail, Unregistered};

impl Day<'_> {
    /// 訪問: about one visit a day at an average centre, each its own activity.
    pub(super) fn visits(&mut self, active: &[usize]) {
        let pool = self.pool(active, &[Kind::Elderly, Kind::Disabled], true);
        let n = about(self.rng, 1.0 * self.program.scale);
        for (i, who) in pick(self.rng, self.members, &pool, n, |_| 1.0)
            .into_iter()
            .enumerate()
        {
            let purpose = match self.rng.random_range(0..20) {
                0..=11 => "watching",
                12..=14 => "delivery",
                15..=17 => "shopping",
                18 => "consultation",
                _ => "other",
            };
            let detail = Detail {
                visit_purpose: Some(purpose.to_owned()),
                ..Default::default()
            };
            let p = vec![self.participation(&self.members[who], detail)];
            let hour = 13 + i.min(4);
            let (start, end) = (format!("{hour:02}:00"), format!("{hour:02}:30"));
            self.push(
                "houmon",
                "見守り訪問",
                Some((&start, &end)),
                1,
                p,
                Unregistered::default(),
            );
        }
    }

    /// 相談 (a few a week, some referred on) and つなぎ (a couple a month).
    pub(super) fn consultations(&mut self, active: &[usize]) {
        use Kind::*;
        let s = self.program.scale;
        if chance(self.rng, 0.35 * s.sqrt()) {
            let pool = self.pool(active, &[Elderly, Disabled, Family, Other], false);
            if let Some(who) = pick(self.rng, self.members, &pool, 1, |_| 1.0).pop() {
                let (topics, referral): (&[&str], &str) = match self.members[who].kind {
                    Elderly => (&["health", "care", "isolation", "housing"], "houkatsu"),
                    Disabled => (&["disability", "livelihood", "health"], "disability_support"),
                    Family | Child => (&["childcare", "livelihood"], "municipal"),
                    Other => (&["livelihood", "housing", "isolation", "other"], "shakyo"),
                };
                let mut chosen = vec![one_of(self.rng, topics).to_owned()];
                let second = one_of(self.rng, topics).to_owned();
                if chance(self.rng, 0.3) && !chosen.contains(&second) {
                    chosen.push(second);
                }
                chosen.sort();
                let detail = Detail {
                    topics: chosen,
                    referral_destination: chance(self.rng, 0.25).then(|| referral.to_owned()),
                    ..Default::default()
                };
                let p = vec![self.participation(&self.members[who], detail)];
                self.push(
                    "soudan",
                    "相談",
                    Some(("10:30", "11:00")),
                    1,
                    p,
                    Unregistered::default(),
                );
            }
        }
        if chance(self.rng, 0.08 * s.sqrt()) {
            let pool = self.pool(active, &[Elderly, Disabled], false);
            if let Some(who) = pick(self.rng, self.members, &pool, 1, |_| 1.0).pop() {
                let destination = if self.members[who].kind == Disabled {
                    "disability_support"
                } else {
                    one_of(
                        self.rng,
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
                let detail = Detail {
                    referral_destination: Some(destination.to_owned()),
                    ..Default::default()
                };
                let p = vec![self.participation(&self.members[who], detail)];
                self.push(
                    "tsunagi",
                    "関係機関へのつなぎ",
                    Some(("16:00", "16:30")),
                    1,
                    p,
                    Unregistered::default(),
                );
            }
        }
    }
}
