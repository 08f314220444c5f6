//! `/sync/*`: centre → hub synchronisation. The hub receives batches from centre nodes holding
//! a credential and issues those credentials; both nodes report their sync state.

use crate::domain::stats_change::StatsChange;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde_json::json;
use shared::common_id::CenterCode;
use shared::dto::meta::NodeRole;
use shared::dto::sync::{
    AckedPosition, CreatedSyncCredential, HubPeriodLocks, NewSyncCredential, SyncAck, SyncBatch,
    SyncCredentialView, SyncStatus,
};
use shared::error::Problem;

use super::audited::CallAudit;
use super::extract::Body;
use crate::auth::tokens::{random_token, token_hash, SYNC_CREDENTIAL_PREFIX};
use crate::auth::{Caller, CenterCredential, Permission};
use crate::domain::sync::{parse_batch, AppliedBatch, BatchRefusal, DateWindow, SyncCredential};
use crate::error::{ApiError, ApiResult};
use crate::startup::AppState;
use crate::store::StoreError;

pub(crate) fn hub_only(state: &AppState) -> ApiResult<()> {
    match state.settings.node.role {
        NodeRole::Hub => Ok(()),
        NodeRole::Center => Err(ApiError::NotFound),
    }
}

/// Receive a batch of a centre's outbox (hub; centre credential). Entries the hub already has
/// are skipped, so a batch delivered twice changes nothing. Unknown fields, and any entry about
/// another centre than the credential's, refuse the whole batch with nothing applied.
#[utoipa::path(post, path = "/api/v1/sync/batches", tag = "sync", request_body = SyncBatch,
    security(("bearer" = [])),
    responses((status = 200, description = "applied (now or before)", body = SyncAck),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "an entry about another centre", body = Problem,
               content_type = "application/problem+json"),
              (status = 409, description = "`sync_out_of_order`: start a new stream with a snapshot",
               body = Problem, content_type = "application/problem+json")))]
pub async fn receive_batch(
    state: web::Data<AppState>,
    sender: CenterCredential,
    Body(batch): Body<SyncBatch>,
) -> ApiResult<web::Json<SyncAck>> {
    let audit = CallAudit::by_sender(&state, &sender, "sync.batch");
    let (batch_seq, entries) = (batch.batch_seq, batch.entries.len());
    let result = async {
        let codes = state.store.codes().await?;
        let open = match state.store.center(&sender.center).await {
            Ok(c) => Some((c.opened_on, c.closed_on)),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let window = DateWindow::on(crate::domain::clock::today_jst(), open);
        let valid =
            parse_batch(&batch, &sender.center, &codes, &window).map_err(|refusal| match refusal {
                BatchRefusal::OtherCenter(field) => {
                    tracing::warn!(center = %sender.center, field, "sync batch about another centre refused");
                    ApiError::Forbidden
                }
                BatchRefusal::Invalid(errors) => ApiError::Validation(errors),
            })?;
        let mut valid = valid;
        if !state.settings.duplicate_hint.enabled {
            // The optional duplicate hint is off: no match key is kept (`routes::duplicate_hints`).
            valid.drop_match_keys();
        }
        let row = audit.draft(None, None).completed_by(move |e, a: &AppliedBatch| {
            let detail = json!({"batch_seq": batch_seq, "entries": entries, "applied": a.applied,
                                "skipped": a.skipped, "last_seq": a.last_seq});
            e.set_detail(detail);
        });
        let applied = state
            .hub_store()?
            .apply_sync_batch(&valid, Utc::now(), row)
            .await?;
        // Committed: the answers touching this centre's changed years are no longer current.
        state
            .facts_changed(StatsChange::of_facts(&valid.center, &applied.touched))
            .await;
        Ok::<_, ApiError>(SyncAck {
            center: valid.center,
            stream: valid.stream,
            batch_seq: valid.batch_seq,
            last_seq: applied.last_seq,
            applied: applied.applied,
            skipped: applied.skipped,
        })
    }
    .await;
    let detail = result
        .as_ref()
        .err()
        .map(|e| json!({"batch_seq": batch_seq, "entries": entries, "error": e.code()}));
    audit.write(None, detail, result).await.map(web::Json)
}

/// The period locks made on the hub that cover the credential's centre (hub; centre
/// credential): the centre's own, its municipality's and the prefecture's, active and unlocked,
/// oldest first. The centre node's sender mirrors this list, so a period locked here is refused
/// there too. Nothing about any other centre or municipality is in it. The answer also gives
/// the hub's position in the centre's outbox; the centre reports in the query what the hub last
/// acknowledged, and a hub holding less (restored from an older copy) notes that the centre
/// re-sends and raises `sync_hub_behind` naming the centres.
#[utoipa::path(get, path = "/api/v1/sync/period-locks", tag = "sync", security(("bearer" = [])),
    params(AckedPosition),
    responses((status = 200, body = HubPeriodLocks),
              (status = 401, description = "missing, unknown or revoked credential", body = Problem,
               content_type = "application/problem+json"),
              (status = 404, description = "not a hub", body = Problem, content_type = "application/problem+json")))]
pub async fn period_locks(
    state: web::Data<AppState>,
    sender: CenterCredential,
    reported: web::Query<AckedPosition>,
) -> ApiResult<web::Json<HubPeriodLocks>> {
    let center = state.store.center(&sender.center).await?;
    let grace = chrono::Duration::seconds(state.settings.sync.hub_behind_clear_after_seconds);
    let hub = crate::sync::hub_watch::centre_reported(
        state.hub_store()?,
        &center.code,
        &reported,
        grace,
        Utc::now(),
    )
    .await?;
    let mut locks: Vec<_> = state
        .store
        .period_locks(true)
        .await?
        .iter()
        .filter(|l| l.covers(&center))
        .map(|l| l.to_hub_dto())
        .collect();
    locks.sort_by_key(|l| l.id);
    Ok(web::Json(HubPeriodLocks {
        center: center.code,
        locks,
        position: Some(crate::domain::sync::position::to_view(hub.as_ref())),
    }))
}

/// Issue a credential for a centre (hub, prefecture). The credential is in this answer only:
/// configure the centre node with it (`[sync] credential`); the hub keeps only its hash.
#[utoipa::path(post, path = "/api/v1/sync/credentials", tag = "sync", request_body = NewSyncCredential,
    security(("bearer" = [])),
    responses((status = 201, body = CreatedSyncCredential),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn create_credential(
    state: web::Data<AppState>,
    caller: Caller,
    Body(input): Body<NewSyncCredential>,
) -> ApiResult<HttpResponse> {
    let audit = CallAudit::by(&state, &caller, "sync.credential.create");
    let result = async {
        let p = caller.require(Permission::ManageSyncCredentials)?;
        hub_only(&state)?;
        let unknown = || ApiError::field("center", "unknown_code", "センターコードが登録されていません。");
        let code = CenterCode::parse(input.center.trim()).map_err(|_| unknown())?;
        match state.store.center(code.as_str()).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => return Err(unknown()),
            Err(e) => return Err(e.into()),
        }
        let credential = random_token(SYNC_CREDENTIAL_PREFIX)?;
        let prefix: String = credential
            .chars()
            .take(SYNC_CREDENTIAL_PREFIX.len() + 8)
            .collect();
        let stored = state
            .hub_store()?
            .create_sync_credential(
                code.as_str(),
                &token_hash(&credential),
                &prefix,
                p.account_id,
                audit.draft(Some(code.to_string()), None),
            )
            .await?;
        Ok(CreatedSyncCredential {
            credential,
            info: stored.to_view(),
        })
    }
    .await;
    let created = audit.write(None, None, result).await?;
    Ok(HttpResponse::Created().json(created))
}

/// The centres' credentials, revoked ones included (hub, prefecture). Never the secret.
#[utoipa::path(get, path = "/api/v1/sync/credentials", tag = "sync", security(("bearer" = [])),
    responses((status = 200, body = [SyncCredentialView]),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_credentials(
    state: web::Data<AppState>,
    caller: Caller,
) -> ApiResult<web::Json<Vec<SyncCredentialView>>> {
    caller.require(Permission::ManageSyncCredentials)?;
    hub_only(&state)?;
    let all = state.hub_store()?.sync_credentials().await?;
    Ok(web::Json(all.iter().map(|c| c.to_view()).collect()))
}

/// Revoke a credential at once (hub, prefecture); the centre's next delivery is refused (401).
#[utoipa::path(delete, path = "/api/v1/sync/credentials/{id}", tag = "sync", security(("bearer" = [])),
    params(("id" = i64, Path, description = "credential ID")),
    responses((status = 200, body = SyncCredentialView),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_credential(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> ApiResult<web::Json<SyncCredentialView>> {
    let audit = CallAudit::by(&state, &caller, "sync.credential.revoke");
    let result = async {
        caller.require(Permission::ManageSyncCredentials)?;
        hub_only(&state)?;
        let row = audit.draft::<SyncCredential>(Some(id.to_string()), None);
        Ok(state
            .hub_store()?
            .revoke_sync_credential(*id, row)
            .await?
            .to_view())
    }
    .await;
    audit
        .write(Some(id.to_string()), None, result)
        .await
        .map(web::Json)
}

/// Synchronisation state. On a centre node: its outbox (backlog, last delivery, last error,
/// whether it is stuck). On the hub: each centre in the caller's scope (last batch and entry).
#[utoipa::path(get, path = "/api/v1/sync/status", tag = "sync", security(("bearer" = [])),
    responses((status = 200, body = SyncStatus),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn status(state: web::Data<AppState>, caller: Caller) -> ApiResult<web::Json<SyncStatus>> {
    let p = caller.require(Permission::ReadSyncStatus)?;
    let centers = state.store.centers().await?;
    // Today's centres of the caller's scope (a region's municipalities as they are today).
    let regions = crate::auth::policy::regions_for(state.store.as_ref(), &p.scope).await?;
    let today = crate::domain::clock::today_jst();
    match state.settings.node.role {
        NodeRole::Hub => {
            let rows = state.hub_store()?.sync_centers().await?;
            let visible = rows
                .iter()
                .filter(|r| {
                    centers
                        .iter()
                        .any(|c| c.code == r.center && p.covers_center(c, &regions, today))
                })
                .map(|r| r.to_view())
                .collect();
            Ok(web::Json(SyncStatus {
                node_role: NodeRole::Hub,
                outbox: None,
                centers: visible,
            }))
        }
        NodeRole::Center => {
            let code = state.node_center.as_ref().ok_or(ApiError::NotFound)?;
            let own = centers
                .iter()
                .find(|c| c.code == code.as_str())
                .ok_or(ApiError::NotFound)?;
            if !p.covers_center(own, &regions, today) {
                return Err(ApiError::Forbidden);
            }
            let outbox =
                crate::sync::outbox_status(state.center_store()?, &state.settings.sync, code.as_str())
                    .await?;
            Ok(web::Json(SyncStatus {
                node_role: NodeRole::Center,
                outbox: Some(outbox),
                centers: Vec::new(),
            }))
        }
    }
}
