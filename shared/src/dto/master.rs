//! Master data: organisation (municipalities, centres, sites) and code lists.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One entry of a code list (functions, categories, age bands, care levels, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MasterItem {
    pub code: String,
    /// Japanese label.
    pub label: String,
    pub sort_order: i32,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MunicipalityView {
    /// 全国地方公共団体コード (6 digits with check digit).
    pub code: String,
    pub name: String,
    pub kana: String,
    pub sort_order: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CenterView {
    /// Centre code, `C` and three digits.
    pub code: String,
    pub name: String,
    pub municipality: String,
    /// 運営主体 (e.g. 社会福祉協議会).
    pub operator_body: String,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SiteView {
    /// Site code, the centre code then `-S` and two digits.
    pub code: String,
    pub center: String,
    pub name: String,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CenterInput {
    pub code: String,
    pub name: String,
    pub municipality: String,
    pub operator_body: String,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SiteInput {
    pub code: String,
    pub name: String,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
}

/// A municipality's membership of a region for a period (whole fiscal years: from an April 1st,
/// to a March 31st or open).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegionMember {
    /// 全国地方公共団体コード.
    pub municipality: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

/// A region (a prefectural regional office's area, e.g. 安芸福祉保健所) and the municipalities it
/// covers. A municipality belongs to at most one region at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegionView {
    /// Lower-case letters, digits and `-` (e.g. `aki`, `chuo-east`): the `region:<code>` scope.
    pub code: String,
    pub name: String,
    pub sort_order: i32,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub members: Vec<RegionMember>,
}

/// Creating or replacing a region (its members are replaced as a whole).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegionInput {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub sort_order: i32,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub members: Vec<RegionMember>,
}
