use super::*;
use crate::domain::codes::CodeItem;
use crate::stats::extract::request;
use crate::stats::{Encoding, Format, Labels};

fn codes() -> Codes {
    let band = |code: &str, lower: i32, upper: Option<i32>| CodeItem {
        list: "age_bands".into(),
        code: code.into(),
        label: code.into(),
        sort_order: lower,
        valid_from: None,
        valid_to: None,
        parent: None,
        rank: None,
        lower: Some(lower),
        upper,
    };
    Codes::new(
        vec![
            band("age_0_5", 0, Some(5)),
            band("age_6_12", 6, Some(12)),
            band("age_13_17", 13, Some(17)),
            band("age_18_39", 18, Some(39)),
            band("age_40_64", 40, Some(64)),
            band("age_65_74", 65, Some(74)),
            band("age_75_84", 75, Some(84)),
            band("age_85_plus", 85, None),
        ],
        Vec::<String>::new(),
    )
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn rows(data: &[&[&str]]) -> Rows {
    let mut r = Rows::new(data[0].len(), data.len());
    for row in data {
        for f in *row {
            r.push(f);
        }
    }
    r
}

fn fields(r: &Rows, i: usize) -> Vec<String> {
    r.row(i).map(str::to_owned).collect()
}

#[test]
fn a_pseudonym_is_stable_for_its_recipient_and_differs_for_another() {
    let secret = [7u8; 32];
    let mut a = Pseudonyms::new(&secret, "account:5");
    let mut again = Pseudonyms::new(&secret, "account:5");
    let mut b = Pseudonyms::new(&secret, "token:5");
    let p = a.of("C001-000001-3").to_owned();
    assert_eq!(p, again.of("C001-000001-3"));
    assert_ne!(p, b.of("C001-000001-3"));
    assert_ne!(p, a.of("C001-000002-1"));
    assert_eq!(p.len(), 12);
    assert!(p.starts_with('P') && p.chars().all(|c| c.is_ascii_alphanumeric()));
    // Another node's secret gives other pseudonyms to the same recipient.
    assert_ne!(p, Pseudonyms::new(&[8u8; 32], "account:5").of("C001-000001-3"));
}

#[test]
fn children_and_working_ages_are_merged_and_the_older_bands_kept() {
    let c = codes();
    assert_eq!(broad_age_band(&c, 3), "age_0_17");
    assert_eq!(broad_age_band(&c, 17), "age_0_17");
    assert_eq!(broad_age_band(&c, 18), "age_18_64");
    assert_eq!(broad_age_band(&c, 64), "age_18_64");
    assert_eq!(broad_age_band(&c, 65), "age_65_74");
    assert_eq!(broad_age_band(&c, 91), "age_85_plus");
    assert_eq!(broaden(&c, "age_6_12"), "age_0_17");
    assert_eq!(broaden(&c, "age_75_84"), "age_75_84");
    assert_eq!(broad_age_band_label("age_18_64"), Some("18〜64歳"));
    assert_eq!(age_from_year_month("1949-06", d("2025-04-01")), Some(75));
    assert_eq!(age_from_year_month("1949-04", d("2025-04-01")), Some(76));
}

#[test]
fn coarsened_participations_keep_a_persons_band_for_the_whole_fiscal_year_and_only_months() {
    let births = HashMap::from([("C001-000001-3".to_owned(), "1950-03".to_owned())]);
    let mut c = Coarsener::new(
        ExtractKind::Participations,
        codes(),
        Pseudonyms::new(&[1; 32], "account:9"),
        d("2025-03-31"),
        births,
    );
    let base = [
        "3f1c…",
        "C001-000001-3",
        "C001",
        "392014",
        "",
        "2024-05-10",
        "FY2024",
        "tsudoi",
        "F",
        "age_65_74",
        "elderly",
        "elderly;living_alone",
        "shien1",
        "alone",
    ];
    // The same person in March 2025, having turned 75 that month: the day's band has moved.
    let mut later = base;
    later[5] = "2025-03-20";
    later[9] = "age_75_84";
    let out = c.apply(rows(&[&base, &later]));
    let first = fields(&out, 0);
    let second = fields(&out, 1);
    assert_eq!(first[0], "", "activity IDs are withheld");
    assert!(
        first[1].starts_with('P') && first[1] == second[1],
        "one pseudonym per person"
    );
    assert_eq!((first[5].as_str(), second[5].as_str()), ("2024-05", "2025-03"));
    // Born 1950-03: 74 on 2024-04-01, so 65〜74 all year, whatever the day's band.
    assert_eq!(
        (first[9].as_str(), second[9].as_str()),
        ("age_65_74", "age_65_74")
    );
    assert_eq!((first[12].as_str(), first[13].as_str()), ("", ""));
    assert_eq!(first[11], "elderly;living_alone", "what the extract is for stays");
}

#[test]
fn coarsened_persons_carry_a_band_instead_of_the_birth_month_and_no_dates_or_end_reason() {
    let mut c = Coarsener::new(
        ExtractKind::Persons,
        codes(),
        Pseudonyms::new(&[1; 32], "account:9"),
        d("2026-03-31"),
        HashMap::new(),
    );
    let row = [
        "C001-000001-3",
        "C001",
        "392014",
        "F",
        "1948-05",
        "392022",
        "elderly",
        "elderly",
        "shien1",
        "alone",
        "2021-06-01",
        "2025-11-30",
        "deceased",
    ];
    let out = fields(&c.apply(rows(&[&row])), 0);
    assert_ne!(out[0], row[0]);
    assert_eq!(&out[1..4], ["C001", "392014", "F"]);
    assert_eq!(out[4], "age_75_84", "76 on 2025-04-01");
    assert!(out[5..6].iter().chain(&out[8..]).all(String::is_empty), "{out:?}");
    assert_eq!(&out[6..8], ["elderly", "elderly"]);
    let names: Vec<&str> = columns(ExtractKind::Persons, View::Coarsened)
        .iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(names[4], "age_band");
    assert_eq!(
        names.len(),
        ExtractKind::Persons.columns().len(),
        "the other names stay"
    );
}

#[test]
fn a_coarsened_view_takes_whole_months_and_no_filter_on_what_it_withholds() {
    let req = |kind, q: &str| -> ExtractRequest { request(kind, q).unwrap() };
    let ok = req(ExtractKind::Participations, "period=FY2024&filter=sex:F");
    assert!(refusals(View::Coarsened, &ok).is_empty());
    let days = req(ExtractKind::Participations, "from=2024-05-10&to=2024-05-10");
    assert_eq!(refusals(View::Coarsened, &days)[0].code, "not_whole_months");
    assert!(refusals(View::Exact, &days).is_empty());
    let care = req(ExtractKind::Persons, "period=2024-05&filter=care_level:kaigo5");
    assert_eq!(refusals(View::Coarsened, &care)[0].field, "filter");
    let date = req(
        ExtractKind::Participations,
        "period=FY2024&filter=date:2024-05-10",
    );
    assert_eq!(refusals(View::Coarsened, &date)[0].code, "withheld");
    // Activities hold no person: nothing is coarsened, nothing refused.
    let acts = req(ExtractKind::Activities, "from=2024-05-10&to=2024-05-10");
    assert!(refusals(View::Coarsened, &acts).is_empty());
    let r = req(ExtractKind::Activities, "period=FY2024");
    assert_eq!(
        (r.format, r.encoding, r.labels),
        (Format::Csv, Encoding::Utf8Bom, Labels::Ja)
    );
}
