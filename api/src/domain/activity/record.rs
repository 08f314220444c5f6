//! The rules a whole activity request must keep, each naming its field.

use shared::activity_rules as rules;
use shared::dto::activity::ActivityInput;
use shared::error::{FieldError, FieldErrors};
use shared::person_rules::optional_text;

use super::{ActivityRecord, Context, Detail, Participation, Unregistered};
use crate::domain::codes::list;

use rules::{count, NOTE_MAX, TITLE_MAX};
pub use rules::{COUNT_MAX, PARTICIPANTS_MAX};

/// An activity sent again under an ID already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentAgain {
    /// The same request: answer with what is stored, write nothing.
    Existing,
    /// Another activity under a taken ID (`Conflict("activity_id")`).
    Conflict,
}

impl ActivityRecord {
    /// Turns the request into a record, naming every field that breaks a rule.
    pub fn parse(input: &ActivityInput, ctx: &Context) -> Result<ActivityRecord, Vec<FieldError>> {
        let mut e = FieldErrors::default();
        let date = input.date;
        if input.id.is_nil() {
            e.push("id", "nil", "IDにはUUIDを指定してください。");
        }
        if rules::date(&mut e, date, ctx.today) && !ctx.center.is_open_on(date) {
            e.push("date", "center_closed", "この日はセンターの開設期間外です。");
        }
        let site = input
            .site
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_ascii_uppercase);
        if let Some(code) = &site {
            match ctx
                .sites
                .iter()
                .find(|s| &s.code == code && s.center == ctx.center.code)
            {
                None => e.push("site", "unknown_site", "このセンターのサテライトではありません。"),
                Some(s) if !(s.opened_on <= date && s.closed_on.is_none_or(|c| date <= c)) => {
                    e.push("site", "site_closed", "この日はサテライトの開設期間外です。")
                }
                Some(_) => {}
            }
        }
        let function = input.function.trim().to_owned();
        match ctx.codes.get(list::FUNCTIONS, &function) {
            None => e.push(
                "function",
                "unknown_code",
                format!("「{function}」は機能の選択肢にありません。"),
            ),
            Some(f) if !f.valid_on(date) => e.push(
                "function",
                "not_valid_on_date",
                "この機能はその日付では使えません。",
            ),
            Some(_) => {}
        }
        let title = optional_text(&mut e, "title", input.title.as_deref(), TITLE_MAX);
        let note = optional_text(&mut e, "note", input.note.as_deref(), NOTE_MAX);
        let (start, end) = rules::times(&mut e, input.start_time.as_deref(), input.end_time.as_deref());
        let u = &input.unregistered;
        let unregistered = Unregistered {
            elderly: count(&mut e, "unregistered.elderly", u.elderly),
            disabled: count(&mut e, "unregistered.disabled", u.disabled),
            child: count(&mut e, "unregistered.child", u.child),
            other: count(&mut e, "unregistered.other", u.other),
        };
        let staff_count = count(&mut e, "staff_count", input.staff_count);
        let volunteer_count = count(&mut e, "volunteer_count", input.volunteer_count);
        let mut participations = Vec::new();
        let ids = input.participants.iter().map(|p| p.common_id.as_str());
        for i in rules::participants(&mut e, ids) {
            let p = &input.participants[i];
            let prefix = format!("participants[{i}]");
            if let Some(found) = Participation::parse(
                &mut e,
                &prefix,
                &p.common_id,
                &p.detail(),
                &function,
                date,
                ctx.codes,
                ctx.people,
            ) {
                participations.push(found);
            }
        }
        e.into_result()?;
        participations.sort_by(|a, b| a.common_id.as_str().cmp(b.common_id.as_str()));
        Ok(ActivityRecord {
            id: input.id,
            center: ctx.center.code.clone(),
            site,
            date,
            function,
            title,
            start_time: start.map(|t| t.format("%H:%M").to_string()),
            end_time: end.map(|t| t.format("%H:%M").to_string()),
            staff_count,
            volunteer_count,
            unregistered,
            note,
            participations,
        })
    }

    pub fn fiscal_year(&self) -> i32 {
        shared::dates::fiscal_year(self.date)
    }

    /// Whether `other` records the same thing as this, as a client would have sent it: everything
    /// but the attribute snapshots (which come from the people's records, not the request).
    /// What `sent`, arriving under the ID of this stored activity, is: the same request again
    /// (a retry after a lost answer: `Existing`), or a different activity (`Conflict`). On a
    /// node that keeps no notes (`keeps_notes` false) the note sent is not compared: none was
    /// stored.
    pub fn sent_again(&self, sent: &ActivityRecord, keeps_notes: bool) -> SentAgain {
        let same = if keeps_notes {
            self.same_request(sent)
        } else {
            self.same_request(&ActivityRecord {
                note: None,
                ..sent.clone()
            })
        };
        if same {
            SentAgain::Existing
        } else {
            SentAgain::Conflict
        }
    }

    pub fn same_request(&self, other: &ActivityRecord) -> bool {
        fn details(r: &ActivityRecord) -> Vec<(&str, &Detail)> {
            r.participations
                .iter()
                .map(|p| (p.common_id.as_str(), &p.detail))
                .collect()
        }
        let (a, b) = (self, other);
        (a.id, &a.center, &a.site, a.date, &a.function, &a.title)
            == (b.id, &b.center, &b.site, b.date, &b.function, &b.title)
            && (
                &a.start_time,
                &a.end_time,
                a.staff_count,
                a.volunteer_count,
                a.unregistered,
            ) == (
                &b.start_time,
                &b.end_time,
                b.staff_count,
                b.volunteer_count,
                b.unregistered,
            )
            && a.note == b.note
            && details(a) == details(b)
    }

    /// On a correction of an activity, participations that stay as they were keep the
    /// attributes they were recorded with; new or changed ones (and all of them when the date
    /// moves) take the person's attributes as of the date, as parsed.
    pub fn keep_recorded_snapshots(&mut self, before: &ActivityRecord) {
        if self.date != before.date {
            return;
        }
        for p in &mut self.participations {
            if let Some(old) = before
                .participations
                .iter()
                .find(|o| o.common_id == p.common_id && o.detail == p.detail)
            {
                p.snapshot = old.snapshot.clone();
            }
        }
    }
}
