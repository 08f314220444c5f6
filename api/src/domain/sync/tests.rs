//! Unit tests of the sync changes, batch checks and delivery state.

use shared::dto::sync::{SyncBatch, SyncEntry};

use super::*;
use crate::domain::codes::{list, Codes};

fn codes() -> Codes {
    let item = |list: &str, code: &str| super::super::codes::CodeItem {
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
    };
    Codes::new(
        vec![
            item(list::SEX, "F"),
            item(list::CATEGORIES, "elderly"),
            item(list::CARE_LEVELS, "shien1"),
            item(list::HOUSEHOLDS, "alone"),
            item(list::END_REASONS, "moved"),
            item(list::FUNCTIONS, "tsudoi"),
        ],
        ["392014".to_owned()],
    )
}

fn window() -> DateWindow {
    DateWindow::on(NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(), None)
}

fn valid_id() -> String {
    let center = shared::common_id::CenterCode::parse("C001").unwrap();
    CommonId::issue(&center, 1).unwrap().to_string()
}

fn person_op(center: &str, sex: &str) -> SyncOp {
    SyncOp::UpsertPerson(PersonFacts {
        center: center.into(),
        common_id: valid_id(),
        sex: sex.into(),
        birth_year_month: "1948-05".into(),
        residence_municipality: "392014".into(),
        categories: vec!["elderly".into()],
        care_level: "shien1".into(),
        household: "alone".into(),
        registered_on: NaiveDate::from_ymd_opt(2024, 4, 1).unwrap(),
        ended_on: None,
        end_reason: None,
        match_key: None,
    })
}

fn batch(ops: Vec<SyncOp>) -> SyncBatch {
    SyncBatch {
        center: "C001".into(),
        stream: Uuid::from_u128(1),
        batch_seq: 1,
        entries: ops
            .into_iter()
            .enumerate()
            .map(|(i, op)| SyncEntry {
                seq: i as u64 + 1,
                op,
            })
            .collect(),
    }
}

#[test]
fn a_valid_person_entry_becomes_a_change_that_turns_back_into_the_same_op() {
    let b = batch(vec![person_op("C001", "F")]);
    let valid = parse_batch(&b, "C001", &codes(), &window()).unwrap();
    assert_eq!(valid.entries.len(), 1);
    assert_eq!(valid.entries[0].1.to_op("C001"), b.entries[0].op);
}

#[test]
fn an_entry_of_another_centre_is_refused_whatever_the_batch_says() {
    let b = batch(vec![person_op("C001", "F"), person_op("C002", "F")]);
    assert_eq!(
        parse_batch(&b, "C001", &codes(), &window()),
        Err(BatchRefusal::OtherCenter(
            "entries[1].op.upsert_person.center".into()
        ))
    );
    assert_eq!(
        parse_batch(&batch(vec![]), "C002", &codes(), &window()),
        Err(BatchRefusal::OtherCenter("center".into()))
    );
}

#[test]
fn free_text_in_a_code_field_is_refused_with_the_field_named() {
    let b = batch(vec![person_op("C001", "山本花子")]);
    match parse_batch(&b, "C001", &codes(), &window()) {
        Err(BatchRefusal::Invalid(errors)) => {
            assert_eq!(errors[0].field, "entries[0].op.upsert_person.sex");
            assert_eq!(errors[0].code, "unknown_code");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_acknowledgement_that_skips_part_of_a_batch_or_a_new_batch_means_divergence() {
    let batch = |resent| OutgoingBatch {
        stream: Uuid::from_u128(1),
        batch_seq: 3,
        entries: (9..=12).map(|s| (s, String::new())).collect(),
        resent,
    };
    assert!(!batch(false).diverges(12, 4, 0), "delivered");
    assert!(
        !batch(true).diverges(12, 0, 4),
        "delivered before, the answer was lost"
    );
    assert!(
        batch(false).diverges(12, 0, 4),
        "a batch never sent cannot be known"
    );
    assert!(batch(true).diverges(12, 2, 2), "half known: another timeline");
    assert!(batch(true).diverges(14, 0, 4), "the hub is ahead");
}

#[test]
fn entries_must_come_in_increasing_order() {
    let mut b = batch(vec![person_op("C001", "F"), person_op("C001", "F")]);
    b.entries[1].seq = 1;
    assert!(matches!(
        parse_batch(&b, "C001", &codes(), &window()),
        Err(BatchRefusal::Invalid(e)) if e[0].field == "entries[1].seq"
    ));
}

/// A valid batch of stream `stream` with entries `seqs`, a reset where `reset` says.
fn valid(stream: u128, seqs: &[(u64, bool)]) -> ValidBatch {
    ValidBatch {
        center: "C001".into(),
        stream: Uuid::from_u128(stream),
        batch_seq: 1,
        entries: seqs
            .iter()
            .map(|&(seq, reset)| {
                let change = if reset {
                    Change::ResetCenter
                } else {
                    Change::DeleteActivity(Uuid::from_u128(u128::from(seq)))
                };
                (seq, change)
            })
            .collect(),
    }
}

fn at(stream: u128, last_seq: u64) -> StreamPosition {
    StreamPosition {
        stream: Uuid::from_u128(stream),
        last_seq,
    }
}

/// The seqs a plan applies.
fn applied(plan: &ApplyPlan) -> Vec<u64> {
    plan.apply.iter().map(|(seq, _)| *seq).collect()
}

#[test]
fn a_first_delivery_is_applied_from_seq_one() {
    let b = valid(1, &[(1, true), (2, false), (3, false)]);
    let plan = b.plan(None).unwrap();
    assert_eq!(applied(&plan), [1, 2, 3]);
    assert_eq!(
        plan.outcome(),
        AppliedBatch {
            last_seq: 3,
            applied: 3,
            skipped: 0,
            touched: Default::default(),
        }
    );
}

#[test]
fn entries_the_hub_already_applied_are_skipped_and_the_rest_follow_on() {
    let b = valid(1, &[(4, false), (5, false), (6, false), (7, false)]);
    let plan = b.plan(Some(&at(1, 5))).unwrap();
    assert_eq!(applied(&plan), [6, 7]);
    assert_eq!((plan.skipped, plan.last_seq), (2, Some(7)));
}

#[test]
fn a_batch_sent_again_whole_is_skipped_whole() {
    let b = valid(1, &[(4, false), (5, false)]);
    let plan = b.plan(Some(&at(1, 5))).unwrap();
    assert_eq!(
        plan.outcome(),
        AppliedBatch {
            last_seq: 5,
            applied: 0,
            skipped: 2,
            touched: Default::default(),
        }
    );
}

#[test]
fn a_gap_in_the_stream_is_out_of_order() {
    assert_eq!(valid(1, &[(7, false)]).plan(Some(&at(1, 5))), Err(OutOfOrder));
    assert_eq!(valid(1, &[(2, false)]).plan(None), Err(OutOfOrder));
}

#[test]
fn a_new_stream_must_begin_with_a_reset() {
    assert_eq!(valid(2, &[(1, false)]).plan(Some(&at(1, 5))), Err(OutOfOrder));
    let b = valid(2, &[(1, true), (2, false)]);
    let plan = b.plan(Some(&at(1, 5))).unwrap();
    assert_eq!((applied(&plan), plan.skipped), (vec![1, 2], 0));
}

#[test]
fn a_reset_is_applied_wherever_it_stands() {
    let b = valid(1, &[(9, true), (10, false)]);
    let plan = b.plan(Some(&at(1, 5))).unwrap();
    assert_eq!(applied(&plan), [9, 10]);
}

#[test]
fn an_empty_batch_of_an_unknown_stream_records_nothing() {
    let (unknown, known) = (valid(2, &[]), valid(1, &[]));
    let plan = unknown.plan(Some(&at(1, 5))).unwrap();
    assert_eq!((plan.last_seq, plan.outcome().last_seq), (None, 0));
    assert_eq!(known.plan(Some(&at(1, 5))).unwrap().last_seq, Some(5));
}

#[test]
fn a_centre_may_write_only_its_own_records_on_the_hub() {
    assert_eq!(check_owner(None, "C001"), Ok(()));
    assert_eq!(check_owner(Some("C001"), "C001"), Ok(()));
    assert_eq!(check_owner(Some("C002"), "C001"), Err(ForeignRecord));
    assert_eq!(check_participation_target(Some("C001"), "C001"), Ok(()));
    assert_eq!(check_participation_target(None, "C001"), Err(OutOfOrder));
    assert_eq!(check_participation_target(Some("C002"), "C001"), Err(OutOfOrder));
}

#[test]
fn dates_a_centre_would_refuse_are_refused_by_the_hub_too() {
    let mut b = batch(vec![person_op("C001", "F")]);
    if let SyncOp::UpsertPerson(p) = &mut b.entries[0].op {
        p.registered_on = NaiveDate::from_ymd_opt(2099, 1, 1).unwrap();
        p.birth_year_month = "1899-12".into();
    }
    match parse_batch(&b, "C001", &codes(), &window()) {
        Err(BatchRefusal::Invalid(errors)) => {
            let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
            assert!(
                fields.contains(&"entries[0].op.upsert_person.registered_on"),
                "{fields:?}"
            );
            assert!(
                fields.contains(&"entries[0].op.upsert_person.birth_year_month"),
                "{fields:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    // The day after "today" is tolerated (a centre's clock ahead of the hub's).
    let mut b = batch(vec![person_op("C001", "F")]);
    if let SyncOp::UpsertPerson(p) = &mut b.entries[0].op {
        p.registered_on = NaiveDate::from_ymd_opt(2025, 6, 2).unwrap();
    }
    assert!(parse_batch(&b, "C001", &codes(), &window()).is_ok());
}

fn outbox(last_error: Option<&str>, last_failure: Option<(&str, &str)>) -> OutboxState {
    let t = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    OutboxState {
        center: "C001".into(),
        stream: uuid::Uuid::from_u128(1),
        backlog: 240,
        oldest_pending_at: Some(t("2025-05-10T00:00:00+09:00")),
        last_acked_seq: 10,
        last_attempt_at: None,
        last_success_at: None,
        last_error: last_error.map(str::to_owned),
        last_failure: last_failure.map(|(at, e)| (t(at), e.to_owned())),
        acked_stream: None,
        locks_pulled_at: None,
        locks_error: None,
    }
}

#[test]
fn the_stuck_alert_names_the_failure_that_held_the_backlog_even_after_a_success() {
    let failing = outbox(Some("sending the batch to the hub: timed out"), None);
    assert_eq!(
        failing.stuck_message(),
        "県ハブへの送信待ちが240件、2025-05-10 00:00:00（日本時間）から滞留しています（最後のエラー: sending the batch to the hub: timed out）。"
    );
    // A batch went through, the backlog is still old: the cause of the wait is kept.
    let after_success = outbox(
        None,
        Some(("2025-05-10T00:20:00+09:00", "the hub refused batch 3: 503")),
    );
    let m = after_success.stuck_message();
    assert!(
        m.contains("最後のエラー: the hub refused batch 3: 503（その後の送信は成功していますが"),
        "{m}"
    );
    assert!(!m.contains("不明"), "{m}");
    // A failure from before the wait began is not its cause.
    let old_failure = outbox(None, Some(("2025-05-09T00:00:00+09:00", "old")));
    assert!(old_failure
        .stuck_message()
        .contains("送信の失敗は記録されていません"));
}
