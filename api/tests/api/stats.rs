//! `/stats` over a small fixture whose right answers are worked out by hand below.
//!
//! People (centre C001, 高知市): A 1948-05-01 F elderly; B 2006-04-02 M other;
//! C 1950-01-10 F disabled+elderly (group: disabled, by precedence). All registered 2024-04-01.
//!
//! | # | date       | function | registered | unregistered |
//! |---|------------|----------|------------|--------------|
//! | 1 | 2024-04-01 | tsudoi   | A B C      | child 3      |
//! | 2 | 2025-03-31 | tsudoi   | A B C      |              |
//! | 3 | 2025-04-01 | tsudoi   | A B        |              |  (FY2025)
//! | 4 | 2024-05-10 | houmon   | C          |              |
//! | 5 | 2024-05-10 | soudan   | A → 地域包括 |            |
//! | 6 | 2024-06-15 | tsudoi   | A C        | elderly 2    |
//!
//! FY2024: 延べ 6+3+1+1+4 = 15, 実 3, 実施回数 5, 開所日数 4, 訪問 1, 相談 1, つなぎ 0 (a 相談 that
//! led to a referral is not a つなぎ activity).
//! B turns 18 on 2024-04-01 by the Japanese rule (birthday the next day): band 18_39, not 13_17.

use reqwest::StatusCode;
use serde_json::{json, Value};
use shared::dto::auth::Role;
use shared::dto::meta::NodeRole;
use shared::dto::stats::StatsResponse;

use crate::helpers::*;

pub struct Fixture {
    pub app: TestApp,
}

async fn register(
    app: &TestApp,
    token: &str,
    name: &str,
    birth: &str,
    sex: &str,
    categories: &[&str],
) -> String {
    let mut input = person_input();
    input.family_name = name.into();
    input.birth_date = birth.parse().unwrap();
    input.sex = sex.into();
    input.categories = categories.iter().map(|c| c.to_string()).collect();
    app.register(token, &input).await.common_id
}

async fn activity(
    app: &TestApp,
    token: &str,
    date: &str,
    function: &str,
    participants: Vec<Value>,
    unregistered: Value,
) {
    let body = json!({
        "id": uuid::Uuid::new_v4(), "date": date, "function": function, "staff_count": 2,
        "volunteer_count": 1, "unregistered": unregistered, "participants": participants,
    });
    let res = app.post("/api/v1/activities", token, &body).await;
    let status = res.status();
    assert!(
        status.is_success(),
        "{date} {function}: {}",
        res.text().await.unwrap()
    );
}

fn p(id: &str) -> Value {
    json!({ "common_id": id })
}

pub async fn fixture_with(adjust: impl FnOnce(&mut api::config::Settings)) -> Fixture {
    let app = spawn_with(NodeRole::Center, adjust).await;
    let t = app.token(Role::CenterStaff).await;
    let a = register(&app, &t, "甲", "1948-05-01", "F", &["elderly"]).await;
    let b = register(&app, &t, "乙", "2006-04-02", "M", &["other"]).await;
    let c = register(&app, &t, "丙", "1950-01-10", "F", &["disabled", "elderly"]).await;
    let none = json!({});
    activity(
        &app,
        &t,
        "2024-04-01",
        "tsudoi",
        vec![p(&a), p(&b), p(&c)],
        json!({"child": 3}),
    )
    .await;
    activity(
        &app,
        &t,
        "2025-03-31",
        "tsudoi",
        vec![p(&a), p(&b), p(&c)],
        none.clone(),
    )
    .await;
    activity(&app, &t, "2025-04-01", "tsudoi", vec![p(&a), p(&b)], none.clone()).await;
    let visit = json!({"common_id": c, "visit_purpose": "watching"});
    activity(&app, &t, "2024-05-10", "houmon", vec![visit], none.clone()).await;
    let consult = json!({"common_id": a, "topics": ["care"], "referral_destination": "houkatsu"});
    activity(&app, &t, "2024-05-10", "soudan", vec![consult], none.clone()).await;
    activity(
        &app,
        &t,
        "2024-06-15",
        "tsudoi",
        vec![p(&a), p(&c)],
        json!({"elderly": 2}),
    )
    .await;
    Fixture { app }
}

pub async fn fixture() -> Fixture {
    fixture_with(|_| {}).await
}

impl Fixture {
    async fn stats(&self, role: Role, query: &str) -> StatsResponse {
        let token = self.app.token(role).await;
        self.stats_with(&token, query).await
    }

    async fn stats_with(&self, token: &str, query: &str) -> StatsResponse {
        let res = self.app.get(&format!("/api/v1/stats?{query}"), token).await;
        expect_json(res, StatusCode::OK).await
    }
}

/// Rows as (first code, measure values…) for easy comparison.
fn table(r: &StatsResponse) -> Vec<(String, Vec<Value>)> {
    let dims = r
        .columns
        .iter()
        .filter(|c| c.kind != shared::dto::stats::ColumnKind::Measure)
        .count();
    r.rows
        .iter()
        .map(|row| {
            (
                row[0].as_str().unwrap_or_default().to_owned(),
                row[dims..].to_vec(),
            )
        })
        .collect()
}

fn totals(r: &StatsResponse) -> Vec<Value> {
    let dims = r
        .columns
        .iter()
        .filter(|c| c.kind != shared::dto::stats::ColumnKind::Measure)
        .count();
    r.totals.as_ref().expect("totals")[dims..].to_vec()
}

#[tokio::test]
async fn every_measure_of_a_fiscal_year_matches_the_hand_count() {
    let f = fixture().await;
    let r = f
        .stats(
            Role::Prefecture,
            "measures=participations,unique_persons,activities,open_days,new_registrations,registered_persons,visits,consultations,referrals&period=FY2024",
        )
        .await;
    assert_eq!(r.rows.len(), 1);
    assert_eq!(
        r.rows[0],
        vec![
            json!(15),
            json!(3),
            json!(5),
            json!(4),
            json!(3),
            json!(3),
            json!(1),
            json!(1),
            json!(0)
        ]
    );
    assert_eq!(r.meta.from.to_string(), "2024-04-01");
    assert_eq!(r.meta.scope, "prefecture");
}

#[tokio::test]
async fn distinct_people_are_counted_per_month_and_never_summed_in_the_total() {
    let f = fixture().await;
    let r = f
        .stats(
            Role::Prefecture,
            "measures=participations,unique_persons&rows=month&period=FY2024&totals=true",
        )
        .await;
    assert_eq!(
        table(&r),
        [
            ("2024-04".to_owned(), vec![json!(6), json!(3)]),
            ("2024-05".to_owned(), vec![json!(2), json!(2)]),
            ("2024-06".to_owned(), vec![json!(4), json!(2)]),
            ("2025-03".to_owned(), vec![json!(3), json!(3)]),
        ]
    );
    // 3 + 2 + 2 + 3 = 10 rows of people, but only 3 people.
    assert_eq!(totals(&r), [json!(15), json!(3)]);
    assert!(r.meta.notes.iter().any(|n| n.starts_with("実利用者数は")));
    // The notes are printed and head the CSV/xlsx header blocks: Japanese only, no API codes.
    assert!(r.meta.notes.iter().all(|n| !n.contains("unique_persons")));
}

#[tokio::test]
async fn the_31_march_and_1_april_fall_in_different_fiscal_years() {
    let f = fixture().await;
    let r = f
        .stats(
            Role::Prefecture,
            "measures=participations,unique_persons&rows=fiscal_year&from=2025-03-31&to=2025-04-01",
        )
        .await;
    assert_eq!(
        table(&r),
        [
            ("FY2024".to_owned(), vec![json!(3), json!(3)]),
            ("FY2025".to_owned(), vec![json!(2), json!(2)])
        ]
    );
    let fy25 = f
        .stats(
            Role::Prefecture,
            "measures=participations,activities&period=FY2025",
        )
        .await;
    assert_eq!(fy25.rows[0], [json!(2), json!(1)]);
}

#[tokio::test]
async fn age_bands_use_the_age_on_the_activity_date_by_the_japanese_rule() {
    let f = fixture().await;
    let r = f
        .stats(
            Role::Prefecture,
            "measures=participations,unique_persons&rows=age_band&period=FY2024&totals=true",
        )
        .await;
    assert_eq!(
        table(&r),
        [
            ("age_18_39".to_owned(), vec![json!(2), json!(1)]),
            ("age_65_74".to_owned(), vec![json!(3), json!(1)]),
            ("age_75_84".to_owned(), vec![json!(5), json!(2)]),
            ("unknown".to_owned(), vec![json!(5), json!(0)]),
        ]
    );
    assert_eq!(totals(&r), [json!(15), json!(3)]);
}

#[tokio::test]
async fn unregistered_headcounts_count_in_participations_by_group_but_not_as_people() {
    let f = fixture().await;
    let r = f
        .stats(
            Role::Prefecture,
            "measures=participations,unique_persons&rows=group&period=FY2024",
        )
        .await;
    assert_eq!(
        table(&r),
        [
            ("elderly".to_owned(), vec![json!(6), json!(1)]),
            ("disabled".to_owned(), vec![json!(4), json!(1)]),
            ("child".to_owned(), vec![json!(3), json!(0)]),
            ("other".to_owned(), vec![json!(2), json!(1)]),
        ]
    );
}

#[tokio::test]
async fn categories_are_multi_valued_so_rows_exceed_the_true_total() {
    let f = fixture().await;
    let r = f
        .stats(
            Role::Prefecture,
            "measures=participations&rows=category&period=FY2024&totals=true",
        )
        .await;
    assert_eq!(
        table(&r),
        [
            ("elderly".to_owned(), vec![json!(10)]),
            ("disabled".to_owned(), vec![json!(4)]),
            ("child".to_owned(), vec![json!(3)]),
            ("other".to_owned(), vec![json!(2)]),
        ]
    );
    assert_eq!(totals(&r), [json!(15)]);
    assert!(r.meta.notes.iter().any(|n| n.starts_with("該当区分は")));
    assert!(r
        .meta
        .notes
        .iter()
        .all(|n| !n.is_ascii() && !n.contains("category")));
}

#[tokio::test]
async fn filters_narrow_the_figures() {
    let f = fixture().await;
    let r = f
        .stats(
            Role::Prefecture,
            "measures=participations,unique_persons&period=FY2024&filter=function:tsudoi&filter=sex:F",
        )
        .await;
    // A and C at gatherings 1, 2 and 6.
    assert_eq!(r.rows[0], [json!(6), json!(2)]);
    let r = f
        .stats(
            Role::Prefecture,
            "measures=participations&period=FY2024&filter=category:child",
        )
        .await;
    assert_eq!(r.rows[0], [json!(3)]);
}

#[tokio::test]
async fn a_municipality_never_sees_another_municipalitys_centre_even_when_it_filters_for_it() {
    let f = fixture().await;
    let pref = f.app.token(Role::Prefecture).await;
    let body = json!({"username": "muroto", "display_name": "室戸市", "password": PASSWORD,
                      "role": "municipality", "scope": {"level": "municipality", "code": OTHER_MUNICIPALITY}});
    assert_eq!(
        f.app.post("/api/v1/accounts", &pref, &body).await.status(),
        StatusCode::CREATED
    );
    let muroto = f.app.login_as("muroto").await.access_token;
    for q in [
        "measures=participations&rows=center&period=FY2024&totals=true",
        "measures=participations&rows=center&period=FY2024&totals=true&filter=center:C001",
        "measures=participations&rows=municipality&period=FY2024&totals=true&filter=municipality:392014",
    ] {
        let r = f.stats_with(&muroto, q).await;
        assert!(r.rows.is_empty(), "{q}: {:?}", r.rows);
        assert_eq!(totals(&r), [json!(0)]);
        assert_eq!(r.meta.scope, format!("municipality:{OTHER_MUNICIPALITY}"));
    }
    let own = f
        .stats(
            Role::Municipality,
            "measures=participations&rows=center&period=FY2024",
        )
        .await;
    assert_eq!(table(&own), [("C001".to_owned(), vec![json!(15)])]);
}

#[tokio::test]
async fn small_cells_are_hidden_with_a_complementary_cell_so_the_total_cannot_reveal_them() {
    let f = fixture_with(|s| {
        s.stats.suppression.insert("municipality".into(), 3);
    })
    .await;
    let r = f
        .stats(
            Role::Municipality,
            "measures=participations,activities&rows=month&period=FY2024&totals=true",
        )
        .await;
    // May (2) is below 3; March (3) is hidden too, or 15 − 6 − 4 − 3 would give May away.
    // 実施回数 counts events, not people: never hidden.
    assert_eq!(
        table(&r),
        [
            ("2024-04".to_owned(), vec![json!(6), json!(1)]),
            ("2024-05".to_owned(), vec![Value::Null, json!(2)]),
            ("2024-06".to_owned(), vec![json!(4), json!(1)]),
            ("2025-03".to_owned(), vec![Value::Null, json!(1)]),
        ]
    );
    assert_eq!(totals(&r), [json!(15), json!(5)]);
    assert_eq!(r.meta.suppressed_cells, 2);
    assert_eq!(r.meta.suppression_threshold, Some(3));
    // The prefecture sees exact figures.
    let exact = f
        .stats(
            Role::Prefecture,
            "measures=participations&rows=month&period=FY2024",
        )
        .await;
    assert_eq!(exact.meta.suppressed_cells, 0);
}

#[tokio::test]
async fn csv_opens_in_excel_utf8_with_bom_crlf_and_japanese_headers() {
    let f = fixture().await;
    let t = f.app.token(Role::Prefecture).await;
    let res = f
        .app
        .get("/api/v1/stats?measures=participations,unique_persons&rows=center,function&period=FY2024&format=csv&totals=true", &t)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "センターコード,センター,機能コード,機能,延べ利用者数,実利用者数"
    );
    assert_eq!(lines[1], "C001,テストセンター C001,tsudoi,集い,13,3");
    assert!(lines.contains(&"合計,,,,15,3"));
    let coded = f
        .app
        .get("/api/v1/stats?measures=participations&rows=center&period=FY2024&format=csv&labels=code&encoding=utf-8", &t)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(coded, "center,participations\r\nC001,15\r\n");
}

#[tokio::test]
async fn cp932_reports_characters_it_cannot_hold_unless_asked_to_replace_them() {
    let f = fixture().await;
    let pref = f.app.token(Role::Prefecture).await;
    let centre = json!({"code": CENTER, "name": "𠮷田あったかふれあいセンター", "municipality": CENTER_MUNICIPALITY,
                        "operator_body": "社協", "opened_on": "2009-04-01", "closed_on": null});
    assert_eq!(
        f.app
            .put(&format!("/api/v1/centers/{CENTER}"), &pref, &centre)
            .await
            .status(),
        StatusCode::OK
    );
    let q = "/api/v1/stats?measures=participations&rows=center&period=FY2024&format=csv&encoding=cp932";
    let p = expect_problem(f.app.get(q, &pref).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p.errors.len(), 1);
    assert_eq!(p.errors[0].code, "unmappable");
    assert!(p.errors[0].message.contains('𠮷'), "{p:?}");
    assert!(p.errors[0].field.contains("line 2"), "{p:?}");
    let res = f.app.get(&format!("{q}&on_unmappable=replace"), &pref).await;
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap();
    let (text, _, errors) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!errors);
    assert!(text.starts_with("センターコード,センター,延べ利用者数\r\n"));
    assert!(text.contains("C001,?田あったかふれあいセンター,15"));
}

#[tokio::test]
async fn bad_parameters_are_named_and_the_operator_gets_no_figures() {
    let f = fixture().await;
    let t = f.app.token(Role::Prefecture).await;
    for (q, field) in [
        ("measures=participations", "period"),
        ("measures=joy&period=FY2024", "measures"),
        ("measures=participations&rows=planet&period=FY2024", "rows"),
        (
            "measures=participations&period=FY2024&filter=function:karaoke",
            "filter",
        ),
        ("measures=participations&period=2024-13", "period"),
        ("measures=registered_persons&rows=function&period=FY2024", "rows"),
    ] {
        let p = expect_problem(
            f.app.get(&format!("/api/v1/stats?{q}"), &t).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(p.errors[0].field, field, "{q}");
    }
    let op = f.app.token(Role::Operator).await;
    expect_problem(
        f.app
            .get("/api/v1/stats?measures=participations&period=FY2024", &op)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn registered_persons_is_a_stock_at_each_month_end() {
    let f = fixture().await;
    let t = f.app.token(Role::CenterStaff).await;
    // D registers on 2024-04-20 and leaves on 2024-05-15 without taking part in anything:
    // counted at the end of April, not of May.
    let mut input = person_input();
    input.registered_on = "2024-04-20".parse().unwrap();
    let d = f.app.register(&t, &input).await.common_id;
    let res = f
        .app
        .post(
            &format!("/api/v1/persons/{d}/end"),
            &t,
            &json!({"ended_on": "2024-05-15", "end_reason": "moved"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let r = f
        .stats(
            Role::Prefecture,
            "measures=registered_persons,new_registrations&rows=month&from=2024-04-01&to=2024-06-30",
        )
        .await;
    assert_eq!(
        table(&r),
        [
            ("2024-04".to_owned(), vec![json!(4), json!(4)]),
            ("2024-05".to_owned(), vec![json!(3), json!(0)]),
            ("2024-06".to_owned(), vec![json!(3), json!(0)]),
        ]
    );
}

#[tokio::test]
async fn a_registration_cannot_end_before_or_start_after_the_persons_participations() {
    let f = fixture().await;
    let t = f.app.token(Role::CenterStaff).await;
    let page: shared::dto::person::PersonPage =
        expect_json(f.app.get("/api/v1/persons?q=乙", &t).await, StatusCode::OK).await;
    let b = page.items[0].common_id.clone();
    // B took part on 2025-04-01.
    let res = f
        .app
        .post(
            &format!("/api/v1/persons/{b}/end"),
            &t,
            &json!({"ended_on": "2025-03-31", "end_reason": "moved"}),
        )
        .await;
    let p = expect_problem(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        (p.errors[0].field.as_str(), p.errors[0].code.as_str()),
        ("ended_on", "participations_after_end")
    );
    // B first took part on 2024-04-01.
    let mut input = person_input();
    input.family_name = "乙".into();
    input.birth_date = "2006-04-02".parse().unwrap();
    input.sex = "M".into();
    input.categories = vec!["other".into()];
    input.registered_on = "2024-05-01".parse().unwrap();
    let p = expect_problem(
        f.app.put(&format!("/api/v1/persons/{b}"), &t, &input).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p.errors[0].code, "participations_before_registration");
    let ok = f
        .app
        .post(
            &format!("/api/v1/persons/{b}/end"),
            &t,
            &json!({"ended_on": "2025-04-01", "end_reason": "moved"}),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_measure_named_twice_is_refused_naming_measures_in_json_and_csv() {
    let f = fixture().await;
    let t = f.app.token(Role::Prefecture).await;
    for q in [
        "measures=participations,participations&period=FY2025",
        "measures=participations,unique_persons,participations&rows=month&period=FY2024&totals=true",
        "measures=registered_persons,registered_persons&period=FY2024&format=csv",
    ] {
        let p = expect_problem(
            f.app.get(&format!("/api/v1/stats?{q}"), &t).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(p.errors.len(), 1, "{q}: {p:?}");
        assert_eq!(
            (p.errors[0].field.as_str(), p.errors[0].code.as_str()),
            ("measures", "duplicate"),
            "{q}"
        );
        assert!(p.errors[0].message.contains("重複"), "{q}: {p:?}");
    }
}

#[tokio::test]
async fn registered_persons_are_counted_at_the_end_of_the_time_the_filters_let_through() {
    let f = fixture().await;
    let t = f.app.token(Role::CenterStaff).await;
    // Besides A, B, C (registered 2024-04-01): D from 2024-04-20 to 2024-05-15, E from 2024-06-10.
    let mut input = person_input();
    input.registered_on = "2024-04-20".parse().unwrap();
    let d = f.app.register(&t, &input).await.common_id;
    let res = f
        .app
        .post(
            &format!("/api/v1/persons/{d}/end"),
            &t,
            &json!({"ended_on": "2024-05-15", "end_reason": "moved"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut input = person_input();
    input.family_name = "戊".into();
    input.registered_on = "2024-06-10".parse().unwrap();
    f.app.register(&t, &input).await;
    let stock = |r: &StatsResponse| {
        (
            r.rows
                .iter()
                .map(|row| row.last().cloned().unwrap())
                .collect::<Vec<_>>(),
            totals(r),
        )
    };
    for (query, rows, total) in [
        // The month alone and the month as a filter of its year agree: 31 May.
        ("period=2024-05", vec![json!(3)], json!(3)),
        ("period=FY2024&filter=month:2024-05", vec![json!(3)], json!(3)),
        ("period=FY2024&filter=month:2024-04", vec![json!(4)], json!(4)),
        // The end of the first quarter, 30 June.
        ("period=FY2024&filter=quarter:FY2024Q1", vec![json!(4)], json!(4)),
        // Two months apart: the end of the later one.
        (
            "period=FY2024&filter=month:2024-04;2024-05",
            vec![json!(3)],
            json!(3),
        ),
        // By month, only the months let through, each at its end; the total is the same day's.
        (
            "period=FY2024&filter=month:2024-05&rows=month",
            vec![json!(3)],
            json!(3),
        ),
        (
            "period=FY2024&filter=month:2024-04&rows=fiscal_year",
            vec![json!(4)],
            json!(4),
        ),
        // Without time filters: the end of the year.
        ("period=FY2024", vec![json!(4)], json!(4)),
    ] {
        let r = f
            .stats(
                Role::Prefecture,
                &format!("measures=registered_persons&totals=true&{query}"),
            )
            .await;
        assert_eq!(stock(&r), (rows, vec![total]), "{query}");
    }
}

#[tokio::test]
async fn the_csv_totals_line_is_total_with_codes_and_absent_without_row_dimensions() {
    let f = fixture().await;
    let t = f.app.token(Role::Prefecture).await;
    let csv = |q: &'static str| {
        let (app, t) = (&f.app, t.clone());
        async move {
            let res = app
                .get(
                    &format!("/api/v1/stats?{q}&format=csv&encoding=utf-8&totals=true"),
                    &t,
                )
                .await;
            assert_eq!(res.status(), StatusCode::OK, "{q}");
            res.text().await.unwrap()
        }
    };
    assert_eq!(
        csv("measures=participations&rows=center,function&period=FY2024&labels=code").await,
        "center,function,participations\r\nC001,tsudoi,13\r\nC001,houmon,1\r\nC001,soudan,1\r\ntotal,,15\r\n"
    );
    // Without rows the only line is the total already.
    assert_eq!(
        csv("measures=participations,unique_persons&period=FY2024").await,
        "延べ利用者数,実利用者数\r\n15,3\r\n"
    );
    assert_eq!(
        csv("measures=participations&period=FY2024&labels=code").await,
        "participations\r\n15\r\n"
    );
}
