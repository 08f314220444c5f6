//! `ApiError`: the one `ResponseError`, answered as problem+json (RFC 9457).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use shared::error::{FieldError, Problem, ProblemCode};

use crate::store::{ConflictKind, Reference, StoreError};

tokio::task_local! {
    /// The current request's ID, set by the request middleware, so error bodies can carry it.
    pub static REQUEST_ID: String;
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Missing or bad credentials; the code says which (`invalid_token`, `token_expired`, …).
    #[error("unauthenticated: {0}")]
    Unauthenticated(ProblemCode),
    #[error("account locked")]
    Locked,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("conflict: {code}")]
    Conflict { code: ProblemCode, detail: String },
    #[error("payload too large")]
    PayloadTooLarge,
    /// The caller's budget of calls is spent; the next is allowed after this many seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// The node's `/stats` pool and its queue are full; try again after this many seconds.
    #[error("busy")]
    Busy { retry_after_secs: u64 },
    /// CSV in CP932 cannot hold some characters; each is named.
    #[error("characters not encodable")]
    Unencodable(Vec<FieldError>),
    /// The account must choose a new password (after an administrator's reset) first.
    #[error("password change required")]
    PasswordChangeRequired,
    /// A known path asked with a method it does not answer.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Over one of the node's cost limits: the HTTP status (413 or 422), a code, the setting
    /// that sets the limit (named as the field), and what to do.
    #[error("over the limit {limit}")]
    OverLimit {
        status: u16,
        code: ProblemCode,
        limit: &'static str,
        detail: String,
    },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn field(field: &str, code: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation(vec![FieldError::new(field, code, message)])
    }

    /// A conflict whose detail is the code's own message.
    pub fn conflict(code: ProblemCode) -> ApiError {
        ApiError::Conflict {
            code,
            detail: code.message_ja().to_owned(),
        }
    }

    /// The stable code of the problem this error answers with.
    pub fn code(&self) -> ProblemCode {
        match self {
            ApiError::Validation(_) => ProblemCode::Validation,
            ApiError::BadRequest(_) => ProblemCode::BadRequest,
            ApiError::Unauthenticated(code) | ApiError::Conflict { code, .. } => *code,
            ApiError::Locked => ProblemCode::AccountLocked,
            ApiError::Forbidden => ProblemCode::Forbidden,
            ApiError::NotFound => ProblemCode::NotFound,
            ApiError::Unencodable(_) => ProblemCode::UnmappableCharacters,
            ApiError::PayloadTooLarge => ProblemCode::PayloadTooLarge,
            ApiError::TooManyRequests { .. } => ProblemCode::TooManyRequests,
            ApiError::PasswordChangeRequired => ProblemCode::PasswordChangeRequired,
            ApiError::MethodNotAllowed => ProblemCode::MethodNotAllowed,
            ApiError::OverLimit { code, .. } => *code,
            ApiError::Busy { .. } => ProblemCode::Busy,
            ApiError::Internal(_) => ProblemCode::Internal,
        }
    }

    /// Japanese detail of this occurrence: the code's message unless the error says more.
    fn detail(&self) -> String {
        match self {
            ApiError::Validation(errors) => format!("{}件の項目を確認してください。", errors.len()),
            ApiError::BadRequest(d) => d.clone(),
            ApiError::Conflict { detail, .. } | ApiError::OverLimit { detail, .. } => detail.clone(),
            ApiError::Unencodable(errors) => format!("{}件の文字を CP932 に変換できません。", errors.len()),
            ApiError::TooManyRequests { retry_after_secs } => format!(
                "短い間に多くの要求がありました。{retry_after_secs}秒ほど待ってから再度お試しください。"
            ),
            ApiError::Busy { retry_after_secs } => format!(
                "集計の依頼が混み合っています。{retry_after_secs}秒ほど待ってから再度お試しください。"
            ),
            _ => self.code().message_ja().to_owned(),
        }
    }

    pub fn problem(&self) -> Problem {
        let code = self.code();
        Problem {
            kind: format!("urn:attaka:problem:{code}"),
            title: code.title_ja().to_owned(),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            code,
            request_id: REQUEST_ID.try_with(Clone::clone).ok(),
            errors: match self {
                ApiError::Validation(errors) | ApiError::Unencodable(errors) => errors.clone(),
                ApiError::OverLimit {
                    code, limit, detail, ..
                } => {
                    vec![FieldError::new(*limit, code.as_str(), detail.clone())]
                }
                _ => Vec::new(),
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Locked => StatusCode::LOCKED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unencodable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::PasswordChangeRequired => StatusCode::FORBIDDEN,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::OverLimit { status, .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
            }
            ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(e) = self {
            tracing::error!(error = ?e, "request failed");
        }
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if matches!(self, ApiError::Unauthenticated(_)) {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let ApiError::TooManyRequests { retry_after_secs } | ApiError::Busy { retry_after_secs } = self {
            res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        res.json(self.problem())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(kind) => match kind {
                ConflictKind::Username => {
                    ApiError::field("username", "taken", "このユーザー名は既に使われています。")
                }
                ConflictKind::CommonId => ApiError::conflict(ProblemCode::AlreadyRegistered),
                ConflictKind::ActivityId => ApiError::conflict(ProblemCode::ActivityIdConflict),
                ConflictKind::AlreadyUnlocked => ApiError::conflict(ProblemCode::AlreadyUnlocked),
                ConflictKind::PeriodLockFromHub => ApiError::conflict(ProblemCode::PeriodLockFromHub),
                ConflictKind::SyncOutOfOrder => ApiError::conflict(ProblemCode::SyncOutOfOrder),
                ConflictKind::SyncForeignRecord => ApiError::conflict(ProblemCode::SyncForeignRecord),
                ConflictKind::RegionMembership => ApiError::field(
                    "members",
                    "region_overlap",
                    "同じ期間に別の地域に所属している市町村があります。",
                ),
                ConflictKind::SerialExhausted | ConflictKind::RegisteredOn | ConflictKind::EndedOn => {
                    ApiError::Conflict {
                        code: ProblemCode::Conflict,
                        detail: format!("データが競合しました（{kind}）。"),
                    }
                }
            },
            StoreError::PeriodLocked(period) => ApiError::Conflict {
                code: ProblemCode::PeriodLocked,
                detail: format!(
                    "{period}は締め済みのため、この期間の活動は記録・変更・削除できません。変更が必要な場合は県に締めの解除を依頼してください。"
                ),
            },
            StoreError::MissingReference(Reference::CommonId) => ApiError::field(
                "common_id",
                "not_issued",
                "この共通利用者番号はこのセンターで発行されていません。",
            ),
            StoreError::MissingReference(what) => {
                ApiError::field(what.field(), "unknown_reference", "参照先が存在しません。")
            }
            StoreError::Other(e) => ApiError::Internal(e),
        }
    }
}

impl From<Vec<FieldError>> for ApiError {
    fn from(errors: Vec<FieldError>) -> Self {
        ApiError::Validation(errors)
    }
}
