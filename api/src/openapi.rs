//! The OpenAPI document, generated from the route annotations and DTOs.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Attaka API",
        description = "あったかふれあいセンター 利用者データ管理 (Attaka) REST API v1. \
                       Errors are application/problem+json (RFC 9457) with field-level `errors`.",
    ),
    paths(
        routes::health::healthz,
        routes::health::readyz,
        routes::auth::login,
        routes::auth::refresh,
        routes::auth::logout,
        routes::auth::me,
        routes::meta::meta,
        routes::master::municipalities,
        routes::master::centers,
        routes::master::sites,
        routes::master::code_list,
        routes::master::put_center,
        routes::master::put_site,
        routes::persons::list,
        routes::persons::register,
        routes::persons::get,
        routes::persons::update,
        routes::persons::end,
        routes::duplicate_hints::check,
        routes::activities::create,
        routes::activities::list,
        routes::activities::get,
        routes::activities::update,
        routes::activities::delete,
        routes::activities::put_participation,
        routes::activities::delete_participation,
        routes::activities::person_participations,
        routes::period_locks::list,
        routes::period_locks::lock,
        routes::period_locks::unlock,
        routes::accounts::list,
        routes::accounts::create,
        routes::accounts::unlock,
        routes::accounts::set_disabled,
        routes::accounts::list_tokens,
        routes::accounts::create_token,
        routes::accounts::revoke_token,
        routes::stats::stats,
        routes::extracts::extract,
        routes::audit::search,
        routes::ops::uptime,
        routes::ops::report,
        routes::ops_log::due,
        routes::ops_log::list_inquiries,
        routes::ops_log::create_inquiry,
        routes::ops_log::get_inquiry,
        routes::ops_log::update_inquiry,
        routes::ops_log::list_incidents,
        routes::ops_log::create_incident,
        routes::ops_log::get_incident,
        routes::ops_log::update_incident,
        routes::ops_log::list_changes,
        routes::ops_log::create_change,
        routes::ops_log::update_change,
        routes::ops_log::list_maintenance,
        routes::ops_log::create_maintenance,
        routes::ops_log::cancel_maintenance,
        routes::metrics::metrics,
        routes::sync::receive_batch,
        routes::sync::create_credential,
        routes::sync::list_credentials,
        routes::sync::revoke_credential,
        routes::sync::status,
        routes::duplicate_hints::hub_lookup,
        routes::sync::period_locks,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "ログイン・トークン"),
        (name = "meta", description = "ノード情報"),
        (name = "master", description = "マスタデータ・組織"),
        (name = "persons", description = "利用者台帳（センターノードのみ）"),
        (name = "activities", description = "活動・参加記録・締め（センターノード）"),
        (name = "accounts", description = "アカウント・APIトークン"),
        (name = "stats", description = "統計・匿名化データ抽出"),
        (name = "operations", description = "運用・監査・運用記録（問い合わせ・障害・変更・計画停止）と契約の報告書"),
        (name = "sync", description = "センター→県ハブ同期（匿名化された事実のみ）"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The document as pretty JSON with a trailing newline, as committed in `openapi/openapi.json`.
pub fn json() -> String {
    let mut s = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}
