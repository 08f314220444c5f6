//! What every response and request goes through before the routes: malformed URLs refused
//! (traversal attempts, broken percent-encoding, control characters in the query) as
//! problem+json, every error answered as problem+json whoever produced it (actix, the static
//! files), and the security headers (Content-Security-Policy per kind of response, HSTS when
//! the client came over HTTPS).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse, ResponseError};
use shared::error::{FieldError, Problem, ProblemCode};
use shared::text::{forbidden_char, forbidden_message, FORBIDDEN_CODE};

use crate::error::ApiError;
use crate::startup::AppState;

/// The SPA and its static files: scripts only from this node, no inline script and no eval;
/// `'wasm-unsafe-eval'` because browsers treat compiling the app's WebAssembly
/// (`WebAssembly.instantiateStreaming` in the wasm-bindgen loader) as eval-like. Styles only
/// from `style.css`; `data:` images for the empty favicon.
pub const CSP_SPA: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

/// The API explorer (Swagger UI, served from this node): its scripts are files, never inline;
/// it sets `style` attributes and uses `data:` icons in its CSS, so styles allow inline (styles
/// cannot run script).
pub const CSP_DOCS: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

/// JSON, CSV and problem answers: nothing in them may load or run anything.
pub const CSP_API: &str = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// A year, the minimum browsers' preload lists ask for.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

fn csp_for(path: &str) -> &'static str {
    if path.starts_with("/api/docs") {
        CSP_DOCS
    } else if path.starts_with("/api/") || matches!(path, "/healthz" | "/readyz" | "/metrics") {
        CSP_API
    } else {
        CSP_SPA
    }
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`); `None` when an escape is
/// broken or the result is not UTF-8.
fn percent_decode(raw: &str, plus_is_space: bool) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let s = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(s, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Refuses a query string with broken percent-encoding, bytes that are not UTF-8, or a refused
/// character, naming the parameter.
pub fn check_query(raw: &str) -> Result<(), FieldError> {
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let Some(name) = percent_decode(name, true) else {
            return Err(FieldError::new(
                "query",
                "percent_encoding",
                "URLのパラメータ名の %エンコードが正しくないか、UTF-8 ではありません。",
            ));
        };
        let field = if name.is_empty() || forbidden_char(&name).is_some() {
            "query".to_owned()
        } else {
            name.clone()
        };
        let Some(value) = percent_decode(value, true) else {
            return Err(FieldError::new(
                field,
                "percent_encoding",
                "URLのパラメータの %エンコードが正しくないか、UTF-8 ではありません（例: %FF）。",
            ));
        };
        if let Some(c) = forbidden_char(&name).or_else(|| forbidden_char(&value)) {
            return Err(FieldError::new(field, FORBIDDEN_CODE, forbidden_message(c)));
        }
    }
    Ok(())
}

/// Whether a request path tries to leave where it points: `..` or `.` segments (also
/// percent-encoded), encoded or back slashes, NUL, broken escapes.
pub fn is_traversal(raw_path: &str) -> bool {
    let lower = raw_path.to_ascii_lowercase();
    if lower.contains("%2f") || lower.contains("%5c") || raw_path.contains('\\') {
        return true;
    }
    let Some(decoded) = percent_decode(raw_path, false) else {
        return true;
    };
    decoded.contains('\0') || decoded.split('/').any(|s| s == ".." || s == ".")
}

/// The first text in a JSON value holding a refused character, with its path
/// (`notes`, `participations[2].common_id`, the same form as other field errors).
fn forbidden_in(value: &serde_json::Value, path: &str) -> Option<(String, char)> {
    use serde_json::Value;
    match value {
        Value::String(s) => forbidden_char(s).map(|c| (path.to_owned(), c)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| forbidden_in(v, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let at = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            forbidden_char(k)
                .map(|c| (at.clone(), c))
                .or_else(|| forbidden_in(v, &at))
        }),
        _ => None,
    }
}

/// Refuses a JSON body with a refused character in any text (every text field of every
/// request, in one place), naming the field.
pub fn check_json_text(bytes: &[u8]) -> Result<(), ApiError> {
    // Most bodies are plain: skip the walk unless a refused character could be there, raw or
    // as a `\u` escape.
    let raw = String::from_utf8_lossy(bytes);
    if forbidden_char(&raw).is_none() && !raw.contains("\\u") {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(());
    };
    match forbidden_in(&value, "") {
        Some((field, c)) => {
            let field = if field.is_empty() {
                "body".to_owned()
            } else {
                field
            };
            Err(ApiError::field(&field, FORBIDDEN_CODE, forbidden_message(c)))
        }
        None => Ok(()),
    }
}

/// Headers of an error response worth keeping when its body is replaced.
const KEPT: [header::HeaderName; 4] = [
    header::ALLOW,
    header::RETRY_AFTER,
    header::WWW_AUTHENTICATE,
    header::CACHE_CONTROL,
];

/// A problem+json answer for an error someone other than the routes produced (actix's own
/// 400/404/405/413/414, the static files' 400/403/404/405).
fn problem_for(status: StatusCode) -> HttpResponse {
    let known = match status {
        StatusCode::BAD_REQUEST => Some(ApiError::BadRequest(
            "リクエストの形式が正しくありません。".into(),
        )),
        StatusCode::NOT_FOUND => Some(ApiError::NotFound),
        StatusCode::METHOD_NOT_ALLOWED => Some(ApiError::MethodNotAllowed),
        StatusCode::PAYLOAD_TOO_LARGE => Some(ApiError::PayloadTooLarge),
        StatusCode::FORBIDDEN => Some(ApiError::Forbidden),
        _ => None,
    };
    if let Some(e) = known {
        return e.error_response();
    }
    // Any other status (414, 416, 431, …) keeps its status under the generic code of its class.
    let code = if status.is_server_error() {
        ProblemCode::Internal
    } else {
        ProblemCode::BadRequest
    };
    let problem = Problem {
        kind: format!("urn:attaka:problem:{code}"),
        title: code.title_ja().to_owned(),
        status: status.as_u16(),
        detail: format!(
            "HTTP {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or_default()
        ),
        code,
        request_id: crate::error::REQUEST_ID.try_with(Clone::clone).ok(),
        errors: Vec::new(),
    };
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "application/problem+json"))
        .json(problem)
}

fn is_problem(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"))
}

/// The probes answer plain text on purpose (load balancers read them).
fn is_probe(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// The middleware: refuse bad URLs, answer every error as problem+json, add the headers.
pub async fn harden(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let path = req.path().to_owned();
    // The node speaks plain HTTP; HTTPS ends at a reverse proxy, which says so.
    let https = req.app_data::<web::Data<AppState>>().is_some_and(|state| {
        crate::auth::client::forwarded_https(
            req.peer_addr().map(|a| a.ip()),
            req.headers(),
            &state.settings.server.trusted_proxies,
        )
    });
    let refusal = if is_traversal(req.uri().path()) {
        Some(ApiError::field(
            "path",
            "path_traversal",
            "URLのパスが正しくありません（.. や %2F などは使えません）。",
        ))
    } else {
        check_query(req.query_string())
            .err()
            .map(|e| ApiError::Validation(vec![e]))
    };
    let mut res = match refusal {
        Some(e) => {
            let (http_req, _) = req.into_parts();
            ServiceResponse::new(http_req, e.error_response())
        }
        None => {
            let res = next.call(req).await?.map_into_boxed_body();
            if res.status().as_u16() >= 400 && !is_problem(res.headers()) && !is_probe(&path) {
                let status = res.status();
                let (http_req, old) = res.into_parts();
                let mut new = problem_for(status);
                for name in KEPT {
                    if let Some(v) = old.headers().get(&name) {
                        new.headers_mut().insert(name.clone(), v.clone());
                    }
                }
                ServiceResponse::new(http_req, new)
            } else {
                res
            }
        }
    };
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp_for(&path)),
    );
    if https {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_percent_encoding_and_control_characters_in_a_query_are_refused_by_name() {
        assert!(check_query("q=%E5%B1%B1%E6%9C%AC&limit=10").is_ok());
        assert!(check_query("q=a+b&x").is_ok());
        let e = check_query("q=%FF%FE").unwrap_err();
        assert_eq!((e.field.as_str(), e.code.as_str()), ("q", "percent_encoding"));
        assert_eq!(check_query("q=%4").unwrap_err().code, "percent_encoding");
        let e = check_query("limit=1&q=%E2%80%AE").unwrap_err();
        assert_eq!((e.field.as_str(), e.code.as_str()), ("q", FORBIDDEN_CODE));
        assert_eq!(check_query("q=%00").unwrap_err().code, FORBIDDEN_CODE);
    }

    #[test]
    fn traversal_in_any_spelling_is_recognised() {
        for p in [
            "/../etc/passwd",
            "/%2e%2e/%2e%2e/etc/passwd",
            "/..%2f..%2fetc%2fpasswd",
            "/static/..%5c..%5cwindows",
            "/a/./b",
            "/x%00.js",
            "/%ff",
        ] {
            assert!(is_traversal(p), "{p}");
        }
        for p in [
            "/",
            "/persons/C001-000001-3",
            "/api/v1/master/centers",
            "/attaka-web_bg.wasm",
        ] {
            assert!(!is_traversal(p), "{p}");
        }
    }

    #[test]
    fn a_refused_character_deep_in_a_body_is_named_by_its_path() {
        let body = br#"{"name":"ok","participations":[{"note":"fine"},{"note":"bad\u202e"}]}"#;
        let ApiError::Validation(errors) = check_json_text(body).unwrap_err() else {
            panic!("validation");
        };
        assert_eq!(errors[0].field, "participations[1].note");
        assert!(check_json_text(br#"{"notes":"line one\nline two"}"#).is_ok());
        assert!(check_json_text(r#"{"family_name":"山本\u0007"}"#.as_bytes()).is_err());
        assert!(check_json_text("{\"family_name\":\"山本\u{200D}\"}".as_bytes()).is_err());
    }
}
