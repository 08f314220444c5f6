//! `attaka demo`: realistic demo data for a fresh database, through the same store calls the
//! API uses. Deterministic for a given seed.

mod activities;
pub mod regions;

use anyhow::Context;
use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shared::common_id::CenterCode;
use shared::dto::auth::{NewAccount, Role, Scope};
use shared::dto::person::PersonInput;

use crate::config::Settings;
use crate::domain::clock::today_jst;
use crate::domain::org::{Center, Site};
use crate::domain::person::PersonRecord;
use crate::store::{CenterStore, NodeStore};

#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Seed for the generator: the same seed gives the same data.
    #[arg(long, default_value_t = 2024)]
    pub seed: u64,
    /// People to register at this node's centre.
    #[arg(long, default_value_t = 120)]
    pub people: u32,
}

/// Demo centres: (code, name, municipality, operator body).
const CENTERS: &[(&str, &str, &str, &str)] = &[
    (
        "C001",
        "あったかふれあいセンター 春野",
        "392014",
        "高知市社会福祉協議会",
    ),
    (
        "C002",
        "あったかふれあいセンター 鏡",
        "392014",
        "NPO法人 かがみの里",
    ),
    (
        "C003",
        "あったかふれあいセンター 室戸",
        "392022",
        "室戸市社会福祉協議会",
    ),
    (
        "C004",
        "あったかふれあいセンター いの",
        "393860",
        "いの町社会福祉協議会",
    ),
    (
        "C005",
        "あったかふれあいセンター 大川",
        "393649",
        "大川村社会福祉協議会",
    ),
];

/// Demo accounts: (username, display name, role, scope, password).
fn accounts(center: &str) -> Vec<(&'static str, &'static str, Role, Scope, &'static str)> {
    vec![
        (
            "staff",
            "春野 職員",
            Role::CenterStaff,
            Scope::Center(center.into()),
            "demo-staff-2024",
        ),
        (
            "manager",
            "春野 管理者",
            Role::CenterAdmin,
            Scope::Center(center.into()),
            "demo-manager-2024",
        ),
        (
            "pref",
            "高知県 地域福祉政策課",
            Role::Prefecture,
            Scope::Prefecture,
            "demo-pref-2024",
        ),
        (
            "kochi-city",
            "高知市 福祉担当",
            Role::Municipality,
            Scope::Municipality("392014".into()),
            "demo-city-2024",
        ),
        (
            "aki-office",
            "安芸福祉保健所 担当",
            Role::Region,
            Scope::Region("aki".into()),
            "demo-region-2024",
        ),
        (
            "operator",
            "運用保守 担当",
            Role::Operator,
            Scope::Prefecture,
            "demo-operator-2024",
        ),
    ]
}

pub(crate) const FAMILY: &[(&str, &str)] = &[
    ("山本", "ヤマモト"),
    ("田中", "タナカ"),
    ("西村", "ニシムラ"),
    ("岡林", "オカバヤシ"),
    ("浜田", "ハマダ"),
    ("小松", "コマツ"),
    ("山崎", "ヤマサキ"),
    ("中村", "ナカムラ"),
    ("高橋", "タカハシ"),
    ("森", "モリ"),
    ("川村", "カワムラ"),
    ("片岡", "カタオカ"),
    ("吉村", "ヨシムラ"),
    ("松本", "マツモト"),
    ("坂本", "サカモト"),
    ("竹内", "タケウチ"),
    ("野村", "ノムラ"),
    ("岡村", "オカムラ"),
    ("橋本", "ハシモト"),
    ("和田", "ワダ"),
    ("髙木", "タカギ"),
    ("山﨑", "ヤマサキ"),
];
pub(crate) const MALE: &[(&str, &str)] = &[
    ("一郎", "イチロウ"),
    ("正", "タダシ"),
    ("茂", "シゲル"),
    ("勇", "イサム"),
    ("博", "ヒロシ"),
    ("健太", "ケンタ"),
    ("翔", "ショウ"),
    ("大輝", "ダイキ"),
];
pub(crate) const FEMALE: &[(&str, &str)] = &[
    ("花子", "ハナコ"),
    ("幸子", "サチコ"),
    ("和子", "カズコ"),
    ("節子", "セツコ"),
    ("美咲", "ミサキ"),
    ("陽菜", "ヒナ"),
    ("恵子", "ケイコ"),
    ("久美子", "クミコ"),
];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn birth(rng: &mut StdRng, from_year: i32, to_year: i32) -> NaiveDate {
    let start = NaiveDate::from_ymd_opt(from_year, 1, 1).unwrap_or(NaiveDate::MIN);
    let days = (NaiveDate::from_ymd_opt(to_year, 12, 31).unwrap_or(start) - start).num_days();
    start + Duration::days(rng.random_range(0..=days.max(0)))
}

/// One demo person, shaped like the programme's users (mostly older people, some children,
/// families and disabled people).
fn person(rng: &mut StdRng, today: NaiveDate) -> PersonInput {
    let male = rng.random_bool(0.4);
    let (family_name, family_kana) = *pick(rng, FAMILY);
    let (given_name, given_kana) = *pick(rng, if male { MALE } else { FEMALE });
    let kind = rng.random_range(0..100);
    let (birth_date, categories, care_level, household, disabilities) = match kind {
        0..=59 => {
            let care = *pick(
                rng,
                &[
                    "independent",
                    "independent",
                    "jigyou",
                    "shien1",
                    "shien2",
                    "kaigo1",
                ],
            );
            let hh = *pick(
                rng,
                &["alone", "alone", "elderly_only", "daytime_alone", "with_family"],
            );
            (birth(rng, 1930, 1958), vec!["elderly"], care, hh, vec![])
        }
        60..=66 => (
            birth(rng, 1960, 2000),
            vec!["disabled"],
            "independent",
            "with_family",
            vec![shared::dto::person::DisabilityInput {
                kind: pick(rng, &["physical", "intellectual", "mental"]).to_string(),
                grade: Some(pick(rng, &["1", "2", "3"]).to_string()),
            }],
        ),
        67..=81 => (
            birth(rng, 2012, 2022),
            vec!["child"],
            "independent",
            "with_family",
            vec![],
        ),
        82..=91 => (
            birth(rng, 1985, 1998),
            vec!["childrearing"],
            "independent",
            "with_family",
            vec![],
        ),
        _ => (
            birth(rng, 1962, 1990),
            vec!["other"],
            "independent",
            "other",
            vec![],
        ),
    };
    let earliest = NaiveDate::from_ymd_opt(2023, 4, 1)
        .unwrap_or(today)
        .max(birth_date);
    let registered_on = earliest + Duration::days(rng.random_range(0..=(today - earliest).num_days().max(0)));
    PersonInput {
        common_id: None,
        family_name: family_name.into(),
        given_name: given_name.into(),
        family_kana: family_kana.into(),
        given_kana: given_kana.into(),
        birth_date,
        sex: if male { "M" } else { "F" }.into(),
        residence_municipality: "392014".into(),
        postal_code: Some(format!("781-{:04}", rng.random_range(100..9999))),
        address: Some(format!("高知市春野町西分{}番地", rng.random_range(1..3000))),
        phone: Some(format!(
            "088-{:03}-{:04}",
            rng.random_range(800..899),
            rng.random_range(0..9999)
        )),
        emergency_contact: None,
        notes: None,
        categories: categories.into_iter().map(str::to_owned).collect(),
        care_level: care_level.into(),
        disabilities,
        household: household.into(),
        registered_on,
    }
}

/// Fills the database; refuses when the demo centre already has people.
pub async fn fill(node: &NodeStore, settings: &Settings, args: &DemoArgs) -> anyhow::Result<String> {
    let common = node.common();
    let store = common.as_ref();
    let center_code = settings
        .center_code()
        .unwrap_or_else(|| CenterCode::parse("C001").expect("valid code"));
    let opened = NaiveDate::from_ymd_opt(2009, 4, 1).context("date")?;
    for (i, &(code, name, municipality, operator_body)) in CENTERS.iter().enumerate() {
        let code = if i == 0 { center_code.as_str() } else { code };
        store
            .upsert_center(&Center {
                code: code.into(),
                name: name.into(),
                municipality: municipality.into(),
                operator_body: operator_body.into(),
                opened_on: opened,
                closed_on: None,
            })
            .await?;
    }
    let site = Site {
        code: format!("{}-S01", center_code.as_str()),
        center: center_code.to_string(),
        name: "サテライト 東諸木".into(),
        opened_on: NaiveDate::from_ymd_opt(2015, 4, 1).context("date")?,
        closed_on: None,
    };
    store.upsert_site(&site).await?;
    // The five regional offices (to be confirmed by the prefecture), before the region account.
    regions::seed(store, opened).await?;

    let mut lines = vec!["デモデータを作成しました。ログインに使えるアカウント:".to_owned()];
    let regions = store.regions().await?;
    for (username, display_name, role, scope, password) in accounts(center_code.as_str()) {
        // The regional office's account needs its region: a database with the prefecture's
        // own regions (without `aki`) gets no such account.
        if let Scope::Region(code) = &scope {
            if !regions.iter().any(|r| r.code == *code) {
                continue;
            }
        }
        match store.find_account(username).await? {
            Some(_) => {}
            None => {
                let new = NewAccount {
                    username: username.into(),
                    display_name: display_name.into(),
                    password: password.into(),
                    role,
                    scope,
                };
                let row = crate::ops::audit::by_cli("account.create", Some(username.into()), None);
                // Published in the README: the password policy would protect nothing here.
                use crate::auth::accounts::{create_with, PasswordRule};
                create_with(store, settings, new, None, PasswordRule::Published, row)
                    .await
                    .map_err(|e| anyhow::anyhow!("creating demo account {username}: {e}"))?;
            }
        }
        lines.push(format!(
            "  {:<11} {:<19} {} ({})",
            username,
            password,
            role.label(),
            role.as_str()
        ));
    }

    // People and activities exist on a centre node only.
    if let Some(center) = node.center() {
        let center = center.as_ref();
        let (_, already) = center
            .persons(
                center_code.as_str(),
                &crate::domain::person::PersonQuery {
                    limit: 1,
                    include_ended: true,
                    ..Default::default()
                },
            )
            .await?;
        if already == 0 {
            let mut rng = StdRng::seed_from_u64(args.seed);
            let today = today_jst();
            let codes = store.codes().await?;
            for _ in 0..args.people {
                let input = person(&mut rng, today);
                let record = PersonRecord::parse(&input, &codes, today)
                    .map_err(|e| anyhow::anyhow!("demo person invalid: {e:?}"))?;
                let row = crate::ops::audit::by_cli("person.register", None, None).completed_by(
                    |e, p: &crate::domain::person::Person| e.target = Some(p.common_id.to_string()),
                );
                center.register_person(&center_code, None, &record, row).await?;
            }
            lines.push(format!(
                "  利用者 {} 名を {} に登録しました（{}年度）。",
                args.people,
                center_code,
                shared::dates::fiscal_year(today)
            ));
        } else {
            lines.push(format!("  利用者は登録済みです（{already} 名）。"));
        }
        lines.push(fill_activities(center, center_code.as_str(), args.seed).await?);
    }
    Ok(lines.join("\n"))
}

/// A realistic stretch of activities for the demo centre, unless it already has some.
async fn fill_activities(store: &dyn CenterStore, center: &str, seed: u64) -> anyhow::Result<String> {
    let today = today_jst();
    let (from, _) = shared::dates::fiscal_year_range(shared::dates::fiscal_year(today) - 1);
    let query = crate::domain::activity::ActivityQuery {
        from,
        to: today,
        function: None,
        site: None,
    };
    let existing = store.activities(center, &query).await?.len();
    if existing > 0 {
        return Ok(format!("  活動は記録済みです（{existing} 件）。"));
    }
    let (activities, participations) = activities::fill(store, center, seed, today).await?;
    Ok(format!(
        "  活動 {activities} 件（参加 {participations} 件）を {from} 〜 {today} に記録しました。"
    ))
}
