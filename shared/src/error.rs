//! The problem+json error body (RFC 9457) every API error answers with, and its stable codes.

use serde::{Deserialize, Serialize};

/// Declares [`ProblemCode`] from one table, so that a code cannot exist without its wire name,
/// its Japanese title and its Japanese message.
macro_rules! problem_codes {
    ($($(#[$doc:meta])* $variant:ident = $wire:literal, $title:literal, $message:literal;)*) => {
        /// The stable code of a problem (`Problem::code`): what went wrong, as one word a client
        /// matches on. Serialised in `snake_case`, the last part of the problem's `type`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum ProblemCode {
            $($(#[$doc])* $variant,)*
        }

        impl ProblemCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ProblemCode] = &[$(ProblemCode::$variant),*];

            /// The code as it is on the wire (`already_registered`); a test holds it to serde's name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $wire,)*
                }
            }

            /// Short Japanese summary of the kind of problem (`Problem::title`).
            pub fn title_ja(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $title,)*
                }
            }

            /// Japanese explanation for the user. The server answers with it as the detail
            /// unless the occurrence says more (which period is locked, how many fields).
            pub fn message_ja(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $message,)*
                }
            }
        }
    };
}

problem_codes! {
    /// Fields failed validation; `errors` names each.
    Validation = "validation", "入力内容に誤りがあります", "入力内容を確認してください。";
    /// The request could not be read (not JSON, a malformed parameter).
    BadRequest = "bad_request", "リクエストが正しくありません", "リクエストの形式が正しくありません。";
    /// No credentials were sent.
    Unauthenticated = "unauthenticated", "認証が必要です", "ログインしてください。";
    /// Wrong username or password.
    InvalidCredentials = "invalid_credentials", "認証が必要です", "ユーザー名またはパスワードが違います。";
    /// The token is unknown, malformed or revoked.
    InvalidToken = "invalid_token", "認証が必要です", "ログインしてください。";
    /// The access token has expired: refresh it or log in again.
    TokenExpired = "token_expired", "認証が必要です", "ログインの有効期限が切れました。もう一度ログインしてください。";
    /// The session was ended (logout, account disabled).
    SessionRevoked = "session_revoked", "認証が必要です", "ログインしてください。";
    /// Too many failed logins: the account is locked for a while.
    AccountLocked = "account_locked", "アカウントがロックされています", "ログインの失敗が続いたため、しばらくの間ログインできません。時間をおくか管理者に連絡してください。";
    /// The caller's role or scope does not allow this.
    Forbidden = "forbidden", "権限がありません", "この操作を行う権限がないか、担当範囲の外のデータです。";
    NotFound = "not_found", "見つかりません", "指定されたデータは見つかりません。";
    /// The person already has this common ID at this centre.
    AlreadyRegistered = "already_registered", "競合があります", "この共通利用者番号の方は既にこのセンターに登録されています。";
    /// Another activity was recorded under this client-chosen ID.
    ActivityIdConflict = "activity_id_conflict", "競合があります", "このIDの活動は別の内容で既に記録されています。再送でなければ新しいIDで記録してください。";
    AlreadyUnlocked = "already_unlocked", "競合があります", "この締めは既に解除されています。";
    /// On a centre node: the lock is the hub's, mirrored; only the hub unlocks it.
    PeriodLockFromHub = "period_lock_from_hub", "競合があります", "この締めは県ハブで設定されたものです。センターでは解除できません。解除は県ハブで行ってください。";
    /// The activity's date lies in a locked period.
    PeriodLocked = "period_locked", "競合があります", "締め済みの期間の活動は記録・変更・削除できません。変更が必要な場合は県に締めの解除を依頼してください。";
    /// The batch does not follow on from what the hub applied: start a new stream with a snapshot.
    SyncOutOfOrder = "sync_out_of_order", "競合があります", "このバッチはハブが適用済みの続きではありません。全件スナップショットから新しい系列で送り直してください。";
    /// The record belongs to another centre on the hub.
    SyncForeignRecord = "sync_foreign_record", "競合があります", "このIDのデータはハブでは別のセンターのものです。";
    /// Another conflict with stored data.
    Conflict = "conflict", "競合があります", "データが競合しました。";
    /// CSV in CP932 cannot hold some characters; `errors` names each.
    UnmappableCharacters = "unmappable_characters", "Shift_JIS (CP932) で表せない文字があります", "CP932 に変換できない文字があります。";
    PayloadTooLarge = "payload_too_large", "データが大きすぎます", "送信されたデータが上限を超えています。";
    /// The caller's budget of calls is spent; see `Retry-After`.
    TooManyRequests = "too_many_requests", "要求が多すぎます", "短い間に多くの要求がありました。しばらく待ってから再度お試しください。";
    /// An administrator reset the account's password: it must choose its own
    /// (`POST /auth/password`) before anything else.
    PasswordChangeRequired = "password_change_required", "パスワードの変更が必要です", "管理者がパスワードを再設定しました。新しいパスワードを決めてから操作してください。";
    /// A known path asked with a method it does not answer (`Allow` lists those it does).
    MethodNotAllowed = "method_not_allowed", "この方法では操作できません", "このURLはこのHTTPメソッドに対応していません。";
    /// More row dimensions than `stats.max_row_dimensions` (422; `errors[0].field` names the setting).
    TooManyDimensions = "too_many_dimensions", "処理の上限を超えています", "行の分類（rows）が多すぎます。分類を減らすか、分けて集計してください。";
    /// The table asked for would have more cells than `stats.max_cells` (413).
    ResultTooLarge = "result_too_large", "処理の上限を超えています", "集計結果が大きすぎます。期間を短くするか、分類を減らすか、絞り込み（filter）を加えてください。";
    /// The request ran past its time budget (`stats.timeout_ms`, `stats.extract_timeout_ms`);
    /// its SQL was interrupted (422).
    TimeBudgetExceeded = "time_budget_exceeded", "処理の上限を超えています", "処理が制限時間内に終わりませんでした。期間を短くするか、分類を減らしてください。";
    /// The node is busy computing other figures (its `/stats` queue is full): retry after
    /// `Retry-After` seconds (503).
    Busy = "busy", "混み合っています", "集計の依頼が混み合っています。しばらく待ってから再度お試しください。";
    /// Something failed on the server; the request ID finds its log lines.
    Internal = "internal", "サーバーでエラーが発生しました", "処理中にエラーが発生しました。時間をおいて再度お試しください。";
}

impl std::fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    pub code: ProblemCode,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_code_has_a_japanese_title_and_message() {
        for code in ProblemCode::ALL {
            assert!(!code.title_ja().trim().is_empty(), "{code}");
            assert!(!code.message_ja().trim().is_empty(), "{code}");
            assert!(code.message_ja().ends_with('。'), "{code}: a sentence");
        }
    }

    #[test]
    fn a_problem_code_is_serialised_as_its_snake_case_name() {
        for code in ProblemCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::json!(code.as_str()));
            assert_eq!(serde_json::from_value::<ProblemCode>(json).unwrap(), *code);
            assert!(code.as_str().chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        }
    }

    #[test]
    fn problem_codes_are_distinct() {
        let mut names: Vec<_> = ProblemCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ProblemCode::ALL.len());
    }
}
