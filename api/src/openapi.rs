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
        routes::auth::change_password,
        routes::meta::meta,
        routes::master::municipalities,
        routes::master::centers,
        routes::master::sites,
        routes::master::code_list,
        routes::master::put_center,
        routes::master::put_site,
        routes::master::regions,
        routes::master::put_region,
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
        routes::accounts::reset_password,
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
    modifiers(&BearerAuth, &ErrorResponses),
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

/// Documents the errors every operation can answer besides its own: the ones the node's
/// common layers give (authentication, the role table, malformed URLs and bodies, the other
/// node role's routes). A test calls every operation in invalid ways and fails on any status
/// the document does not list for it.
struct ErrorResponses;

fn problem(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let api = path.starts_with("/api/v1/");
            let has_path_params = path.contains('{');
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_body = operation.request_body.is_some();
                let responses = &mut operation.responses.responses;
                let mut add = |status: &str, description: &str| {
                    responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description));
                };
                add(
                    "400",
                    "bad_request / validation: a malformed URL (broken %-encoding, a control character, a traversal attempt), query or body; `errors` names each field",
                );
                if secured {
                    add(
                        "401",
                        "unauthenticated, invalid_token, token_expired, session_revoked: no valid bearer token",
                    );
                    add(
                        "403",
                        "forbidden (the caller's role may not do this, or it is outside the scope), password_change_required",
                    );
                }
                if api && (secured || has_path_params) {
                    add(
                        "404",
                        "not_found: no such record in the caller's scope, or a route of the other node role (centre-only on the hub, hub-only on a centre)",
                    );
                }
                if has_body {
                    add("413", "payload_too_large: the body is over server.body_limit");
                }
            }
        }
    }
}

/// The document as pretty JSON with a trailing newline, as committed in `openapi/openapi.json`.
pub fn json() -> String {
    let mut s = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}

/// The methods the document lists for `path` (a route pattern such as
/// `/api/v1/persons/{common_id}`), upper case, for a 405's `Allow` header.
pub fn methods_of(path: &str) -> Vec<&'static str> {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    let doc = DOC.get_or_init(ApiDoc::openapi);
    let Some(item) = doc.paths.paths.get(path) else {
        return Vec::new();
    };
    [
        ("GET", item.get.is_some()),
        ("PUT", item.put.is_some()),
        ("POST", item.post.is_some()),
        ("DELETE", item.delete.is_some()),
        ("PATCH", item.patch.is_some()),
    ]
    .into_iter()
    .filter_map(|(m, has)| has.then_some(m))
    .collect()
}
