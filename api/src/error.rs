//! `ApiError`: the one `ResponseError`, answered as problem+json (RFC 9457).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use shared::error::{FieldError, Problem};

use crate::store::StoreError;

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
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    #[error("account locked")]
    Locked,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("conflict: {code}")]
    Conflict { code: &'static str, detail: String },
    #[error("payload too large")]
    PayloadTooLarge,
    /// The caller's budget of calls is spent; the next is allowed after this many seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
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
        code: &'static str,
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

    /// Stable code, Japanese title and detail.
    fn parts(&self) -> (&'static str, &'static str, String) {
        match self {
            ApiError::Validation(errors) => (
                "validation",
                "入力内容に誤りがあります",
                format!("{}件の項目を確認してください。", errors.len()),
            ),
            ApiError::BadRequest(d) => ("bad_request", "リクエストが正しくありません", d.clone()),
            ApiError::Unauthenticated(code) => (
                code,
                "認証が必要です",
                match *code {
                    "invalid_credentials" => "ユーザー名またはパスワードが違います。".into(),
                    "token_expired" => "ログインの有効期限が切れました。もう一度ログインしてください。".into(),
                    _ => "ログインしてください。".into(),
                },
            ),
            ApiError::Locked => (
                "account_locked",
                "アカウントがロックされています",
                "ログインの失敗が続いたため、しばらくの間ログインできません。時間をおくか管理者に連絡してください。".into(),
            ),
            ApiError::Forbidden => (
                "forbidden",
                "権限がありません",
                "この操作を行う権限がないか、担当範囲の外のデータです。".into(),
            ),
            ApiError::NotFound => ("not_found", "見つかりません", "指定されたデータは見つかりません。".into()),
            ApiError::Conflict { code, detail } => (code, "競合があります", detail.clone()),
            ApiError::Unencodable(errors) => (
                "unmappable_characters",
                "Shift_JIS (CP932) で表せない文字があります",
                format!("{}件の文字を CP932 に変換できません。", errors.len()),
            ),
            ApiError::PayloadTooLarge => (
                "payload_too_large",
                "データが大きすぎます",
                "送信されたデータが上限を超えています。".into(),
            ),
            ApiError::TooManyRequests { retry_after_secs } => (
                "too_many_requests",
                "要求が多すぎます",
                format!("短い間に多くの要求がありました。{retry_after_secs}秒ほど待ってから再度お試しください。"),
            ),
            ApiError::PasswordChangeRequired => (
                "password_change_required",
                "パスワードの変更が必要です",
                "管理者がパスワードを再設定しました。新しいパスワードを決めてから操作してください。".into(),
            ),
            ApiError::MethodNotAllowed => (
                "method_not_allowed",
                "この方法では操作できません",
                "このURLはこのHTTPメソッドに対応していません。".into(),
            ),
            ApiError::OverLimit { code, detail, .. } => (code, "処理の上限を超えています", detail.clone()),
            ApiError::Internal(_) => (
                "internal",
                "サーバーでエラーが発生しました",
                "処理中にエラーが発生しました。時間をおいて再度お試しください。".into(),
            ),
        }
    }

    pub fn problem(&self) -> Problem {
        let (code, title, detail) = self.parts();
        Problem {
            kind: format!("urn:attaka:problem:{code}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail,
            code: code.to_owned(),
            request_id: REQUEST_ID.try_with(Clone::clone).ok(),
            errors: match self {
                ApiError::Validation(errors) | ApiError::Unencodable(errors) => errors.clone(),
                ApiError::OverLimit {
                    code, limit, detail, ..
                } => {
                    vec![FieldError::new(*limit, *code, detail.clone())]
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
        if let ApiError::TooManyRequests { retry_after_secs } = self {
            res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        res.json(self.problem())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict("username") => {
                ApiError::field("username", "taken", "このユーザー名は既に使われています。")
            }
            StoreError::Conflict("common_id") => ApiError::Conflict {
                code: "already_registered",
                detail: "この共通利用者番号の方は既にこのセンターに登録されています。".into(),
            },
            StoreError::Conflict("activity_id") => ApiError::Conflict {
                code: "activity_id_conflict",
                detail: "このIDの活動は別の内容で既に記録されています。再送でなければ新しいIDで記録してください。"
                    .into(),
            },
            StoreError::Conflict("already_unlocked") => ApiError::Conflict {
                code: "already_unlocked",
                detail: "この締めは既に解除されています。".into(),
            },
            StoreError::Conflict("period_lock_from_hub") => ApiError::Conflict {
                code: "period_lock_from_hub",
                detail: "この締めは県ハブで設定されたものです。センターでは解除できません。解除は県ハブで行ってください。"
                    .into(),
            },
            StoreError::PeriodLocked(period) => ApiError::Conflict {
                code: "period_locked",
                detail: format!(
                    "{period}は締め済みのため、この期間の活動は記録・変更・削除できません。変更が必要な場合は県に締めの解除を依頼してください。"
                ),
            },
            StoreError::Conflict("sync_out_of_order") => ApiError::Conflict {
                code: "sync_out_of_order",
                detail: "このバッチはハブが適用済みの続きではありません。全件スナップショットから新しい系列で送り直してください。"
                    .into(),
            },
            StoreError::Conflict("sync_foreign_record") => ApiError::Conflict {
                code: "sync_foreign_record",
                detail: "このIDのデータはハブでは別のセンターのものです。".into(),
            },
            StoreError::Conflict(what) => ApiError::Conflict {
                code: "conflict",
                detail: format!("データが競合しました（{what}）。"),
            },
            StoreError::MissingReference("common_id") => ApiError::field(
                "common_id",
                "not_issued",
                "この共通利用者番号はこのセンターで発行されていません。",
            ),
            StoreError::MissingReference(what) => {
                ApiError::field(what, "unknown_reference", "参照先が存在しません。")
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
