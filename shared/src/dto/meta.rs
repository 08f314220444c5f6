//! `GET /api/v1/meta`: what this node is and who is asking.

use serde::{Deserialize, Serialize};

use super::auth::{Role, Scope};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NodeRole {
    Center,
    Hub,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetaView {
    pub node_role: NodeRole,
    /// The centre this node belongs to (centre nodes only).
    pub center: Option<String>,
    pub version: String,
    pub time_zone: String,
    pub server_time: chrono::DateTime<chrono::FixedOffset>,
    pub role: Role,
    pub scope: Scope,
}
