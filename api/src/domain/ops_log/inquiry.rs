//! An inquiry (問い合わせ): checked from its input, with its 24-hour first-answer clock.

use chrono::{DateTime, Utc};
use shared::dto::ops_log::{codes, InquiryInput, InquiryView};
use shared::error::{FieldError, FieldErrors};

use super::records::code;
use super::sla::{clock, SlaPolicy};
use super::{free_text, not_before, not_future, work_minutes, TEXT_MAX};
use crate::domain::codes::Codes;

/// An inquiry (問い合わせ) as checked.
#[derive(Debug, Clone, PartialEq)]
pub struct InquiryRecord {
    pub received_at: DateTime<Utc>,
    pub source_kind: String,
    pub source_code: Option<String>,
    pub channel: String,
    pub category: String,
    pub summary: String,
    pub answer: Option<String>,
    pub first_answered_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub work_minutes: u32,
}

impl InquiryRecord {
    /// `centers` are the registered centre codes; `codes` the master data (municipalities).
    pub fn parse(
        input: &InquiryInput,
        codes: &Codes,
        centers: &[String],
        now: DateTime<Utc>,
    ) -> Result<InquiryRecord, Vec<FieldError>> {
        let mut e = FieldErrors::default();
        not_future(&mut e, "received_at", "受付日時", input.received_at, now);
        let source_kind = code(
            &mut e,
            "source_kind",
            "問い合わせ元",
            codes::SOURCE_KINDS,
            &input.source_kind,
        );
        let source_code = input
            .source_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        match (source_kind.as_str(), source_code.as_deref()) {
            ("center", Some(c)) if centers.iter().any(|x| x == c) => {}
            ("center", _) => e.push(
                "source_code",
                "unknown_code",
                "問い合わせ元のセンターコードを選んでください。",
            ),
            ("municipality", Some(c)) if codes.is_municipality(c) => {}
            ("municipality", _) => e.push(
                "source_code",
                "unknown_code",
                "問い合わせ元の市町村コードを選んでください。",
            ),
            (_, Some(_)) => e.push(
                "source_code",
                "not_allowed",
                "県・その他からの問い合わせにはコードを付けません。",
            ),
            (_, None) => {}
        }
        let channel = code(&mut e, "channel", "受付手段", codes::CHANNELS, &input.channel);
        let category = code(
            &mut e,
            "category",
            "分類",
            codes::INQUIRY_CATEGORIES,
            &input.category,
        );
        let summary = free_text(
            &mut e,
            "summary",
            "問い合わせ内容",
            Some(&input.summary),
            true,
            TEXT_MAX,
        );
        let answer = free_text(
            &mut e,
            "answer",
            "回答内容",
            input.answer.as_deref(),
            false,
            TEXT_MAX,
        );
        for (field, label, t) in [
            ("first_answered_at", "初回回答日時", input.first_answered_at),
            ("closed_at", "完了日時", input.closed_at),
        ] {
            not_before(&mut e, field, label, t, input.received_at, "受付日時");
            if let Some(t) = t {
                not_future(&mut e, field, label, t, now);
            }
        }
        match (input.first_answered_at, input.closed_at) {
            (None, Some(_)) => e.push(
                "first_answered_at",
                "required",
                "完了にする前に初回回答日時を入力してください。",
            ),
            (Some(a), Some(c)) if c < a => e.push(
                "closed_at",
                "before_start",
                "完了日時は初回回答日時より後の日時にしてください。",
            ),
            _ => {}
        }
        let minutes = work_minutes(&mut e, input.work_minutes);
        e.into_result()?;
        Ok(InquiryRecord {
            received_at: input.received_at,
            source_kind,
            source_code,
            channel,
            category,
            summary: summary.unwrap_or_default(),
            answer,
            first_answered_at: input.first_answered_at,
            closed_at: input.closed_at,
            work_minutes: minutes,
        })
    }

    pub fn to_input(&self) -> InquiryInput {
        InquiryInput {
            received_at: self.received_at,
            source_kind: self.source_kind.clone(),
            source_code: self.source_code.clone(),
            channel: self.channel.clone(),
            category: self.category.clone(),
            summary: self.summary.clone(),
            answer: self.answer.clone(),
            first_answered_at: self.first_answered_at,
            closed_at: self.closed_at,
            work_minutes: self.work_minutes,
        }
    }
}

/// An inquiry as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Inquiry {
    pub id: i64,
    pub record: InquiryRecord,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Inquiry {
    pub fn sla(&self, policy: &SlaPolicy, now: DateTime<Utc>) -> shared::dto::ops_log::SlaView {
        clock(
            self.record.received_at,
            self.record.first_answered_at,
            policy.inquiry_hours,
            policy.warn_before,
            now,
        )
    }

    pub fn to_view(&self, policy: &SlaPolicy, now: DateTime<Utc>) -> InquiryView {
        InquiryView {
            id: self.id,
            input: self.record.to_input(),
            sla: self.sla(policy, now),
            recorded_by: self.recorded_by.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}
