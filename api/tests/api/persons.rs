//! The people registry over HTTP: register, search by kana, read, update, end, audit.

use reqwest::StatusCode;
use shared::common_id::CommonId;
use shared::dto::auth::Role;
use shared::dto::person::{PersonPage, PersonView};

use crate::helpers::*;

#[tokio::test]
async fn a_person_entered_in_half_width_kana_is_found_by_hiragana_and_read_back() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let created = app.register(&staff, &person_input()).await;

    // The common ID is issued here, carries the centre, and passes its check digit.
    let id = CommonId::parse(&created.common_id).expect("valid common ID");
    assert_eq!(id.center_code().as_str(), CENTER);
    assert_eq!(created.family_kana, "ヤマモト");
    assert_eq!(created.birth_year_month, "1948-05");

    for q in [
        "やまもと",
        "ヤマモト　ハナコ",
        "ﾔﾏﾓﾄﾊﾅｺ",
        "はなこ",
        "山本",
        created.common_id.as_str(),
    ] {
        let page: PersonPage = expect_json(
            app.client
                .get(app.url("/api/v1/persons"))
                .query(&[("q", q)])
                .bearer_auth(&staff)
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(page.total, 1, "search {q:?}");
        assert_eq!(page.items[0].common_id, created.common_id);
    }
    let read: PersonView = expect_json(
        app.get(&format!("/api/v1/persons/{}", created.common_id), &staff)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read, created);

    let actions: Vec<String> = app
        .audit_rows()
        .await
        .iter()
        .map(|r| r.entry.action.clone())
        .collect();
    assert!(actions.contains(&"person.register".to_owned()));
    assert!(actions.contains(&"person.read".to_owned()));
    assert!(actions.iter().filter(|a| *a == "person.list").count() >= 6);
}

#[tokio::test]
async fn common_ids_are_issued_in_sequence_and_never_reused() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let a = app.register(&staff, &person_input()).await;
    let b = app.register(&staff, &person_input()).await;
    let (a, b) = (
        CommonId::parse(&a.common_id).unwrap(),
        CommonId::parse(&b.common_id).unwrap(),
    );
    assert_eq!(b.serial(), a.serial() + 1);
}

#[tokio::test]
async fn a_person_from_another_centre_is_registered_with_their_existing_id_once() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let theirs = CommonId::issue(&shared::common_id::CenterCode::parse(OTHER_CENTER).unwrap(), 41).unwrap();
    let mut input = person_input();
    input.common_id = Some(theirs.to_string().to_lowercase().replace('-', ""));
    let created = app.register(&staff, &input).await;
    assert_eq!(created.common_id, theirs.to_string());
    assert_eq!(created.center, CENTER);

    let again = app.post("/api/v1/persons", &staff, &input).await;
    assert_eq!(
        expect_problem(again, StatusCode::CONFLICT).await.code,
        ProblemCode::AlreadyRegistered
    );
    assert_eq!(app.person_count().await, 1);
}

#[tokio::test]
async fn an_id_of_this_centre_that_was_never_issued_is_refused() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let never = CommonId::issue(&shared::common_id::CenterCode::parse(CENTER).unwrap(), 500).unwrap();
    let mut input = person_input();
    input.common_id = Some(never.to_string());
    let p = expect_problem(
        app.post("/api/v1/persons", &staff, &input).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p.errors[0].field, "common_id");
    assert_eq!(p.errors[0].code, "not_issued");
    assert_eq!(app.person_count().await, 0);
}

#[tokio::test]
async fn an_update_changes_the_record_and_an_ended_registration_leaves_the_default_list() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let created = app.register(&staff, &person_input()).await;
    let mut input = person_input();
    input.care_level = "kaigo1".into();
    input.categories = vec!["elderly".into(), "disabled".into()];
    let updated: PersonView = expect_json(
        app.put(&format!("/api/v1/persons/{}", created.common_id), &staff, &input)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(updated.care_level, "kaigo1");
    assert_eq!(updated.categories, vec!["disabled", "elderly"]);
    assert_eq!(updated.common_id, created.common_id);

    let ended: PersonView = expect_json(
        app.post(
            &format!("/api/v1/persons/{}/end", created.common_id),
            &staff,
            &serde_json::json!({"ended_on": "2024-10-31", "end_reason": "moved"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ended.end_reason.as_deref(), Some("moved"));
    let page: PersonPage = expect_json(app.get("/api/v1/persons", &staff).await, StatusCode::OK).await;
    assert_eq!(page.total, 0);
    let page: PersonPage = expect_json(
        app.get("/api/v1/persons?include_ended=true", &staff).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page.total, 1);
}

#[tokio::test]
async fn an_end_before_registration_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let created = app.register(&staff, &person_input()).await;
    let res = app
        .post(
            &format!("/api/v1/persons/{}/end", created.common_id),
            &staff,
            &serde_json::json!({"ended_on": "2020-01-01", "end_reason": "nonsense"}),
        )
        .await;
    let p = expect_problem(res, StatusCode::BAD_REQUEST).await;
    let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["ended_on", "end_reason"]);
    let read: PersonView = expect_json(
        app.get(&format!("/api/v1/persons/{}", created.common_id), &staff)
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(read.ended_on.is_none());
}

#[tokio::test]
async fn the_list_pages_through_everyone_in_kana_order() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    for (kana, name) in [("ｱｵｷ", "青木"), ("ｲﾄｳ", "伊藤"), ("ｳｴﾀﾞ", "上田")] {
        let mut input = person_input();
        input.family_kana = kana.into();
        input.family_name = name.into();
        app.register(&staff, &input).await;
    }
    let page: PersonPage =
        expect_json(app.get("/api/v1/persons?limit=2", &staff).await, StatusCode::OK).await;
    assert_eq!(page.total, 3);
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].family_kana, "アオキ");
    let rest: PersonPage = expect_json(
        app.get("/api/v1/persons?limit=2&offset=2", &staff).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].family_kana, "ウエダ");
}

#[tokio::test]
async fn another_centres_staff_cannot_read_or_find_our_people() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let created = app.register(&staff, &person_input()).await;
    let other = app.login_as("other-staff").await.access_token;
    expect_problem(
        app.get(&format!("/api/v1/persons/{}", created.common_id), &other)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_problem(
        app.get("/api/v1/persons?q=やまもと", &other).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let denied = app.audit_rows().await;
    assert!(denied
        .iter()
        .any(|r| r.entry.action == "person.read" && r.entry.outcome.as_str() == "denied"));
}

#[tokio::test]
async fn the_hub_has_no_people_registry() {
    let app = spawn_node(shared::dto::meta::NodeRole::Hub).await;
    let pref = app.token(Role::Prefecture).await;
    expect_problem(app.get("/api/v1/persons", &pref).await, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn a_common_id_is_found_without_hyphens_without_its_check_digit_and_in_full_width() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let created = app.register(&staff, &person_input()).await;
    let id = CommonId::parse(&created.common_id).unwrap();
    let serial = format!("{:06}", id.serial());
    let without_check = format!("C{:03}{serial}", id.center_number());
    let full_width: String = serial
        .chars()
        .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap())
        .collect();
    let compact = created.common_id.replace('-', "");
    for q in [
        serial.as_str(),
        without_check.as_str(),
        full_width.as_str(),
        compact.as_str(),
    ] {
        let page: PersonPage = expect_json(
            app.client
                .get(app.url("/api/v1/persons"))
                .query(&[("q", q)])
                .bearer_auth(&staff)
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(page.total, 1, "search {q:?}");
        assert_eq!(page.items[0].common_id, created.common_id);
    }
    // A fragment that is in no ID finds nobody (and is not read as a name).
    let page: PersonPage =
        expect_json(app.get("/api/v1/persons?q=9999999", &staff).await, StatusCode::OK).await;
    assert_eq!(page.total, 0);
}

#[tokio::test]
async fn an_empty_registration_names_the_names_and_kana_with_the_other_fields_at_once() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let mut input = person_input();
    input.family_name = String::new();
    input.given_name = " ".to_owned();
    input.family_kana = String::new();
    input.given_kana = String::new();
    input.sex = String::new();
    input.categories.clear();
    let problem = expect_problem(
        app.post("/api/v1/persons", &staff, &input).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
    for field in [
        "family_name",
        "given_name",
        "family_kana",
        "given_kana",
        "sex",
        "categories",
    ] {
        assert!(fields.contains(&field), "{field} missing from {fields:?}");
    }
    assert_eq!(app.person_count().await, 0);
}
