//! The activity (gathering and individual) form's rules, one set for the browser and the server
//! (as `person_rules`, decision 0028).
//!
//! The web app runs [`check`] on the request it is about to send, so the first submit lists
//! every problem; the server's parse (`api/src/domain/activity/record.rs`) runs the same
//! functions, plus what only it can know: whether the centre or a satellite is open on the
//! date, whether a code is in the code lists on that day, whether a person is registered.

use chrono::{NaiveDate, NaiveTime};

use crate::activity_detail::{detail_rule, Need};
use crate::common_id::CommonId;
use crate::dto::activity::ActivityInput;
use crate::error::FieldErrors;
use crate::person_rules::optional_text;

/// Largest count (staff, volunteers, unregistered by group) one activity may carry.
pub const COUNT_MAX: i64 = 999;
/// Largest number of registered participants of one activity.
pub const PARTICIPANTS_MAX: usize = 300;
pub const TITLE_MAX: usize = 100;
pub const NOTE_MAX: usize = 2000;

/// `prefix.name`, or `name` when there is no prefix.
pub fn at(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// An activity may not be dated after today (in Japan).
pub fn date(errors: &mut FieldErrors, date: NaiveDate, today: NaiveDate) -> bool {
    if date > today {
        errors.push("date", "future", "未来の日付の活動は記録できません。");
        false
    } else {
        true
    }
}

/// A headcount: 0 to [`COUNT_MAX`]; 0 when out of range.
pub fn count(errors: &mut FieldErrors, field: &str, value: i64) -> u16 {
    if value < 0 {
        errors.push(field, "negative", "0以上の数を入力してください。");
        0
    } else if value > COUNT_MAX {
        errors.push(
            field,
            "too_large",
            format!("{COUNT_MAX}以下の数を入力してください。"),
        );
        0
    } else {
        u16::try_from(value).unwrap_or(0)
    }
}

/// A time as `HH:MM`; `None` when blank or wrong.
pub fn time(errors: &mut FieldErrors, field: &str, value: Option<&str>) -> Option<NaiveTime> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    match NaiveTime::parse_from_str(v, "%H:%M") {
        Ok(t) if v.len() == 5 => Some(t),
        _ => {
            errors.push(
                field,
                "format",
                "時刻は HH:MM の形で入力してください（例: 09:30）。",
            );
            None
        }
    }
}

/// Start and end: each `HH:MM`, an end only with a start, and after it.
pub fn times(
    errors: &mut FieldErrors,
    start: Option<&str>,
    end: Option<&str>,
) -> (Option<NaiveTime>, Option<NaiveTime>) {
    let s = time(errors, "start_time", start);
    let t = time(errors, "end_time", end);
    match (s, t) {
        (None, Some(_)) if start.is_none_or(|s| s.trim().is_empty()) => errors.push(
            "start_time",
            "required",
            "終了時刻を入れるときは開始時刻も入力してください。",
        ),
        (Some(s), Some(t)) if t <= s => errors.push(
            "end_time",
            "before_start",
            "終了時刻は開始時刻より後にしてください。",
        ),
        _ => {}
    }
    (s, t)
}

/// The participants by common ID: at most [`PARTICIPANTS_MAX`], nobody twice. Returns the
/// indexes of the first appearance of each (none when there are too many).
pub fn participants<'a>(errors: &mut FieldErrors, ids: impl ExactSizeIterator<Item = &'a str>) -> Vec<usize> {
    if ids.len() > PARTICIPANTS_MAX {
        errors.push(
            "participants",
            "too_many",
            format!("参加者は1件の活動につき{PARTICIPANTS_MAX}人までです。"),
        );
        return Vec::new();
    }
    let mut seen: Vec<String> = Vec::new();
    let mut kept = Vec::new();
    for (i, raw) in ids.enumerate() {
        let key = CommonId::parse(raw).map(|id| id.to_string()).ok();
        match key {
            Some(k) if seen.contains(&k) => errors.push(
                format!("participants[{i}].common_id"),
                "duplicate",
                "同じ方が1つの活動に重複しています。",
            ),
            Some(k) => {
                seen.push(k);
                kept.push(i);
            }
            None => kept.push(i),
        }
    }
    kept
}

/// One detail (a visit's purpose, a referral's destination) against what the function asks:
/// the trimmed value when there is one to look up in its code list.
pub fn detail_value<'a>(
    errors: &mut FieldErrors,
    field: &str,
    need: Need,
    value: Option<&'a str>,
) -> Option<&'a str> {
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    match (need, value) {
        (Need::Required, None) => {
            errors.push(field, "required", "この機能では入力が必要です。");
            None
        }
        (Need::NotApplicable, Some(_)) => {
            errors.push(field, "not_applicable", "この機能では入力できない項目です。");
            None
        }
        (_, v) => v,
    }
}

/// A consultation's topics against what the function asks, none twice: `(index, topic)` of the
/// distinct ones, to look up in the code list.
pub fn topics<'a>(
    errors: &mut FieldErrors,
    field: &str,
    need: Need,
    values: &'a [String],
) -> Vec<(usize, &'a str)> {
    match (need, values.is_empty()) {
        (Need::Required, true) => {
            errors.push(field, "required", "相談の内容を1つ以上選んでください。");
            Vec::new()
        }
        (Need::NotApplicable, false) => {
            errors.push(field, "not_applicable", "この機能では入力できない項目です。");
            Vec::new()
        }
        _ => {
            let mut kept: Vec<(usize, &str)> = Vec::new();
            for (i, t) in values.iter().enumerate() {
                if kept.iter().any(|(_, k)| k == t) {
                    errors.push(format!("{field}[{i}]"), "duplicate", "同じ内容が重複しています。");
                } else {
                    kept.push((i, t));
                }
            }
            kept
        }
    }
}

/// Every rule that needs no code list, centre or register, in the order the form shows its
/// fields. Field names are the request's (`participants[2].topics`).
pub fn check(input: &ActivityInput, today: NaiveDate) -> FieldErrors {
    let mut e = FieldErrors::default();
    if input.id.is_nil() {
        e.push("id", "nil", "IDにはUUIDを指定してください。");
    }
    date(&mut e, input.date, today);
    optional_text(&mut e, "title", input.title.as_deref(), TITLE_MAX);
    times(&mut e, input.start_time.as_deref(), input.end_time.as_deref());
    let u = &input.unregistered;
    count(&mut e, "unregistered.elderly", u.elderly);
    count(&mut e, "unregistered.disabled", u.disabled);
    count(&mut e, "unregistered.child", u.child);
    count(&mut e, "unregistered.other", u.other);
    count(&mut e, "staff_count", input.staff_count);
    count(&mut e, "volunteer_count", input.volunteer_count);
    optional_text(&mut e, "note", input.note.as_deref(), NOTE_MAX);
    let rule = detail_rule(input.function.trim());
    let ids = input.participants.iter().map(|p| p.common_id.as_str());
    for i in participants(&mut e, ids) {
        let p = &input.participants[i];
        let prefix = format!("participants[{i}]");
        detail_value(
            &mut e,
            &at(&prefix, "visit_purpose"),
            rule.visit_purpose,
            p.visit_purpose.as_deref(),
        );
        detail_value(
            &mut e,
            &at(&prefix, "referral_destination"),
            rule.referral_destination,
            p.referral_destination.as_deref(),
        );
        topics(&mut e, &at(&prefix, "topics"), rule.topics, &p.topics);
    }
    e
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::dto::activity::{ParticipantInput, UnregisteredCounts};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn gathering(function: &str) -> ActivityInput {
        ActivityInput {
            id: Uuid::from_u128(1),
            site: None,
            date: day(2024, 6, 1),
            function: function.into(),
            title: None,
            start_time: None,
            end_time: None,
            staff_count: 0,
            volunteer_count: 0,
            unregistered: UnregisteredCounts::default(),
            note: None,
            participants: Vec::new(),
        }
    }

    fn joins(id: &str) -> ParticipantInput {
        ParticipantInput {
            common_id: id.into(),
            visit_purpose: None,
            topics: Vec::new(),
            referral_destination: None,
        }
    }

    fn fields_of(e: &FieldErrors) -> Vec<&str> {
        e.0.iter().map(|f| f.field.as_str()).collect()
    }

    #[test]
    fn a_plain_gathering_passes() {
        let mut input = gathering("tsudoi");
        input.start_time = Some("10:00".into());
        input.end_time = Some("11:30".into());
        input.unregistered.child = 3;
        assert!(check(&input, day(2024, 6, 1)).is_empty());
    }

    #[test]
    fn every_problem_of_a_gathering_is_named_at_once_in_form_order() {
        let mut input = gathering("tsudoi");
        input.date = day(2024, 6, 2);
        input.title = Some("あ".repeat(TITLE_MAX + 1));
        input.end_time = Some("09:00".into());
        input.unregistered.child = COUNT_MAX + 1;
        input.staff_count = -1;
        input.note = Some("い".repeat(NOTE_MAX + 1));
        let e = check(&input, day(2024, 6, 1));
        assert_eq!(
            fields_of(&e),
            [
                "date",
                "title",
                "start_time",
                "unregistered.child",
                "staff_count",
                "note"
            ]
        );
    }

    #[test]
    fn an_end_at_or_before_the_start_is_refused_and_times_must_be_hh_mm() {
        let mut e = FieldErrors::default();
        times(&mut e, Some("10:00"), Some("10:00"));
        times(&mut e, Some("9:30"), None);
        assert_eq!(fields_of(&e), ["end_time", "start_time"]);
        assert_eq!(e.0[0].code, "before_start");
        assert_eq!(e.0[1].code, "format");
    }

    #[test]
    fn the_same_person_twice_is_named_at_the_second_place_whatever_the_hyphens() {
        let mut input = gathering("tsudoi");
        let id = CommonId::issue(&crate::common_id::CenterCode::parse("C001").unwrap(), 1).unwrap();
        let compact = id.as_str().replace('-', "");
        input.participants = vec![joins(id.as_str()), joins(&compact)];
        let e = check(&input, day(2024, 6, 1));
        assert_eq!(fields_of(&e), ["participants[1].common_id"]);
    }

    #[test]
    fn too_many_participants_are_refused_as_a_whole() {
        let mut input = gathering("tsudoi");
        input.participants = (0..=PARTICIPANTS_MAX).map(|_| joins("x")).collect();
        let e = check(&input, day(2024, 6, 1));
        assert_eq!(fields_of(&e), ["participants"]);
    }

    #[test]
    fn each_function_asks_for_its_own_details() {
        let mut input = gathering("houmon");
        input.participants = vec![joins("C001-000001-8")];
        assert_eq!(
            fields_of(&check(&input, day(2024, 6, 1))),
            ["participants[0].visit_purpose"]
        );
        let mut input = gathering("soudan");
        let mut p = joins("C001-000001-8");
        p.topics = vec!["care".into(), "care".into()];
        p.visit_purpose = Some("watching".into());
        input.participants = vec![p];
        let e = check(&input, day(2024, 6, 1));
        assert_eq!(
            fields_of(&e),
            ["participants[0].visit_purpose", "participants[0].topics[1]"]
        );
        assert_eq!(e.0[0].code, "not_applicable");
        assert_eq!(e.0[1].code, "duplicate");
        let mut input = gathering("soudan");
        input.participants = vec![joins("C001-000001-8")];
        let e = check(&input, day(2024, 6, 1));
        assert_eq!(fields_of(&e), ["participants[0].topics"]);
        assert_eq!(e.0[0].code, "required");
    }
}
