//! Request extractors that turn malformed input into problem+json naming the field.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use shared::error::FieldError;

use crate::error::ApiError;

/// A JSON body, deserialised with the path of any bad field kept.
pub struct Body<T>(pub T);

/// Turns a serde message into a field error: `missing field `x`` and `unknown field `x``
/// name their field; other errors name the path where they happened.
pub fn field_error(path: &str, message: &str) -> FieldError {
    let quoted = message.split('`').nth(1).unwrap_or_default();
    let under = |name: &str| {
        if path.is_empty() || path == "." {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    if message.starts_with("missing field") {
        FieldError::new(under(quoted), "required", "入力してください。")
    } else if message.starts_with("unknown field") {
        // The path already ends with the unknown field itself.
        let field = if path.is_empty() || path == "." {
            quoted.to_owned()
        } else {
            path.to_owned()
        };
        FieldError::new(field, "unknown_field", "この項目は受け付けられません。")
    } else {
        let field = if path.is_empty() || path == "." {
            "body"
        } else {
            path
        };
        FieldError::new(
            field,
            "invalid",
            format!("値の形式が正しくありません（{message}）。"),
        )
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Body<T>, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            });
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::BadRequest(
                    "Content-Type は application/json にしてください。".into(),
                ));
            }
            let bytes = bytes.await.map_err(|e| {
                if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::BadRequest("リクエスト本文を読み取れませんでした。".into())
                }
            })?;
            let de = &mut serde_json::Deserializer::from_slice(&bytes);
            match serde_path_to_error::deserialize(de) {
                Ok(v) => {
                    // Every text field of every body, in one place (`shared::text`).
                    super::hardening::check_json_text(&bytes)?;
                    Ok(Body(v))
                }
                Err(e) => {
                    let path = e.path().to_string();
                    let inner = e.into_inner();
                    if inner.is_syntax() || inner.is_eof() {
                        Err(ApiError::field(
                            "body",
                            "malformed_json",
                            "JSONとして読み取れません。",
                        ))
                    } else {
                        Err(ApiError::Validation(vec![field_error(&path, &inner.to_string())]))
                    }
                }
            }
        })
    }
}

/// Query-string errors as problem+json.
pub fn query_error(err: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    let message = err.to_string();
    let message = message
        .strip_prefix("Query deserialize error: ")
        .unwrap_or(&message);
    let mut fe = field_error("", message);
    if fe.field == "body" {
        fe.field = "query".into();
    }
    ApiError::Validation(vec![fe]).into()
}

/// Path errors (a malformed ID in the URL) as problem+json.
pub fn path_error(err: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("URLのパラメータが正しくありません（{err}）。")).into()
}

/// Bodies that are not JSON at all, for `web::Json` users (none in our routes, but a guard).
pub fn json_error(err: actix_web::error::JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    match err {
        actix_web::error::JsonPayloadError::Overflow { .. }
        | actix_web::error::JsonPayloadError::OverflowKnownLength { .. } => ApiError::PayloadTooLarge.into(),
        e => ApiError::BadRequest(format!("JSONとして読み取れません（{e}）。")).into(),
    }
}
