//! Account use cases: create, log in, refresh, log out, and integrator tokens.

use chrono::{Duration, Utc};
use shared::common_id::CenterCode;
use shared::dto::auth::{
    CreatedApiToken, ExtractGrant, LoginRequest, NewAccount, NewApiToken, Role, Scope, TokenResponse,
};
use shared::error::{FieldErrors, ProblemCode};
use shared::municipality::MunicipalityCode;

use super::tokens::{random_token, token_hash, API_TOKEN_PREFIX};
use super::{password, ClientInfo};
use crate::config::Settings;
use crate::domain::account::{
    check_password, check_role_scope, check_username, Account, ApiToken, NewAccountRecord, Principal,
};
use crate::domain::audit::{AuditDraft, Outcome};
use crate::error::{ApiError, ApiResult};
use crate::ops::audit::{self, Event};
use crate::startup::AppState;
use crate::store::{CommonStore, RefreshGrant, RefreshUse, StoreError};

/// Checks that a scope names something that exists.
async fn check_scope_exists(
    store: &dyn CommonStore,
    e: &mut FieldErrors,
    scope: &Scope,
) -> Result<(), ApiError> {
    match scope {
        Scope::Prefecture => {}
        Scope::Municipality(code) => {
            if MunicipalityCode::parse(code).is_err() || !store.codes().await?.is_municipality(code) {
                e.push("scope.code", "unknown_code", "市町村コードが正しくありません。");
            }
        }
        Scope::Center(code) => {
            let known = match CenterCode::parse(code) {
                Ok(c) if c.as_str() == code => match store.center(code).await {
                    Ok(_) => true,
                    Err(StoreError::NotFound) => false,
                    Err(e) => return Err(e.into()),
                },
                _ => false,
            };
            if !known {
                e.push(
                    "scope.code",
                    "unknown_code",
                    "センターコードが登録されていません。",
                );
            }
        }
    }
    Ok(())
}

/// Creates an account, audited by `audit` in the same transaction. `creator` is none for the
/// command-line bootstrap.
pub async fn create(
    store: &dyn CommonStore,
    _settings: &Settings,
    new: NewAccount,
    creator: Option<&Principal>,
    audit: AuditDraft<Account>,
) -> ApiResult<Account> {
    if let Some(creator) = creator {
        let allowed = match creator.role {
            Role::Prefecture => new.role != Role::Integrator,
            Role::CenterAdmin => {
                matches!(new.role, Role::CenterStaff | Role::CenterAdmin) && new.scope == creator.scope
            }
            _ => false,
        };
        if !allowed {
            return Err(ApiError::Forbidden);
        }
    }
    let mut e = FieldErrors::default();
    let username = new.username.trim().to_owned();
    check_username(&mut e, &username);
    check_password(&mut e, &username, &new.password);
    if new.role == Role::Integrator {
        e.push(
            "role",
            "use_api_token",
            "連携用にはアカウントではなくAPIトークンを発行してください。",
        );
    }
    check_role_scope(&mut e, new.role, &new.scope);
    check_scope_exists(store, &mut e, &new.scope).await?;
    let display_name = new.display_name.trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > 50 {
        e.push(
            "display_name",
            "required",
            "表示名を50文字以内で入力してください。",
        );
    }
    e.into_result()?;
    let record = NewAccountRecord {
        username,
        display_name,
        password_hash: password::hash(&new.password)?,
        role: new.role,
        scope: new.scope,
    };
    Ok(store.create_account(&record, audit).await?)
}

async fn grant(state: &AppState, account: &Account, session: String) -> ApiResult<TokenResponse> {
    let refresh = random_token("rt_")?;
    state
        .store
        .insert_refresh(&RefreshGrant {
            token_hash: token_hash(&refresh),
            account_id: account.id,
            session: session.clone(),
            expires_at: Utc::now() + Duration::hours(state.settings.auth.refresh_token_hours),
        })
        .await?;
    Ok(TokenResponse {
        access_token: state.jwt.issue(account.id, &session)?,
        token_type: "Bearer".into(),
        expires_in: u64::try_from(state.jwt.access_ttl.num_seconds()).unwrap_or(0),
        refresh_token: refresh,
        account: account.to_view(),
    })
}

/// Checks a username and password; counts failures and locks after too many. Audited.
pub async fn login(state: &AppState, req: &LoginRequest, client: &ClientInfo) -> ApiResult<TokenResponse> {
    let store = state.store.as_ref();
    let now = Utc::now();
    let account = store.find_account(req.username.trim()).await?;
    let result = match &account {
        None => {
            password::verify(&req.password, password::dummy_hash());
            Err(ApiError::Unauthenticated(ProblemCode::InvalidCredentials))
        }
        Some(a) if a.is_locked(now) => Err(ApiError::Locked),
        Some(a) if a.disabled || !password::verify(&req.password, &a.password_hash) => {
            let auth = &state.settings.auth;
            let after = store
                .record_login_failure(
                    a.id,
                    auth.lockout_threshold,
                    now + Duration::minutes(auth.lockout_minutes),
                )
                .await?;
            if after.is_locked(now) {
                tracing::warn!(username = %a.username, "account locked after repeated failed logins");
            }
            Err(ApiError::Unauthenticated(ProblemCode::InvalidCredentials))
        }
        Some(a) => {
            store.record_login_success(a.id).await?;
            grant(state, a, uuid::Uuid::new_v4().to_string()).await
        }
    };
    let principal = match (&result, &account) {
        (Ok(_), Some(a)) => Some(Principal {
            account_id: Some(a.id),
            api_token_id: None,
            name: a.username.clone(),
            role: a.role,
            scope: a.scope.clone(),
            session: None,
        }),
        _ => None,
    };
    let event = Event {
        action: "auth.login",
        target: None,
        outcome: audit::outcome_of(&result),
        detail: match &result {
            Err(ApiError::Locked) => Some(serde_json::json!({"reason": "locked"})),
            Err(_) => Some(serde_json::json!({"reason": "invalid_credentials"})),
            Ok(_) => None,
        },
    };
    audit::record(
        store,
        principal.as_ref(),
        Some(req.username.trim()),
        client,
        event,
    )
    .await?;
    result
}

/// Exchanges a refresh token for a new pair; a reused token revokes the whole session.
pub async fn refresh(state: &AppState, refresh_token: &str, client: &ClientInfo) -> ApiResult<TokenResponse> {
    let used = state
        .store
        .use_refresh(&token_hash(refresh_token), Utc::now())
        .await?;
    match used {
        RefreshUse::Rotated { account, session } if !account.disabled => {
            grant(state, &account, session).await
        }
        RefreshUse::Reused => {
            let event = Event {
                action: "auth.refresh_reused",
                target: None,
                outcome: Outcome::Denied,
                detail: None,
            };
            audit::record(state.store.as_ref(), None, None, client, event).await?;
            Err(ApiError::Unauthenticated(ProblemCode::InvalidToken))
        }
        _ => Err(ApiError::Unauthenticated(ProblemCode::InvalidToken)),
    }
}

/// Revokes the caller's session (its access and refresh tokens stop working at once).
pub async fn logout(state: &AppState, principal: &Principal) -> ApiResult<()> {
    if let Some(session) = &principal.session {
        state.store.revoke_session(session).await?;
    }
    Ok(())
}

/// Creates an integrator API token within the creator's scope; returns it once.
pub async fn create_api_token(
    state: &AppState,
    creator: &Principal,
    new: &NewApiToken,
    audit: AuditDraft<ApiToken>,
) -> ApiResult<CreatedApiToken> {
    let store = state.store.as_ref();
    let mut e = FieldErrors::default();
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        e.push("name", "required", "用途を100文字以内で入力してください。");
    }
    check_scope_exists(store, &mut e, &new.scope).await?;
    if new.extracts == ExtractGrant::Detailed && new.scope != Scope::Prefecture {
        e.push(
            "extracts",
            "not_for_scope",
            "detailed の抽出は県全体のトークンにだけ付与できます。",
        );
    }
    e.into_result()?;
    let centers = store.centers().await?;
    // Who may grant extracts at all is the policy table's to say (403 otherwise).
    if !creator.covers_scope(&new.scope, &centers)
        || !super::policy::may_grant_extracts(creator.role, new.extracts, &new.scope)
    {
        return Err(ApiError::Forbidden);
    }
    let token = random_token(API_TOKEN_PREFIX)?;
    let record = ApiToken {
        id: 0,
        name: name.to_owned(),
        prefix: token.chars().take(API_TOKEN_PREFIX.len() + 8).collect(),
        scope: new.scope.clone(),
        created_at: Utc::now(),
        expires_on: new.expires_on,
        revoked: false,
        extracts: new.extracts,
    };
    let stored = store
        .create_api_token(&record, &token_hash(&token), creator.account_id, audit)
        .await?;
    Ok(CreatedApiToken {
        token,
        info: stored.to_view(),
    })
}
