//! The code lists the activity screens choose from (functions, visit purposes, consultation
//! topics, referral destinations, groups, age bands) and the centre's サテライト, loaded through
//! `crate::api` the first time an activity screen asks for them, and which period locks bind
//! this centre.

use std::sync::Arc;

use chrono::NaiveDate;
use leptos::prelude::*;
use shared::dto::activity::PeriodLockView;
use shared::dto::auth::Scope;
use shared::dto::master::{MasterItem, SiteView};

use crate::activity_rules::FormKind;
use crate::api::{self, ApiError};
use crate::session::Session;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityCodes {
    pub functions: Vec<MasterItem>,
    pub visit_purposes: Vec<MasterItem>,
    pub consultation_topics: Vec<MasterItem>,
    pub referral_destinations: Vec<MasterItem>,
    pub groups: Vec<MasterItem>,
    pub age_bands: Vec<MasterItem>,
    /// Every centre's sites; [`ActivityCodes::sites_of`] picks one centre's.
    pub sites: Vec<SiteView>,
}

impl ActivityCodes {
    async fn load(session: Session) -> Result<ActivityCodes, ApiError> {
        let (functions, visit_purposes, consultation_topics, referral_destinations, groups, age_bands, sites) =
            futures::try_join!(
                api::code_list(session, "functions"),
                api::code_list(session, "visit_purposes"),
                api::code_list(session, "consultation_topics"),
                api::code_list(session, "referral_destinations"),
                api::code_list(session, "groups"),
                api::code_list(session, "age_bands"),
                api::activity_sites(session),
            )?;
        Ok(ActivityCodes {
            functions: sorted(functions),
            visit_purposes: sorted(visit_purposes),
            consultation_topics: sorted(consultation_topics),
            referral_destinations: sorted(referral_destinations),
            groups: sorted(groups),
            age_bands: sorted(age_bands),
            sites,
        })
    }

    /// `集い` for `tsudoi`.
    pub fn function_label(&self, code: &str) -> String {
        crate::master::label(&self.functions, code)
    }

    /// The functions a form of `kind` offers on `on` (the one already chosen stays offered).
    pub fn functions_for(&self, kind: FormKind, on: NaiveDate, chosen: &str) -> Vec<(String, String)> {
        crate::master::choices(&self.functions, on, &[chosen.to_owned()])
            .into_iter()
            .filter(|f| FormKind::for_function(&f.code) == kind)
            .map(|f| (f.code, f.label))
            .collect()
    }

    /// The sites of `center` open on `on` (the one already chosen stays offered).
    pub fn sites_of(&self, center: &str, on: NaiveDate, chosen: &str) -> Vec<SiteView> {
        self.sites
            .iter()
            .filter(|s| s.center == center)
            .filter(|s| s.code == chosen || (s.opened_on <= on && s.closed_on.is_none_or(|c| on <= c)))
            .cloned()
            .collect()
    }

    /// A site's name, or `センター` for none.
    pub fn site_label(&self, site: Option<&str>) -> String {
        match site {
            None => "センター".to_owned(),
            Some(code) => self
                .sites
                .iter()
                .find(|s| s.code == code)
                .map_or_else(|| code.to_owned(), |s| s.name.clone()),
        }
    }
}

fn sorted(mut items: Vec<MasterItem>) -> Vec<MasterItem> {
    items.sort_by_key(|i| i.sort_order);
    items
}

/// The activity code lists of the session, loaded on first use and shared through context.
#[derive(Clone, Copy)]
pub struct ActivityMaster {
    wanted: RwSignal<bool>,
    resource: LocalResource<Option<Result<Arc<ActivityCodes>, ApiError>>>,
}

impl ActivityMaster {
    pub fn provide(session: Session) -> ActivityMaster {
        let wanted = RwSignal::new(false);
        let resource = LocalResource::new(move || {
            let load = session.is_signed_in() && wanted.get();
            async move {
                if load {
                    Some(ActivityCodes::load(session).await.map(Arc::new))
                } else {
                    None
                }
            }
        });
        let master = ActivityMaster { wanted, resource };
        provide_context(master);
        master
    }

    /// The lists, starting to load them if no screen has asked before.
    pub fn expect() -> ActivityMaster {
        let master = expect_context::<ActivityMaster>();
        if !master.wanted.get_untracked() {
            master.wanted.set(true);
        }
        master
    }

    /// `None` while loading.
    pub fn get(&self) -> Option<Result<Arc<ActivityCodes>, ApiError>> {
        self.resource.get().flatten()
    }
}

/// The locks that bind a centre: its own, its municipality's and the prefecture's, still in force.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Locks(Vec<PeriodLockView>);

impl Locks {
    pub fn binding(all: Vec<PeriodLockView>, center: &str, municipality: Option<&str>) -> Locks {
        Locks(
            all.into_iter()
                .filter(|l| l.unlocked_at.is_none())
                .filter(|l| match &l.scope {
                    Scope::Prefecture => true,
                    Scope::Municipality(m) => Some(m.as_str()) == municipality,
                    // Never set (locks freeze a municipality, a centre or the prefecture).
                    Scope::Region(_) => false,
                    Scope::Center(c) => c == center,
                })
                .collect(),
        )
    }

    /// The lock covering `date`, if any.
    pub fn on(&self, date: NaiveDate) -> Option<&PeriodLockView> {
        self.0.iter().find(|l| l.from <= date && date <= l.to)
    }

    pub fn is_locked(&self, date: NaiveDate) -> bool {
        self.on(date).is_some()
    }
}

/// `2024年度` or `2024年5月` for a lock's period (`FY2024` / `2024-05`).
pub fn lock_period_label(lock: &PeriodLockView) -> String {
    match lock.period.strip_prefix("FY") {
        Some(year) => format!("{year}年度"),
        None => match lock.period.split_once('-') {
            Some((y, m)) => format!("{y}年{}月", m.trim_start_matches('0')),
            None => lock.period.clone(),
        },
    }
}

/// The locks binding `center` (its municipality is looked up in the master data).
pub async fn load_locks(session: Session, center: String) -> Result<Locks, ApiError> {
    let (locks, centers) = futures::try_join!(api::period_locks(session), api::centers(session))?;
    let municipality = centers
        .into_iter()
        .find(|c| c.code == center)
        .map(|c| c.municipality);
    Ok(Locks::binding(locks, &center, municipality.as_deref()))
}

/// This node's centre code (empty while `/meta` is unknown, which routes do not let happen).
pub fn home_center() -> String {
    untrack(|| crate::node::Node::expect().meta())
        .and_then(|m| m.center)
        .unwrap_or_default()
}
