//! Which common IDs a centre may register people under: numbers it issued itself, or another
//! centre's number the person already has. Issuing (the counter) is the store's write.

use std::collections::BTreeMap;

use shared::common_id::{CenterCode, CommonId};

use super::person::Person;

/// A common ID of this centre's own numbering that it has not issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("common ID {0} has not been issued by its centre")]
pub struct NotIssued(pub String);

/// Checks `id`, given with a registration at `center` instead of a new number. Another centre's
/// number is the person's existing one there and is taken as it is; a number of `center`'s own
/// must be one it has issued: at most `last_serial`, its counter (none before its first).
pub fn check_given_id(center: &CenterCode, id: &CommonId, last_serial: Option<i64>) -> Result<(), NotIssued> {
    if id.center_number() != center.number() {
        return Ok(());
    }
    match last_serial {
        Some(last) if i64::from(id.serial()) <= last => Ok(()),
        _ => Err(NotIssued(id.to_string())),
    }
}

/// For a bulk load: each centre's highest serial among the people registered under a number it
/// issued itself, so its counter can be raised past them. A person registered at a second
/// centre keeps the number the first one issued and moves neither counter.
pub fn highest_own_serials(people: &[Person]) -> BTreeMap<String, u32> {
    let mut highest: BTreeMap<String, u32> = BTreeMap::new();
    for p in people {
        let issuer = p.common_id.center_code();
        if issuer.as_str() == p.center {
            let h = highest.entry(p.center.clone()).or_default();
            *h = (*h).max(p.common_id.serial());
        }
    }
    highest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(c: &str) -> CenterCode {
        CenterCode::parse(c).unwrap()
    }

    fn id(c: &str, serial: u32) -> CommonId {
        CommonId::issue(&code(c), serial).unwrap()
    }

    #[test]
    fn a_number_this_centre_issued_may_be_given_again() {
        assert_eq!(check_given_id(&code("C001"), &id("C001", 7), Some(7)), Ok(()));
    }

    #[test]
    fn a_number_of_this_centre_beyond_its_counter_is_refused() {
        assert!(check_given_id(&code("C001"), &id("C001", 8), Some(7)).is_err());
        assert!(check_given_id(&code("C001"), &id("C001", 1), None).is_err());
    }

    #[test]
    fn another_centres_number_is_taken_as_it_is() {
        assert_eq!(check_given_id(&code("C001"), &id("C002", 99), None), Ok(()));
    }

    #[test]
    fn a_bulk_load_raises_only_the_issuing_centres_counter() {
        use crate::domain::person::{Facts, Identity};
        let day = chrono::NaiveDate::from_ymd_opt(1948, 5, 1).unwrap();
        let person = |center: &str, common_id: CommonId| Person {
            center: center.into(),
            common_id,
            identity: Identity {
                family_name: "高知".into(),
                given_name: "花子".into(),
                family_kana: "コウチ".into(),
                given_kana: "ハナコ".into(),
                birth_date: day,
                postal_code: None,
                address: None,
                phone: None,
                emergency_contact: None,
                notes: None,
            },
            facts: Facts {
                sex: "F".into(),
                birth_year_month: "1948-05".into(),
                residence_municipality: "392014".into(),
                categories: vec!["elderly".into()],
                care_level: "none".into(),
                disabilities: Vec::new(),
                household: "alone".into(),
                registered_on: day,
            },
            ended_on: None,
            end_reason: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        let people = [
            person("C001", id("C001", 5)),
            person("C001", id("C001", 3)),
            person("C002", id("C001", 9)),
            person("C002", id("C002", 2)),
        ];
        let highest = highest_own_serials(&people);
        assert_eq!(
            highest.into_iter().collect::<Vec<_>>(),
            [("C001".to_owned(), 5), ("C002".to_owned(), 2)]
        );
    }
}
