//! `attaka privacy report` on generated prefecture data: the documented defaults keep k ≥ 5 for
//! 95 % of people, the exact view does not, and the steps end where the view is.

use api::stats::extract::ExtractKind;
use api::stats::privacy::report::{self, Recipient, GOAL_PERCENT};
use chrono::NaiveDate;

use crate::privacy_support::generated_hub;

#[tokio::test]
async fn the_default_views_keep_k_of_five_for_95_percent_of_the_prefectures_people() {
    // A year of the whole prefecture, as `attaka generate --centers 55` makes it.
    let (app, _) = generated_hub(55, 8_600).await;
    let (from, to) = (
        NaiveDate::from_ymd_opt(2024, 4, 1).unwrap(),
        NaiveDate::from_ymd_opt(2025, 3, 31).unwrap(),
    );
    for (kind, who) in [
        (ExtractKind::Persons, "integrator"),
        (ExtractKind::Persons, "municipality:392014"),
        (ExtractKind::Participations, "integrator"),
    ] {
        {
            let r = report::run(
                app.store.clone(),
                kind,
                &Recipient::parse(who).unwrap(),
                from,
                to,
                true,
            )
            .await
            .unwrap();
            let (_, view) = r.classes[0];
            assert!(view.people > 1000, "{who}: {} people", view.people);
            assert!(view.k5_for(GOAL_PERCENT), "{} as {who}:\n{r}", kind.name());
            let (_, last_step) = r.steps.last().unwrap();
            assert_eq!(*last_step, view, "the steps end at the view:\n{r}");
            let (_, exact) = r.steps[0];
            assert!(!exact.k5_for(GOAL_PERCENT), "the exact view was the risk:\n{r}");
        }
    }
    let pref = report::run(
        app.store.clone(),
        ExtractKind::Persons,
        &Recipient::parse("prefecture").unwrap(),
        from,
        to,
        false,
    )
    .await
    .unwrap();
    assert!(!pref.classes[0].1.k5_for(GOAL_PERCENT), "{pref}");
    let refused = report::run(
        app.store.clone(),
        ExtractKind::Persons,
        &Recipient::parse("integrator:none").unwrap(),
        from,
        to,
        false,
    )
    .await
    .unwrap();
    assert!(refused.view.is_none() && refused.classes.is_empty());
}
