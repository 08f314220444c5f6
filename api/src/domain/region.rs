//! Regions: the prefecture's regional offices (福祉保健所) and the municipalities each covers,
//! with periods (decision 0026). A municipality belongs to at most one region at a time, and a
//! membership runs for whole fiscal years, so that every fiscal year of figures has one answer
//! to "which region was this municipality in": the region of a fact is the one its municipality
//! belonged to on the fact's date.

use chrono::{Datelike, NaiveDate};
use shared::dto::master::{RegionInput, RegionMember, RegionView};
use shared::error::{FieldError, FieldErrors};

use super::codes::Codes;

/// A municipality's membership of a region for `[valid_from, valid_to]` (open when none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub municipality: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

impl Membership {
    pub fn covers(&self, on: NaiveDate) -> bool {
        self.valid_from <= on && self.valid_to.is_none_or(|t| on <= t)
    }

    /// Whether the two periods share a day.
    pub fn overlaps(&self, other: &Membership) -> bool {
        let ends_before = |a: &Membership, b: &Membership| a.valid_to.is_some_and(|t| t < b.valid_from);
        !ends_before(self, other) && !ends_before(other, self)
    }
}

/// A region as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub sort_order: i32,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub members: Vec<Membership>,
}

/// Whether `code` is a region code: 1–32 of lower-case ASCII letters, digits and `-`, starting
/// with a letter.
pub fn is_region_code(code: &str) -> bool {
    (1..=32).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_fiscal_year_start(d: NaiveDate) -> bool {
    d.month() == 4 && d.day() == 1
}

fn is_fiscal_year_end(d: NaiveDate) -> bool {
    d.month() == 3 && d.day() == 31
}

impl Region {
    /// Checks an input against the municipalities that exist; members sorted by municipality
    /// and start.
    pub fn parse(input: &RegionInput, codes: &Codes) -> Result<Region, Vec<FieldError>> {
        let mut e = FieldErrors::default();
        let code = input.code.trim();
        if !is_region_code(code) {
            e.push(
                "code",
                "format",
                "地域コードは英小文字で始まる32文字以内の英小文字・数字・- で入力してください。",
            );
        }
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            e.push("name", "required", "名称を100文字以内で入力してください。");
        }
        if input.valid_to.is_some_and(|t| t < input.valid_from) {
            e.push("valid_to", "before_start", "終了日が開始日より前です。");
        }
        let mut members: Vec<Membership> = Vec::with_capacity(input.members.len());
        for (i, m) in input.members.iter().enumerate() {
            let field = |f: &str| format!("members[{i}].{f}");
            let municipality = m.municipality.trim();
            if !codes.is_municipality(municipality) {
                e.push(
                    field("municipality"),
                    "unknown_code",
                    "市町村コードが登録されていません。",
                );
            }
            if !is_fiscal_year_start(m.valid_from) {
                e.push(
                    field("valid_from"),
                    "fiscal_year",
                    "所属の開始日は年度の初日（4月1日）にしてください。",
                );
            }
            if m.valid_to.is_some_and(|t| !is_fiscal_year_end(t)) {
                e.push(
                    field("valid_to"),
                    "fiscal_year",
                    "所属の終了日は年度の末日（3月31日）にしてください。",
                );
            }
            if m.valid_to.is_some_and(|t| t < m.valid_from) {
                e.push(field("valid_to"), "before_start", "終了日が開始日より前です。");
            }
            let within = input.valid_from <= m.valid_from
                && match (input.valid_to, m.valid_to) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some(r), Some(t)) => t <= r,
                };
            if !within {
                e.push(
                    field("valid_from"),
                    "outside_region",
                    "所属の期間は地域の有効期間の中にしてください。",
                );
            }
            let membership = Membership {
                municipality: municipality.to_owned(),
                valid_from: m.valid_from,
                valid_to: m.valid_to,
            };
            if members
                .iter()
                .any(|o| o.municipality == membership.municipality && o.overlaps(&membership))
            {
                e.push(
                    field("municipality"),
                    "overlap",
                    "同じ市町村の所属期間が重なっています。",
                );
            }
            members.push(membership);
        }
        e.into_result()?;
        members.sort_by(|a, b| {
            a.municipality
                .cmp(&b.municipality)
                .then(a.valid_from.cmp(&b.valid_from))
        });
        Ok(Region {
            code: code.to_owned(),
            name: name.to_owned(),
            sort_order: input.sort_order,
            valid_from: input.valid_from,
            valid_to: input.valid_to,
            members,
        })
    }

    pub fn to_view(&self) -> RegionView {
        RegionView {
            code: self.code.clone(),
            name: self.name.clone(),
            sort_order: self.sort_order,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            members: self
                .members
                .iter()
                .map(|m| RegionMember {
                    municipality: m.municipality.clone(),
                    valid_from: m.valid_from,
                    valid_to: m.valid_to,
                })
                .collect(),
        }
    }

    /// The municipalities of this region on `on`.
    pub fn municipalities_on(&self, on: NaiveDate) -> impl Iterator<Item = &str> {
        self.members
            .iter()
            .filter(move |m| m.covers(on))
            .map(|m| m.municipality.as_str())
    }
}

/// A membership of `region` that another region already holds for a day of the same period:
/// the municipality it names and the other region's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipClash {
    pub municipality: String,
    pub other_region: String,
}

/// The rule "a municipality in at most one region at a time", for `region` replacing its
/// stored self among `stored` (all regions as stored). The store runs it inside the write's
/// transaction, on what it reads there.
pub fn clashes(region: &Region, stored: &[Region]) -> Vec<MembershipClash> {
    let mut out = Vec::new();
    for other in stored.iter().filter(|o| o.code != region.code) {
        for m in &region.members {
            if other
                .members
                .iter()
                .any(|o| o.municipality == m.municipality && o.overlaps(m))
            {
                out.push(MembershipClash {
                    municipality: m.municipality.clone(),
                    other_region: other.code.clone(),
                });
            }
        }
    }
    out
}

/// The clashes as field errors on `members`, naming the municipality and the other region.
pub fn clash_errors(clashes: &[MembershipClash]) -> Vec<FieldError> {
    clashes
        .iter()
        .map(|c| {
            FieldError::new(
                "members",
                "region_overlap",
                format!(
                    "市町村 {} は同じ期間に地域「{}」に所属しています。",
                    c.municipality, c.other_region
                ),
            )
        })
        .collect()
}

/// Every region's memberships, to answer "which region was this municipality in on this day".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Regions(pub Vec<Region>);

impl Regions {
    /// The region `municipality` belonged to on `on`, if any.
    pub fn region_of(&self, municipality: &str, on: NaiveDate) -> Option<&Region> {
        self.0.iter().find(|r| {
            r.members
                .iter()
                .any(|m| m.municipality == municipality && m.covers(on))
        })
    }

    pub fn get(&self, code: &str) -> Option<&Region> {
        self.0.iter().find(|r| r.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn codes() -> Codes {
        Codes::new(vec![], ["392014".to_owned(), "392022".to_owned()])
    }

    fn member(m: &str, from: &str, to: Option<&str>) -> RegionMember {
        RegionMember {
            municipality: m.into(),
            valid_from: d(from),
            valid_to: to.map(d),
        }
    }

    fn input(code: &str, members: Vec<RegionMember>) -> RegionInput {
        RegionInput {
            code: code.into(),
            name: "安芸福祉保健所".into(),
            sort_order: 1,
            valid_from: d("2000-04-01"),
            valid_to: None,
            members,
        }
    }

    fn field_codes(errors: &[FieldError]) -> Vec<(String, String)> {
        errors.iter().map(|e| (e.field.clone(), e.code.clone())).collect()
    }

    #[test]
    fn a_region_with_whole_fiscal_year_memberships_is_accepted() {
        let r = Region::parse(
            &input(
                "aki",
                vec![
                    member("392022", "2020-04-01", None),
                    member("392014", "2020-04-01", Some("2024-03-31")),
                ],
            ),
            &codes(),
        )
        .unwrap();
        assert_eq!(r.members[0].municipality, "392014");
        assert_eq!(r.municipalities_on(d("2023-05-01")).count(), 2);
        assert_eq!(
            r.municipalities_on(d("2024-04-01")).collect::<Vec<_>>(),
            ["392022"]
        );
    }

    #[test]
    fn a_membership_must_start_on_april_first_and_end_on_march_thirty_first() {
        let e = Region::parse(
            &input("aki", vec![member("392014", "2020-05-01", Some("2021-03-30"))]),
            &codes(),
        )
        .unwrap_err();
        assert_eq!(
            field_codes(&e),
            [
                ("members[0].valid_from".to_owned(), "fiscal_year".to_owned()),
                ("members[0].valid_to".to_owned(), "fiscal_year".to_owned()),
            ]
        );
    }

    #[test]
    fn bad_codes_unknown_municipalities_and_overlaps_within_the_region_are_named() {
        let e = Region::parse(
            &input(
                "Aki!",
                vec![
                    member("999999", "2020-04-01", None),
                    member("392014", "2020-04-01", None),
                    member("392014", "2022-04-01", None),
                ],
            ),
            &codes(),
        )
        .unwrap_err();
        let got = field_codes(&e);
        assert!(got.contains(&("code".into(), "format".into())), "{got:?}");
        assert!(
            got.contains(&("members[0].municipality".into(), "unknown_code".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&("members[2].municipality".into(), "overlap".into())),
            "{got:?}"
        );
    }

    #[test]
    fn a_membership_outside_the_regions_own_period_is_refused() {
        let mut i = input("aki", vec![member("392014", "2020-04-01", None)]);
        i.valid_to = Some(d("2030-03-31"));
        let e = Region::parse(&i, &codes()).unwrap_err();
        assert_eq!(e[0].code, "outside_region");
    }

    #[test]
    fn a_municipality_in_another_region_for_an_overlapping_period_clashes() {
        let c = codes();
        let aki = Region::parse(
            &input("aki", vec![member("392014", "2020-04-01", Some("2023-03-31"))]),
            &c,
        )
        .unwrap();
        // Moving on 2023-04-01: no clash; a year earlier: a clash with aki.
        let after = Region::parse(&input("hata", vec![member("392014", "2023-04-01", None)]), &c).unwrap();
        assert!(clashes(&after, std::slice::from_ref(&aki)).is_empty());
        let early = Region::parse(&input("hata", vec![member("392014", "2022-04-01", None)]), &c).unwrap();
        assert_eq!(
            clashes(&early, std::slice::from_ref(&aki)),
            [MembershipClash {
                municipality: "392014".into(),
                other_region: "aki".into()
            }]
        );
        // Its own stored self never clashes.
        assert!(clashes(&aki, std::slice::from_ref(&aki)).is_empty());
        let regions = Regions(vec![aki, after]);
        assert_eq!(regions.region_of("392014", d("2022-12-01")).unwrap().code, "aki");
        assert_eq!(regions.region_of("392014", d("2023-04-01")).unwrap().code, "hata");
        assert!(regions.region_of("392022", d("2023-04-01")).is_none());
    }
}
