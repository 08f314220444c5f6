//! The order of people by フリガナ, pinned as pairs. The SQLite store sorts the normalised key
//! (katakana, no spaces) by code point: every voiced or semi-voiced kana right after its plain
//! one, small kana right before their full-size ones, the long mark ー after every letter (even
//! ン and ヴ). A linguistic Japanese collation orders several of these pairs the other way (it
//! sorts ガア before カイ and キヤア before キャン), so a store in another dialect that sorts
//! people must use a binary (code point) collation for the key to pass.

use api::store::CenterStore;
use shared::common_id::CommonId;

use crate::data::{center_code, draft, person_record};
use crate::harness::{Fresh, CENTER};

center_story!(
    people_are_listed_in_code_point_order_of_their_kana,
    kana_typed_in_hiragana_or_half_width_sorts_as_katakana,
    people_with_the_same_kana_are_listed_by_common_id,
);

/// `(earlier, later, why)`: each pair of keys as the people list orders them.
pub const KANA_PAIRS: &[(&str, &str, &str)] = &[
    ("アイ", "イア", "gojūon order"),
    (
        "カイ",
        "ガア",
        "a voiced kana right after its plain one, before later letters count",
    ),
    (
        "ガア",
        "キア",
        "the voiced カ-row kana before the next plain kana",
    ),
    ("ハナ", "バナ", "plain before voiced"),
    ("バナ", "パナ", "voiced before semi-voiced"),
    ("パナ", "ヒナ", "semi-voiced パ before the next plain kana"),
    (
        "キャン",
        "キヤア",
        "small ャ before full-size ヤ, before later letters count",
    ),
    ("サッカ", "サツカ", "small ッ before full-size ツ"),
    ("アン", "アー", "the long mark ー after ン"),
    ("アイ", "アーア", "ー is not the vowel it lengthens"),
    ("ウミ", "ヴミ", "ヴ long after ウ"),
    ("ンア", "ヴア", "ヴ after ン"),
    ("アイ", "アイア", "a prefix first"),
    ("ワア", "ヲア", "ワ before ヲ"),
    ("ヲア", "ンア", "ヲ before ン"),
];

/// Every key of [`KANA_PAIRS`], in the order the people list gives them.
const KANA_ORDER: [&str; 23] = [
    "アイ",
    "アイア",
    "アン",
    "アー",
    "アーア",
    "イア",
    "ウミ",
    "カイ",
    "ガア",
    "キア",
    "キャン",
    "キヤア",
    "サッカ",
    "サツカ",
    "ハナ",
    "バナ",
    "パナ",
    "ヒナ",
    "ワア",
    "ヲア",
    "ンア",
    "ヴア",
    "ヴミ",
];

/// Registers someone whose フリガナ is `key`, split after its first letter into family and
/// given kana (the key is their concatenation).
async fn register(store: &dyn CenterStore, family: &str, given: &str) -> CommonId {
    store
        .register_person(
            &center_code(CENTER),
            None,
            &person_record(family, given),
            draft("register_person"),
        )
        .await
        .unwrap()
        .common_id
}

fn split(key: &str) -> (&str, &str) {
    let first = key.chars().next().map_or(0, char::len_utf8);
    key.split_at(first)
}

/// The people of C001 in list order, as their IDs.
async fn listed(store: &dyn CenterStore) -> Vec<CommonId> {
    let q = api::domain::person::PersonQuery {
        limit: 1000,
        ..Default::default()
    };
    store
        .persons(CENTER, &q)
        .await
        .unwrap()
        .0
        .into_iter()
        .map(|p| p.common_id)
        .collect()
}

async fn people_are_listed_in_code_point_order_of_their_kana(store: Fresh<dyn CenterStore>) {
    // The table itself holds together: every pair's keys are listed, in that order.
    let position = |key: &str| KANA_ORDER.iter().position(|k| *k == key);
    for (a, b, why) in KANA_PAIRS {
        assert!(position(a) < position(b), "{a} < {b} ({why}) in KANA_ORDER");
    }
    // Registered in reverse, so registration order cannot pass for kana order.
    let mut key_of = Vec::new();
    for key in KANA_ORDER.iter().rev() {
        let (family, given) = split(key);
        key_of.push((register(&*store, family, given).await, *key));
    }
    let keys: Vec<&str> = listed(&*store)
        .await
        .iter()
        .map(|id| key_of.iter().find(|(k, _)| k == id).unwrap().1)
        .collect();
    for (a, b, why) in KANA_PAIRS {
        let at = |key: &str| keys.iter().position(|k| *k == key).unwrap();
        assert!(at(a) < at(b), "{a} before {b}: {why}; listed {keys:?}");
    }
    assert_eq!(keys, KANA_ORDER);
}

async fn kana_typed_in_hiragana_or_half_width_sorts_as_katakana(store: Fresh<dyn CenterStore>) {
    let half_width_voiced = register(&*store, "ｶﾞ", "ｱ").await; // ガア
    let hiragana = register(&*store, "か", "い").await; // カイ
    let spaced = register(&*store, "キ ", " ア").await; // キア
    let long_mark = register(&*store, "ｱ", "ｰ").await; // アー
    let plain = register(&*store, "ア", "ン").await; // アン
    assert_eq!(
        listed(&*store).await,
        [plain, long_mark, hiragana, half_width_voiced, spaced]
    );
}

async fn people_with_the_same_kana_are_listed_by_common_id(store: Fresh<dyn CenterStore>) {
    let first = register(&*store, "ヤマダ", "タロウ").await;
    let before = register(&*store, "ヤマ", "ダタロ").await; // ヤマダタロ < ヤマダタロウ
    let second = register(&*store, "やまだ", "たろう").await;
    assert_eq!(listed(&*store).await, [before, first, second]);
}
