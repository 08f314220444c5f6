//! Which detail each function's participations carry — one rule for the server, which refuses
//! what does not fit (`api/src/domain/activity.rs`), and the activity form, which shows only the
//! fields a function asks for.

/// Whether a function asks for a detail, allows it, or has no place for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Required,
    Optional,
    NotApplicable,
}

impl Need {
    /// Whether the form shows the field at all.
    pub fn shown(self) -> bool {
        self != Need::NotApplicable
    }
}

/// Which details a function's participations carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetailRule {
    pub visit_purpose: Need,
    pub topics: Need,
    pub referral_destination: Need,
}

/// 訪問 carries the visit's purpose; 相談 its topics and, when it led to one, the referral;
/// つなぎ where the person was referred (and optionally what about). Others carry none.
pub fn detail_rule(function: &str) -> DetailRule {
    use Need::*;
    match function {
        "houmon" => DetailRule {
            visit_purpose: Required,
            topics: NotApplicable,
            referral_destination: NotApplicable,
        },
        "soudan" => DetailRule {
            visit_purpose: NotApplicable,
            topics: Required,
            referral_destination: Optional,
        },
        "tsunagi" => DetailRule {
            visit_purpose: NotApplicable,
            topics: Optional,
            referral_destination: Required,
        },
        _ => DetailRule {
            visit_purpose: NotApplicable,
            topics: NotApplicable,
            referral_destination: NotApplicable,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visits_consultations_and_referrals_each_ask_for_their_own_detail() {
        assert_eq!(detail_rule("houmon").visit_purpose, Need::Required);
        assert!(!detail_rule("houmon").topics.shown());
        assert_eq!(detail_rule("soudan").topics, Need::Required);
        assert_eq!(detail_rule("soudan").referral_destination, Need::Optional);
        assert_eq!(detail_rule("tsunagi").referral_destination, Need::Required);
        assert_eq!(detail_rule("tsunagi").topics, Need::Optional);
    }

    #[test]
    fn other_functions_carry_no_detail() {
        for function in ["tsudoi", "haishoku", "sougei", "unknown"] {
            let rule = detail_rule(function);
            assert!(
                !rule.visit_purpose.shown() && !rule.topics.shown() && !rule.referral_destination.shown()
            );
        }
    }
}
