//! The HTTP layer: the one URL table of the node.

pub mod accounts;
pub mod activities;
pub mod assets;
pub mod audit;
pub mod audited;
pub mod auth;
pub mod duplicate_hints;
pub mod extract;
pub mod extracts;
pub mod hardening;
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

use actix_web::{web, Resource};

/// One path and the methods it answers; any other method gets 405 (problem+json with `Allow`).
fn at(path: &str) -> Resource {
    web::resource(path).default_service(web::to(health::method_not_allowed))
}

/// Every route of `/api/v1`, plus health checks. One resource per path, so a known path asked
/// with another method answers 405 rather than 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(at("/healthz").route(web::get().to(health::healthz)))
        .service(at("/readyz").route(web::get().to(health::readyz)))
        .service(at("/metrics").route(web::get().to(metrics::metrics)))
        .service(
            web::scope("/api/v1")
                .service(at("/auth/login").route(web::post().to(auth::login)))
                .service(at("/auth/refresh").route(web::post().to(auth::refresh)))
                .service(at("/auth/logout").route(web::post().to(auth::logout)))
                .service(at("/auth/me").route(web::get().to(auth::me)))
                .service(at("/auth/password").route(web::post().to(auth::change_password)))
                .service(at("/meta").route(web::get().to(meta::meta)))
                .service(at("/master/municipalities").route(web::get().to(master::municipalities)))
                .service(at("/master/centers").route(web::get().to(master::centers)))
                .service(at("/master/sites").route(web::get().to(master::sites)))
                .service(at("/master/regions").route(web::get().to(master::regions)))
                .service(at("/master/{list}").route(web::get().to(master::code_list)))
                .service(at("/regions/{code}").route(web::put().to(master::put_region)))
                .service(at("/centers/{code}").route(web::put().to(master::put_center)))
                .service(at("/centers/{code}/sites/{site}").route(web::put().to(master::put_site)))
                .service(
                    at("/persons")
                        .route(web::get().to(persons::list))
                        .route(web::post().to(persons::register)),
                )
                // Before `/persons/{common_id}`, which would otherwise take the path.
                .service(at("/persons/duplicate-hints").route(web::post().to(duplicate_hints::check)))
                .service(
                    at("/persons/{common_id}")
                        .route(web::get().to(persons::get))
                        .route(web::put().to(persons::update)),
                )
                .service(at("/persons/{common_id}/end").route(web::post().to(persons::end)))
                .service(
                    at("/persons/{common_id}/participations")
                        .route(web::get().to(activities::person_participations)),
                )
                .service(
                    at("/activities")
                        .route(web::get().to(activities::list))
                        .route(web::post().to(activities::create)),
                )
                .service(
                    at("/activities/{id}")
                        .route(web::get().to(activities::get))
                        .route(web::put().to(activities::update))
                        .route(web::delete().to(activities::delete)),
                )
                .service(
                    at("/activities/{id}/participations/{common_id}")
                        .route(web::put().to(activities::put_participation))
                        .route(web::delete().to(activities::delete_participation)),
                )
                .service(
                    at("/period-locks")
                        .route(web::get().to(period_locks::list))
                        .route(web::post().to(period_locks::lock)),
                )
                .service(at("/period-locks/{id}/unlock").route(web::post().to(period_locks::unlock)))
                .service(
                    at("/accounts")
                        .route(web::get().to(accounts::list))
                        .route(web::post().to(accounts::create)),
                )
                .service(at("/accounts/{id}/unlock").route(web::post().to(accounts::unlock)))
                .service(at("/accounts/{id}/password").route(web::post().to(accounts::reset_password)))
                .service(at("/accounts/{id}/disabled").route(web::put().to(accounts::set_disabled)))
                .service(
                    at("/api-tokens")
                        .route(web::get().to(accounts::list_tokens))
                        .route(web::post().to(accounts::create_token)),
                )
                .service(at("/api-tokens/{id}").route(web::delete().to(accounts::revoke_token)))
                .service(at("/stats").route(web::get().to(stats::stats)))
                .service(at("/extracts/{kind}").route(web::get().to(extracts::extract)))
                .service(at("/audit").route(web::get().to(audit::search)))
                .service(at("/ops/uptime").route(web::get().to(ops::uptime)))
                .service(at("/ops/due").route(web::get().to(ops_log::due)))
                .service(at("/ops/reports/{kind}").route(web::get().to(ops::report)))
                .service(
                    at("/ops/inquiries")
                        .route(web::get().to(ops_log::list_inquiries))
                        .route(web::post().to(ops_log::create_inquiry)),
                )
                .service(
                    at("/ops/inquiries/{id}")
                        .route(web::get().to(ops_log::get_inquiry))
                        .route(web::put().to(ops_log::update_inquiry)),
                )
                .service(
                    at("/ops/incidents")
                        .route(web::get().to(ops_log::list_incidents))
                        .route(web::post().to(ops_log::create_incident)),
                )
                .service(
                    at("/ops/incidents/{id}")
                        .route(web::get().to(ops_log::get_incident))
                        .route(web::put().to(ops_log::update_incident)),
                )
                .service(
                    at("/ops/changes")
                        .route(web::get().to(ops_log::list_changes))
                        .route(web::post().to(ops_log::create_change)),
                )
                .service(at("/ops/changes/{id}").route(web::put().to(ops_log::update_change)))
                .service(
                    at("/ops/maintenance")
                        .route(web::get().to(ops_log::list_maintenance))
                        .route(web::post().to(ops_log::create_maintenance)),
                )
                .service(
                    at("/ops/maintenance/{id}/cancel").route(web::post().to(ops_log::cancel_maintenance)),
                )
                .service(at("/sync/batches").route(web::post().to(sync::receive_batch)))
                .service(
                    at("/sync/credentials")
                        .route(web::get().to(sync::list_credentials))
                        .route(web::post().to(sync::create_credential)),
                )
                .service(at("/sync/credentials/{id}").route(web::delete().to(sync::revoke_credential)))
                .service(at("/sync/period-locks").route(web::get().to(sync::period_locks)))
                .service(at("/sync/status").route(web::get().to(sync::status)))
                .service(at("/sync/duplicate-hints").route(web::post().to(duplicate_hints::hub_lookup)))
                .default_service(web::to(health::api_not_found)),
        );
}
