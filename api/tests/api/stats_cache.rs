//! The `/stats` result cache and its bounded pool over HTTP (decision 0029): a repeated question
//! is answered from the cache, a synchronised batch invalidates exactly the answers touching its
//! centre and fiscal years, identical questions at once compute once, and a full pool answers
//! 503 with `Retry-After` instead of piling requests up.

use reqwest::StatusCode;
use shared::dto::auth::Role;
use shared::dto::meta::NodeRole;
use shared::dto::stats::StatsResponse;
use shared::error::ProblemCode;
use uuid::Uuid;

use crate::helpers::*;
use crate::sync_hub::{activity, batch, common_id, deliver, issue_credential, person};

async fn ask(app: &TestApp, token: &str, query: &str) -> (String, StatsResponse) {
    let res = app.get(&format!("/api/v1/stats?{query}"), token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let served = res
        .headers()
        .get("x-attaka-cache")
        .expect("x-attaka-cache header")
        .to_str()
        .unwrap()
        .to_owned();
    (served, res.json().await.unwrap())
}

/// A hub with one person and activity per centre in FY2023 and FY2024, and C001's credential
/// and stream.
async fn hub_with_facts() -> (TestApp, String, Uuid) {
    let hub = spawn_node(NodeRole::Hub).await;
    let mut creds = Vec::new();
    for center in [CENTER, OTHER_CENTER] {
        let cred = issue_credential(&hub, center).await.credential;
        let a = common_id(center, 1);
        let ops = vec![
            person(center, &a),
            activity(center, Uuid::new_v4(), "2023-05-10", &[&a]),
            activity(center, Uuid::new_v4(), "2024-05-10", &[&a]),
        ];
        let stream = Uuid::new_v4();
        let res = deliver(&hub, &cred, &batch(center, stream, 1, 1, ops)).await;
        assert_eq!(res.status(), StatusCode::OK);
        creds.push((cred, stream));
    }
    let (cred, stream) = creds.swap_remove(0);
    (hub, cred, stream)
}

const FY2024: &str = "measures=participations,unique_persons&period=FY2024&totals=true";

#[tokio::test]
async fn a_repeated_question_is_answered_from_the_cache_and_equivalent_filters_share_it() {
    let (hub, _, _) = hub_with_facts().await;
    let pref = hub.token(Role::Prefecture).await;
    let q = format!("{FY2024}&rows=center&filter=center:{CENTER};{OTHER_CENTER}&filter=function:tsudoi");
    let (first, a) = ask(&hub, &pref, &q).await;
    let (second, b) = ask(&hub, &pref, &q).await;
    assert_eq!((first.as_str(), second.as_str()), ("miss", "hit"));
    assert_eq!(a.rows, b.rows);
    // The same question written otherwise (filters and codes in another order, CSV).
    let same = format!("{FY2024}&rows=center&filter=function:tsudoi&filter=center:{OTHER_CENTER};{CENTER}");
    assert_eq!(ask(&hub, &pref, &same).await.0, "hit");
    let csv = hub.get(&format!("/api/v1/stats?{same}&format=csv"), &pref).await;
    assert_eq!(csv.headers()["x-attaka-cache"], "hit");
    // Another caller's scope does not share the entry, even for the same figures.
    let city = hub.token(Role::Municipality).await;
    assert_eq!(ask(&hub, &city, &q).await.0, "miss");
    let metrics = hub.metrics_text().await;
    assert!(metrics.contains("attaka_stats_cache_hits_total 3"), "{metrics}");
    assert!(metrics.contains("attaka_stats_computations_total 2"), "{metrics}");
}

#[tokio::test]
async fn a_batch_for_one_centre_and_year_invalidates_exactly_the_answers_touching_them() {
    let (hub, cred, stream) = hub_with_facts().await;
    let pref = hub.token(Role::Prefecture).await;
    let questions = [
        ("C001 FY2024", format!("{FY2024}&filter=center:{CENTER}"), true),
        (
            "C001 FY2023",
            format!("measures=participations&period=FY2023&filter=center:{CENTER}"),
            false,
        ),
        (
            "C002 FY2024",
            format!("{FY2024}&filter=center:{OTHER_CENTER}"),
            false,
        ),
        ("all FY2024", format!("{FY2024}&rows=center"), true),
        (
            "all of 2024-06",
            "measures=participations&period=2024-06".to_owned(),
            true,
        ),
        (
            "all FY2023",
            "measures=participations&period=FY2023&rows=center".to_owned(),
            false,
        ),
    ];
    let mut before = Vec::new();
    for (_, q, _) in &questions {
        let (served, answer) = ask(&hub, &pref, q).await;
        assert_eq!(served, "miss");
        assert_eq!(ask(&hub, &pref, q).await.0, "hit");
        before.push(answer);
    }
    // C001 records one more activity in June 2024 (FY2024) with its person.
    let a = common_id(CENTER, 1);
    let ops = vec![activity(CENTER, Uuid::new_v4(), "2024-06-20", &[&a])];
    let res = deliver(&hub, &cred, &batch(CENTER, stream, 2, 4, ops)).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    for ((name, q, touched), old) in questions.iter().zip(&before) {
        let (served, answer) = ask(&hub, &pref, q).await;
        if *touched {
            assert_eq!(served, "miss", "{name} must be computed again");
            assert_ne!(
                (answer.rows, answer.totals),
                (old.rows.clone(), old.totals.clone()),
                "{name} sees the new activity"
            );
        } else {
            assert_eq!(served, "hit", "{name} is untouched by C001's FY2024");
            assert_eq!(answer.rows, old.rows);
        }
    }
}

#[tokio::test]
async fn identical_questions_at_the_same_time_are_computed_once() {
    let (hub, _, _) = hub_with_facts().await;
    let pref = hub.token(Role::Prefecture).await;
    let q = format!("/api/v1/stats?{FY2024}&rows=center,function,month");
    let asks = (0..12).map(|_| {
        let (client, url, token) = (hub.client.clone(), hub.url(&q), pref.clone());
        tokio::spawn(async move {
            let res = client.get(url).bearer_auth(token).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.headers()["x-attaka-cache"].to_str().unwrap().to_owned()
        })
    });
    let mut served = Vec::new();
    for a in asks.collect::<Vec<_>>() {
        served.push(a.await.unwrap());
    }
    assert_eq!(served.iter().filter(|s| *s == "miss").count(), 1, "{served:?}");
    assert!(served
        .iter()
        .all(|s| ["miss", "shared", "hit"].contains(&s.as_str())));
    let metrics = hub.metrics_text().await;
    assert!(metrics.contains("attaka_stats_computations_total 1"), "{metrics}");
}

#[tokio::test]
async fn a_full_statistics_queue_answers_503_with_retry_after_instead_of_waiting() {
    let hub = spawn_with(NodeRole::Hub, |s| {
        s.stats.pool.workers = 1;
        s.stats.pool.queue = 0;
        s.stats.pool.retry_after_secs = 4;
        s.stats.cache.enabled = false;
    })
    .await;
    let pref = hub.token(Role::Prefecture).await;
    let mut busy = None;
    let mut ok = 0;
    // Different questions, all at once, on one worker and no queue: some find it taken.
    for round in 0..10 {
        let asks: Vec<_> = (0..24)
            .map(|i| {
                let url = hub.url(&format!(
                    "/api/v1/stats?measures=participations,unique_persons,open_days&rows=date,center&from=2015-04-01&to=2024-0{}-{:02}",
                    1 + round % 9,
                    1 + i
                ));
                let (client, token) = (hub.client.clone(), pref.clone());
                tokio::spawn(async move { client.get(url).bearer_auth(token).send().await.unwrap() })
            })
            .collect();
        for a in asks {
            let res = a.await.unwrap();
            match res.status() {
                StatusCode::OK => ok += 1,
                StatusCode::SERVICE_UNAVAILABLE => {
                    let retry = res.headers()["retry-after"].to_str().unwrap().to_owned();
                    let ctype = res.headers()["content-type"].to_str().unwrap().to_owned();
                    let problem: shared::error::Problem = res.json().await.unwrap();
                    busy = Some((retry, ctype, problem.code));
                }
                s => panic!("unexpected {s}"),
            }
        }
        if busy.is_some() {
            break;
        }
    }
    let (retry, ctype, code) = busy.expect("at least one request found the pool full");
    assert_eq!(
        (retry.as_str(), ctype.as_str(), code),
        ("4", "application/problem+json", ProblemCode::Busy)
    );
    assert!(ok > 0, "the pool still answered the others");
}

/// Two hub processes serving one database (as behind a load balancer, decision 0033): what one
/// of them ingests or changes, the other's cached answers reflect at once — exactly those
/// answers it may have changed.
#[tokio::test]
async fn a_write_through_one_hub_process_is_seen_at_once_by_another_on_the_same_database() {
    let (first, cred, stream) = hub_with_facts().await;
    let second = spawn_in(first.dir.clone(), NodeRole::Hub, false, |_| {}).await;
    let pref = second.token(Role::Prefecture).await;
    let touched = format!("{FY2024}&filter=center:{CENTER}");
    let untouched = format!("{FY2024}&filter=center:{OTHER_CENTER}");
    let (_, before) = ask(&second, &pref, &touched).await;
    assert_eq!(ask(&second, &pref, &touched).await.0, "hit");
    assert_eq!(ask(&second, &pref, &untouched).await.0, "miss");
    assert_eq!(ask(&second, &pref, &untouched).await.0, "hit");

    // C001 delivers one more FY2024 activity to the first process.
    let a = common_id(CENTER, 1);
    let ops = vec![activity(CENTER, Uuid::new_v4(), "2024-06-20", &[&a])];
    let res = deliver(&first, &cred, &batch(CENTER, stream, 2, 4, ops)).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());

    let (served, after) = ask(&second, &pref, &touched).await;
    assert_eq!(served, "miss", "the second process computes C001's FY2024 again");
    assert_ne!(after.totals, before.totals, "and sees the new activity");
    let first_pref = first.token(Role::Prefecture).await;
    let (_, from_first) = ask(&first, &first_pref, &touched).await;
    assert_eq!(
        (after.rows, after.totals),
        (from_first.rows, from_first.totals),
        "both processes answer alike"
    );
    assert_eq!(
        ask(&second, &pref, &untouched).await.0,
        "hit",
        "C002 is untouched"
    );

    // Master data changed through the first process: every answer of the second goes.
    let admin = first.token(Role::Prefecture).await;
    let region = serde_json::json!({"code": "west", "name": "西部福祉保健所", "sort_order": 3,
        "valid_from": "2009-04-01", "valid_to": null, "members": []});
    let res = first.put("/api/v1/regions/west", &admin, &region).await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    assert_eq!(ask(&second, &pref, &untouched).await.0, "miss");
}
