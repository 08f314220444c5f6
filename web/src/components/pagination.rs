//! Previous / next page buttons for an offset-paginated list, with where we are in it.

use leptos::prelude::*;

#[component]
pub fn Pagination(
    total: u64,
    offset: u64,
    limit: u64,
    /// Called with the offset of the page to show.
    on_page: Callback<u64>,
) -> impl IntoView {
    let first = if total == 0 { 0 } else { offset + 1 };
    let last = (offset + limit).min(total);
    let has_prev = offset > 0;
    let has_next = offset + limit < total;
    let page = offset / limit.max(1) + 1;
    let pages = total.div_ceil(limit.max(1)).max(1);
    view! {
        <nav class="pagination" aria-label="ページ送り" data-testid="pagination">
            <button
                type="button"
                class="button"
                data-testid="pagination-prev"
                disabled=!has_prev
                on:click=move |_| on_page.run(offset.saturating_sub(limit))
            >
                "← 前へ"
            </button>
            <p class="pagination-status" data-testid="pagination-status">
                {format!("全{total}人中 {first}〜{last}人目（{page}/{pages}ページ）")}
            </p>
            <button
                type="button"
                class="button"
                data-testid="pagination-next"
                disabled=!has_next
                on:click=move |_| on_page.run(offset + limit)
            >
                "次へ →"
            </button>
        </nav>
    }
}
