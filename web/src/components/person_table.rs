//! The people list as a table: one row per person, the name linking to their page.

use std::sync::Arc;

use leptos::prelude::*;
use shared::dates::format_wareki;
use shared::dto::person::PersonSummary;

use crate::format;
use crate::master::{label, labels_in_order, MasterData};

#[component]
pub fn PersonTable(items: Vec<PersonSummary>, master: Arc<MasterData>) -> impl IntoView {
    view! {
        <table class="data-table person-table" data-testid="person-table">
            <caption class="visually-hidden">"利用者一覧"</caption>
            <colgroup>
                <col class="col-id" />
                <col class="col-name" />
                <col class="col-birth" />
                <col class="col-sex" />
                <col class="col-categories" />
                <col class="col-status" />
            </colgroup>
            <thead>
                <tr>
                    <th scope="col">"共通利用者番号"</th>
                    <th scope="col">"氏名（フリガナ）"</th>
                    <th scope="col">"生年月日（年齢）"</th>
                    <th scope="col">"性別"</th>
                    <th scope="col">"対象区分"</th>
                    <th scope="col">"状態"</th>
                </tr>
            </thead>
            <tbody>
                {items
                    .into_iter()
                    .map(|p| {
                        let href = format!("/persons/{}", p.common_id);
                        let categories = labels_in_order(&master.categories, &p.categories);
                        let ended = p.ended_on.is_some();
                        view! {
                            <tr data-testid="person-row" class:row-ended=ended>
                                <td class="cell-id" data-testid="person-row-id">{p.common_id.clone()}</td>
                                <td class="long-text">
                                    <a href=href data-testid="person-row-link">
                                        <span class="name" data-testid="person-row-name">
                                            {format::full_name(&p.family_name, &p.given_name)}
                                        </span>
                                    </a>
                                    <span class="kana" data-testid="person-row-kana">
                                        {format::full_name(&p.family_kana, &p.given_kana)}
                                    </span>
                                </td>
                                <td>
                                    {format_wareki(p.birth_date)}
                                    <span class="sub">{format!("（{}）", format::age(p.age))}</span>
                                </td>
                                <td>{label(&master.sex, &p.sex)}</td>
                                <td class="long-text">{categories}</td>
                                <td data-testid="person-row-status">
                                    {match p.ended_on {
                                        Some(on) => format!("終了（{}）", format_wareki(on)),
                                        None => "利用中".to_owned(),
                                    }}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
