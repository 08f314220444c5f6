//! The printable person card: the common ID in large type, with just enough to match it to the
//! person. Fits on A4 portrait; nothing sensitive (no address, disabilities or notes) is printed.
//! On paper the common print head (title, centre, 作成日時 in 和暦) stands above it.

use leptos::prelude::*;
use shared::dto::person::PersonView;

use crate::components::print::PrintHead;
use crate::format;

#[component]
pub fn PersonCard(
    person: PersonView,
    /// The issuing / registering centre's name.
    center_name: String,
    /// When the card is printed (its 作成日時).
    printed_at: chrono::DateTime<chrono::Utc>,
) -> impl IntoView {
    let name = format::full_name(&person.family_name, &person.given_name);
    let kana = format::full_name(&person.family_kana, &person.given_kana);
    view! {
        <PrintHead title="利用者カード".to_owned() scope=center_name.clone() generated_at=printed_at />
        <article class="person-card" data-testid="person-card" aria-labelledby="person-card-title">
            <header class="person-card-head no-print">
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
                <dd data-testid="person-card-registered">{format::wareki_with_seireki(person.registered_on)}</dd>
            </dl>
            <p class="person-card-note">
                "この番号は高知県内のあったかふれあいセンターで共通の番号です。"
                "ほかのセンターを利用するときは、この番号をお伝えください。"
            </p>
        </article>
    }
}
