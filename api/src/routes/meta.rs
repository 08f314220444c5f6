//! `/meta`: the node's role and version, and the caller's role and scope.

use actix_web::web;
use shared::dto::meta::MetaView;
use shared::error::Problem;

use crate::auth::{Caller, Permission};
use crate::domain::clock;
use crate::error::ApiResult;
use crate::startup::AppState;

/// What this node is and who is asking.
#[utoipa::path(get, path = "/api/v1/meta", tag = "meta", security(("bearer" = [])),
    responses((status = 200, body = MetaView), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn meta(state: web::Data<AppState>, caller: Caller) -> ApiResult<web::Json<MetaView>> {
    let p = caller.require(Permission::ReadMaster)?;
    Ok(web::Json(MetaView {
        node_role: state.settings.node.role,
        center: state.node_center.as_ref().map(|c| c.to_string()),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        time_zone: clock::TIME_ZONE.to_owned(),
        server_time: clock::now_jst(),
        role: p.role,
        scope: p.scope.clone(),
    }))
}
