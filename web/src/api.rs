//! The only module that talks HTTP: typed calls to the Attaka REST API (`/api/v1`), sending and
//! receiving `shared` DTOs and turning `application/problem+json` answers into [`ApiError`].

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::dto::auth::{LoginRequest, LogoutRequest, TokenResponse};
use shared::error::Problem;

/// Same origin as the SPA: the node serves both.
const API_BASE: &str = "/api/v1";

/// Why a call failed, in a form a page can show.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The server refused the request and said why (problem+json).
    Problem(Problem),
    /// The server answered with an error status but no readable problem body.
    Status(u16),
    /// The request never got an answer (server down, network cut).
    Network(String),
    /// The answer could not be read as the expected type.
    Decode(String),
}

impl ApiError {
    /// Japanese message for the user; for a problem it is the server's `detail`.
    pub fn user_message(&self) -> String {
        match self {
            ApiError::Problem(p) if !p.detail.is_empty() => p.detail.clone(),
            ApiError::Problem(p) => p.title.clone(),
            ApiError::Status(status) => {
                format!("サーバーでエラーが発生しました（HTTP {status}）。しばらくしてからもう一度お試しください。")
            }
            ApiError::Network(_) => {
                "サーバーに接続できませんでした。ネットワークを確認して、もう一度お試しください。".to_owned()
            }
            ApiError::Decode(_) => "サーバーの応答を読み取れませんでした。".to_owned(),
        }
    }

    /// The server's message for one request field (e.g. `username`), if it named that field.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            ApiError::Problem(p) => p
                .errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }
}

/// `POST /api/v1/auth/login`.
pub async fn login(request: &LoginRequest) -> Result<TokenResponse, ApiError> {
    let response = send_json(Request::post(&url("/auth/login")), request).await?;
    read_json(response).await
}

/// `POST /api/v1/auth/logout`: revokes the refresh token.
pub async fn logout(access_token: &str, request: &LogoutRequest) -> Result<(), ApiError> {
    let builder = with_bearer(Request::post(&url("/auth/logout")), access_token);
    let response = send_json(builder, request).await?;
    expect_success(response).await
}

fn url(path: &str) -> String {
    format!("{API_BASE}{path}")
}

fn with_bearer(builder: RequestBuilder, access_token: &str) -> RequestBuilder {
    builder.header("Authorization", &format!("Bearer {access_token}"))
}

async fn send_json<B: Serialize + ?Sized>(builder: RequestBuilder, body: &B) -> Result<Response, ApiError> {
    let request = builder
        .header("Accept", "application/json, application/problem+json")
        .json(body)
        .map_err(|e| ApiError::Decode(e.to_string()))?;
    request.send().await.map_err(|e| ApiError::Network(e.to_string()))
}

async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    if !response.ok() {
        return Err(error_from(response).await);
    }
    response
        .json::<T>()
        .await
        .map_err(|e| ApiError::Decode(e.to_string()))
}

async fn expect_success(response: Response) -> Result<(), ApiError> {
    if response.ok() {
        Ok(())
    } else {
        Err(error_from(response).await)
    }
}

async fn error_from(response: Response) -> ApiError {
    let status = response.status();
    match response.json::<Problem>().await {
        Ok(problem) => ApiError::Problem(problem),
        Err(_) => ApiError::Status(status),
    }
}
