//! Everything recorded about a person, as a definition list (on screen only: it holds 要配慮
//! 個人情報 such as disabilities and notes, so it is not printed with the card).

use leptos::prelude::*;
use shared::dto::person::PersonView;

use crate::format;
use crate::master::{label, labels_in_order, MasterData};

#[component]
pub fn PersonDetails(person: PersonView, master: std::sync::Arc<MasterData>) -> impl IntoView {
    let m = &master;
    let categories = labels_in_order(&m.categories, &person.categories);
    let disabilities = if person.disabilities.is_empty() {
        "なし".to_owned()
    } else {
        person
            .disabilities
            .iter()
            .map(|d| match &d.grade {
                Some(g) => format!("{}（{g}）", label(&m.disability_kinds, &d.kind)),
                None => label(&m.disability_kinds, &d.kind),
            })
            .collect::<Vec<_>>()
            .join("、")
    };
    let municipality = m
        .municipality_name(&person.residence_municipality)
        .unwrap_or(&person.residence_municipality)
        .to_owned();
    let or_dash = |v: &Option<String>| {
        v.clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "—".to_owned())
    };
    let ended = person.ended_on.map(|on| {
        let reason = person
            .end_reason
            .as_deref()
            .map(|r| label(&m.end_reasons, r))
            .unwrap_or_default();
        format!("{}　{reason}", format::wareki_with_seireki(on))
    });
    let rows: Vec<(&'static str, &'static str, String)> = vec![
        ("sex", "性別", label(&m.sex, &person.sex)),
        ("age", "年齢", format::age(person.age)),
        ("categories", "対象区分", categories),
        (
            "care_level",
            "要介護度",
            label(&m.care_levels, &person.care_level),
        ),
        ("household", "世帯", label(&m.households, &person.household)),
        ("disabilities", "障害者手帳", disabilities),
        ("residence_municipality", "居住市町村", municipality),
        ("postal_code", "郵便番号", or_dash(&person.postal_code)),
        ("address", "住所", or_dash(&person.address)),
        ("phone", "電話番号", or_dash(&person.phone)),
        (
            "emergency_contact",
            "緊急連絡先",
            or_dash(&person.emergency_contact),
        ),
        ("notes", "備考", or_dash(&person.notes)),
        (
            "registered_on",
            "登録日",
            format::wareki_with_seireki(person.registered_on),
        ),
    ];
    view! {
        <section class="card person-details no-print" aria-labelledby="person-details-title" data-testid="person-details">
            <h3 id="person-details-title">"登録内容"</h3>
            <dl class="details-list">
                {rows
                    .into_iter()
                    .map(|(key, term, value)| {
                        view! {
                            <dt>{term}</dt>
                            <dd class="long-text" data-testid=format!("person-detail-{key}")>{value}</dd>
                        }
                    })
                    .collect_view()}
                {ended
                    .map(|text| {
                        view! {
                            <dt>"登録終了"</dt>
                            <dd data-testid="person-detail-ended">{text}</dd>
                        }
                    })}
            </dl>
        </section>
    }
}
