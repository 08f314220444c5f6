//! The problem+json error body (RFC 9457) every API error answers with, and its stable codes.

use serde::{Deserialize, Serialize};

/// `application/problem+json` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:attaka:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short Japanese summary of the kind of problem.
    pub title: String,
    pub status: u16,
    /// Japanese explanation of this occurrence.
    pub detail: String,
    /// Stable English code (the last part of `type`).
    pub code: String,
    /// The request ID, to find the matching log lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Field-level validation errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The field, as a JSON path into the request (`family_kana`, `categories[1]`) or a query parameter.
    pub field: String,
    /// Stable English code, e.g. `required`, `too_long`, `check_digit`.
    pub code: String,
    /// Japanese message for the user.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// Collects field errors while a request is turned into domain types, so that one answer names
/// every bad field at once.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn push(&mut self, field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Keeps `Ok` values and records `Err`s under `field`.
    pub fn take<T, E: std::fmt::Display + ErrorCode>(&mut self, field: &str, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(field, e.code(), e.to_string());
                None
            }
        }
    }
    pub fn into_result(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

/// A domain error with a stable English code.
pub trait ErrorCode {
    fn code(&self) -> &'static str;
}

macro_rules! error_code_from_inherent {
    ($($t:ty),*) => {$(
        impl ErrorCode for $t {
            fn code(&self) -> &'static str {
                <$t>::code(self)
            }
        }
    )*};
}

error_code_from_inherent!(
    crate::common_id::CenterCodeError,
    crate::common_id::CommonIdError,
    crate::kana::KanaError,
    crate::municipality::MunicipalityCodeError,
    crate::dates::DateInputError,
    crate::dates::PeriodError
);
