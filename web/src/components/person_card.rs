//! The printable person card: the common ID in large type, with just enough to match it to the
//! person. Fits on A4 portrait; nothing sensitive (no address, disabilities or notes) is printed.

use leptos::prelude::*;
use shared::dates::format_wareki;
use shared::dto::person::PersonView;

use crate::format;

#[component]
pub fn PersonCard(
    person: PersonView,
    /// The issuing / registering centre's name.
    center_name: String,
    /// The date printed on the card.
    printed_on: chrono::NaiveDate,
) -> impl IntoView {
    let name = format::full_name(&person.family_name, &person.given_name);
    let kana = format::full_name(&person.family_kana, &person.given_kana);
    view! {
        <article class="person-card" data-testid="person-card" aria-labelledby="person-card-title">
            <header class="person-card-head">
                <h3 id="person-card-title">"利用者カード"</h3>
                <p class="person-card-center" data-testid="person-card-center">{center_name}</p>
            </header>
            <p class="person-card-id-label">"共通利用者番号"</p>
            <p class="person-card-id" data-testid="person-common-id">{person.common_id.clone()}</p>
            <dl class="person-card-fields">
                <dt>"フリガナ"</dt>
                <dd class="long-text" data-testid="person-card-kana">{kana}</dd>
                <dt>"氏名"</dt>
                <dd class="long-text person-card-name" data-testid="person-card-name">{name}</dd>
                <dt>"生年月日"</dt>
                <dd data-testid="person-card-birth">{format::wareki_with_seireki(person.birth_date)}</dd>
                <dt>"登録日"</dt>
                <dd data-testid="person-card-registered">{format_wareki(person.registered_on)}</dd>
            </dl>
            <p class="person-card-note">
                "この番号は高知県内のあったかふれあいセンターで共通の番号です。"
                "ほかのセンターを利用するときは、この番号をお伝えください。"
            </p>
            <p class="person-card-printed print-only">"発行日: " {format_wareki(printed_on)}</p>
        </article>
    }
}
