//! `attaka generate`: prefecture-scale data for benchmarks and trials — 55 centres in 31
//! municipalities, about 10,000 people and 190,000 participations a year, over as many fiscal
//! years as asked — written through the store's bulk loads, deterministic for a seed.
//!
//! On a hub it writes facts only (the hub has no identity tables). A centre node holds its own
//! centre's people only, so there it generates that one centre, with identities.

mod calls;
mod centers;
mod people;
mod profiles;
mod schedule;

pub(crate) use schedule::{one_of, EVENTS};

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::SeedableRng;
use shared::dto::meta::NodeRole;

use crate::config::Settings;
use crate::domain::activity::ActivityRecord;
use crate::store::CommonStore;

#[derive(Debug, Clone, clap::Args)]
pub struct GenerateArgs {
    /// Centres (55: the whole prefecture, as in FY2023). A centre node takes 1: its own.
    #[arg(long, default_value_t = 55)]
    pub centers: usize,
    /// Fiscal years of activities, ending with the last fiscal year.
    #[arg(long, default_value_t = 10)]
    pub years: u16,
    /// The last fiscal year generated (default: the last complete one).
    #[arg(long)]
    pub last_fiscal_year: Option<i32>,
    /// People registered at the start of the first fiscal year, prefecture-wide (the number
    /// grows about 1 % a year); about 10,000 different people take part in a year.
    #[arg(long, default_value_t = 8_600)]
    pub people: u32,
    /// Seed for the generator: the same seed gives the same facts.
    #[arg(long, default_value_t = 2024)]
    pub seed: u64,
}

/// What one fiscal year came to, counted as the data was generated.
#[derive(Debug, Default)]
struct YearTally {
    activities: u64,
    participations: u64,
    unregistered: u64,
    people: BTreeMap<String, HashSet<String>>,
}

fn tally(years: &mut BTreeMap<i32, YearTally>, batch: &[ActivityRecord]) {
    for a in batch {
        let y = years.entry(a.fiscal_year()).or_default();
        y.activities += 1;
        y.participations += a.participations.len() as u64;
        y.unregistered += a.unregistered.total() as u64;
        for p in &a.participations {
            y.people
                .entry(p.snapshot.group.clone())
                .or_default()
                .insert(p.common_id.to_string());
        }
    }
}

/// Generates the data into `store`; returns a report of what was written.
pub async fn run(
    store: Arc<dyn CommonStore>,
    settings: &Settings,
    args: &GenerateArgs,
) -> anyhow::Result<String> {
    let started = Instant::now();
    let last = args
        .last_fiscal_year
        .unwrap_or_else(|| shared::dates::fiscal_year(crate::domain::clock::today_jst()) - 1);
    let first = last - i32::from(args.years.max(1)) + 1;
    let (start, _) = shared::dates::fiscal_year_range(first);
    let (_, end) = shared::dates::fiscal_year_range(last);
    let mut plans = centers::plan(args.centers);
    if settings.node.role == NodeRole::Center {
        anyhow::ensure!(
            args.centers == 1,
            "a centre node holds only its own centre's people: use --centers 1, or generate into a hub database"
        );
        let code = settings.center_code().context("node.center")?.to_string();
        let plan = &mut plans[0];
        plan.center.code = code.clone();
        for (i, site) in plan.sites.iter_mut().enumerate() {
            site.code = format!("{code}-S{:02}", i + 1);
            site.center = code.clone();
        }
    }
    for plan in &plans {
        store.upsert_center(&plan.center).await?;
        for site in &plan.sites {
            store.upsert_site(site).await?;
        }
    }
    // The five regional offices (to be confirmed by the prefecture), from before the data.
    let since = NaiveDate::from_ymd_opt(2000, 4, 1).context("date")?;
    crate::demo::regions::seed(store.as_ref(), since).await?;
    let codes = store.codes().await?;
    let mut rng = StdRng::seed_from_u64(args.seed);
    let members = people::simulate(&mut rng, &codes, &plans, f64::from(args.people), start, end);
    let mut names = StdRng::seed_from_u64(args.seed ^ 0x1D_E471);
    let persons: Vec<_> = members
        .iter()
        .map(|m| m.to_person(&plans[m.center].center.code, &mut names))
        .collect();
    store
        .import_persons(&persons)
        .await
        .context("loading the people (is the database fresh?)")?;
    let mut by_center: Vec<Vec<people::Member>> = vec![Vec::new(); plans.len()];
    for m in members {
        by_center[m.center].push(m);
    }
    let programs: Vec<schedule::Program> = plans.iter().map(|p| schedule::Program::of(p, &mut rng)).collect();

    // One thread plans month after month while the store writes the previous one.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<ActivityRecord>>(2);
    let seed = args.seed;
    let planner = tokio::task::spawn_blocking(move || {
        let mut rng = StdRng::seed_from_u64(seed ^ 0xA77A_CA11);
        let mut years = BTreeMap::new();
        let mut month = start;
        while month <= end {
            let next = month.checked_add_months(chrono::Months::new(1)).unwrap_or(end);
            let last_day = next.pred_opt().unwrap_or(next).min(end);
            let batch =
                schedule::activities(&mut rng, &codes, &plans, &programs, &by_center, month, last_day);
            tally(&mut years, &batch);
            if tx.blocking_send(batch).is_err() {
                break;
            }
            month = next;
        }
        (years, plans)
    });
    let mut written = 0usize;
    while let Some(batch) = rx.recv().await {
        written += store.import_activities(&batch).await?;
    }
    let (years, plans) = planner.await.context("the planner thread")?;
    let towns: HashSet<&str> = plans.iter().map(|p| p.center.municipality.as_str()).collect();
    let mut lines = vec![format!(
        "{} centres in {} municipalities, {} registrations, {} activities, FY{first}–FY{last} (seed {}), in {:.1} s:",
        plans.len(),
        towns.len(),
        persons.len(),
        written,
        args.seed,
        started.elapsed().as_secs_f64()
    )];
    for (fy, y) in &years {
        let count = |g: &str| y.people.get(g).map_or(0, HashSet::len);
        let all: usize = y.people.values().map(HashSet::len).sum();
        lines.push(format!(
            "  FY{fy}: 実施 {} 回, 延べ {} 人 (登録 {} + 未登録 {}), 実利用者 {} 人 (高齢者 {} / 障害のある人 {} / 子ども {} / それ以外 {})",
            y.activities,
            y.participations + y.unregistered,
            y.participations,
            y.unregistered,
            all,
            count("elderly"),
            count("disabled"),
            count("child"),
            count("other"),
        ));
    }
    Ok(lines.join("\n"))
}
