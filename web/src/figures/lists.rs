//! The code lists the filters choose from, limited to the caller's scope.

use std::sync::Arc;

use leptos::prelude::*;
use shared::dto::auth::Scope;
use shared::dto::master::{MasterItem, SiteView};

use crate::api::{self, ApiError};
use crate::session::Session;

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
    let items = |list: &[MasterItem]| {
        list.iter()
            .map(|i| (i.code.clone(), i.label.clone()))
            .collect::<Vec<_>>()
    };
    let center_in_scope = |center: &str, municipality: &str| match scope {
        Scope::Prefecture => true,
        Scope::Municipality(m) => m == municipality,
        // Today's municipalities of the region (the server answers by each fact's date).
        Scope::Region(r) => master.region_of(municipality, crate::clock::today_jst()) == Some(r.as_str()),
        Scope::Center(c) => c == center,
    };
    match dimension {
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
