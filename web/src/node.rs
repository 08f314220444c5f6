//! What this node is (centre or hub, which centre) and what the signed-in caller may do here,
//! from `GET /meta`, loaded once per sign-in and shared through context.

use leptos::prelude::*;
use shared::dto::auth::Role;
use shared::dto::meta::{MetaView, NodeRole};

use crate::api::{self, ApiError};
use crate::session::Session;

#[derive(Clone, Copy)]
pub struct Node(LocalResource<Option<Result<MetaView, ApiError>>>);

impl Node {
    pub fn provide(session: Session) -> Node {
        let resource = LocalResource::new(move || {
            let signed_in = session.is_signed_in();
            async move {
                if signed_in {
                    Some(api::meta(session).await)
                } else {
                    None
                }
            }
        });
        let node = Node(resource);
        provide_context(node);
        node
    }

    pub fn expect() -> Node {
        expect_context::<Node>()
    }

    /// `None` while loading (or signed out).
    pub fn get(&self) -> Option<Result<MetaView, ApiError>> {
        self.0.get().flatten()
    }

    pub fn meta(&self) -> Option<MetaView> {
        self.get().and_then(Result::ok)
    }

    /// Whether the people registry is open to the caller here: a centre node, a centre account.
    /// `None` while /meta is loading.
    pub fn can_use_persons(&self) -> Option<bool> {
        self.get().map(|meta| meta.is_ok_and(|m| persons_allowed(&m)))
    }
}

/// The people registry lives on centre nodes and only centre accounts may use it.
pub fn persons_allowed(meta: &MetaView) -> bool {
    meta.node_role == NodeRole::Center && matches!(meta.role, Role::CenterStaff | Role::CenterAdmin)
}

/// `センター` or `県ハブ`.
pub fn node_role_label(role: NodeRole) -> &'static str {
    match role {
        NodeRole::Center => "センター",
        NodeRole::Hub => "県ハブ",
    }
}
