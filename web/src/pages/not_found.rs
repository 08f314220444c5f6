//! Shown for any path the route table does not know.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::app::HOME_PATH;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <section class="page page-not-found" data-testid="page-not-found">
            <h1>"ページが見つかりません"</h1>
            <p>"お探しのページは移動または削除された可能性があります。"</p>
            <p>
                <A href=HOME_PATH attr:data-testid="not-found-home-link">
                    "ホームへ戻る"
                </A>
            </p>
        </section>
    }
}
