//! 全国地方公共団体コード: the six-digit local-government code with its check digit, and Kochi's 34
//! municipalities as master data.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// 高知県's own code.
pub const PREFECTURE_CODE: &str = "390003";

/// Kochi's municipalities as (code, name, reading in katakana), in code order. The table spells
/// 梼原町 with the common form of the kanji; official documents also use 檮原町.
pub const KOCHI_MUNICIPALITIES: [(&str, &str, &str); 34] = [
    ("392014", "高知市", "コウチシ"),
    ("392022", "室戸市", "ムロトシ"),
    ("392031", "安芸市", "アキシ"),
    ("392049", "南国市", "ナンコクシ"),
    ("392057", "土佐市", "トサシ"),
    ("392065", "須崎市", "スサキシ"),
    ("392081", "宿毛市", "スクモシ"),
    ("392090", "土佐清水市", "トサシミズシ"),
    ("392103", "四万十市", "シマントシ"),
    ("392111", "香南市", "コウナンシ"),
    ("392120", "香美市", "カミシ"),
    ("393011", "東洋町", "トウヨウチョウ"),
    ("393029", "奈半利町", "ナハリチョウ"),
    ("393037", "田野町", "タノチョウ"),
    ("393045", "安田町", "ヤスダチョウ"),
    ("393053", "北川村", "キタガワムラ"),
    ("393061", "馬路村", "ウマジムラ"),
    ("393070", "芸西村", "ゲイセイムラ"),
    ("393410", "本山町", "モトヤマチョウ"),
    ("393444", "大豊町", "オオトヨチョウ"),
    ("393631", "土佐町", "トサチョウ"),
    ("393649", "大川村", "オオカワムラ"),
    ("393860", "いの町", "イノチョウ"),
    ("393878", "仁淀川町", "ニヨドガワチョウ"),
    ("394017", "中土佐町", "ナカトサチョウ"),
    ("394025", "佐川町", "サカワチョウ"),
    ("394033", "越知町", "オチチョウ"),
    ("394050", "梼原町", "ユスハラチョウ"),
    ("394106", "日高村", "ヒダカムラ"),
    ("394114", "津野町", "ツノチョウ"),
    ("394122", "四万十町", "シマントチョウ"),
    ("394246", "大月町", "オオツキチョウ"),
    ("394271", "三原村", "ミハラムラ"),
    ("394289", "黒潮町", "クロシオチョウ"),
];

/// The check digit for the first five digits of a code: weights 6,5,4,3,2, r = sum mod 11,
/// digit = (11 − r) mod 10. `None` unless given exactly five ASCII digits.
pub fn check_digit(first5: &str) -> Option<u8> {
    if first5.len() != 5 || !first5.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first5
        .bytes()
        .zip([6u32, 5, 4, 3, 2])
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(((11 - sum % 11) % 10) as u8)
}

/// Why a local-government code was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MunicipalityCodeError {
    /// Not six digits.
    Format,
    /// Six digits whose last does not match the check digit.
    CheckDigit,
}

impl MunicipalityCodeError {
    /// Stable machine-readable code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            MunicipalityCodeError::Format => "format",
            MunicipalityCodeError::CheckDigit => "check_digit",
        }
    }
}

impl fmt::Display for MunicipalityCodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MunicipalityCodeError::Format => {
                "地方公共団体コードは6桁の数字で入力してください（例: 392014）。"
            }
            MunicipalityCodeError::CheckDigit => {
                "地方公共団体コードの検査数字が合いません。番号を確認してください。"
            }
        })
    }
}

impl std::error::Error for MunicipalityCodeError {}

/// A six-digit 全国地方公共団体コード whose check digit has been verified, e.g. `392014`.
///
/// Codes can start with 0 (北海道 is `010006`), so keep them out of CSV as bare digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MunicipalityCode(String);

impl MunicipalityCode {
    /// Parses six digits (full-width digits and surrounding spaces accepted) and checks the last.
    pub fn parse(input: &str) -> Result<MunicipalityCode, MunicipalityCodeError> {
        let text: String = input.nfkc().collect();
        let text = text.trim();
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MunicipalityCodeError::Format);
        }
        let (first5, last) = text.split_at(5);
        let expected = check_digit(first5).ok_or(MunicipalityCodeError::Format)?;
        if last.bytes().next() != Some(b'0' + expected) {
            return Err(MunicipalityCodeError::CheckDigit);
        }
        Ok(MunicipalityCode(text.to_string()))
    }

    /// The six digits, e.g. `392014`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Name and katakana reading when this is one of Kochi's municipalities.
    pub fn kochi_municipality(&self) -> Option<(&'static str, &'static str)> {
        KOCHI_MUNICIPALITIES
            .iter()
            .find(|(code, _, _)| *code == self.0)
            .map(|&(_, name, kana)| (name, kana))
    }
}

impl fmt::Display for MunicipalityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for MunicipalityCode {
    type Err = MunicipalityCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MunicipalityCode::parse(s)
    }
}

impl TryFrom<String> for MunicipalityCode {
    type Error = MunicipalityCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        MunicipalityCode::parse(&value)
    }
}

impl From<MunicipalityCode> for String {
    fn from(code: MunicipalityCode) -> String {
        code.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kana::validate_kana;

    #[test]
    fn every_kochi_municipality_passes_the_check_digit() {
        for (code, name, _) in KOCHI_MUNICIPALITIES {
            let parsed = MunicipalityCode::parse(code);
            assert_eq!(parsed.as_ref().map(|c| c.as_str()), Ok(code), "{name}");
        }
    }

    #[test]
    fn the_prefecture_code_passes_the_check_digit() {
        assert_eq!(check_digit(&PREFECTURE_CODE[..5]), Some(3));
        assert!(MunicipalityCode::parse(PREFECTURE_CODE).is_ok());
    }

    #[test]
    fn kochi_municipality_codes_are_unique_and_in_order() {
        for pair in KOCHI_MUNICIPALITIES.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} then {}", pair[0].0, pair[1].0);
        }
    }

    #[test]
    fn every_kochi_municipality_belongs_to_kochi_and_has_a_katakana_reading() {
        for (code, name, kana) in KOCHI_MUNICIPALITIES {
            assert!(code.starts_with("39"), "{name}");
            assert_eq!(validate_kana(kana).as_deref(), Ok(kana), "{name}");
        }
    }

    #[test]
    fn a_wrong_last_digit_is_a_check_digit_error() {
        assert_eq!(
            MunicipalityCode::parse("392015"),
            Err(MunicipalityCodeError::CheckDigit)
        );
    }

    #[test]
    fn a_code_that_is_not_six_digits_is_a_format_error() {
        for typed in ["", "39201", "3920140", "39201a", "３９２０１", "-39201", "٣٩٢٠١٤"] {
            assert_eq!(
                MunicipalityCode::parse(typed),
                Err(MunicipalityCodeError::Format),
                "{typed}"
            );
        }
    }

    #[test]
    fn full_width_digits_and_spaces_are_accepted() {
        let code = MunicipalityCode::parse(" ３９２０１４ ").expect("valid");
        assert_eq!(code.as_str(), "392014");
        assert_eq!(code.to_string(), "392014");
        assert_eq!(code.kochi_municipality(), Some(("高知市", "コウチシ")));
    }

    #[test]
    fn a_remainder_of_zero_or_one_gives_check_digit_one_or_zero() {
        // 0 0 0 0 0 sums to 0 → 11 mod 10 = 1; 0 0 0 0 5 sums to 10 → r 10 → 1; 1 0 0 0 0 → 6 → 5.
        assert_eq!(check_digit("00000"), Some(1));
        assert_eq!(check_digit("00005"), Some(1));
        assert_eq!(check_digit("10000"), Some(5));
        // Hokkaido 01000 → 5 → r 5 → 6.
        assert_eq!(check_digit("01000"), Some(6));
    }

    #[test]
    fn check_digit_needs_exactly_five_ascii_digits() {
        for bad in ["", "1234", "123456", "1234a", "１２３４５"] {
            assert_eq!(check_digit(bad), None, "{bad}");
        }
    }

    #[test]
    fn codes_serialise_as_strings_and_deserialising_validates() {
        let code = MunicipalityCode::parse("394050").expect("valid");
        assert_eq!(serde_json::to_string(&code).expect("ok"), "\"394050\"");
        assert_eq!(
            serde_json::from_str::<MunicipalityCode>("\"394050\"").expect("ok"),
            code
        );
        assert!(serde_json::from_str::<MunicipalityCode>("\"394051\"").is_err());
    }
}
