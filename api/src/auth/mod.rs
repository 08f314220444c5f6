//! Authentication (who is calling) and authorisation (what they may do), in one place.

pub mod accounts;
pub mod password;
pub mod policy;
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
    pub fn of(req: &HttpRequest) -> ClientInfo {
        ClientInfo {
            address: req.connection_info().realip_remote_addr().map(str::to_owned),
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
            let principal = authenticate(&state, token).await?;
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

/// Resolves a bearer token: an integrator API token (`atk_…`) or an access JWT whose session
/// is still live and whose account is enabled.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Principal, ApiError> {
    if token.starts_with(tokens::API_TOKEN_PREFIX) {
        let found = state.store.api_token_by_hash(&tokens::token_hash(token)).await?;
        let today = crate::domain::clock::today_jst();
        return match found {
            Some(t) if !t.revoked && t.expires_on.is_none_or(|e| today <= e) => Ok(Principal {
                account_id: None,
                api_token_id: Some(t.id),
                name: format!("token:{}", t.prefix),
                role: shared::dto::auth::Role::Integrator,
                scope: t.scope,
                session: None,
            }),
            _ => Err(ApiError::Unauthenticated(ProblemCode::InvalidToken)),
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
    state
        .store
        .session_principal(&claims.sid, account_id)
        .await?
        .ok_or(ApiError::Unauthenticated(ProblemCode::SessionRevoked))
}
