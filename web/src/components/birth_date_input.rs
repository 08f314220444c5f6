//! Birth date entry as older staff know it: an era (昭和/平成/…, or 西暦) with year, month and day,
//! or typed in one go (`S23.5.1`, `昭和23年5月1日`, `1948/5/1`). The chosen date is echoed in 和暦
//! and 西暦 with the age, so a wrong era is noticed before saving.

use chrono::NaiveDate;
use leptos::prelude::*;
use shared::dates::{age_on, from_wareki_lenient, parse_date_input, to_wareki, DateInputError, Era};

use crate::components::fields::{FieldError, RequiredMark};
use crate::format;
use crate::forms::FormErrors;

/// Value of the era select for a date written in 西暦.
const SEIREKI: &str = "AD";

/// Eras offered: people born under 明治 are no longer registered (the API rejects years before
/// 1900), so the list starts at 大正.
const ERAS: [Era; 4] = [Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa];

#[component]
pub fn BirthDateInput(
    /// Form id prefix, e.g. `person`: controls get ids `person-birth_*`.
    form: &'static str,
    /// The date the inputs describe, `None` while incomplete or impossible.
    value: RwSignal<Option<NaiveDate>>,
    #[prop(into)] errors: Signal<FormErrors>,
    /// To show the age.
    today: NaiveDate,
) -> impl IntoView {
    let initial = value.get_untracked();
    let (era0, year0, month0, day0) = match initial.and_then(|d| Some((d, to_wareki(d)?))) {
        Some((date, (era, year))) => (
            era.letter().to_string(),
            year.to_string(),
            chrono::Datelike::month(&date).to_string(),
            chrono::Datelike::day(&date).to_string(),
        ),
        None => (
            Era::Showa.letter().to_string(),
            String::new(),
            String::new(),
            String::new(),
        ),
    };
    let era = RwSignal::new(era0);
    let year = RwSignal::new(year0);
    let month = RwSignal::new(month0);
    let day = RwSignal::new(day0);
    let text = RwSignal::new(String::new());
    let parts_error = RwSignal::new(None::<String>);
    let text_error = RwSignal::new(None::<String>);

    let recompute = move || {
        let typed = [year, month, day].map(|part| part.get_untracked());
        if typed.iter().any(|t| !t.trim().is_empty() && number(t).is_none()) {
            value.set(None);
            parts_error.set(Some("年・月・日は数字で入力してください。".to_owned()));
            return;
        }
        let parts = (
            number(&year.get_untracked()),
            number(&month.get_untracked()),
            number(&day.get_untracked()),
        );
        let (Some(y), Some(m), Some(d)) = parts else {
            value.set(None);
            parts_error.set(None);
            return;
        };
        match date_of(&era.get_untracked(), y, m, d) {
            Ok(date) => {
                value.set(Some(date));
                parts_error.set(None);
            }
            Err(e) => {
                value.set(None);
                parts_error.set(Some(e.to_string()));
            }
        }
    };

    let on_text = move |raw: String| {
        text.set(raw.clone());
        text_error.set(None);
        let parsed = parse_date_input(&raw);
        if parsed.is_err() && !raw.trim().is_empty() {
            // Whatever was chosen before no longer stands: an unreadable or impossible date
            // (S23.2.30 after S23.5.1) leaves no date, and the fields say so.
            year.set(String::new());
            month.set(String::new());
            day.set(String::new());
            parts_error.set(None);
            value.set(None);
        }
        if let Ok(date) = parsed {
            let typed_seireki = raw.trim_start().starts_with(|c: char| c.is_numeric());
            let (e, y) = match to_wareki(date) {
                Some((e, y)) if !typed_seireki => (e.letter().to_string(), y),
                _ => (SEIREKI.to_owned(), chrono::Datelike::year(&date).unsigned_abs()),
            };
            era.set(e);
            year.set(y.to_string());
            month.set(chrono::Datelike::month(&date).to_string());
            day.set(chrono::Datelike::day(&date).to_string());
            recompute();
        }
    };
    let on_text_blur = move || {
        let raw = text.get_untracked();
        if !raw.trim().is_empty() {
            text_error.set(parse_date_input(&raw).err().map(|e| e.to_string()));
        }
    };

    let message = Signal::derive(move || {
        text_error
            .get()
            .or_else(|| parts_error.get())
            .or_else(|| errors.with(|e| e.get("birth_date")))
    });
    let preview = move || {
        value.get().map(|date| {
            format!(
                "{}　{}",
                format::wareki_with_seireki(date),
                format::age(age_on(date, today))
            )
        })
    };
    let id = move |part: &str| format!("{form}-birth_{part}");
    let invalid = move || message.with(Option::is_some).then_some("true");
    let error_id = format!("{form}-birth_date-error");

    view! {
        <fieldset class="field birth-date" data-testid=format!("{form}-form-birth_date")>
            <legend>"生年月日" <RequiredMark /></legend>
            <div class="birth-row">
                <div class="birth-parts">
                    <label class="part-label" for=format!("{form}-birth_date")>"元号"</label>
                    <select
                        id=format!("{form}-birth_date")
                        data-testid=format!("{form}-form-birth_era")
                        aria-describedby=error_id.clone()
                        aria-invalid=invalid
                        on:change=move |ev| {
                            era.set(event_target_value(&ev));
                            recompute();
                        }
                    >
                        {ERAS
                            .into_iter()
                            .map(|e| {
                                let code = e.letter().to_string();
                                let for_selected = code.clone();
                                view! {
                                    <option
                                        value=code
                                        prop:selected=move || era.with(|v| *v == for_selected)
                                    >
                                        {e.kanji()}
                                    </option>
                                }
                            })
                            .collect_view()}
                        <option value=SEIREKI prop:selected=move || era.with(|v| v == SEIREKI)>
                            "西暦"
                        </option>
                    </select>
                    <PartInput id=id("year") testid=format!("{form}-form-birth_year") unit="年" value=year size=4 on_input=recompute invalid />
                    <PartInput id=id("month") testid=format!("{form}-form-birth_month") unit="月" value=month size=2 on_input=recompute invalid />
                    <PartInput id=id("day") testid=format!("{form}-form-birth_day") unit="日" value=day size=2 on_input=recompute invalid />
                </div>
                <div class="birth-text">
                    <label class="part-label" for=id("text")>"または まとめて入力"</label>
                    <input
                        id=id("text")
                        type="text"
                        autocomplete="off"
                        placeholder="例: S23.5.1"
                        data-testid=format!("{form}-form-birth_text")
                        aria-describedby=format!("{form}-birth_text-hint {error_id}")
                        prop:value=move || text.get()
                        on:input=move |ev| on_text(event_target_value(&ev))
                        on:blur=move |_| on_text_blur()
                    />
                    <p class="field-hint" id=id("text-hint")>
                        "S23.5.1、昭23.5.1、S230501、昭和23年5月1日、1948/5/1 のように入力できます"
                    </p>
                </div>
            </div>
            <p class="birth-preview" aria-live="polite" data-testid=format!("{form}-form-birth_preview")>
                {preview}
            </p>
            <FieldError form name="birth_date" message=message />
        </fieldset>
    }
}

/// One of year / month / day, with its unit as the label.
#[component]
fn PartInput(
    id: String,
    testid: String,
    unit: &'static str,
    value: RwSignal<String>,
    size: u32,
    on_input: impl Fn() + Copy + 'static,
    invalid: impl Fn() -> Option<&'static str> + Send + Sync + Copy + 'static,
) -> impl IntoView {
    view! {
        <input
            id=id.clone()
            class=format!("part part-{size}")
            type="text"
            inputmode="numeric"
            autocomplete="off"
            maxlength=size
            size=size
            data-testid=testid
            aria-invalid=invalid
            prop:value=move || value.get()
            on:input=move |ev| {
                value.set(event_target_value(&ev));
                on_input();
            }
        />
        <label class="part-unit" for=id>{unit}</label>
    }
}

/// The date for an era letter (or `AD`) and numbers.
fn date_of(era: &str, year: u32, month: u32, day: u32) -> Result<NaiveDate, DateInputError> {
    if era == SEIREKI {
        return i32::try_from(year)
            .ok()
            .and_then(|y| NaiveDate::from_ymd_opt(y, month, day))
            .ok_or(DateInputError::InvalidDate);
    }
    let era = era
        .chars()
        .next()
        .and_then(Era::from_letter)
        .ok_or(DateInputError::Format)?;
    from_wareki_lenient(era, year, month, day)
}

/// Digits as typed (full-width too, `元` for year 1); `None` while empty or not a number.
fn number(raw: &str) -> Option<u32> {
    let trimmed = raw.trim();
    if trimmed == "元" {
        return Some(1);
    }
    let ascii: String = trimmed
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            _ => c,
        })
        .collect();
    if ascii.is_empty() || ascii.len() > 4 || !ascii.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    ascii.parse().ok()
}
