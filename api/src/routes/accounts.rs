//! `/accounts` and `/api-tokens`: account administration and integrator tokens.

use actix_web::{web, HttpResponse};
use shared::dto::audit::DisabledInput;
use shared::dto::auth::{AccountView, ApiTokenView, CreatedApiToken, NewAccount, NewApiToken, PasswordReset};
use shared::error::Problem;

use super::audited::CallAudit;
use super::extract::Body;
use crate::auth::{accounts, Caller, Permission};
use crate::domain::account::{Account, ApiToken, Principal};
use crate::error::{ApiError, ApiResult};
use crate::startup::AppState;

/// Whether `p` administers `account`: the prefecture and the operator every account, a centre
/// manager the accounts of their centre.
fn administers(p: &Principal, account: &Account) -> bool {
    use shared::dto::auth::Role;
    match p.role {
        Role::Prefecture | Role::Operator => true,
        Role::CenterAdmin => account.scope == p.scope,
        _ => false,
    }
}

/// Accounts the caller administers.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = [AccountView]), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> ApiResult<web::Json<Vec<AccountView>>> {
    let p = caller
        .require(Permission::ManageAccounts)
        .or_else(|_| caller.require(Permission::UnlockAccounts))?;
    let accounts = state.store.accounts().await?;
    Ok(web::Json(
        accounts
            .iter()
            .filter(|a| administers(p, a))
            .map(|a| view(&state, a))
            .collect(),
    ))
}

/// An account as shown to administrators: `locked_until` says until when new addresses must
/// wait before trying it (its hourly budget of failed logins is spent).
fn view(state: &AppState, account: &Account) -> AccountView {
    let mut v = account.to_view();
    if let Some(wait) = state
        .login_throttle
        .account_wait(&account.username, std::time::Instant::now())
    {
        let wait = chrono::Duration::from_std(wait).unwrap_or_default();
        v.locked_until = Some(v.locked_until.unwrap_or_default().max(chrono::Utc::now() + wait));
    }
    v
}

/// Create an account. A centre manager creates staff and managers of their centre; the
/// prefecture creates any account.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = NewAccount, security(("bearer" = [])),
    responses((status = 201, body = AccountView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    Body(new): Body<NewAccount>,
) -> ApiResult<HttpResponse> {
    let p = caller.require(Permission::ManageAccounts)?;
    let audit = CallAudit::by(&state, &caller, "account.create");
    let target = Some(new.username.clone());
    let row = audit.draft(target.clone(), None);
    let result = accounts::create(state.store.as_ref(), &state.settings, new, Some(p), row).await;
    let account = audit.write(target, None, result).await?;
    Ok(HttpResponse::Created().json(account.to_view()))
}

async fn administered(state: &AppState, p: &Principal, id: i64) -> ApiResult<Account> {
    let account = state.store.account(id).await?;
    if administers(p, &account) {
        Ok(account)
    } else {
        Err(ApiError::NotFound)
    }
}

/// Forget an account's failed logins: addresses waiting because of them may try again at once.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/unlock", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "account ID")),
    responses((status = 200, body = AccountView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn unlock(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> ApiResult<web::Json<AccountView>> {
    let p = caller.require(Permission::UnlockAccounts)?;
    let account = administered(&state, p, *id).await?;
    let row = CallAudit::by(&state, &caller, "account.unlock").draft(Some(account.username.clone()), None);
    state.store.unlock_account(account.id, row).await?;
    state.login_throttle.clear_account(&account.username);
    Ok(web::Json(view(&state, &state.store.account(account.id).await?)))
}

/// Reset an account's password (an administrator of its scope): the account must choose its
/// own at its next login, and every session it has ends at once.
///
/// The temporary password is held to the same policy as any new password. One's own password
/// is changed with `POST /auth/password` instead (it needs the current one).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/password", tag = "accounts", request_body = PasswordReset,
    security(("bearer" = [])), params(("id" = i64, Path, description = "account ID")),
    responses((status = 200, body = AccountView),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn reset_password(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Body(reset): Body<PasswordReset>,
) -> ApiResult<web::Json<AccountView>> {
    let p = caller.require(Permission::ManageAccounts)?;
    let account = administered(&state, p, *id).await?;
    let audit = CallAudit::by(&state, &caller, "account.password_reset");
    let target = Some(account.username.clone());
    let result = if Some(account.id) == p.account_id {
        Err(ApiError::field(
            "id",
            "self",
            "自分のパスワードは「パスワード変更」（現在のパスワードが必要）で変えてください。",
        ))
    } else {
        accounts::set_password(
            state.store.as_ref(),
            Some(&state.login_throttle),
            &account,
            &reset.new_password,
            true,
            audit.draft(target.clone(), None),
        )
        .await
    };
    audit.write(target, None, result).await?;
    Ok(web::Json(view(&state, &state.store.account(account.id).await?)))
}

/// Disable or re-enable an account; disabling ends its sessions at once.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/disabled", tag = "accounts", request_body = DisabledInput,
    security(("bearer" = [])), params(("id" = i64, Path, description = "account ID")),
    responses((status = 200, body = AccountView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn set_disabled(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Body(input): Body<DisabledInput>,
) -> ApiResult<web::Json<AccountView>> {
    let p = caller.require(Permission::ManageAccounts)?;
    let account = administered(&state, p, *id).await?;
    if Some(account.id) == p.account_id {
        return Err(ApiError::field(
            "disabled",
            "self",
            "自分のアカウントは無効にできません。",
        ));
    }
    let action = if input.disabled {
        "account.disable"
    } else {
        "account.enable"
    };
    let row = CallAudit::by(&state, &caller, action).draft(Some(account.username.clone()), None);
    state
        .store
        .set_account_disabled(account.id, input.disabled, row)
        .await?;
    Ok(web::Json(view(&state, &state.store.account(account.id).await?)))
}

/// Integrator API tokens within the caller's scope, each with whether it works now (`status`):
/// a token stops when its creator is disabled or no longer holds a role that issues tokens.
#[utoipa::path(get, path = "/api/v1/api-tokens", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = [ApiTokenView]), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_tokens(
    state: web::Data<AppState>,
    caller: Caller,
) -> ApiResult<web::Json<Vec<ApiTokenView>>> {
    let p = caller.require(Permission::ManageApiTokens)?;
    let centers = state.store.centers().await?;
    let regions = crate::auth::policy::regions_for(state.store.as_ref(), &p.scope).await?;
    let today = crate::domain::clock::today_jst();
    let tokens = state.store.api_tokens().await?;
    let mut views = Vec::new();
    for t in tokens
        .iter()
        .filter(|t| p.covers_scope(&t.scope, &centers, &regions, today))
    {
        views.push(t.to_view(accounts::token_status(state.store.as_ref(), t).await?));
    }
    Ok(web::Json(views))
}

/// Create an integrator API token. The token is shown once; only its hash is kept.
#[utoipa::path(post, path = "/api/v1/api-tokens", tag = "accounts", request_body = NewApiToken, security(("bearer" = [])),
    responses((status = 201, body = CreatedApiToken), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn create_token(
    state: web::Data<AppState>,
    caller: Caller,
    Body(new): Body<NewApiToken>,
) -> ApiResult<HttpResponse> {
    let p = caller.require(Permission::ManageApiTokens)?;
    let audit = CallAudit::by(&state, &caller, "api_token.create");
    // The token's prefix is known once made: the store fills it in as the row's target.
    let row = audit
        .draft(None, None)
        .completed_by(|e, t: &ApiToken| e.target = Some(t.prefix.clone()));
    let result = accounts::create_api_token(&state, p, &new, row).await;
    let created = audit.write(Some(new.name.clone()), None, result).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Revoke an integrator API token.
#[utoipa::path(delete, path = "/api/v1/api-tokens/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "token ID")),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_token(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let p = caller.require(Permission::ManageApiTokens)?;
    let centers = state.store.centers().await?;
    let regions = crate::auth::policy::regions_for(state.store.as_ref(), &p.scope).await?;
    let today = crate::domain::clock::today_jst();
    let token = state
        .store
        .api_tokens()
        .await?
        .into_iter()
        .find(|t| t.id == *id && p.covers_scope(&t.scope, &centers, &regions, today))
        .ok_or(ApiError::NotFound)?;
    let row = CallAudit::by(&state, &caller, "api_token.revoke").draft(Some(token.prefix), None);
    state.store.revoke_api_token(token.id, row).await?;
    Ok(HttpResponse::NoContent().finish())
}
