//! `/auth`: log in, refresh, log out, who am I.

use actix_web::{web, HttpResponse};
use shared::dto::auth::{
    AccountView, LoginRequest, LogoutRequest, PasswordChange, RefreshRequest, TokenResponse,
};
use shared::error::Problem;

use super::extract::Body;
use crate::auth::{accounts, Caller, ClientInfo};
use crate::error::ApiResult;
use crate::startup::AppState;

/// Log in with a username and password.
///
/// Returns a short-lived access token and a single-use refresh token. An unknown username, a
/// disabled account and a wrong password all get the same 401. Failed logins are throttled per
/// client address and per username (429 with `Retry-After`); an account is never locked by
/// failures, so nobody can lock someone else out. When `account.must_change_password` is set
/// the token reaches only `POST /auth/password`, `GET /auth/me` and logout (403 otherwise).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json",
               description = "too many failed logins from this address or for this username; see Retry-After")))]
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

/// Change one's own password (the current one, then the new one).
///
/// The new password needs at least 12 characters and must not be a common password, a run
/// such as `abcd…`/`1234…`, or contain the username or 「あったか」; no rule on character kinds
/// (NIST SP 800-63B). Every session of the account ends, including this one; the answer is a
/// new session. Wrong current passwords count as failed logins (429 when throttled).
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = PasswordChange,
    security(("bearer" = [])),
    responses((status = 200, body = TokenResponse, description = "a new session; every other one has ended"),
              (status = 400, body = Problem, content_type = "application/problem+json",
               description = "`current_password` wrong, or `new_password` refused by the policy"),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json", description = "an API token has no password"),
              (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: Caller,
    Body(change): Body<PasswordChange>,
) -> ApiResult<web::Json<TokenResponse>> {
    Ok(web::Json(
        accounts::change_own_password(&state, &caller.principal, &change, &caller.client).await?,
    ))
}
