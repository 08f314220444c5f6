//! Account use cases: create, log in, refresh, log out, and integrator tokens.

use chrono::{Duration, Utc};
use shared::common_id::CenterCode;
use shared::dto::auth::{
    ApiTokenStatus, CreatedApiToken, ExtractGrant, LoginRequest, NewAccount, NewApiToken, PasswordChange,
    Role, Scope, TokenResponse,
};
use shared::error::{FieldErrors, ProblemCode};
use shared::municipality::MunicipalityCode;

use super::throttle::LoginThrottle;
use super::tokens::{random_token, token_hash, API_TOKEN_PREFIX};
use super::{password, policy, ClientInfo, Permission};
use crate::config::Settings;
use crate::domain::account::{
    check_password, check_role_scope, check_username, Account, ApiToken, Creator, NewAccountRecord, Principal,
};
use crate::domain::audit::{AuditDraft, Outcome};
use crate::domain::password_policy;
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
        Scope::Region(code) => {
            if !store.regions().await?.iter().any(|r| r.code == *code) {
                e.push("scope.code", "unknown_code", "地域コードが登録されていません。");
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

/// Whether a new password is held to the policy (`domain::password_policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRule {
    /// Every real account.
    Policy,
    /// The demo's accounts, whose passwords are published in the README: the policy would
    /// protect nothing there.
    Published,
}

/// Creates an account, audited by `audit` in the same transaction. `creator` is none for the
/// command-line bootstrap.
pub async fn create(
    store: &dyn CommonStore,
    settings: &Settings,
    new: NewAccount,
    creator: Option<&Principal>,
    audit: AuditDraft<Account>,
) -> ApiResult<Account> {
    create_with(store, settings, new, creator, PasswordRule::Policy, audit).await
}

/// [`create`], saying whether the password policy applies.
pub async fn create_with(
    store: &dyn CommonStore,
    _settings: &Settings,
    new: NewAccount,
    creator: Option<&Principal>,
    rule: PasswordRule,
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
    if rule == PasswordRule::Policy {
        check_password(&mut e, &username, &new.password);
    }
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
        password_hash: password::hash_off_thread(new.password).await?,
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
        access_token: state
            .jwt
            .issue(account.id, &session, account.must_change_password)?,
        token_type: "Bearer".into(),
        expires_in: u64::try_from(state.jwt.access_ttl.num_seconds()).unwrap_or(0),
        refresh_token: refresh,
        account: account.to_view(),
    })
}

/// The address a login is counted under (the throttle needs one even when none is known).
fn address_key(client: &ClientInfo) -> &str {
    client.address.as_deref().unwrap_or("unknown")
}

/// Checks a username and password. Failures are throttled per client address and per
/// username (429 with `Retry-After`, decision 0024), never by locking the account; an unknown
/// username, a disabled account and a wrong password get the same answer after the same work
/// (one argon2 verification). Audited.
pub async fn login(state: &AppState, req: &LoginRequest, client: &ClientInfo) -> ApiResult<TokenResponse> {
    let store = state.store.as_ref();
    let username = req.username.trim();
    let result = match state
        .login_throttle
        .begin(username, address_key(client), std::time::Instant::now())
    {
        Err(wait) => Err(ApiError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        }),
        Ok(attempt) => {
            let account = store.find_account(username).await?;
            let stored = account
                .as_ref()
                .map_or_else(|| password::dummy_hash().to_owned(), |a| a.password_hash.clone());
            let right = password::verify_off_thread(req.password.clone(), stored).await?;
            match account {
                Some(a) if right && !a.disabled => {
                    state.login_throttle.succeeded(&attempt);
                    store.record_login_success(a.id).await?;
                    grant(state, &a, uuid::Uuid::new_v4().to_string())
                        .await
                        .map(|t| (a, t))
                }
                _ => Err(ApiError::Unauthenticated(ProblemCode::InvalidCredentials)),
            }
        }
    };
    let principal = result.as_ref().ok().map(|(a, _)| Principal {
        account_id: Some(a.id),
        api_token_id: None,
        name: a.username.clone(),
        role: a.role,
        scope: a.scope.clone(),
        session: None,
    });
    let event = Event {
        action: "auth.login",
        target: None,
        outcome: audit::outcome_of(&result),
        detail: match &result {
            Err(ApiError::TooManyRequests { .. }) => Some(serde_json::json!({"reason": "throttled"})),
            Err(_) => Some(serde_json::json!({"reason": "invalid_credentials"})),
            Ok(_) => None,
        },
    };
    audit::record(store, principal.as_ref(), Some(username), client, event).await?;
    result.map(|(_, tokens)| tokens)
}

/// The caller changes their own password, proving the current one. Every session of the
/// account ends (other browsers, a thief's tokens); the answer is a fresh session. Wrong
/// current passwords count as failed logins (the throttle), so a stolen access token cannot
/// be used to guess the password. Audited: the change's row commits with it (decision 0016), a
/// refusal is recorded on its own.
pub async fn change_own_password(
    state: &AppState,
    principal: &Principal,
    change: &PasswordChange,
    client: &ClientInfo,
) -> ApiResult<TokenResponse> {
    const ACTION: &str = "account.password_change";
    let id = principal.account_id.ok_or(ApiError::Forbidden)?;
    let store = state.store.as_ref();
    let account = store.account(id).await?;
    let target = Some(account.username.clone());
    let row = audit::draft(Some(principal), None, client, ACTION, target.clone(), None);
    let result = change_checked(state, &account, change, client, row).await;
    if result.is_err() {
        let event = Event {
            action: ACTION,
            target,
            outcome: audit::outcome_of(&result),
            detail: match &result {
                Err(ApiError::TooManyRequests { .. }) => Some(serde_json::json!({"reason": "throttled"})),
                _ => None,
            },
        };
        audit::record(store, Some(principal), None, client, event).await?;
    }
    result
}

/// The checks and the change of [`change_own_password`]; `audit` is the change's row.
async fn change_checked(
    state: &AppState,
    account: &Account,
    change: &PasswordChange,
    client: &ClientInfo,
    audit: AuditDraft<()>,
) -> ApiResult<TokenResponse> {
    let store = state.store.as_ref();
    let attempt = state
        .login_throttle
        .begin(&account.username, address_key(client), std::time::Instant::now())
        .map_err(|wait| ApiError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        })?;
    let right =
        password::verify_off_thread(change.current_password.clone(), account.password_hash.clone()).await?;
    let mut e = FieldErrors::default();
    if !right {
        e.push("current_password", "wrong", "現在のパスワードが違います。");
        return Err(ApiError::Validation(e.0));
    }
    state.login_throttle.succeeded(&attempt);
    password_policy::check(&mut e, "new_password", &account.username, &change.new_password);
    if e.is_empty() && change.new_password == change.current_password {
        e.push(
            "new_password",
            "unchanged",
            "現在のパスワードと同じです。別のパスワードにしてください。",
        );
    }
    e.into_result()?;
    let hash = password::hash_off_thread(change.new_password.clone()).await?;
    store.change_password(account.id, &hash, false, audit).await?;
    let account = store.account(account.id).await?;
    grant(state, &account, uuid::Uuid::new_v4().to_string()).await
}

/// Sets `account`'s password outside a login: an administrator's reset (`must_change`: the
/// account chooses its own at the next login) or the operator's `attaka admin set-password`.
/// The policy applies; every session of the account ends; the throttle forgets its failures.
/// `audit` is the change's row, appended in its transaction.
pub async fn set_password(
    state_store: &dyn CommonStore,
    throttle: Option<&LoginThrottle>,
    account: &Account,
    new_password: &str,
    must_change: bool,
    audit: AuditDraft<()>,
) -> ApiResult<()> {
    let mut e = FieldErrors::default();
    password_policy::check(&mut e, "new_password", &account.username, new_password);
    e.into_result()?;
    let hash = password::hash_off_thread(new_password.to_owned()).await?;
    state_store
        .change_password(account.id, &hash, must_change, audit)
        .await?;
    if let Some(t) = throttle {
        t.clear_account(&account.username);
    }
    Ok(())
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
    let regions = policy::regions_for(store, &creator.scope).await?;
    let today = crate::domain::clock::today_jst();
    // Who may grant extracts at all is the policy table's to say (403 otherwise).
    if !creator.covers_scope(&new.scope, &centers, &regions, today)
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
        created_by: creator.account_id,
        extracts: new.extracts,
    };
    let stored = store
        .create_api_token(&record, &token_hash(&token), creator.account_id, audit)
        .await?;
    Ok(CreatedApiToken {
        token,
        info: stored.to_view(ApiTokenStatus::Active),
    })
}

/// Whether an API token works now: not revoked or expired, and the account that created it
/// still enabled, holding a role that issues tokens (and grants the token's extracts), with a
/// scope covering the token's.
pub async fn token_status(store: &dyn CommonStore, token: &ApiToken) -> ApiResult<ApiTokenStatus> {
    let creator = match token.created_by {
        None => None,
        Some(id) => match store.account(id).await {
            Ok(a) => Some(Some(a)),
            Err(StoreError::NotFound) => Some(None),
            Err(e) => return Err(e.into()),
        },
    };
    let (centers, regions) = match &creator {
        // A municipality's or region's scope covers a centre's only through the centre's
        // municipality (and its region).
        Some(Some(a)) if matches!(a.scope, Scope::Municipality(_) | Scope::Region(_)) => (
            store.centers().await?,
            policy::regions_for(store, &a.scope).await?,
        ),
        _ => (Vec::new(), Default::default()),
    };
    let creator = match &creator {
        None => Creator::Unrecorded,
        Some(None) => Creator::Gone,
        Some(Some(a)) => Creator::Account(a),
    };
    let today = crate::domain::clock::today_jst();
    Ok(token.status(today, creator, |a| {
        let as_principal = Principal {
            account_id: Some(a.id),
            api_token_id: None,
            name: a.username.clone(),
            role: a.role,
            scope: a.scope.clone(),
            session: None,
        };
        policy::allows(a.role, Permission::ManageApiTokens)
            && as_principal.covers_scope(&token.scope, &centers, &regions, today)
            && policy::may_grant_extracts(a.role, token.extracts, &token.scope)
    }))
}
