//! The application shell (header and main area) and the one route table of the SPA.

use leptos::prelude::*;
use leptos_router::components::{ProtectedRoute, Router, Routes};
use leptos_router::path;

use crate::components::app_header::AppHeader;
use crate::pages::{home::HomePage, login::LoginPage, not_found::NotFoundPage};
use crate::session::Session;

/// Where an anonymous visitor is sent, and where a signed-in one is not let back to.
pub const LOGIN_PATH: &str = "/login";
pub const HOME_PATH: &str = "/";

#[component]
pub fn App() -> impl IntoView {
    let session = Session::provide();
    let user_name = Signal::derive(move || session.account().map(|a| a.display_name));
    let signed_in = move || Some(session.is_signed_in());
    let signed_out = move || Some(!session.is_signed_in());

    view! {
        <Router>
            <AppHeader user_name=user_name />
            <main id="main" class="app-main" data-testid="app-main">
                <Routes fallback=|| view! { <NotFoundPage /> }>
                    <ProtectedRoute
                        path=path!("/")
                        view=HomePage
                        condition=signed_in
                        redirect_path=|| LOGIN_PATH
                    />
                    <ProtectedRoute
                        path=path!("/login")
                        view=LoginPage
                        condition=signed_out
                        redirect_path=|| HOME_PATH
                    />
                </Routes>
            </main>
        </Router>
    }
}
