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
