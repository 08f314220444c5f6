//! The optional duplicate hint: a keyed pseudonym of a person's フリガナ and birth date that lets
//! the hub say "this may be the person already registered as <common ID> at <centre>" without
//! ever seeing either value.
//!
//! The match key is `HMAC-SHA256(K, "attaka-duplicate-hint-v1" 0x00 normalised kana 0x1F
//! birth date)`, as 64 lowercase hex digits. `K` is the prefecture's key, configured on the
//! centre nodes only (`[duplicate_hint] key`); the hub stores and compares match keys but never
//! holds `K`. The kana goes through [`shared::kana::normalize_kana`] (width-, script- and
//! spacing-blind), so ﾔﾏﾓﾄ ﾊﾅｺ, やまもと はなこ and ヤマモトハナコ give the same key.
//!
//! See `docs/sync.md` ("Optional duplicate hint") and decision 0010 for the privacy trade-off.

use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use shared::kana::normalize_kana;

/// Domain separation: a key reused elsewhere by mistake still gives unrelated values.
const CONTEXT: &[u8] = b"attaka-duplicate-hint-v1\0";

/// Length of a match key in hex digits (SHA-256 output).
pub const MATCH_KEY_HEX_LEN: usize = 64;

/// Shortest accepted prefecture key, in bytes.
pub const MIN_KEY_BYTES: usize = 32;

/// Why a configured key is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the duplicate-hint key must be hexadecimal")]
    NotHex,
    #[error("the duplicate-hint key must be at least {MIN_KEY_BYTES} bytes ({} hex digits)", MIN_KEY_BYTES * 2)]
    TooShort,
}

/// The prefecture's key, held by a centre node: derives match keys.
#[derive(Clone)]
pub struct MatchKeyer {
    /// HMAC already keyed with `K`; cloned for each derivation.
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for MatchKeyer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.write_str("MatchKeyer(…)")
    }
}

impl MatchKeyer {
    /// A keyer from the configured key: hex, at least [`MIN_KEY_BYTES`] bytes.
    pub fn from_hex(hex_key: &str) -> Result<MatchKeyer, KeyError> {
        let key = hex::decode(hex_key.trim()).map_err(|_| KeyError::NotHex)?;
        if key.len() < MIN_KEY_BYTES {
            return Err(KeyError::TooShort);
        }
        // HMAC takes keys of any length; the error exists for MACs with a fixed key size.
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).map_err(|_| KeyError::TooShort)?;
        Ok(MatchKeyer { mac })
    }

    /// The match key of a normalised kana key (as stored in `person_private.kana_key`, i.e.
    /// [`normalize_kana`] of family then given kana) and a birth date.
    pub fn derive_normalized(&self, kana_key: &str, birth_date: NaiveDate) -> String {
        let mut mac = self.mac.clone();
        mac.update(CONTEXT);
        mac.update(kana_key.as_bytes());
        mac.update(&[0x1F]);
        mac.update(birth_date.format("%Y-%m-%d").to_string().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The match key of a person's フリガナ (family and given, as typed in any width or script)
    /// and birth date.
    pub fn derive(&self, family_kana: &str, given_kana: &str, birth_date: NaiveDate) -> String {
        self.derive_normalized(&normalize_kana(&format!("{family_kana}{given_kana}")), birth_date)
    }
}

/// Whether `s` has the form of a match key (64 lowercase hex digits).
pub fn is_match_key(s: &str) -> bool {
    s.len() == MATCH_KEY_HEX_LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyer() -> MatchKeyer {
        MatchKeyer::from_hex(&"ab".repeat(32)).unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn width_script_and_spacing_do_not_change_the_key() {
        let k = keyer();
        let born = day(1948, 5, 1);
        let expected = k.derive("ヤマモト", "ハナコ", born);
        for (family, given) in [
            ("ﾔﾏﾓﾄ", "ﾊﾅｺ"),
            ("やまもと", "はなこ"),
            ("ヤマモト ", " ハナコ"),
            ("ヤマ　モト", "ハナコ"),
            ("ヤマモトハナコ", ""),
        ] {
            assert_eq!(k.derive(family, given, born), expected, "{family} {given}");
        }
        assert_eq!(k.derive_normalized("ヤマモトハナコ", born), expected);
        assert!(is_match_key(&expected));
    }

    #[test]
    fn another_birth_date_kana_or_key_gives_another_value() {
        let k = keyer();
        let born = day(1948, 5, 1);
        let base = k.derive("ヤマモト", "ハナコ", born);
        assert_ne!(k.derive("ヤマモト", "ハナコ", day(1948, 5, 2)), base);
        assert_ne!(k.derive("ヤマモト", "ハナエ", born), base);
        let other = MatchKeyer::from_hex(&"cd".repeat(32)).unwrap();
        assert_ne!(other.derive("ヤマモト", "ハナコ", born), base);
    }

    #[test]
    fn the_value_is_not_the_plain_text_nor_a_plain_hash() {
        use sha2::Digest;
        let k = keyer();
        let born = day(1948, 5, 1);
        let key = k.derive("ヤマモト", "ハナコ", born);
        assert!(!key.contains("1948"));
        let plain = hex::encode(sha2::Sha256::digest("ヤマモトハナコ\u{1F}1948-05-01".as_bytes()));
        assert_ne!(key, plain);
    }

    #[test]
    fn weak_or_malformed_keys_are_refused() {
        assert_eq!(MatchKeyer::from_hex("xyz").unwrap_err(), KeyError::NotHex);
        assert_eq!(
            MatchKeyer::from_hex(&"ab".repeat(31)).unwrap_err(),
            KeyError::TooShort
        );
        assert!(MatchKeyer::from_hex(&format!(" {} ", "AB".repeat(32))).is_ok());
        assert!(!format!("{:?}", keyer()).contains("ab"));
    }

    #[test]
    fn match_key_form() {
        assert!(is_match_key(&"0f".repeat(32)));
        assert!(!is_match_key(&"0F".repeat(32)));
        assert!(!is_match_key(&"0f".repeat(31)));
        assert!(!is_match_key("ヤマモトハナコ1948-05-01"));
    }
}
