//! Authentication (who is calling) and authorisation (what they may do), in one place.

pub mod accounts;
pub mod client;
pub mod password;
pub mod policy;
pub mod throttle;
pub mod tokens;

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpMessage, HttpRequest};

use crate::domain::account::Principal;
use crate::error::ApiError;
use crate::startup::AppState;
pub use policy::Permission;
use shared::error::ProblemCode;

/// Where a request came from, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub address: Option<String>,
    pub request_id: Option<String>,
}

/// The request ID set by the request middleware.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl ClientInfo {
    /// The client's address (forwarding headers believed only from `server.trusted_proxies`,
    /// see [`client::client_ip`]) and the request ID.
    pub fn of(req: &HttpRequest) -> ClientInfo {
        let state = req.app_data::<web::Data<AppState>>();
        let proxies = state.map_or(&[][..], |s| s.settings.server.trusted_proxies.as_slice());
        let peer = req.peer_addr().map(|a| a.ip());
        ClientInfo {
            address: client::client_ip(peer, req.headers(), proxies).map(|ip| ip.to_string()),
            request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
        }
    }
}

impl FromRequest for ClientInfo {
    type Error = ApiError;
    type Future = std::future::Ready<Result<ClientInfo, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(ClientInfo::of(req)))
    }
}

/// An authenticated caller. Extracting it answers 401 when there is no valid token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub client: ClientInfo,
}

impl Caller {
    /// Refuses with 403 unless the caller's role has `permission`.
    pub fn require(&self, permission: Permission) -> Result<&Principal, ApiError> {
        if policy::allows(self.principal.role, permission) {
            Ok(&self.principal)
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AppState missing")))
}

/// The token of an `Authorization: Bearer …` header.
fn bearer_token(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Caller, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            let token = bearer_token(&req).ok_or(ApiError::Unauthenticated(ProblemCode::Unauthenticated))?;
            let (principal, must_change_password) = authenticate(&state, token).await?;
            if must_change_password && !PASSWORD_CHANGE_PATHS.contains(&req.path()) {
                return Err(ApiError::PasswordChangeRequired);
            }
            Ok(Caller {
                principal,
                client: ClientInfo::of(&req),
            })
        })
    }
}

/// A centre node delivering sync batches with its credential (`Authorization: Bearer ats_…`).
/// Only the hub accepts one (elsewhere: 404); an unknown or revoked credential is a 401.
#[derive(Debug, Clone)]
pub struct CenterCredential {
    /// The centre the credential may deliver for.
    pub center: String,
    pub credential: crate::domain::sync::SyncCredential,
    pub client: ClientInfo,
}

impl FromRequest for CenterCredential {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<CenterCredential, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            if state.settings.node.role != shared::dto::meta::NodeRole::Hub {
                return Err(ApiError::NotFound);
            }
            let token = bearer_token(&req)
                .filter(|t| t.starts_with(tokens::SYNC_CREDENTIAL_PREFIX))
                .ok_or(ApiError::Unauthenticated(ProblemCode::Unauthenticated))?;
            let found = state
                .hub_store()?
                .sync_credential_by_hash(&tokens::token_hash(token))
                .await?;
            let client = ClientInfo::of(&req);
            match found {
                Some(credential) => match policy::sync_center(&credential) {
                    Some(center) => Ok(CenterCredential {
                        center: center.to_owned(),
                        credential,
                        client,
                    }),
                    None => {
                        tracing::warn!(center = %credential.center, id = credential.id, "sync batch with a revoked credential");
                        Err(ApiError::Unauthenticated(ProblemCode::InvalidToken))
                    }
                },
                None => {
                    tracing::warn!(client = ?client.address, "sync batch with an unknown credential");
                    Err(ApiError::Unauthenticated(ProblemCode::InvalidToken))
                }
            }
        })
    }
}

/// What an account that must change its password (after an administrator's reset) may reach.
const PASSWORD_CHANGE_PATHS: [&str; 3] = ["/api/v1/auth/password", "/api/v1/auth/me", "/api/v1/auth/logout"];

/// Resolves a bearer token: an integrator API token (`atk_…`) that is active (its creator
/// still enabled and allowed to issue it), or an access JWT whose session is still live and
/// whose account is enabled. Also says whether the account must change its password first.
pub async fn authenticate(state: &AppState, token: &str) -> Result<(Principal, bool), ApiError> {
    if token.starts_with(tokens::API_TOKEN_PREFIX) {
        let found = state.store.api_token_by_hash(&tokens::token_hash(token)).await?;
        let Some(t) = found else {
            return Err(ApiError::Unauthenticated(ProblemCode::InvalidToken));
        };
        return match accounts::token_status(state.store.as_ref(), &t).await? {
            shared::dto::auth::ApiTokenStatus::Active => Ok((
                Principal {
                    account_id: None,
                    api_token_id: Some(t.id),
                    name: format!("token:{}", t.prefix),
                    role: shared::dto::auth::Role::Integrator,
                    scope: t.scope,
                    session: None,
                },
                false,
            )),
            status => {
                tracing::warn!(token = %t.prefix, ?status, "an API token that no longer works was presented");
                Err(ApiError::Unauthenticated(ProblemCode::InvalidToken))
            }
        };
    }
    let claims = state.jwt.verify(token).map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
            ApiError::Unauthenticated(ProblemCode::TokenExpired)
        }
        _ => ApiError::Unauthenticated(ProblemCode::InvalidToken),
    })?;
    let account_id: i64 = claims
        .sub
        .parse()
        .map_err(|_| ApiError::Unauthenticated(ProblemCode::InvalidToken))?;
    let principal = state
        .store
        .session_principal(&claims.sid, account_id)
        .await?
        .ok_or(ApiError::Unauthenticated(ProblemCode::SessionRevoked))?;
    Ok((principal, claims.pwc))
}
