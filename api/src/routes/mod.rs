//! The HTTP layer: the one URL table of the node.

pub mod accounts;
pub mod activities;
pub mod audit;
pub mod audited;
pub mod auth;
pub mod duplicate_hints;
pub mod extract;
pub mod extracts;
pub mod health;
pub mod master;
pub mod meta;
pub mod metrics;
pub mod ops;
pub mod ops_log;
pub mod period_locks;
pub mod persons;
pub mod stats;
pub mod sync;

use actix_web::web;

/// Every route of `/api/v1`, plus health checks.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(metrics::metrics))
        .service(
            web::scope("/api/v1")
                .route("/auth/login", web::post().to(auth::login))
                .route("/auth/refresh", web::post().to(auth::refresh))
                .route("/auth/logout", web::post().to(auth::logout))
                .route("/auth/me", web::get().to(auth::me))
                .route("/meta", web::get().to(meta::meta))
                .route("/master/municipalities", web::get().to(master::municipalities))
                .route("/master/centers", web::get().to(master::centers))
                .route("/master/sites", web::get().to(master::sites))
                .route("/master/{list}", web::get().to(master::code_list))
                .route("/centers/{code}", web::put().to(master::put_center))
                .route("/centers/{code}/sites/{site}", web::put().to(master::put_site))
                .route("/persons", web::get().to(persons::list))
                .route("/persons", web::post().to(persons::register))
                // Before `/persons/{common_id}`, which would otherwise take the path.
                .route("/persons/duplicate-hints", web::post().to(duplicate_hints::check))
                .route("/persons/{common_id}", web::get().to(persons::get))
                .route("/persons/{common_id}", web::put().to(persons::update))
                .route("/persons/{common_id}/end", web::post().to(persons::end))
                .route(
                    "/persons/{common_id}/participations",
                    web::get().to(activities::person_participations),
                )
                .route("/activities", web::get().to(activities::list))
                .route("/activities", web::post().to(activities::create))
                .route("/activities/{id}", web::get().to(activities::get))
                .route("/activities/{id}", web::put().to(activities::update))
                .route("/activities/{id}", web::delete().to(activities::delete))
                .route(
                    "/activities/{id}/participations/{common_id}",
                    web::put().to(activities::put_participation),
                )
                .route(
                    "/activities/{id}/participations/{common_id}",
                    web::delete().to(activities::delete_participation),
                )
                .route("/period-locks", web::get().to(period_locks::list))
                .route("/period-locks", web::post().to(period_locks::lock))
                .route("/period-locks/{id}/unlock", web::post().to(period_locks::unlock))
                .route("/accounts", web::get().to(accounts::list))
                .route("/accounts", web::post().to(accounts::create))
                .route("/accounts/{id}/unlock", web::post().to(accounts::unlock))
                .route("/accounts/{id}/disabled", web::put().to(accounts::set_disabled))
                .route("/api-tokens", web::get().to(accounts::list_tokens))
                .route("/api-tokens", web::post().to(accounts::create_token))
                .route("/api-tokens/{id}", web::delete().to(accounts::revoke_token))
                .route("/stats", web::get().to(stats::stats))
                .route("/extracts/{kind}", web::get().to(extracts::extract))
                .route("/audit", web::get().to(audit::search))
                .route("/ops/uptime", web::get().to(ops::uptime))
                .route("/ops/due", web::get().to(ops_log::due))
                .route("/ops/reports/{kind}", web::get().to(ops::report))
                .route("/ops/inquiries", web::get().to(ops_log::list_inquiries))
                .route("/ops/inquiries", web::post().to(ops_log::create_inquiry))
                .route("/ops/inquiries/{id}", web::get().to(ops_log::get_inquiry))
                .route("/ops/inquiries/{id}", web::put().to(ops_log::update_inquiry))
                .route("/ops/incidents", web::get().to(ops_log::list_incidents))
                .route("/ops/incidents", web::post().to(ops_log::create_incident))
                .route("/ops/incidents/{id}", web::get().to(ops_log::get_incident))
                .route("/ops/incidents/{id}", web::put().to(ops_log::update_incident))
                .route("/ops/changes", web::get().to(ops_log::list_changes))
                .route("/ops/changes", web::post().to(ops_log::create_change))
                .route("/ops/changes/{id}", web::put().to(ops_log::update_change))
                .route("/ops/maintenance", web::get().to(ops_log::list_maintenance))
                .route("/ops/maintenance", web::post().to(ops_log::create_maintenance))
                .route(
                    "/ops/maintenance/{id}/cancel",
                    web::post().to(ops_log::cancel_maintenance),
                )
                .route("/sync/batches", web::post().to(sync::receive_batch))
                .route("/sync/credentials", web::get().to(sync::list_credentials))
                .route("/sync/credentials", web::post().to(sync::create_credential))
                .route(
                    "/sync/credentials/{id}",
                    web::delete().to(sync::revoke_credential),
                )
                .route("/sync/period-locks", web::get().to(sync::period_locks))
                .route("/sync/status", web::get().to(sync::status))
                .route(
                    "/sync/duplicate-hints",
                    web::post().to(duplicate_hints::hub_lookup),
                )
                .default_service(web::to(health::api_not_found)),
        );
}
