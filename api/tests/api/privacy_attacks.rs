//! A held-out style attacker: with an integrator token on generated data it tries the three
//! attacks of issue 12 — the record-level extract, the linked measure, and differencing two
//! allowed queries — against the cells `/stats` hides from it, and recovers none of them. The
//! prefecture's exact figures say what the hidden values are.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::json;
use shared::dto::auth::Role;

use crate::helpers::*;
use crate::privacy_support::*;

/// The hub, the prefecture's token and the attacker's (prefecture-wide, no extracts grant, as
/// every integrator token is by default).
async fn scene() -> (TestApp, String, String) {
    let (app, pref) = generated_hub(8, 800).await;
    pin_cell_key_secret(&app).await;
    let attacker = app.token(Role::Integrator).await;
    (app, pref, attacker)
}

#[tokio::test]
async fn the_extract_gives_the_attacker_no_record_behind_a_hidden_cell() {
    let (app, pref, attacker) = scene().await;
    for kind in ["participations", "persons", "activities"] {
        let res = app
            .get(&format!("/api/v1/extracts/{kind}?period=FY2024"), &attacker)
            .await;
        expect_problem(res, StatusCode::FORBIDDEN).await;
    }
    // Even a token the prefecture granted coarsened extracts cannot rebuild a hidden care
    // level cell: the care level is withheld, and filtering on it is refused.
    let granted = granted(&app, &pref, json!({"level": "prefecture"}), Some("coarsened")).await;
    let rows = ndjson(&app, &granted, "participations", "period=FY2024").await;
    assert!(
        !rows.is_empty()
            && rows
                .iter()
                .all(|r| s(r, "care_level").is_empty() && s(r, "activity_id").is_empty())
    );
    let res = app
        .get(
            "/api/v1/extracts/participations?period=FY2024&filter=care_level:kaigo2",
            &granted,
        )
        .await;
    expect_problem(res, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn a_hidden_participations_cell_is_never_printed_in_its_linked_column() {
    let (app, pref, attacker) = scene().await;
    let mut hidden_linked = 0;
    for rows in [
        "municipality,function",
        "center,function",
        "center,quarter,function",
        "group,function",
    ] {
        let q = format!(
            "measures=participations,visits,consultations,referrals&rows={rows}&period=FY2024&totals=true"
        );
        let truth = cells(&stats(&app, &pref, &q).await);
        let seen = cells(&stats(&app, &attacker, &q).await);
        for (row, values) in &seen {
            let linked = match row.last().map(String::as_str) {
                Some("houmon") => 1,
                Some("soudan") => 2,
                Some("tsunagi") => 3,
                _ => continue,
            };
            let exact = &truth[row];
            assert_eq!(
                exact[0], exact[linked],
                "on a {row:?} row the two are the same count"
            );
            if values[0].is_none() {
                hidden_linked += 1;
                // The attacker's reading of the linked column: nothing.
                assert_eq!(values[linked], None, "rows={rows} {row:?}: {values:?}");
            } else {
                // Printed, both show the same (perturbed) value: the same records.
                assert_eq!(values[0], values[linked], "rows={rows} {row:?}");
            }
        }
    }
    assert!(hidden_linked >= 5, "the attack had targets: {hidden_linked}");
}

#[tokio::test]
async fn differencing_two_allowed_queries_does_not_give_a_hidden_cell_back() {
    let (app, pref, attacker) = scene().await;
    let care_levels: Vec<String> = app
        .store
        .code_items("care_levels")
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.code)
        .collect();
    // 延べ利用者数 adds up: the whole minus all but one care level is exactly that one level's
    // count, so without protection the difference below is the hidden value itself. A month at
    // a time, where small cells are many.
    let mut targets: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for month in ["2024-05", "2024-08", "2024-11", "2025-02"] {
        let table = format!("measures=participations&rows=municipality,care_level&period={month}");
        let truth = cells(&stats(&app, &pref, &table).await);
        let seen = cells(&stats(&app, &attacker, &table).await);
        // Targets: cells below ten, which the attacker's own table hides.
        for (key, values) in &truth {
            if let Some(n) = values[0].filter(|n| (1..10).contains(n)) {
                assert_eq!(seen[key][0], None, "{month} {key:?} is hidden from the attacker");
                targets.insert((month.to_owned(), key[0].clone(), key[1].clone()), n);
            }
        }
    }
    assert!(
        targets.len() >= 12,
        "enough small cells to attack: {}",
        targets.len()
    );
    let mut hits = 0;
    let mut misses = std::collections::BTreeSet::new();
    let total = |r: &shared::dto::stats::StatsResponse| cells(r)[&Vec::<String>::new()][0];
    for ((month, town, level), hidden) in &targets {
        let rest: Vec<&str> = care_levels
            .iter()
            .map(String::as_str)
            .filter(|c| c != level)
            .collect();
        let whole = format!("measures=participations&period={month}&filter=municipality:{town}");
        let all_but = format!("{whole}&filter=care_level:{}", rest.join(";"));
        let a = total(&stats(&app, &attacker, &whole).await);
        let b = total(&stats(&app, &attacker, &all_but).await);
        let (Some(a), Some(b)) = (a, b) else { continue };
        // Asking again, or spelling the second query another way, gives the same numbers:
        // nothing to average.
        let reversed: Vec<&str> = rest.iter().rev().copied().collect();
        let again = format!("{whole}&filter=care_level:{}", reversed.join(";"));
        assert_eq!(total(&stats(&app, &attacker, &again).await), Some(b));
        let guess = a as i64 - b as i64;
        hits += u64::from(guess == *hidden as i64);
        misses.insert(guess - *hidden as i64);
        assert!(
            (guess - *hidden as i64).abs() <= 4,
            "{month} {town} {level}: the noise is bounded ({guess} for {hidden})"
        );
    }
    // Without noise every guess would be right. With it the attacker is right only when the
    // two perturbations happen to cancel (about one time in four for a bound of 2), and cannot
    // tell when that is.
    assert!(
        hits * 2 < targets.len() as u64,
        "{hits} of {} hidden cells recovered exactly",
        targets.len()
    );
    assert!(
        misses.len() >= 3,
        "the guesses miss by varying amounts: {misses:?}"
    );
}
