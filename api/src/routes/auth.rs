//! `/auth`: log in, refresh, log out, who am I.

use actix_web::{web, HttpResponse};
use shared::dto::auth::{AccountView, LoginRequest, LogoutRequest, RefreshRequest, TokenResponse};
use shared::error::Problem;

use super::extract::Body;
use crate::auth::{accounts, Caller, ClientInfo};
use crate::error::ApiResult;
use crate::startup::AppState;

/// Log in with a username and password.
///
/// Returns a short-lived access token and a single-use refresh token. After repeated failures
/// the account is locked for a while (423).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 423, body = Problem, content_type = "application/problem+json")))]
pub async fn login(
    state: web::Data<AppState>,
    client: ClientInfo,
    Body(req): Body<LoginRequest>,
) -> ApiResult<web::Json<TokenResponse>> {
    Ok(web::Json(accounts::login(&state, &req, &client).await?))
}

/// Exchange a refresh token for a new access token and refresh token.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse),
              (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn refresh(
    state: web::Data<AppState>,
    client: ClientInfo,
    Body(req): Body<RefreshRequest>,
) -> ApiResult<web::Json<TokenResponse>> {
    Ok(web::Json(
        accounts::refresh(&state, &req.refresh_token, &client).await?,
    ))
}

/// Log out: the session's access and refresh tokens stop working at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = LogoutRequest,
    security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn logout(
    state: web::Data<AppState>,
    caller: Caller,
    _body: Body<LogoutRequest>,
) -> ApiResult<HttpResponse> {
    accounts::logout(&state, &caller.principal).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The calling account.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = AccountView), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn me(state: web::Data<AppState>, caller: Caller) -> ApiResult<web::Json<AccountView>> {
    let id = caller
        .principal
        .account_id
        .ok_or(crate::error::ApiError::NotFound)?;
    Ok(web::Json(state.store.account(id).await?.to_view()))
}
