//! 地域（福祉保健所）: the prefecture keeps the regional offices and the municipalities each
//! covers, with periods (hub). A municipality belongs to at most one region at a time and a
//! membership runs for whole fiscal years; the server checks both and names what is wrong.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::dto::master::{RegionInput, RegionMember, RegionView};

use crate::api;
use crate::components::messages::{focus_element, ErrorAlert, FieldMessage, Loading, SuccessNotice};
use crate::master::{Master, MasterData};
use crate::session::Session;

/// The members as the form's text: one line per membership, `市町村コード 開始日 [終了日]`.
fn members_text(members: &[RegionMember]) -> String {
    members
        .iter()
        .map(|m| match m.valid_to {
            Some(to) => format!("{} {} {to}", m.municipality, m.valid_from),
            None => format!("{} {}", m.municipality, m.valid_from),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads the form's member lines; the line number of the first that cannot be read otherwise.
fn parse_members(text: &str) -> Result<Vec<RegionMember>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.is_empty() {
            continue;
        }
        let date = |s: &str| s.parse::<chrono::NaiveDate>().ok();
        let member = match parts.as_slice() {
            [m, from] => date(from).map(|f| (m, f, None)),
            [m, from, to] => date(from).zip(date(to)).map(|(f, t)| (m, f, Some(t))),
            _ => None,
        };
        match member {
            Some((m, valid_from, valid_to)) => out.push(RegionMember {
                municipality: (*m).to_owned(),
                valid_from,
                valid_to,
            }),
            None => {
                return Err(format!(
                    "{}行目が読めません。「市町村コード 開始日 [終了日]」の形（例: 392022 2024-04-01）で入力してください。",
                    i + 1
                ))
            }
        }
    }
    Ok(out)
}

/// Whether a request field the server named is one of the member lines (`members`,
/// `members[2].municipality`, …).
fn is_members_field(field: &str) -> bool {
    field == "members" || field.starts_with("members[")
}

/// The server's messages when it refused the member lines alone (a municipality another region
/// holds, an unknown code), joined for the line under the members field; `None` when it named
/// anything else too (the alert above the form says everything then).
fn members_message(e: &api::ApiError) -> Option<String> {
    let p = e.problem()?;
    if p.errors.is_empty() || !p.errors.iter().all(|f| is_members_field(&f.field)) {
        return None;
    }
    Some(
        p.errors
            .iter()
            .map(|f| f.message.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// `室戸市（392022） 2024-04-01〜` for the list.
fn member_label(m: &RegionMember, master: Option<&MasterData>) -> String {
    let name = master
        .and_then(|d| d.municipality_name(&m.municipality))
        .unwrap_or(&m.municipality);
    let to = m.valid_to.map(|t| t.to_string()).unwrap_or_default();
    format!("{name}（{}） {}〜{to}", m.municipality, m.valid_from)
}

#[component]
pub fn RegionsPage() -> impl IntoView {
    let session = Session::expect();
    let master = Master::expect();
    let reload = RwSignal::new(0_u32);
    let regions = LocalResource::new(move || {
        reload.track();
        async move { api::regions(session).await }
    });
    let code = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let sort_order = RwSignal::new("0".to_owned());
    let valid_from = RwSignal::new("2009-04-01".to_owned());
    let valid_to = RwSignal::new(String::new());
    let members = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    // What is wrong with the member lines, shown under that field (not in the alert above).
    let members_error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let edit = move |r: &RegionView| {
        code.set(r.code.clone());
        name.set(r.name.clone());
        sort_order.set(r.sort_order.to_string());
        valid_from.set(r.valid_from.to_string());
        valid_to.set(r.valid_to.map(|d| d.to_string()).unwrap_or_default());
        members.set(members_text(&r.members));
        error.set(None);
        members_error.set(None);
        notice.set(None);
        focus_element("region-name");
    };

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let members = match parse_members(&members.get_untracked()) {
            Ok(members) => members,
            Err(message) => {
                error.set(None);
                members_error.set(Some(message));
                focus_element("region-members");
                return;
            }
        };
        let parsed = (|| {
            let valid_from = valid_from
                .get_untracked()
                .trim()
                .parse()
                .map_err(|_| "開始日を YYYY-MM-DD で入力してください。".to_owned())?;
            let to = valid_to.get_untracked();
            let valid_to = match to.trim() {
                "" => None,
                t => Some(
                    t.parse()
                        .map_err(|_| "終了日を YYYY-MM-DD で入力してください。".to_owned())?,
                ),
            };
            let sort_order = sort_order
                .get_untracked()
                .trim()
                .parse()
                .map_err(|_| "表示順は整数で入力してください。".to_owned())?;
            Ok::<_, String>(RegionInput {
                code: code.get_untracked().trim().to_owned(),
                name: name.get_untracked().trim().to_owned(),
                sort_order,
                valid_from,
                valid_to,
                members,
            })
        })();
        let input = match parsed {
            Ok(input) => input,
            Err(message) => {
                members_error.set(None);
                error.set(Some(message));
                focus_element("region-error");
                return;
            }
        };
        busy.set(true);
        error.set(None);
        members_error.set(None);
        notice.set(None);
        spawn_local(async move {
            match api::put_region(session, &input).await {
                Ok(saved) => {
                    notice.set(Some(format!("「{}」を保存しました。", saved.name)));
                    reload.update(|n| *n += 1);
                    master.reload();
                }
                Err(e) => match members_message(&e) {
                    // The member lines alone are wrong: say so beside them, and go there.
                    Some(message) => {
                        members_error.set(Some(message));
                        focus_element("region-members");
                    }
                    _ => {
                        error.set(Some(e.full_message()));
                        focus_element("region-error");
                    }
                },
            }
            busy.set(false);
        });
    };

    let list = move || match regions.get() {
        None => view! { <Loading /> }.into_any(),
        Some(Err(e)) => {
            let message = e.full_message();
            view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="regions-load-error" /> }
                .into_any()
        }
        Some(Ok(list)) if list.is_empty() => {
            view! { <p data-testid="regions-empty">"地域はまだ登録されていません。"</p> }.into_any()
        }
        Some(Ok(list)) => {
            let data = master.data();
            view! {
                <table class="table" data-testid="regions-table">
                    <caption>"登録済みの地域"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"コード"</th>
                            <th scope="col">"名称"</th>
                            <th scope="col">"期間"</th>
                            <th scope="col">"所属市町村"</th>
                            <th scope="col"><span class="visually-hidden">"操作"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {list
                            .into_iter()
                            .map(|r| {
                                let members: Vec<String> = r
                                    .members
                                    .iter()
                                    .map(|m| member_label(m, data.as_deref()))
                                    .collect();
                                let period = format!(
                                    "{}〜{}",
                                    r.valid_from,
                                    r.valid_to.map(|d| d.to_string()).unwrap_or_default()
                                );
                                let testid = format!("region-row-{}", r.code);
                                let edit_label = format!("{}を編集", r.name);
                                let region = r.clone();
                                view! {
                                    <tr data-testid=testid>
                                        <td>{r.code.clone()}</td>
                                        <th scope="row">{r.name.clone()}</th>
                                        <td>{period}</td>
                                        <td>
                                            <ul class="plain-list">
                                                {members.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
                                            </ul>
                                        </td>
                                        <td>
                                            <button
                                                type="button"
                                                class="button"
                                                aria-label=edit_label
                                                on:click=move |_| edit(&region)
                                            >
                                                "編集"
                                            </button>
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            }
            .into_any()
        }
    };

    view! {
        <section class="page page-regions" data-testid="page-regions" aria-labelledby="regions-title">
            <div class="page-head">
                <h1 id="regions-title">"地域（福祉保健所）"</h1>
            </div>
            <p>
                "福祉保健所ごとに所管する市町村と期間を登録します。市町村は同じ時期に2つの地域に所属できません。所属の期間は年度単位（4月1日から3月31日まで、終了日は空欄で継続）です。"
            </p>
            <SuccessNotice message=notice testid="region-notice" />
            {list}
            <form class="card form" on:submit=on_submit data-testid="region-form" aria-labelledby="region-form-title">
                <h2 id="region-form-title">"地域の登録・変更"</h2>
                <div id="region-error" tabindex="-1">
                    <ErrorAlert message=error testid="region-error" />
                </div>
                <div class="field">
                    <label for="region-code">"地域コード（英小文字・数字・-）"</label>
                    <input id="region-code" type="text" required autocomplete="off" data-testid="region-code"
                        prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="region-name">"名称"</label>
                    <input id="region-name" type="text" required data-testid="region-name"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="region-sort">"表示順"</label>
                    <input id="region-sort" type="number" inputmode="numeric" data-testid="region-sort"
                        prop:value=move || sort_order.get() on:input=move |ev| sort_order.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="region-from">"開始日"</label>
                    <input id="region-from" type="date" required data-testid="region-from"
                        prop:value=move || valid_from.get() on:input=move |ev| valid_from.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="region-to">"終了日（空欄で継続）"</label>
                    <input id="region-to" type="date" data-testid="region-to"
                        prop:value=move || valid_to.get() on:input=move |ev| valid_to.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="region-members">"所属市町村（1行に「市町村コード 開始日 [終了日]」）"</label>
                    <textarea id="region-members" rows="10" data-testid="region-members"
                        aria-describedby="region-members-hint region-members-error"
                        aria-invalid=move || if members_error.with(Option::is_some) { "true" } else { "false" }
                        prop:value=move || members.get() on:input=move |ev| members.set(event_target_value(&ev))></textarea>
                    <FieldMessage id="region-members-error" message=members_error />
                    <p id="region-members-hint" class="hint">"例: 392022 2009-04-01 2024-03-31（室戸市を2023年度まで）"</p>
                </div>
                <div class="actions">
                    <button type="submit" class="button button-primary" data-testid="region-save" prop:disabled=move || busy.get()>
                        "保存"
                    </button>
                </div>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_lines_read_back_what_they_were_written_from() {
        let members = vec![
            RegionMember {
                municipality: "392022".into(),
                valid_from: "2009-04-01".parse().unwrap(),
                valid_to: Some("2024-03-31".parse().unwrap()),
            },
            RegionMember {
                municipality: "392031".into(),
                valid_from: "2009-04-01".parse().unwrap(),
                valid_to: None,
            },
        ];
        assert_eq!(parse_members(&members_text(&members)).unwrap(), members);
        assert!(parse_members("392022 2009-04-01\n\n392031 4月1日")
            .unwrap_err()
            .starts_with("3行目"));
    }

    fn refusal(fields: &[&str]) -> api::ApiError {
        api::ApiError::Problem(Box::new(shared::error::Problem {
            kind: "urn:attaka:problem:validation".into(),
            title: "入力内容に誤りがあります".into(),
            status: 400,
            detail: String::new(),
            code: shared::error::ProblemCode::Validation,
            request_id: None,
            errors: fields
                .iter()
                .map(|f| shared::error::FieldError::new(*f, "region_overlap", format!("{f} が違います。")))
                .collect(),
        }))
    }

    #[test]
    fn a_refusal_of_the_member_lines_alone_goes_beside_that_field() {
        assert_eq!(
            members_message(&refusal(&["members", "members[1].municipality"])).as_deref(),
            Some("members が違います。 members[1].municipality が違います。")
        );
        assert_eq!(members_message(&refusal(&["members", "name"])), None);
        assert_eq!(members_message(&refusal(&[])), None);
        assert_eq!(members_message(&api::ApiError::Status(500)), None);
    }
}
