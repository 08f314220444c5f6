//! The centre's people (SQLite only: centres never run SQL Server): common IDs, the record and
//! its changes, the people list.

use api::domain::person::{Disability, Ending, PersonQuery, PersonRecord};
use api::store::{CenterStore, ConflictKind, Reference, StoreError};
use shared::common_id::CommonId;

use crate::data::{center_code, common_id, date, draft, person_record};
use crate::harness::{Fresh, CENTER, OTHER_CENTER};

center_story!(
    new_common_ids_are_consecutive_per_centre,
    a_common_id_of_another_centre_is_accepted_and_an_own_one_must_have_been_issued,
    a_person_comes_back_whole_and_changes_in_place,
    people_are_found_by_kana_name_id_and_category_and_paged,
    people_are_fetched_by_ids_of_the_centre_only,
);

async fn register(store: &dyn CenterStore, center: &str, record: &PersonRecord) -> CommonId {
    store
        .register_person(&center_code(center), None, record, draft("register_person"))
        .await
        .unwrap()
        .common_id
}

async fn new_common_ids_are_consecutive_per_centre(store: Fresh<dyn CenterStore>) {
    let record = person_record("ヤマモト", "ハナコ");
    let mut issued = Vec::new();
    for _ in 0..3 {
        issued.push(register(&*store, CENTER, &record).await);
    }
    assert_eq!(
        issued,
        [common_id(CENTER, 1), common_id(CENTER, 2), common_id(CENTER, 3)]
    );
    // Each centre counts on its own.
    assert_eq!(
        register(&*store, OTHER_CENTER, &record).await,
        common_id(OTHER_CENTER, 1)
    );
    assert_eq!(register(&*store, CENTER, &record).await, common_id(CENTER, 4));

    let err = store
        .register_person(&center_code("C999"), None, &record, draft("register_person"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::MissingReference(Reference::Center)),
        "{err:?}"
    );
}

async fn a_common_id_of_another_centre_is_accepted_and_an_own_one_must_have_been_issued(
    store: Fresh<dyn CenterStore>,
) {
    let record = person_record("ヤマモト", "ハナコ");
    let first = register(&*store, CENTER, &record).await;
    // The same person registers at C002 under the number C001 issued.
    let there = store
        .register_person(
            &center_code(OTHER_CENTER),
            Some(&first),
            &record,
            draft("register_person"),
        )
        .await
        .unwrap();
    assert_eq!(
        (there.common_id.clone(), there.center.as_str()),
        (first.clone(), OTHER_CENTER)
    );
    assert_eq!(
        store.person(OTHER_CENTER, &first).await.unwrap().center,
        OTHER_CENTER
    );
    // That did not move C002's own counter.
    assert_eq!(
        register(&*store, OTHER_CENTER, &record).await,
        common_id(OTHER_CENTER, 1)
    );

    // Registered at C001 already.
    let err = store
        .register_person(
            &center_code(CENTER),
            Some(&first),
            &record,
            draft("register_person"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ConflictKind::CommonId)),
        "{err:?}"
    );
    // C001's own number that C001 has not issued yet.
    let err = store
        .register_person(
            &center_code(CENTER),
            Some(&common_id(CENTER, 9)),
            &record,
            draft("register_person"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::MissingReference(Reference::CommonId)),
        "{err:?}"
    );
    // A number of a centre this node has never heard of is someone else's to vouch for.
    let foreign = common_id("C050", 12);
    let taken = store
        .register_person(
            &center_code(CENTER),
            Some(&foreign),
            &record,
            draft("register_person"),
        )
        .await
        .unwrap();
    assert_eq!(taken.common_id, foreign);
    assert_eq!(register(&*store, CENTER, &record).await, common_id(CENTER, 2));
}

async fn a_person_comes_back_whole_and_changes_in_place(store: Fresh<dyn CenterStore>) {
    let mut record = person_record("ヤマモト", "ハナコ");
    record.facts.categories = vec!["elderly".into(), "disabled".into()];
    record.facts.disabilities = vec![
        Disability {
            kind: "physical".into(),
            grade: Some("2級".into()),
        },
        Disability {
            kind: "intellectual".into(),
            grade: None,
        },
    ];
    let created = store
        .register_person(&center_code(CENTER), None, &record, draft("register_person"))
        .await
        .unwrap();
    let id = created.common_id.clone();
    let mut expected = record.clone();
    expected.facts.categories.sort();
    expected.facts.disabilities.sort_by(|a, b| a.kind.cmp(&b.kind));
    let got = store.person(CENTER, &id).await.unwrap();
    assert_eq!(got.identity, expected.identity);
    assert_eq!(
        got.facts, expected.facts,
        "categories and disabilities in code order"
    );
    assert_eq!((got.ended_on, got.end_reason.as_deref()), (None, None));
    assert_eq!(got, created);
    assert!(matches!(
        store.person(OTHER_CENTER, &id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.person(CENTER, &common_id(CENTER, 2)).await,
        Err(StoreError::NotFound)
    ));

    let mut changed = person_record("ヤマモト", "ハナ");
    changed.identity.address = None;
    changed.identity.phone = Some("088-000-1111".into());
    changed.facts.care_level = "kaigo1".into();
    changed.facts.categories = vec!["other".into()];
    changed.facts.household = "with_family".into();
    let updated = store
        .update_person(CENTER, &id, &changed, draft("update_person"))
        .await
        .unwrap();
    assert_eq!(
        (updated.identity.clone(), updated.facts.clone()),
        (changed.identity.clone(), changed.facts.clone())
    );
    assert_eq!(updated.created_at, created.created_at);
    assert!(updated.updated_at >= created.updated_at);
    assert!(matches!(
        store
            .update_person(CENTER, &common_id(CENTER, 2), &changed, draft("update_person"))
            .await,
        Err(StoreError::NotFound)
    ));

    let ending = Ending {
        ended_on: date(2025, 3, 31),
        end_reason: "moved".into(),
    };
    let ended = store
        .end_person(CENTER, &id, &ending, draft("end_person"))
        .await
        .unwrap();
    assert_eq!(
        (ended.ended_on, ended.end_reason.as_deref()),
        (Some(date(2025, 3, 31)), Some("moved"))
    );
    assert_eq!(ended.facts, changed.facts, "ending changes nothing else");
    let before_registration = Ending {
        ended_on: date(2024, 3, 31),
        end_reason: "moved".into(),
    };
    let err = store
        .end_person(CENTER, &id, &before_registration, draft("end_person"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ConflictKind::EndedOn)),
        "{err:?}"
    );
    let mut late = changed.clone();
    late.facts.registered_on = date(2025, 4, 1);
    let err = store
        .update_person(CENTER, &id, &late, draft("update_person"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ConflictKind::RegisteredOn)),
        "{err:?}"
    );
    assert!(matches!(
        store
            .end_person(CENTER, &common_id(CENTER, 2), &ending, draft("end_person"))
            .await,
        Err(StoreError::NotFound)
    ));
}

fn named(family: &str, given: &str, family_kana: &str, given_kana: &str) -> PersonRecord {
    let mut r = person_record(family_kana, given_kana);
    r.identity.family_name = family.into();
    r.identity.given_name = given.into();
    r
}

fn list(q: Option<&str>) -> PersonQuery {
    PersonQuery {
        q: q.map(str::to_owned),
        limit: 100,
        ..Default::default()
    }
}

async fn found(store: &dyn CenterStore, q: &PersonQuery) -> (Vec<CommonId>, u64) {
    let (people, total) = store.persons(CENTER, q).await.unwrap();
    (people.into_iter().map(|p| p.common_id).collect(), total)
}

async fn people_are_found_by_kana_name_id_and_category_and_paged(store: Fresh<dyn CenterStore>) {
    let yamamoto = register(&*store, CENTER, &named("山本", "花子", "ヤマモト", "ハナコ")).await;
    // Stored as typed; searched by the normalised key (hiragana and half-width fold to katakana).
    let yamada = register(&*store, CENTER, &named("山田", "太郎", "やまだ", "たろう")).await;
    let suzuki = register(&*store, CENTER, &named("鈴木", "一郎", "ｽｽﾞｷ", "ｲﾁﾛｳ")).await;
    let mut disabled = named("田中", "次郎", "タナカ", "ジロウ");
    disabled.facts.categories = vec!["disabled".into()];
    let tanaka = register(&*store, CENTER, &disabled).await;
    store
        .end_person(
            CENTER,
            &tanaka,
            &Ending {
                ended_on: date(2025, 3, 31),
                end_reason: "moved".into(),
            },
            draft("end_person"),
        )
        .await
        .unwrap();
    // Someone at the other centre is never listed here.
    register(
        &*store,
        OTHER_CENTER,
        &named("山本", "花子", "ヤマモト", "ハナコ"),
    )
    .await;

    // By kana order: スズキ, ヤマダ, ヤマモト (タナカ has ended).
    assert_eq!(
        found(&*store, &list(None)).await,
        (vec![suzuki.clone(), yamada.clone(), yamamoto.clone()], 3)
    );
    assert_eq!(
        found(&*store, &list(Some("やま"))).await,
        (vec![yamada.clone(), yamamoto.clone()], 2)
    );
    assert_eq!(
        found(&*store, &list(Some("ｽｽﾞｷ"))).await,
        (vec![suzuki.clone()], 1)
    );
    assert_eq!(
        found(&*store, &list(Some("モト ハナ"))).await,
        (vec![yamamoto.clone()], 1),
        "spaces do not count"
    );
    assert_eq!(
        found(&*store, &list(Some("山本 花子"))).await,
        (vec![yamamoto.clone()], 1)
    );
    assert_eq!(
        found(&*store, &list(Some("太郎"))).await,
        (vec![yamada.clone()], 1)
    );
    assert_eq!(
        found(&*store, &list(Some(yamada.as_str()))).await,
        (vec![yamada.clone()], 1)
    );
    // LIKE wildcards in the text match literally.
    assert_eq!(found(&*store, &list(Some("%"))).await, (vec![], 0));
    assert_eq!(found(&*store, &list(Some("_"))).await, (vec![], 0));

    let with_ended = PersonQuery {
        include_ended: true,
        ..list(None)
    };
    assert_eq!(
        found(&*store, &with_ended).await,
        (
            vec![suzuki.clone(), tanaka.clone(), yamada.clone(), yamamoto.clone()],
            4
        )
    );
    let category = |include_ended: bool| PersonQuery {
        category: Some("disabled".into()),
        include_ended,
        ..list(None)
    };
    assert_eq!(found(&*store, &category(false)).await, (vec![], 0));
    assert_eq!(found(&*store, &category(true)).await, (vec![tanaka.clone()], 1));

    // Pages of two; the total is of all matches.
    let page = |offset: u64| PersonQuery {
        offset,
        limit: 2,
        ..with_ended.clone()
    };
    assert_eq!(found(&*store, &page(0)).await, (vec![suzuki, tanaka], 4));
    assert_eq!(found(&*store, &page(2)).await, (vec![yamada, yamamoto], 4));
    assert_eq!(found(&*store, &page(4)).await, (vec![], 4));
}

async fn people_are_fetched_by_ids_of_the_centre_only(store: Fresh<dyn CenterStore>) {
    let record = person_record("ヤマモト", "ハナコ");
    let first = register(&*store, CENTER, &record).await;
    let second = register(&*store, CENTER, &record).await;
    store
        .register_person(
            &center_code(OTHER_CENTER),
            Some(&first),
            &record,
            draft("register_person"),
        )
        .await
        .unwrap();

    let mut here: Vec<CommonId> = store
        .persons_by_ids(CENTER, &[second.clone(), common_id(CENTER, 7), first.clone()])
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.common_id)
        .collect();
    here.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    assert_eq!(here, [first.clone(), second.clone()], "unknown IDs left out");

    let there = store
        .persons_by_ids(OTHER_CENTER, &[first.clone(), second])
        .await
        .unwrap();
    assert_eq!(there.len(), 1);
    assert_eq!(
        (&there[0].common_id, there[0].center.as_str()),
        (&first, OTHER_CENTER)
    );
    assert_eq!(there[0].identity, record.identity, "with identity");
    assert!(store.persons_by_ids(CENTER, &[]).await.unwrap().is_empty());
}
