//! The person form's rules, one set for the browser and the server (decision 0028).
//!
//! The web app runs [`check`] before it sends anything, so the first submit lists every problem;
//! the server runs the same functions inside its own parse (plus what only it can know: whether
//! a code is in the code lists on that day). A rule changed here changes both.

use chrono::NaiveDate;
use unicode_normalization::UnicodeNormalization;

use crate::dto::person::DisabilityInput;
use crate::error::FieldErrors;
use crate::kana::validate_kana;

pub const NAME_MAX: usize = 50;
pub const TEXT_MAX: usize = 200;
pub const NOTES_MAX: usize = 2000;
pub const GRADE_MAX: usize = 10;

/// People born before this are not registered.
pub fn earliest_birth_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// A required text field, trimmed.
pub fn required_text(errors: &mut FieldErrors, field: &str, value: &str, max: usize) -> String {
    let v = value.trim();
    if v.is_empty() {
        errors.push(field, "required", "入力してください。");
    } else if v.chars().count() > max {
        errors.push(field, "too_long", format!("{max}文字以内で入力してください。"));
    }
    v.to_owned()
}

/// An optional text field, trimmed; `None` when blank.
pub fn optional_text(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    if v.chars().count() > max {
        errors.push(field, "too_long", format!("{max}文字以内で入力してください。"));
    }
    Some(v.to_owned())
}

/// フリガナ in any script or width, as full-width katakana.
pub fn kana(errors: &mut FieldErrors, field: &str, value: &str) -> String {
    match validate_kana(value) {
        Ok(k) if k.chars().count() > NAME_MAX => {
            errors.push(
                field,
                "too_long",
                format!("{NAME_MAX}文字以内で入力してください。"),
            );
            k
        }
        Ok(k) => k,
        Err(e) => {
            errors.push(field, e.code(), e.to_string());
            String::new()
        }
    }
}

/// A postal code as `780-0850`; `None` when blank or wrong.
pub fn postal_code(errors: &mut FieldErrors, value: Option<&str>) -> Option<String> {
    let raw = value.map(str::trim).filter(|v| !v.is_empty())?;
    let digits: String = raw
        .nfkc()
        .filter(|c| !matches!(c, '-' | 'ー' | '−' | '‐'))
        .collect();
    if digits.len() == 7 && digits.bytes().all(|b| b.is_ascii_digit()) {
        Some(format!("{}-{}", &digits[..3], &digits[3..]))
    } else {
        errors.push(
            "postal_code",
            "format",
            "郵便番号は7桁の数字で入力してください（例: 780-0850）。",
        );
        None
    }
}

/// A phone number in half-width; `None` when blank.
pub fn phone(errors: &mut FieldErrors, value: Option<&str>) -> Option<String> {
    let raw = value.map(str::trim).filter(|v| !v.is_empty())?;
    let v: String = raw.nfkc().collect();
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let ok = v
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | '(' | ')' | '+' | ' '));
    if !ok || !(9..=15).contains(&digits) {
        errors.push(
            "phone",
            "format",
            "電話番号は数字とハイフンで入力してください（例: 088-823-9999）。",
        );
    }
    Some(v)
}

/// A choice from a list: blank is `required` (whether the code exists is the server's to say).
/// Returns whether something was chosen.
pub fn chosen(errors: &mut FieldErrors, field: &str, value: &str) -> bool {
    if value.trim().is_empty() {
        errors.push(field, "required", "選択してください。");
        false
    } else {
        true
    }
}

/// The birth date: not in the future, not before 1900. Returns whether it passed.
pub fn birth_date(errors: &mut FieldErrors, birth: NaiveDate, today: NaiveDate) -> bool {
    if birth > today {
        errors.push("birth_date", "future", "生年月日が未来の日付です。");
        false
    } else if birth < earliest_birth_date() {
        errors.push("birth_date", "too_early", "生年月日が1900年より前です。");
        false
    } else {
        true
    }
}

/// The registration date: not in the future, not before a (valid) birth date.
pub fn registered_on(
    errors: &mut FieldErrors,
    registered: NaiveDate,
    birth: Option<NaiveDate>,
    today: NaiveDate,
) {
    if registered > today {
        errors.push("registered_on", "future", "登録日が未来の日付です。");
    } else if birth.is_some_and(|b| registered < b) {
        errors.push("registered_on", "before_birth", "登録日が生年月日より前です。");
    }
}

/// At least one 対象区分, none twice. Returns the distinct codes with their index.
pub fn categories<'a>(errors: &mut FieldErrors, values: &'a [String]) -> Vec<(usize, &'a String)> {
    if values.is_empty() {
        errors.push("categories", "required", "対象区分を1つ以上選んでください。");
    }
    let mut seen: Vec<(usize, &String)> = Vec::new();
    for (i, c) in values.iter().enumerate() {
        if seen.iter().any(|(_, s)| *s == c) {
            errors.push(
                format!("categories[{i}]"),
                "duplicate",
                "同じ区分が重複しています。",
            );
        } else {
            seen.push((i, c));
        }
    }
    seen
}

/// 障害者手帳: no kind twice, grades short. Returns `(index, kind, grade)` of the distinct ones.
pub fn disabilities(
    errors: &mut FieldErrors,
    values: &[DisabilityInput],
) -> Vec<(usize, String, Option<String>)> {
    let mut kept: Vec<(usize, String, Option<String>)> = Vec::new();
    for (i, d) in values.iter().enumerate() {
        if kept.iter().any(|(_, k, _)| *k == d.kind) {
            errors.push(
                format!("disabilities[{i}].kind"),
                "duplicate",
                "同じ手帳の種類が重複しています。",
            );
            continue;
        }
        let grade = optional_text(
            errors,
            &format!("disabilities[{i}].grade"),
            d.grade.as_deref(),
            GRADE_MAX,
        );
        kept.push((i, d.kind.clone(), grade));
    }
    kept
}

/// The person form as typed: dates are `None` while missing or unreadable (the form reports
/// that itself, it knows why).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonFields<'a> {
    pub family_name: &'a str,
    pub given_name: &'a str,
    pub family_kana: &'a str,
    pub given_kana: &'a str,
    pub birth_date: Option<NaiveDate>,
    pub sex: &'a str,
    pub residence_municipality: &'a str,
    pub postal_code: Option<&'a str>,
    pub address: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub emergency_contact: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub categories: &'a [String],
    pub care_level: &'a str,
    pub disabilities: &'a [DisabilityInput],
    pub household: &'a str,
    pub registered_on: Option<NaiveDate>,
}

/// Every rule that needs no code list, in the order the form shows its fields.
pub fn check(fields: &PersonFields<'_>, today: NaiveDate) -> FieldErrors {
    let mut e = FieldErrors::default();
    required_text(&mut e, "family_name", fields.family_name, NAME_MAX);
    required_text(&mut e, "given_name", fields.given_name, NAME_MAX);
    kana(&mut e, "family_kana", fields.family_kana);
    kana(&mut e, "given_kana", fields.given_kana);
    let birth_ok = fields.birth_date.map(|b| birth_date(&mut e, b, today));
    chosen(&mut e, "sex", fields.sex);
    categories(&mut e, fields.categories);
    chosen(&mut e, "care_level", fields.care_level);
    chosen(&mut e, "household", fields.household);
    disabilities(&mut e, fields.disabilities);
    chosen(&mut e, "residence_municipality", fields.residence_municipality);
    postal_code(&mut e, fields.postal_code);
    optional_text(&mut e, "address", fields.address, TEXT_MAX);
    phone(&mut e, fields.phone);
    optional_text(&mut e, "emergency_contact", fields.emergency_contact, TEXT_MAX);
    optional_text(&mut e, "notes", fields.notes, NOTES_MAX);
    if let Some(registered) = fields.registered_on {
        let birth = fields.birth_date.filter(|_| birth_ok == Some(true));
        registered_on(&mut e, registered, birth, today);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn fields_of(e: &FieldErrors) -> Vec<&str> {
        e.0.iter().map(|f| f.field.as_str()).collect()
    }

    #[test]
    fn an_empty_form_names_every_required_field_at_once() {
        let e = check(&PersonFields::default(), day(2024, 6, 1));
        assert_eq!(
            fields_of(&e),
            [
                "family_name",
                "given_name",
                "family_kana",
                "given_kana",
                "sex",
                "categories",
                "care_level",
                "household",
                "residence_municipality"
            ]
        );
    }

    #[test]
    fn a_complete_form_passes() {
        let categories = vec!["elderly".to_owned()];
        let fields = PersonFields {
            family_name: "山田",
            given_name: "花子",
            family_kana: "やまだ",
            given_kana: "ﾊﾅｺ",
            birth_date: Some(day(1948, 5, 1)),
            sex: "female",
            residence_municipality: "392014",
            postal_code: Some("７８０ー０８５０"),
            phone: Some("088-823-9999"),
            categories: &categories,
            care_level: "none",
            household: "alone",
            registered_on: Some(day(2024, 4, 1)),
            ..PersonFields::default()
        };
        assert!(check(&fields, day(2024, 6, 1)).is_empty());
    }

    #[test]
    fn dates_in_the_future_or_out_of_order_are_named() {
        let fields = PersonFields {
            birth_date: Some(day(2030, 1, 1)),
            registered_on: Some(day(2030, 1, 2)),
            ..PersonFields::default()
        };
        let e = check(&fields, day(2024, 6, 1));
        assert!(fields_of(&e).contains(&"birth_date"));
        assert!(fields_of(&e).contains(&"registered_on"));
        let fields = PersonFields {
            birth_date: Some(day(1950, 1, 1)),
            registered_on: Some(day(1949, 1, 2)),
            ..PersonFields::default()
        };
        let e = check(&fields, day(2024, 6, 1));
        assert!(e
            .0
            .iter()
            .any(|f| f.field == "registered_on" && f.code == "before_birth"));
    }

    #[test]
    fn postal_codes_and_phones_are_read_in_either_width() {
        let mut e = FieldErrors::default();
        assert_eq!(
            postal_code(&mut e, Some("７８００８５０")).as_deref(),
            Some("780-0850")
        );
        assert_eq!(
            phone(&mut e, Some("０８８-８２３-９９９９")).as_deref(),
            Some("088-823-9999")
        );
        assert!(e.is_empty());
        phone(&mut e, Some("いえ"));
        assert_eq!(fields_of(&e), ["phone"]);
    }
}
