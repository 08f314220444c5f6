//! The application shell (header and main area) and the one route table of the SPA.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{ProtectedRoute, Router, Routes};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::path;

use crate::activity_master::ActivityMaster;
use crate::api;
use crate::components::app_header::{AppHeader, HeaderInfo};
use crate::components::messages::{focus_element, Loading};
use crate::figures::figures_allowed;
use crate::format::scope_label;
use crate::master::Master;
use crate::node::{node_role_label, persons_allowed, Node};
use crate::ops::ops_allowed;
use crate::pages::accounts::AccountsPage;
use crate::pages::activity_calendar::ActivityCalendarPage;
use crate::pages::activity_day::ActivityDayPage;
use crate::pages::activity_detail::ActivityDetailPage;
use crate::pages::activity_edit::ActivityEditPage;
use crate::pages::activity_new::ActivityNewPage;
use crate::pages::extracts::{extracts_allowed, ExtractsPage};
use crate::pages::figures::FiguresPage;
use crate::pages::ops_changes::OpsChangesPage;
use crate::pages::ops_incidents::OpsIncidentsPage;
use crate::pages::ops_inquiries::OpsInquiriesPage;
use crate::pages::ops_maintenance::OpsMaintenancePage;
use crate::pages::ops_reports::OpsReportsPage;
use crate::pages::overview::OverviewPage;
use crate::pages::password::PasswordPage;
use crate::pages::period_locks::PeriodLocksPage;
use crate::pages::regions::RegionsPage;
use crate::pages::sync_status::SyncStatusPage;
use crate::pages::{
    home::HomePage, login::LoginPage, not_found::NotFoundPage, person_detail::PersonDetailPage,
    person_edit::PersonEditPage, person_end::PersonEndPage, person_list::PersonListPage,
    person_new::PersonNewPage,
};
use crate::session::Session;
use crate::sync_state::SyncState;

/// Where an anonymous visitor is sent, and where a signed-in one is not let back to.
pub const LOGIN_PATH: &str = "/login";
pub const HOME_PATH: &str = "/";
/// The people registry.
pub const PERSONS_PATH: &str = "/persons";
/// Recording what the centre did each day (活動記録).
pub const ACTIVITIES_PATH: &str = "/activities";
/// Figures (集計) and the year at a glance (概況), for every role with figures.
pub const FIGURES_PATH: &str = "/figures";
pub const OVERVIEW_PATH: &str = "/overview";

/// Where an account lands after signing in: a regional office on its region's overview,
/// everyone else at home. Both the login page and the `/login` route (which sends a signed-in
/// caller away, possibly before the login page's own navigation) go here, so neither wins a race.
pub fn landing_path(role: Option<shared::dto::auth::Role>) -> &'static str {
    match role {
        Some(shared::dto::auth::Role::Region) => OVERVIEW_PATH,
        _ => HOME_PATH,
    }
}
/// De-identified records (抽出) as workbooks or CSV, for the roles the API lets extract.
pub const EXTRACTS_PATH: &str = "/extracts";
/// Period locks (締め): the prefecture locks and unlocks, municipalities read.
pub const PERIOD_LOCKS_PATH: &str = "/period-locks";
/// Synchronisation with the hub (同期状況), linked from the header's status area.
pub const SYNC_PATH: &str = "/sync";
/// Changing one's own password; where an account whose password was reset is kept until it has.
pub const PASSWORD_PATH: &str = "/password";
/// The accounts an administrator looks after (password resets).
pub const ACCOUNTS_PATH: &str = "/accounts";

/// Account administration: the prefecture and centre managers (the API's ManageAccounts).
pub fn accounts_allowed(role: shared::dto::auth::Role) -> bool {
    matches!(
        role,
        shared::dto::auth::Role::Prefecture | shared::dto::auth::Role::CenterAdmin
    )
}

pub const OPS_PATH: &str = "/ops/inquiries";
pub const REPORTS_PATH: &str = "/ops/reports";

/// The 期間ロック page: the prefecture manages locks, municipal and regional officers read theirs.
fn locks_allowed(role: shared::dto::auth::Role) -> bool {
    matches!(
        role,
        shared::dto::auth::Role::Prefecture
            | shared::dto::auth::Role::Municipality
            | shared::dto::auth::Role::Region
    )
}

/// The 地域（福祉保健所） page: the prefecture, on the hub (where regions are kept).
pub fn regions_allowed(role: shared::dto::auth::Role, meta: Option<&shared::dto::meta::MetaView>) -> bool {
    role == shared::dto::auth::Role::Prefecture
        && meta.is_some_and(|m| m.node_role == shared::dto::meta::NodeRole::Hub)
}

pub const REGIONS_PATH: &str = "/regions";

#[component]
pub fn App() -> impl IntoView {
    let session = Session::provide();
    Node::provide(session);
    Master::provide(session);
    ActivityMaster::provide(session);
    SyncState::provide(session);
    crate::layout::keep_focus_clear_of_sticky_bars();
    view! {
        <Router>
            <Shell />
        </Router>
    }
}

/// Header and routes; inside the router so it can read the location.
#[component]
fn Shell() -> impl IntoView {
    let session = Session::expect();
    let node = Node::expect();
    let master = Master::expect();
    let sync = SyncState::expect();
    let location = use_location();
    let navigate = use_navigate();
    let signing_out = RwSignal::new(false);

    let header = Signal::derive(move || {
        let account = session.account()?;
        let meta = node.meta();
        let data = master.data();
        let center_name = meta.as_ref().and_then(|m| m.center.clone()).map(|code| {
            data.as_ref()
                .and_then(|d| d.center_name(&code).map(str::to_owned))
                .unwrap_or(code)
        });
        let mut nav = vec![(HOME_PATH, "ホーム", "nav-home")];
        if meta.as_ref().is_some_and(persons_allowed) {
            nav.push((ACTIVITIES_PATH, "活動記録", "nav-activities"));
            nav.push((PERSONS_PATH, "利用者", "nav-persons"));
        }
        if meta.as_ref().is_some_and(figures_allowed) {
            nav.push((OVERVIEW_PATH, "概況", "nav-overview"));
            nav.push((FIGURES_PATH, "集計", "nav-figures"));
        }
        if meta.as_ref().is_some_and(extracts_allowed) {
            nav.push((EXTRACTS_PATH, "抽出", "nav-extracts"));
        }
        if locks_allowed(account.role) {
            nav.push((PERIOD_LOCKS_PATH, "期間ロック", "nav-locks"));
        }
        if regions_allowed(account.role, meta.as_ref()) {
            nav.push((REGIONS_PATH, "地域", "nav-regions"));
        }
        if ops_allowed(account.role) {
            nav.push((OPS_PATH, "運用記録", "nav-ops"));
            nav.push((REPORTS_PATH, "報告書", "nav-reports"));
        }
        Some(HeaderInfo {
            node_role: meta.as_ref().map(|m| node_role_label(m.node_role)),
            center_name,
            user_name: account.display_name.clone(),
            role_label: account.role.label(),
            scope_label: scope_label(&account.scope, data.as_deref()),
            nav,
            // A node or role without sync status (403) shows no status area.
            sync: sync
                .get()
                .and_then(Result::ok)
                .map(|s| shared::sync_health::health(&s)),
            sync_path: SYNC_PATH,
        })
    });

    let on_logout = Callback::new(move |()| {
        if signing_out.get_untracked() {
            return;
        }
        if crate::drafts::dirty()
            && !web_sys::window()
                .and_then(|w| w.confirm_with_message(crate::drafts::LOGOUT_QUESTION).ok())
                .unwrap_or(true)
        {
            return;
        }
        signing_out.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            if let Err(err) = api::logout(session).await {
                // Signing out locally must not depend on the server: the access token expires
                // on its own and the refresh token is gone from this browser.
                leptos::logging::warn!("logout request failed: {err:?}");
            }
            session.sign_out();
            signing_out.set(false);
            navigate(LOGIN_PATH, Default::default());
        });
    });

    // After an administrator's reset the server answers nothing but the password change (403
    // password_change_required): keep the account on that page until it is done.
    let to_password = use_navigate();
    Effect::new(move |_| {
        let forced = session.account().is_some_and(|a| a.must_change_password);
        if forced && location.pathname.get() != PASSWORD_PATH {
            to_password(PASSWORD_PATH, Default::default());
        }
    });

    let signed_in = move || Some(session.is_signed_in());
    let signed_out = move || Some(!session.is_signed_in());
    // The registry: a centre node and a centre account; `None` (wait) while /meta loads.
    let persons_open = move || {
        if session.is_signed_in() {
            node.can_use_persons()
        } else {
            Some(false)
        }
    };
    // A signed-in account that may not use the page goes home, which says why (`?denied=`).
    let away_from_persons = move || {
        if session.is_signed_in() {
            let asked = location.pathname.get_untracked();
            format!(
                "{HOME_PATH}?denied={}",
                String::from(js_sys::encode_uri_component(&asked))
            )
        } else {
            LOGIN_PATH.to_owned()
        }
    };
    // Figures: every role but the operator; `None` (wait) while /meta loads.
    let figures_open = move || {
        if session.is_signed_in() {
            node.get().map(|meta| meta.is_ok_and(|m| figures_allowed(&m)))
        } else {
            Some(false)
        }
    };
    let extracts_open = move || {
        if session.is_signed_in() {
            node.get().map(|meta| meta.is_ok_and(|m| extracts_allowed(&m)))
        } else {
            Some(false)
        }
    };
    let locks_open = move || Some(session.account().is_some_and(|a| locks_allowed(a.role)));
    let accounts_open = move || Some(session.account().is_some_and(|a| accounts_allowed(a.role)));
    let regions_open = move || {
        Some(
            session
                .account()
                .is_some_and(|a| regions_allowed(a.role, node.meta().as_ref())),
        )
    };
    let ops_open = move || Some(session.account().is_some_and(|a| ops_allowed(a.role)));
    let loading = || view! { <Loading /> };

    view! {
        <a
            class="skip-link"
            href="#main"
            on:click=|ev| {
                ev.prevent_default();
                focus_element("main");
            }
        >
            "本文へ移動"
        </a>
        <AppHeader
            info=header
            current_path=Signal::derive(move || location.pathname.get())
            signing_out
            on_logout
        />
        <main id="main" class="app-main" tabindex="-1" data-testid="app-main">
            <Routes fallback=|| view! { <NotFoundPage /> }>
                <ProtectedRoute path=path!("/") view=HomePage condition=signed_in redirect_path=|| LOGIN_PATH />
                <ProtectedRoute
                    path=path!("/login")
                    view=LoginPage
                    condition=signed_out
                    redirect_path=move || landing_path(session.account_untracked().map(|a| a.role))
                />
                <ProtectedRoute
                    path=path!("/persons")
                    view=PersonListPage
                    condition=persons_open
                    redirect_path=away_from_persons
                    fallback=loading
                />
                <ProtectedRoute
                    path=path!("/persons/new")
                    view=PersonNewPage
                    condition=persons_open
                    redirect_path=away_from_persons
                    fallback=loading
                />
                <ProtectedRoute
                    path=path!("/persons/:id")
                    view=PersonDetailPage
                    condition=persons_open
                    redirect_path=away_from_persons
                    fallback=loading
                />
                <ProtectedRoute
                    path=path!("/persons/:id/edit")
                    view=PersonEditPage
                    condition=persons_open
                    redirect_path=away_from_persons
                    fallback=loading
                />
                <ProtectedRoute
                    path=path!("/persons/:id/end")
                    view=PersonEndPage
                    condition=persons_open
                    redirect_path=away_from_persons
                    fallback=loading
                />
                <ProtectedRoute
                    path=path!("/activities")
                    view=ActivityCalendarPage
                    condition=persons_open
                    redirect_path=away_from_persons
                    fallback=loading
                />
                <ProtectedRoute
                    path=path!("/activities/new")
                    view=ActivityNewPage
                    condition=persons_open
                    redirect_path=away_from_persons
                    fallback=loading
                />
                <ProtectedRoute
                    path=path!("/activities/day/:date")
                    view=ActivityDayPage
                    condition=persons_open
                    redirect_path=away_from_persons
                    fallback=loading
                />
                <ProtectedRoute
                    path=path!("/activities/:id")
                    view=ActivityDetailPage
                    condition=persons_open
                    redirect_path=away_from_persons
                    fallback=loading
                />
                <ProtectedRoute
                    path=path!("/activities/:id/edit")
                    view=ActivityEditPage
                    condition=persons_open
                    redirect_path=away_from_persons
                    fallback=loading
                />
                <ProtectedRoute
                    path=path!("/figures")
                    view=FiguresPage
                    condition=figures_open
                    redirect_path=away_from_persons
                    fallback=loading
                />
                <ProtectedRoute
                    path=path!("/extracts")
                    view=ExtractsPage
                    condition=extracts_open
                    redirect_path=away_from_persons
                    fallback=loading
                />
                <ProtectedRoute path=path!("/sync") view=SyncStatusPage condition=signed_in redirect_path=|| LOGIN_PATH />
                <ProtectedRoute path=path!("/password") view=PasswordPage condition=signed_in redirect_path=|| LOGIN_PATH />
                <ProtectedRoute
                    path=path!("/accounts")
                    view=AccountsPage
                    condition=accounts_open
                    redirect_path=away_from_persons
                />
                <ProtectedRoute
                    path=path!("/regions")
                    view=RegionsPage
                    condition=regions_open
                    redirect_path=away_from_persons
                />
                <ProtectedRoute
                    path=path!("/period-locks")
                    view=PeriodLocksPage
                    condition=locks_open
                    redirect_path=away_from_persons
                />
                <ProtectedRoute path=path!("/ops/inquiries") view=OpsInquiriesPage condition=ops_open redirect_path=away_from_persons />
                <ProtectedRoute path=path!("/ops/incidents") view=OpsIncidentsPage condition=ops_open redirect_path=away_from_persons />
                <ProtectedRoute path=path!("/ops/changes") view=OpsChangesPage condition=ops_open redirect_path=away_from_persons />
                <ProtectedRoute path=path!("/ops/maintenance") view=OpsMaintenancePage condition=ops_open redirect_path=away_from_persons />
                <ProtectedRoute path=path!("/ops/reports") view=OpsReportsPage condition=ops_open redirect_path=away_from_persons />
                <ProtectedRoute
                    path=path!("/overview")
                    view=OverviewPage
                    condition=figures_open
                    redirect_path=away_from_persons
                    fallback=loading
                />
            </Routes>
        </main>
        <crate::reauth::ReauthDialog />
    }
}

#[cfg(test)]
mod tests {
    use shared::dto::auth::Role;

    use super::*;

    #[test]
    fn a_regional_office_lands_on_its_overview_and_everyone_else_at_home() {
        assert_eq!(landing_path(Some(Role::Region)), OVERVIEW_PATH);
        for role in [
            Role::Prefecture,
            Role::Municipality,
            Role::CenterStaff,
            Role::Operator,
        ] {
            assert_eq!(landing_path(Some(role)), HOME_PATH);
        }
        assert_eq!(landing_path(None), HOME_PATH);
    }
}
