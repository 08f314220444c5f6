//! The optional duplicate hint: staff ask their centre node whether a person about to be
//! registered may already have a common ID at another centre; the node asks the hub with a keyed
//! hash of the フリガナ and birth date (never the values). Off unless the prefecture enables it
//! (`[duplicate_hint]`, see `docs/sync.md`).

use actix_web::web;
use chrono::NaiveDate;
use serde_json::json;
use shared::dto::duplicate_hint::{
    DuplicateHintAnswer, DuplicateHintQuery, DuplicateHintStatus, HubHintAnswer, HubHintQuery,
};
use shared::error::{FieldError, FieldErrors, Problem};
use shared::kana::validate_kana;

use super::audited::CallAudit;
use super::extract::Body;
use super::persons::own_center;
use crate::auth::{Caller, CenterCredential, Permission};
use crate::domain::clock::today_jst;
use crate::domain::duplicate_hint::is_match_key;
use crate::error::{ApiError, ApiResult};
use crate::startup::AppState;
use crate::sync::hint;

/// The validated question: フリガナ in display form (as a registration would store it).
fn parse_query(q: &DuplicateHintQuery, today: NaiveDate) -> Result<(String, String), Vec<FieldError>> {
    let mut e = FieldErrors::default();
    let mut kana = |field: &str, raw: &str| match validate_kana(raw) {
        Ok(k) => Some(k),
        Err(err) => {
            e.push(field, err.code(), err.to_string());
            None
        }
    };
    let family = kana("family_kana", &q.family_kana);
    let given = kana("given_kana", &q.given_kana);
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
    if q.birth_date > today {
        e.push("birth_date", "future", "生年月日が未来の日付です。");
    } else if q.birth_date < earliest {
        e.push("birth_date", "too_early", "生年月日が1900年より前です。");
    }
    e.into_result()?;
    match (family, given) {
        (Some(f), Some(g)) => Ok((f, g)),
        _ => Err(vec![FieldError::new(
            "family_kana",
            "invalid",
            "フリガナが正しくありません。",
        )]),
    }
}

fn answer(status: DuplicateHintStatus) -> DuplicateHintAnswer {
    DuplicateHintAnswer {
        status,
        candidates: Vec::new(),
    }
}

/// Before registering someone: may they already have a common ID at another centre? (centre
/// node; centre staff and managers). Only a keyed hash of the フリガナ and birth date goes to the
/// hub. The answer is `disabled` when the prefecture has not enabled the hint and
/// `hub_unreachable` when the hub does not answer in time — never an error for either. People
/// already registered at this centre are not offered.
#[utoipa::path(post, path = "/api/v1/persons/duplicate-hints", tag = "persons",
    request_body = DuplicateHintQuery, security(("bearer" = [])),
    responses((status = 200, body = DuplicateHintAnswer),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn check(
    state: web::Data<AppState>,
    caller: Caller,
    Body(input): Body<DuplicateHintQuery>,
) -> ApiResult<web::Json<DuplicateHintAnswer>> {
    let result = async {
        let center = own_center(&state, &caller, Permission::CheckDuplicateHints)?;
        let (family, given) = parse_query(&input, today_jst()).map_err(ApiError::Validation)?;
        let settings = &state.settings;
        let keyer = match settings.duplicate_hint.keyer() {
            Some(k) if hint::centre_takes_part(settings) => k,
            _ => return Ok(answer(DuplicateHintStatus::Disabled)),
        };
        let match_key = keyer.derive(&family, &given, input.birth_date);
        let hub = match hint::ask_hub(settings, center.as_str(), &match_key).await {
            Ok(hub) => hub,
            Err(hint::LookupError::Status(429)) => {
                tracing::warn!(event = "duplicate_hint_rate_limited", "duplicate hint: the hub's budget of look-ups for this centre is spent");
                return Ok(answer(DuplicateHintStatus::RateLimited));
            }
            Err(e) => {
                tracing::warn!(event = "duplicate_hint_hub_unreachable", error = %e, "duplicate hint: no answer from the hub");
                return Ok(answer(DuplicateHintStatus::HubUnreachable));
            }
        };
        if !hub.enabled {
            return Ok(answer(DuplicateHintStatus::Disabled));
        }
        // The hub leaves out what it has of this centre; people registered here but not yet
        // delivered are left out here.
        let ids: Vec<_> = hub
            .candidates
            .iter()
            .filter_map(|c| shared::common_id::CommonId::parse(&c.common_id).ok())
            .collect();
        let here = state.center_store()?.persons_by_ids(center.as_str(), &ids).await?;
        let candidates = hub
            .candidates
            .into_iter()
            .filter(|c| here.iter().all(|p| p.common_id.as_str() != c.common_id))
            .collect();
        Ok::<_, ApiError>(DuplicateHintAnswer {
            status: DuplicateHintStatus::Checked,
            candidates,
        })
    }
    .await;
    // Neither the kana nor the birth date goes into the audit log.
    let detail = match &result {
        Ok(a) => Some(json!({"status": a.status, "candidates": a.candidates.len()})),
        Err(e) => Some(json!({"error": e.problem().code})),
    };
    CallAudit::by(&state, &caller, "person.duplicate_hint")
        .read(None, detail, result)
        .await
        .map(web::Json)
}

/// A centre node's duplicate-hint look-up (hub; centre credential): registrations at other
/// centres with this match key, except common IDs the asking centre already has. While the
/// prefecture has the hint off the answer is `enabled: false` with no candidates. Each centre
/// may ask `duplicate_hint.lookups_per_minute` times a minute; beyond that the answer is 429
/// with `Retry-After`, so the endpoint cannot be used to test guesses quickly.
#[utoipa::path(post, path = "/api/v1/sync/duplicate-hints", tag = "sync", request_body = HubHintQuery,
    security(("bearer" = [])),
    responses((status = 200, body = HubHintAnswer),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "asking as another centre than the credential's", body = Problem,
               content_type = "application/problem+json"),
              (status = 429, description = "the centre's look-ups of the last minute are spent (see `Retry-After`)",
               body = Problem, content_type = "application/problem+json")))]
pub async fn hub_lookup(
    state: web::Data<AppState>,
    sender: CenterCredential,
    Body(query): Body<HubHintQuery>,
) -> ApiResult<web::Json<HubHintAnswer>> {
    let result = async {
        if query.center != sender.center {
            tracing::warn!(center = %sender.center, asked_as = %query.center, "duplicate-hint look-up as another centre refused");
            return Err(ApiError::Forbidden);
        }
        if !is_match_key(&query.match_key) {
            return Err(ApiError::field(
                "match_key",
                "invalid",
                "照合キーは64桁の16進数（小文字）で指定してください。",
            ));
        }
        if !state.settings.duplicate_hint.enabled {
            return Ok(HubHintAnswer {
                enabled: false,
                candidates: Vec::new(),
            });
        }
        if let Err(wait) = state.hint_lookups.check(&sender.center) {
            tracing::warn!(center = %sender.center, "duplicate-hint look-ups over the centre's budget refused");
            return Err(ApiError::TooManyRequests {
                retry_after_secs: wait.as_secs().max(1),
            });
        }
        let candidates = state
            .hub_store()?
            .duplicate_hint_candidates(&query.match_key, &sender.center)
            .await?;
        Ok(HubHintAnswer {
            enabled: true,
            candidates,
        })
    }
    .await;
    // The match key itself is not logged: the log would otherwise keep every look-up's pseudonym.
    let detail = match &result {
        Ok(a) => json!({"enabled": a.enabled, "candidates": a.candidates.len()}),
        Err(e) => json!({"error": e.problem().code}),
    };
    CallAudit::by_sender(&state, &sender, "sync.duplicate_hint")
        .read(None, Some(detail), result)
        .await
        .map(web::Json)
}
