//! Master data the screens choose from and label with (municipalities, centres, code lists),
//! loaded once per sign-in through `crate::api` and shared through context.

use std::sync::Arc;

use chrono::NaiveDate;
use leptos::prelude::*;
use shared::dto::master::{CenterView, MasterItem, MunicipalityView, RegionView};

use crate::api::{self, ApiError};
use crate::session::Session;

/// Everything the people screens need to offer choices and turn codes into labels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MasterData {
    pub municipalities: Vec<MunicipalityView>,
    pub centers: Vec<CenterView>,
    /// The regional offices (福祉保健所) and their municipalities with periods.
    pub regions: Vec<RegionView>,
    pub sex: Vec<MasterItem>,
    pub categories: Vec<MasterItem>,
    pub care_levels: Vec<MasterItem>,
    pub households: Vec<MasterItem>,
    pub disability_kinds: Vec<MasterItem>,
    pub end_reasons: Vec<MasterItem>,
}

impl MasterData {
    /// Loads every list at once.
    pub async fn load(session: Session) -> Result<MasterData, ApiError> {
        let (
            municipalities,
            centers,
            regions,
            sex,
            categories,
            care_levels,
            households,
            disability_kinds,
            end_reasons,
        ) = futures::try_join!(
            api::municipalities(session),
            api::centers(session),
            api::regions(session),
            api::code_list(session, "sex"),
            api::code_list(session, "categories"),
            api::code_list(session, "care_levels"),
            api::code_list(session, "households"),
            api::code_list(session, "disability_kinds"),
            api::code_list(session, "end_reasons"),
        )?;
        Ok(MasterData {
            municipalities,
            centers,
            regions,
            sex: sorted(sex),
            categories: sorted(categories),
            care_levels: sorted(care_levels),
            households: sorted(households),
            disability_kinds: sorted(disability_kinds),
            end_reasons: sorted(end_reasons),
        })
    }

    pub fn center_name(&self, code: &str) -> Option<&str> {
        self.centers
            .iter()
            .find(|c| c.code == code)
            .map(|c| c.name.as_str())
    }

    pub fn region_name(&self, code: &str) -> Option<&str> {
        self.regions
            .iter()
            .find(|r| r.code == code)
            .map(|r| r.name.as_str())
    }

    /// The region `municipality` belonged to on `on` (what the server's scope uses too).
    pub fn region_of(&self, municipality: &str, on: NaiveDate) -> Option<&str> {
        self.regions
            .iter()
            .find(|r| {
                r.members.iter().any(|m| {
                    m.municipality == municipality && m.valid_from <= on && m.valid_to.is_none_or(|t| on <= t)
                })
            })
            .map(|r| r.code.as_str())
    }

    pub fn municipality_name(&self, code: &str) -> Option<&str> {
        self.municipalities
            .iter()
            .find(|m| m.code == code)
            .map(|m| m.name.as_str())
    }

    /// The municipality a centre is in (the default residence for people it registers).
    pub fn center_municipality(&self, code: &str) -> Option<&str> {
        self.centers
            .iter()
            .find(|c| c.code == code)
            .map(|c| c.municipality.as_str())
    }
}

/// The label of `code` in `items`, or the code itself if the list does not know it.
pub fn label(items: &[MasterItem], code: &str) -> String {
    items
        .iter()
        .find(|i| i.code == code)
        .map_or_else(|| code.to_owned(), |i| i.label.clone())
}

/// Labels of the chosen `codes`, in the list's order (not the order they were stored in),
/// joined with `、`; unknown codes last, as they are.
pub fn labels_in_order(items: &[MasterItem], codes: &[String]) -> String {
    let known = items
        .iter()
        .filter(|i| codes.contains(&i.code))
        .map(|i| i.label.clone());
    let unknown = codes
        .iter()
        .filter(|c| !items.iter().any(|i| i.code == **c))
        .cloned();
    known.chain(unknown).collect::<Vec<_>>().join("、")
}

/// Items valid on `on` (choices for new input); an item already chosen stays offered.
pub fn choices(items: &[MasterItem], on: chrono::NaiveDate, chosen: &[String]) -> Vec<MasterItem> {
    items
        .iter()
        .filter(|i| {
            let valid = i.valid_from.is_none_or(|f| f <= on) && i.valid_to.is_none_or(|t| on <= t);
            valid || chosen.contains(&i.code)
        })
        .cloned()
        .collect()
}

fn sorted(mut items: Vec<MasterItem>) -> Vec<MasterItem> {
    items.sort_by_key(|i| i.sort_order);
    items
}

/// The master data of the signed-in session, loaded lazily and shared through context.
#[derive(Clone, Copy)]
pub struct Master(LocalResource<Option<Result<Arc<MasterData>, ApiError>>>);

impl Master {
    /// Loads the master data whenever someone signs in; provides it to every component.
    pub fn provide(session: Session) -> Master {
        let resource = LocalResource::new(move || {
            let signed_in = session.is_signed_in();
            async move {
                if signed_in {
                    Some(MasterData::load(session).await.map(Arc::new))
                } else {
                    None
                }
            }
        });
        let master = Master(resource);
        provide_context(master);
        master
    }

    pub fn expect() -> Master {
        expect_context::<Master>()
    }

    /// `None` while loading (or signed out).
    pub fn get(&self) -> Option<Result<Arc<MasterData>, ApiError>> {
        self.0.get().flatten()
    }

    /// Loads everything again (after the prefecture changed regions).
    pub fn reload(&self) {
        self.0.refetch();
    }

    /// The data if loaded, else nothing (for labels in headers that may appear later).
    pub fn data(&self) -> Option<Arc<MasterData>> {
        self.get().and_then(Result::ok)
    }
}
