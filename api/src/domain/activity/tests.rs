//! Unit tests of the activity rules, on hand-built master data, centre and people.

use chrono::Utc;
use shared::common_id::{CenterCode, CommonId};
use shared::dto::activity::{ActivityInput, ParticipantInput};
use shared::error::FieldError;

use super::*;
use crate::domain::codes::{list, CodeItem};
use crate::domain::person::{Facts, Identity};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn item(list: &str, code: &str) -> CodeItem {
    CodeItem {
        list: list.into(),
        code: code.into(),
        label: code.into(),
        sort_order: 0,
        valid_from: None,
        valid_to: None,
        parent: None,
        rank: None,
        lower: None,
        upper: None,
    }
}

fn codes() -> Codes {
    let mut items = Vec::new();
    for (i, f) in ["tsudoi", "houmon", "soudan", "tsunagi"].iter().enumerate() {
        items.push(CodeItem {
            sort_order: i as i32,
            ..item(list::FUNCTIONS, f)
        });
    }
    items.push(CodeItem {
        valid_to: Some(d(2020, 3, 31)),
        sort_order: 9,
        ..item(list::FUNCTIONS, "retired")
    });
    items.push(item(list::VISIT_PURPOSES, "watching"));
    items.push(item(list::CONSULTATION_TOPICS, "care"));
    items.push(item(list::CONSULTATION_TOPICS, "health"));
    items.push(item(list::REFERRAL_DESTINATIONS, "houkatsu"));
    for (g, rank) in [("disabled", 1), ("child", 2), ("elderly", 3), ("other", 4)] {
        items.push(CodeItem {
            rank: Some(rank),
            ..item(list::GROUPS, g)
        });
        items.push(CodeItem {
            parent: Some(g.into()),
            ..item(list::CATEGORIES, g)
        });
    }
    for (band, lower, upper) in [("young", 0, 17), ("adult", 18, 64), ("old", 65, i32::MAX)] {
        items.push(CodeItem {
            lower: Some(lower),
            upper: (upper != i32::MAX).then_some(upper),
            ..item(list::AGE_BANDS, band)
        });
    }
    Codes::new(items, Vec::new())
}

fn center() -> Center {
    Center {
        code: "C001".into(),
        name: "テスト".into(),
        municipality: "392014".into(),
        operator_body: "社協".into(),
        opened_on: d(2009, 4, 1),
        closed_on: None,
    }
}

fn person(serial: u32, birth: NaiveDate, categories: &[&str]) -> Person {
    let center = CenterCode::parse("C001").unwrap();
    Person {
        common_id: CommonId::issue(&center, serial).unwrap(),
        center: "C001".into(),
        identity: Identity {
            family_name: "山本".into(),
            given_name: "花子".into(),
            family_kana: "ヤマモト".into(),
            given_kana: "ハナコ".into(),
            birth_date: birth,
            postal_code: None,
            address: None,
            phone: None,
            emergency_contact: None,
            notes: None,
        },
        facts: Facts {
            sex: "F".into(),
            birth_year_month: "1948-05".into(),
            residence_municipality: "392014".into(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            care_level: "shien1".into(),
            disabilities: Vec::new(),
            household: "alone".into(),
            registered_on: d(2024, 4, 1),
        },
        ended_on: None,
        end_reason: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

fn people(list: Vec<Person>) -> HashMap<String, Person> {
    list.into_iter().map(|p| (p.common_id.to_string(), p)).collect()
}

fn input(function: &str, date: NaiveDate, participants: Vec<ParticipantInput>) -> ActivityInput {
    ActivityInput {
        id: Uuid::from_u128(42),
        site: None,
        date,
        function: function.into(),
        title: None,
        start_time: Some("10:00".into()),
        end_time: Some("12:00".into()),
        staff_count: 2,
        volunteer_count: 0,
        unregistered: UnregisteredCounts::default(),
        note: None,
        participants,
    }
}

fn joins(p: &Person) -> ParticipantInput {
    ParticipantInput {
        common_id: p.common_id.to_string(),
        visit_purpose: None,
        topics: Vec::new(),
        referral_destination: None,
    }
}

fn parse(input: &ActivityInput, people: &HashMap<String, Person>) -> Result<ActivityRecord, Vec<FieldError>> {
    let (codes, center) = (codes(), center());
    let ctx = Context {
        codes: &codes,
        today: d(2025, 1, 15),
        center: &center,
        sites: &[],
        people,
    };
    ActivityRecord::parse(input, &ctx)
}

/// The (field, code) pairs of a refusal.
fn refused(input: &ActivityInput, people: &HashMap<String, Person>) -> Vec<(String, String)> {
    parse(input, people)
        .expect_err("refused")
        .into_iter()
        .map(|e| (e.field, e.code))
        .collect()
}

fn pair(field: &str, code: &str) -> (String, String) {
    (field.into(), code.into())
}

#[test]
fn an_activity_dated_after_today_in_japan_is_refused() {
    let got = refused(&input("tsudoi", d(2025, 1, 16), vec![]), &HashMap::new());
    assert_eq!(got, [pair("date", "future")]);
    assert!(parse(&input("tsudoi", d(2025, 1, 15), vec![]), &HashMap::new()).is_ok());
}

#[test]
fn an_activity_before_the_centre_opened_is_refused() {
    let got = refused(&input("tsudoi", d(2009, 3, 31), vec![]), &HashMap::new());
    assert_eq!(got, [pair("date", "center_closed")]);
}

#[test]
fn a_function_outside_its_validity_is_refused() {
    let got = refused(&input("retired", d(2024, 5, 1), vec![]), &HashMap::new());
    assert_eq!(got, [pair("function", "not_valid_on_date")]);
    assert!(parse(&input("retired", d(2019, 5, 1), vec![]), &HashMap::new()).is_ok());
}

#[test]
fn a_person_takes_part_only_between_registration_and_its_end() {
    let mut ended = person(2, d(1948, 5, 1), &["elderly"]);
    ended.ended_on = Some(d(2024, 6, 30));
    let p = people(vec![person(1, d(1948, 5, 1), &["elderly"]), ended.clone()]);
    let first = CommonId::issue(&CenterCode::parse("C001").unwrap(), 1).unwrap();
    let early = input("tsudoi", d(2024, 3, 31), vec![joins(&p[first.as_str()])]);
    assert_eq!(
        refused(&early, &p),
        [pair("participants[0].common_id", "not_yet_registered")]
    );
    let last_day = input("tsudoi", d(2024, 6, 30), vec![joins(&ended)]);
    assert!(parse(&last_day, &p).is_ok());
    let after = input("tsudoi", d(2024, 7, 1), vec![joins(&ended)]);
    assert_eq!(
        refused(&after, &p),
        [pair("participants[0].common_id", "registration_ended")]
    );
}

#[test]
fn someone_not_registered_at_this_centre_is_refused() {
    let stranger = person(9, d(1948, 5, 1), &["elderly"]);
    let got = refused(
        &input("tsudoi", d(2024, 5, 1), vec![joins(&stranger)]),
        &HashMap::new(),
    );
    assert_eq!(got, [pair("participants[0].common_id", "not_registered")]);
}

#[test]
fn the_same_person_twice_in_one_activity_is_refused() {
    let a = person(1, d(1948, 5, 1), &["elderly"]);
    let p = people(vec![a.clone()]);
    let got = refused(&input("tsudoi", d(2024, 5, 1), vec![joins(&a), joins(&a)]), &p);
    assert_eq!(got, [pair("participants[1].common_id", "duplicate")]);
}

#[test]
fn counts_must_lie_between_zero_and_999() {
    let mut i = input("tsudoi", d(2024, 5, 1), vec![]);
    i.staff_count = -1;
    i.volunteer_count = 1000;
    i.unregistered.child = 999;
    i.unregistered.other = -2;
    assert_eq!(
        refused(&i, &HashMap::new()),
        [
            pair("unregistered.other", "negative"),
            pair("staff_count", "negative"),
            pair("volunteer_count", "too_large"),
        ]
    );
}

#[test]
fn an_end_time_must_come_after_a_start_time() {
    let mut i = input("tsudoi", d(2024, 5, 1), vec![]);
    i.end_time = Some("10:00".into());
    assert_eq!(refused(&i, &HashMap::new()), [pair("end_time", "before_start")]);
    i.start_time = None;
    assert_eq!(refused(&i, &HashMap::new()), [pair("start_time", "required")]);
    i.start_time = Some("9:5".into());
    assert_eq!(refused(&i, &HashMap::new()), [pair("start_time", "format")]);
    i.start_time = None;
    i.end_time = None;
    assert!(parse(&i, &HashMap::new()).is_ok());
}

#[test]
fn each_function_takes_only_its_own_details() {
    let a = person(1, d(1948, 5, 1), &["elderly"]);
    let p = people(vec![a.clone()]);
    let with = |visit: Option<&str>, topics: &[&str], referral: Option<&str>| ParticipantInput {
        visit_purpose: visit.map(str::to_owned),
        topics: topics.iter().map(|t| t.to_string()).collect(),
        referral_destination: referral.map(str::to_owned),
        ..joins(&a)
    };
    let date = d(2024, 5, 1);
    let visit = input("houmon", date, vec![with(None, &[], None)]);
    assert_eq!(
        refused(&visit, &p),
        [pair("participants[0].visit_purpose", "required")]
    );
    assert!(parse(
        &input("houmon", date, vec![with(Some("watching"), &[], None)]),
        &p
    )
    .is_ok());
    let salon = input(
        "tsudoi",
        date,
        vec![with(Some("watching"), &["care"], Some("houkatsu"))],
    );
    assert_eq!(
        refused(&salon, &p),
        [
            pair("participants[0].visit_purpose", "not_applicable"),
            pair("participants[0].referral_destination", "not_applicable"),
            pair("participants[0].topics", "not_applicable"),
        ]
    );
    let consultation = input("soudan", date, vec![with(None, &[], None)]);
    assert_eq!(
        refused(&consultation, &p),
        [pair("participants[0].topics", "required")]
    );
    let referred = parse(
        &input(
            "soudan",
            date,
            vec![with(None, &["health", "care"], Some("houkatsu"))],
        ),
        &p,
    )
    .expect("a consultation may be referred on");
    assert_eq!(referred.participations[0].detail.topics, ["care", "health"]);
    let referral = input("tsunagi", date, vec![with(None, &[], Some("nowhere"))]);
    assert_eq!(
        refused(&referral, &p),
        [pair("participants[0].referral_destination", "unknown_code")]
    );
}

#[test]
fn the_age_band_is_the_age_on_the_activity_date_by_the_japanese_rule() {
    // Born 14 May 2000: 18 from the start of 13 May 2018, the day before the birthday.
    let a = person(1, d(2000, 5, 14), &["other"]);
    let codes = codes();
    assert_eq!(
        Snapshot::of(&a, d(2018, 5, 12), &codes).unwrap().age_band,
        "young"
    );
    assert_eq!(
        Snapshot::of(&a, d(2018, 5, 13), &codes).unwrap().age_band,
        "adult"
    );
}

#[test]
fn the_reporting_group_follows_the_precedence_in_master_data() {
    let a = person(1, d(1948, 5, 1), &["elderly", "disabled"]);
    let s = Snapshot::of(&a, d(2024, 5, 1), &codes()).unwrap();
    assert_eq!(s.group, "disabled");
    assert_eq!(s.categories, ["disabled", "elderly"]);
}

#[test]
fn a_retry_listing_people_in_another_order_is_the_same_request_but_other_counts_are_not() {
    let (a, b) = (
        person(1, d(1948, 5, 1), &["elderly"]),
        person(2, d(1950, 1, 1), &["elderly"]),
    );
    let p = people(vec![a.clone(), b.clone()]);
    let first = parse(&input("tsudoi", d(2024, 5, 1), vec![joins(&a), joins(&b)]), &p).unwrap();
    let retry = parse(&input("tsudoi", d(2024, 5, 1), vec![joins(&b), joins(&a)]), &p).unwrap();
    assert!(first.same_request(&retry));
    let mut other = input("tsudoi", d(2024, 5, 1), vec![joins(&a), joins(&b)]);
    other.volunteer_count = 3;
    assert!(!first.same_request(&parse(&other, &p).unwrap()));
}

#[test]
fn an_activity_sent_again_unchanged_is_the_existing_one() {
    let a = person(1, d(1948, 5, 1), &["elderly"]);
    let p = people(vec![a.clone()]);
    let mut stored = parse(&input("tsudoi", d(2024, 5, 1), vec![joins(&a)]), &p).unwrap();
    stored.note = Some("雨天".into());
    let sent = stored.clone();
    assert_eq!(stored.sent_again(&sent, true), SentAgain::Existing);
}

#[test]
fn another_activity_under_a_stored_id_is_a_conflict() {
    let a = person(1, d(1948, 5, 1), &["elderly"]);
    let p = people(vec![a.clone()]);
    let stored = parse(&input("tsudoi", d(2024, 5, 1), vec![joins(&a)]), &p).unwrap();
    let mut sent = parse(&input("tsudoi", d(2024, 5, 2), vec![joins(&a)]), &p).unwrap();
    sent.id = stored.id;
    assert_eq!(stored.sent_again(&sent, true), SentAgain::Conflict);
    let mut noted = stored.clone();
    noted.note = Some("別の記録".into());
    assert_eq!(stored.sent_again(&noted, true), SentAgain::Conflict);
}

#[test]
fn on_a_node_without_notes_the_note_sent_again_is_not_compared() {
    let a = person(1, d(1948, 5, 1), &["elderly"]);
    let p = people(vec![a.clone()]);
    let stored = parse(&input("tsudoi", d(2024, 5, 1), vec![joins(&a)]), &p).unwrap();
    let mut sent = stored.clone();
    sent.note = Some("メモ".into());
    assert_eq!(stored.sent_again(&sent, false), SentAgain::Existing);
}

#[test]
fn a_correction_keeps_the_recorded_attributes_of_unchanged_participations() {
    let a = person(1, d(1948, 5, 1), &["elderly"]);
    let before = parse(
        &input("tsudoi", d(2024, 5, 1), vec![joins(&a)]),
        &people(vec![a.clone()]),
    )
    .unwrap();
    let mut later = a.clone();
    later.facts.care_level = "kaigo3".into();
    let p = people(vec![later]);
    let mut same_day = parse(&input("tsudoi", d(2024, 5, 1), vec![joins(&a)]), &p).unwrap();
    same_day.keep_recorded_snapshots(&before);
    assert_eq!(same_day.participations[0].snapshot.care_level, "shien1");
    let mut moved = parse(&input("tsudoi", d(2024, 5, 2), vec![joins(&a)]), &p).unwrap();
    moved.keep_recorded_snapshots(&before);
    assert_eq!(moved.participations[0].snapshot.care_level, "kaigo3");
}

#[test]
fn a_list_needs_a_month_or_a_day() {
    let q = ActivityQuery::parse(Some("2024-02"), None, None, Some("c001-s01")).unwrap();
    assert_eq!((q.from, q.to), (d(2024, 2, 1), d(2024, 2, 29)));
    assert_eq!(q.site.as_deref(), Some("C001-S01"));
    assert!(ActivityQuery::parse(None, None, None, None).is_err());
    assert!(ActivityQuery::parse(Some("FY2024"), None, None, None).is_err());
    assert!(ActivityQuery::parse(Some("2024-02"), Some(d(2024, 2, 3)), None, None).is_err());
}

#[test]
fn every_problem_the_shared_rules_find_the_server_names_the_same_way() {
    // What the activity form checks before sending (shared::activity_rules::check) is what the
    // server refuses, field for field and code for code.
    let a = person(1, d(1940, 1, 1), &["elderly"]);
    let b = person(2, d(1941, 1, 1), &["elderly"]);
    let mut twice = joins(&a);
    twice.topics = vec!["care".into(), "care".into()];
    twice.visit_purpose = Some("watching".into());
    let mut sent = input("soudan", d(2025, 1, 15), vec![twice, joins(&b), joins(&a)]);
    sent.title = Some("名".repeat(101));
    sent.start_time = Some("12:00".into());
    sent.end_time = Some("11:00".into());
    sent.staff_count = 1000;
    sent.unregistered.child = -1;
    sent.note = Some("メ".repeat(2001));
    let shared_found: Vec<(String, String)> = shared::activity_rules::check(&sent, d(2025, 1, 15))
        .0
        .into_iter()
        .map(|e| (e.field, e.code))
        .collect();
    assert_eq!(shared_found.len(), 9, "{shared_found:?}");
    let mut server = refused(&sent, &people(vec![a, b]));
    let mut shared_sorted = shared_found.clone();
    server.sort();
    shared_sorted.sort();
    assert_eq!(server, shared_sorted);
}
