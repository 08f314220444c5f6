//! The optional duplicate hint: "this may be the person already registered as <common ID> at
//! <centre>". Staff ask their centre node (`POST /api/v1/persons/duplicate-hints`) with the
//! person's フリガナ and birth date; the node sends the hub only a keyed hash of them
//! (`POST /api/v1/sync/duplicate-hints`, centre credential). See `docs/sync.md`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Staff's question to their centre node, before registering someone. Stays on the node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DuplicateHintQuery {
    /// フリガナ (katakana, hiragana or half-width katakana), as on the registration form.
    pub family_kana: String,
    pub given_kana: String,
    pub birth_date: NaiveDate,
}

/// Whether the hint could be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DuplicateHintStatus {
    /// The prefecture has not enabled the hint (on the hub, or no key on this centre node, or
    /// this node does not synchronise with a hub). Nothing was sent.
    Disabled,
    /// The hub did not answer in time (or refused): register as usual.
    HubUnreachable,
    /// The hub answered that this centre has asked too often in the last minute
    /// (`duplicate_hint.lookups_per_minute`): ask again shortly, or register as usual.
    RateLimited,
    /// The hub was asked; `candidates` is its answer (possibly empty).
    Checked,
}

/// A registration at another centre with the same match key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DuplicateHintCandidate {
    /// 共通利用者番号 to reuse when registering the person here.
    pub common_id: String,
    pub center_code: String,
    pub center_name: String,
}

/// The centre node's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DuplicateHintAnswer {
    pub status: DuplicateHintStatus,
    /// People of other centres who may be this person; none already registered here.
    pub candidates: Vec<DuplicateHintCandidate>,
}

/// A centre node's look-up at the hub (centre credential). Carries the keyed hash only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HubHintQuery {
    /// The asking centre; must be the credential's.
    pub center: String,
    /// HMAC-SHA256 (64 lowercase hex digits) of the normalised フリガナ and birth date.
    pub match_key: String,
}

/// The hub's answer to a look-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HubHintAnswer {
    /// Whether the prefecture has enabled the hint on the hub.
    pub enabled: bool,
    /// Registrations at other centres with this match key, except common IDs the asking centre
    /// already has.
    pub candidates: Vec<DuplicateHintCandidate>,
}
