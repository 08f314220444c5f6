//! Liveness and readiness probes.

use actix_web::{web, HttpResponse};

use crate::error::ApiError;
use crate::startup::AppState;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "稼働中")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "利用可能"), (status = 503, description = "データベースに接続できません")))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.store.codes().await {
        Ok(_) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Err(e) => {
            tracing::error!(error = ?e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}

/// Unknown paths under `/api/v1` answer problem+json, not the SPA.
pub async fn api_not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// A known path asked with a method it does not answer: 405 problem+json with `Allow` (the
/// path's methods, from the OpenAPI document the routes are described in).
pub async fn method_not_allowed(req: actix_web::HttpRequest) -> HttpResponse {
    use actix_web::ResponseError;
    let mut res = ApiError::MethodNotAllowed.error_response();
    let allow = req
        .match_pattern()
        .map(|p| crate::openapi::methods_of(&p).join(", "))
        .unwrap_or_default();
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&allow) {
        res.headers_mut().insert(actix_web::http::header::ALLOW, v);
    }
    res
}
