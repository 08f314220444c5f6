//! The code lists the filters choose from, limited to the caller's scope.

use std::sync::Arc;

use leptos::prelude::*;
use shared::dto::auth::Scope;
use shared::dto::master::{MasterItem, RegionView, SiteView};

use crate::api::{self, ApiError};
use crate::session::Session;

/// The API's code for "in no region" in `filter=region:…` (labelled 所属なし in its tables).
pub const NO_REGION: &str = "unknown";

/// Code lists the filters need beyond [`crate::master::MasterData`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FigureLists {
    pub functions: Vec<MasterItem>,
    pub groups: Vec<MasterItem>,
    pub age_bands: Vec<MasterItem>,
    pub sites: Vec<SiteView>,
}

impl FigureLists {
    pub async fn load(session: Session) -> Result<FigureLists, ApiError> {
        let (functions, groups, age_bands, sites) = futures::try_join!(
            api::code_list(session, "functions"),
            api::code_list(session, "groups"),
            api::code_list(session, "age_bands"),
            api::master_sites(session),
        )?;
        let sorted = |mut items: Vec<MasterItem>| {
            items.sort_by_key(|i| i.sort_order);
            items
        };
        Ok(FigureLists {
            functions: sorted(functions),
            groups: sorted(groups),
            age_bands: sorted(age_bands),
            sites,
        })
    }
}

/// `(code, label)` choices of a filter on `dimension`, limited to the caller's scope.
pub fn filter_choices(
    dimension: &str,
    scope: &Scope,
    master: &crate::master::MasterData,
    lists: &FigureLists,
) -> Vec<(String, String)> {
    choices_on(dimension, scope, master, lists, crate::clock::today_jst())
}

/// [`filter_choices`] with a region's municipalities as of `today`.
fn choices_on(
    dimension: &str,
    scope: &Scope,
    master: &crate::master::MasterData,
    lists: &FigureLists,
    today: chrono::NaiveDate,
) -> Vec<(String, String)> {
    let items = |list: &[MasterItem]| {
        list.iter()
            .map(|i| (i.code.clone(), i.label.clone()))
            .collect::<Vec<_>>()
    };
    let center_in_scope = |center: &str, municipality: &str| match scope {
        Scope::Prefecture => true,
        Scope::Municipality(m) => m == municipality,
        // Today's municipalities of the region (the server answers by each fact's date).
        Scope::Region(r) => master.region_of(municipality, today) == Some(r.as_str()),
        Scope::Center(c) => c == center,
    };
    match dimension {
        // The regional offices in the prefecture's order; a region account has its own only.
        // 所属なし (a municipality in no region, such as 高知市) is the API's `unknown`.
        "region" => {
            let mut regions: Vec<&RegionView> = master
                .regions
                .iter()
                .filter(|r| match scope {
                    Scope::Prefecture => true,
                    Scope::Region(own) => *own == r.code,
                    Scope::Municipality(_) | Scope::Center(_) => false,
                })
                .collect();
            regions.sort_by_key(|r| r.sort_order);
            let mut out: Vec<(String, String)> = regions
                .into_iter()
                .map(|r| (r.code.clone(), r.name.clone()))
                .collect();
            if matches!(scope, Scope::Prefecture) && !out.is_empty() {
                out.push((NO_REGION.to_owned(), "所属なし".to_owned()));
            }
            out
        }
        "municipality" => {
            // Only municipalities that have a centre the caller may see.
            let mut out: Vec<(String, String)> = master
                .municipalities
                .iter()
                .filter(|m| {
                    master
                        .centers
                        .iter()
                        .any(|c| c.municipality == m.code && center_in_scope(&c.code, &c.municipality))
                })
                .map(|m| (m.code.clone(), m.name.clone()))
                .collect();
            out.dedup();
            out
        }
        "center" => master
            .centers
            .iter()
            .filter(|c| center_in_scope(&c.code, &c.municipality))
            .map(|c| (c.code.clone(), c.name.clone()))
            .collect(),
        "site" => {
            let centers: Vec<&str> = master
                .centers
                .iter()
                .filter(|c| center_in_scope(&c.code, &c.municipality))
                .map(|c| c.code.as_str())
                .collect();
            // Satellites only: the API has no code for "the centre itself" in a filter
            // (`filter=site:` is refused), though `rows=site` shows it as 本所.
            lists
                .sites
                .iter()
                .filter(|s| centers.contains(&s.center.as_str()))
                .map(|s| (s.code.clone(), s.name.clone()))
                .collect()
        }
        "function" => items(&lists.functions),
        "group" => items(&lists.groups),
        "age_band" => items(&lists.age_bands),
        "sex" => items(&master.sex),
        "category" => items(&master.categories),
        "care_level" => items(&master.care_levels),
        "household" => items(&master.households),
        _ => Vec::new(),
    }
}

/// The filter lists of the signed-in session, loaded when a figures screen first needs them.
#[derive(Clone, Copy)]
pub struct Lists(LocalResource<Option<Result<Arc<FigureLists>, ApiError>>>);

impl Lists {
    pub fn new(session: Session) -> Lists {
        Lists(LocalResource::new(move || {
            let signed_in = session.is_signed_in();
            async move {
                if signed_in {
                    Some(FigureLists::load(session).await.map(Arc::new))
                } else {
                    None
                }
            }
        }))
    }

    pub fn get(&self) -> Option<Result<Arc<FigureLists>, ApiError>> {
        self.0.get().flatten()
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use shared::dto::master::{CenterView, MunicipalityView, RegionMember};

    use super::*;
    use crate::master::MasterData;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn municipality(code: &str, name: &str) -> MunicipalityView {
        MunicipalityView {
            code: code.into(),
            name: name.into(),
            kana: String::new(),
            sort_order: 0,
        }
    }

    fn center(code: &str, name: &str, municipality: &str) -> CenterView {
        CenterView {
            code: code.into(),
            name: name.into(),
            municipality: municipality.into(),
            operator_body: String::new(),
            opened_on: date("2009-04-01"),
            closed_on: None,
        }
    }

    fn region(code: &str, name: &str, sort_order: i32, members: &[&str]) -> RegionView {
        RegionView {
            code: code.into(),
            name: name.into(),
            sort_order,
            valid_from: date("2009-04-01"),
            valid_to: None,
            members: members
                .iter()
                .map(|m| RegionMember {
                    municipality: (*m).into(),
                    valid_from: date("2009-04-01"),
                    valid_to: None,
                })
                .collect(),
        }
    }

    /// 高知市 in no region, 室戸市 in 安芸, いの町 in 中央西 (listed out of order).
    fn master() -> MasterData {
        MasterData {
            municipalities: vec![
                municipality("392014", "高知市"),
                municipality("392022", "室戸市"),
                municipality("393860", "いの町"),
            ],
            centers: vec![
                center("C001", "春野", "392014"),
                center("C003", "室戸", "392022"),
                center("C004", "いの", "393860"),
            ],
            regions: vec![
                region("chuo-west", "中央西福祉保健所", 3, &["393860"]),
                region("aki", "安芸福祉保健所", 1, &["392022"]),
            ],
            ..MasterData::default()
        }
    }

    fn choices(dimension: &str, scope: &Scope) -> Vec<(String, String)> {
        choices_on(
            dimension,
            scope,
            &master(),
            &FigureLists::default(),
            date("2024-10-01"),
        )
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(c, l)| ((*c).to_owned(), (*l).to_owned()))
            .collect()
    }

    #[test]
    fn the_prefecture_filters_on_every_region_in_order_and_on_no_region() {
        assert_eq!(
            choices("region", &Scope::Prefecture),
            pairs(&[
                ("aki", "安芸福祉保健所"),
                ("chuo-west", "中央西福祉保健所"),
                (NO_REGION, "所属なし"),
            ])
        );
    }

    #[test]
    fn a_region_account_filters_on_its_own_region_its_municipalities_and_centres_only() {
        let aki = Scope::Region("aki".into());
        assert_eq!(choices("region", &aki), pairs(&[("aki", "安芸福祉保健所")]));
        assert_eq!(choices("municipality", &aki), pairs(&[("392022", "室戸市")]));
        assert_eq!(choices("center", &aki), pairs(&[("C003", "室戸")]));
    }

    #[test]
    fn municipal_and_centre_accounts_get_no_region_choices() {
        assert!(choices("region", &Scope::Municipality("392014".into())).is_empty());
        assert!(choices("region", &Scope::Center("C001".into())).is_empty());
    }

    #[test]
    fn the_region_filter_is_offered_to_the_prefecture_and_region_accounts_only() {
        use crate::figures::offered_dimension;
        assert!(offered_dimension(&Scope::Prefecture, "region"));
        assert!(offered_dimension(&Scope::Region("aki".into()), "region"));
        assert!(!offered_dimension(
            &Scope::Municipality("392014".into()),
            "region"
        ));
        assert!(!offered_dimension(&Scope::Center("C001".into()), "region"));
    }
}
