//! The common person ID (共通利用者番号) issued offline on a centre node, and the centre code it embeds.
//!
//! A common ID looks like `C012-000123-8`: centre number, per-centre serial, and one Damm check digit
//! over the nine digits. The leading letter keeps Excel from turning the ID into a number.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// Largest per-centre serial: six digits.
pub const MAX_SERIAL: u32 = 999_999;

/// Damm's order-10 quasigroup (Damm 2004, as published). Its zero diagonal means the check digit is
/// simply the interim state, and appending it brings the state back to 0.
const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// Runs the Damm quasigroup over decimal digits. Digits above 9 are reduced modulo 10 so the
/// function cannot index out of bounds whatever it is given.
fn damm(digits: &[u8]) -> u8 {
    digits
        .iter()
        .fold(0u8, |state, &d| DAMM[usize::from(state)][usize::from(d % 10)])
}

/// Why a centre code was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CenterCodeError {
    /// Not `C` followed by three digits, or `C000`.
    Format,
}

impl CenterCodeError {
    /// Stable machine-readable code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            CenterCodeError::Format => "format",
        }
    }
}

impl fmt::Display for CenterCodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CenterCodeError::Format => {
                f.write_str("センターコードは「C」と3桁の数字（C001〜C999、例: C012）で入力してください。")
            }
        }
    }
}

impl std::error::Error for CenterCodeError {}

/// Code of one あったかふれあいセンター, `C001`..=`C999`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CenterCode(String);

impl CenterCode {
    /// Parses what a user typed: `C012`, `c012`, `Ｃ０１２`, with surrounding spaces.
    pub fn parse(input: &str) -> Result<CenterCode, CenterCodeError> {
        let text = normalize(input);
        let rest = text
            .trim()
            .strip_prefix(['C', 'c'])
            .ok_or(CenterCodeError::Format)?;
        let number = parse_fixed_digits(rest, 3).ok_or(CenterCodeError::Format)?;
        Self::from_number(number)
    }

    /// Builds the code of centre number `number` (1..=999).
    pub fn from_number(number: u16) -> Result<CenterCode, CenterCodeError> {
        if (1..=999).contains(&number) {
            Ok(CenterCode(format!("C{number:03}")))
        } else {
            Err(CenterCodeError::Format)
        }
    }

    /// Canonical form, e.g. `C012`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The centre number, 1..=999.
    pub fn number(&self) -> u16 {
        // The string was validated on construction, so every byte after `C` is an ASCII digit.
        self.0
            .bytes()
            .skip(1)
            .fold(0u16, |n, b| n * 10 + u16::from(b.wrapping_sub(b'0') % 10))
    }
}

impl fmt::Display for CenterCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CenterCode {
    type Err = CenterCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CenterCode::parse(s)
    }
}

impl TryFrom<String> for CenterCode {
    type Error = CenterCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        CenterCode::parse(&value)
    }
}

impl From<CenterCode> for String {
    fn from(code: CenterCode) -> String {
        code.0
    }
}

/// Why a common ID could not be parsed or issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommonIdError {
    /// The text is not shaped like `C012-000123-8`, or its centre or serial is zero.
    Format,
    /// Well-formed, but the check digit does not match: almost always a typing mistake.
    CheckDigit,
    /// A serial outside 1..=999_999 was asked for when issuing.
    SerialOutOfRange,
}

impl CommonIdError {
    /// Stable machine-readable code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            CommonIdError::Format => "format",
            CommonIdError::CheckDigit => "check_digit",
            CommonIdError::SerialOutOfRange => "serial_out_of_range",
        }
    }
}

impl fmt::Display for CommonIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CommonIdError::Format => "共通利用者番号の形式が正しくありません（例: C012-000123-8）。",
            CommonIdError::CheckDigit => {
                "共通利用者番号のチェック数字が合いません。番号に打ち間違いがないか確認してください。"
            }
            CommonIdError::SerialOutOfRange => {
                "このセンターの通し番号は1〜999999の範囲で、上限に達しています。"
            }
        })
    }
}

impl std::error::Error for CommonIdError {}

/// 共通利用者番号: `C` + centre number (3) + serial (6) + Damm check digit, printed `C012-000123-8`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CommonId {
    // Field order matters for the derived ordering: the zero-padded text sorts by centre, then serial.
    text: String,
    center: u16,
    serial: u32,
}

impl CommonId {
    /// Issues the ID for `serial` at `center`; the centre node owns the serial counter, so no
    /// network call is needed and IDs from different centres cannot collide.
    pub fn issue(center: &CenterCode, serial: u32) -> Result<CommonId, CommonIdError> {
        if !(1..=MAX_SERIAL).contains(&serial) {
            return Err(CommonIdError::SerialOutOfRange);
        }
        let mut digits = [0u8; 10];
        fill_digits(&mut digits[..3], u32::from(center.number()));
        fill_digits(&mut digits[3..9], serial);
        digits[9] = damm(&digits[..9]);
        CommonId::from_digits(&digits)
    }

    /// Parses what a user typed or scanned: `C012-000123-8`, `C0120001238`, lower case, full-width
    /// characters, spaces and the dash look-alikes an IME produces (‐ − – ー －). Separators may only
    /// stand between the groups, so a misplaced grouping is reported rather than guessed at.
    pub fn parse(input: &str) -> Result<CommonId, CommonIdError> {
        let text = normalize(input);
        let mut chars = text.trim().chars();
        match chars.next() {
            Some('C' | 'c') => {}
            _ => return Err(CommonIdError::Format),
        }
        let mut digits = [0u8; 10];
        let mut count = 0usize;
        for c in chars {
            if is_separator(c) {
                // Group boundaries sit after the letter, the centre number and the serial.
                if !matches!(count, 0 | 3 | 9) {
                    return Err(CommonIdError::Format);
                }
                continue;
            }
            // `to_digit(10)` accepts ASCII digits only; other scripts' digits survive NFKC.
            let digit = c.to_digit(10).ok_or(CommonIdError::Format)?;
            let slot = digits.get_mut(count).ok_or(CommonIdError::Format)?;
            *slot = digit as u8;
            count += 1;
        }
        if count != digits.len() {
            return Err(CommonIdError::Format);
        }
        CommonId::from_digits(&digits)
    }

    /// Validates ten decimal digits (centre, serial, check) and builds the canonical ID.
    fn from_digits(digits: &[u8; 10]) -> Result<CommonId, CommonIdError> {
        if digits.iter().any(|&d| d > 9) {
            return Err(CommonIdError::Format);
        }
        let center = digits[..3].iter().fold(0u16, |n, &d| n * 10 + u16::from(d));
        let serial = digits[3..9].iter().fold(0u32, |n, &d| n * 10 + u32::from(d));
        if center == 0 || serial == 0 {
            return Err(CommonIdError::Format);
        }
        if damm(digits) != 0 {
            return Err(CommonIdError::CheckDigit);
        }
        Ok(CommonId {
            text: format!("C{center:03}-{serial:06}-{}", digits[9]),
            center,
            serial,
        })
    }

    /// The issuing centre's number, 1..=999.
    pub fn center_number(&self) -> u16 {
        self.center
    }

    /// The issuing centre's code, e.g. `C012`.
    pub fn center_code(&self) -> CenterCode {
        CenterCode(format!("C{:03}", self.center))
    }

    /// The per-centre serial, 1..=999_999.
    pub fn serial(&self) -> u32 {
        self.serial
    }

    /// Canonical printed form, e.g. `C012-000123-8`.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for CommonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for CommonId {
    type Err = CommonIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CommonId::parse(s)
    }
}

impl TryFrom<String> for CommonId {
    type Error = CommonIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        CommonId::parse(&value)
    }
}

impl From<CommonId> for String {
    fn from(id: CommonId) -> String {
        id.text
    }
}

/// The first fragment of `text` shaped like a common ID (`C012-000123-8`, `C0120001238`, in
/// any width or case, with spaces or dashes between the groups), as written there. The check
/// digit is not required to match: a mistyped ID still points at a person. Free text that must
/// not hold person data (the operations log) is refused when this finds one.
pub fn find_in_text(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    for start in 0..chars.len() {
        let first = normalize_char(chars[start]);
        if !matches!(first, Some('C' | 'c')) {
            continue;
        }
        // A letter glued to a word before it (`ABC0120001238`) is still an ID: no boundary
        // is required on the left, only that the digits run exactly ten long.
        let mut count = 0usize;
        let mut end = start + 1;
        let mut i = start + 1;
        while i < chars.len() && count < 10 {
            let Some(c) = normalize_char(chars[i]) else { break };
            if c.is_ascii_digit() {
                count += 1;
                i += 1;
                end = i;
            } else if is_separator(c) && matches!(count, 0 | 3 | 9) && c != '\n' {
                i += 1;
            } else {
                break;
            }
        }
        let followed_by_digit = chars
            .get(end)
            .and_then(|c| normalize_char(*c))
            .is_some_and(|c| c.is_ascii_digit());
        if count == 10 && !followed_by_digit {
            return Some(chars[start..end].iter().collect());
        }
    }
    None
}

/// One character folded as NFKC folds it (full-width letters, digits and dashes to ASCII);
/// none when it does not fold to a single character.
fn normalize_char(c: char) -> Option<char> {
    if c.is_ascii() {
        return Some(c);
    }
    let mut folded = std::iter::once(c).nfkc();
    match (folded.next(), folded.next()) {
        (Some(f), None) => Some(f),
        _ => None,
    }
}

/// A search box's text read as part of a common ID, without separators: `000007`, `C001000007`,
/// `Ｃ００１－０００００７` → `000007`, `C001000007`. `None` unless it is an optional `C` and 4 to 10
/// digits (so a name or フリガナ is never taken for one). A stored ID matches when its text
/// without hyphens contains the fragment.
pub fn search_fragment(input: &str) -> Option<String> {
    let text = normalize(input);
    let compact: String = text.trim().chars().filter(|c| !is_separator(*c)).collect();
    let (prefix, digits) = match compact.strip_prefix(['C', 'c']) {
        Some(rest) => ("C", rest),
        None => ("", compact.as_str()),
    };
    let ok = (4..=10).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| format!("{prefix}{digits}"))
}

/// NFKC folds full-width letters, digits and hyphens to ASCII. ASCII is already NFKC, so the common
/// case skips the allocation-heavy normaliser.
fn normalize(input: &str) -> std::borrow::Cow<'_, str> {
    if input.is_ascii() {
        std::borrow::Cow::Borrowed(input)
    } else {
        std::borrow::Cow::Owned(input.nfkc().collect())
    }
}

/// Spaces and the dashes people and IMEs type between the groups (after NFKC, so full-width forms
/// are already folded).
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '\u{2010}' // ‐ hyphen
                | '\u{2011}' // non-breaking hyphen
                | '\u{2012}' // figure dash
                | '\u{2013}' // – en dash
                | '\u{2014}' // — em dash
                | '\u{2015}' // ― horizontal bar
                | '\u{2212}' // − minus sign
                | '\u{30FC}' // ー long mark, what a Japanese IME gives for the minus key
        )
}

/// Exactly `len` ASCII digits, as a number.
fn parse_fixed_digits(s: &str, len: usize) -> Option<u16> {
    if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Writes `value` as zero-padded decimal digits into `out`, most significant first.
fn fill_digits(out: &mut [u8], mut value: u32) {
    for slot in out.iter_mut().rev() {
        *slot = (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_common_id_in_free_text_is_found_in_any_form_people_type_it() {
        for (text, found) in [
            ("山本さん（C001-000123-8）から電話", "C001-000123-8"),
            ("番号 c0010001238 の件", "c0010001238"),
            ("Ｃ００１－０００１２３－８について", "Ｃ００１－０００１２３－８"),
            ("C001 000123 9 は打ち間違い", "C001 000123 9"),
            ("ABC0010001238", "C0010001238"),
        ] {
            assert_eq!(find_in_text(text).as_deref(), Some(found), "{text}");
        }
    }

    #[test]
    fn text_without_a_common_id_passes() {
        for text in [
            "C001 のセンターで停電",
            "C001-S01 のサテライト",
            "版 1.2.3 に更新、C12345 は型番",
            "C00100012389 は桁が多い",
            "C001-0001-238",
            "",
        ] {
            assert_eq!(find_in_text(text), None, "{text}");
        }
    }

    fn center(n: u16) -> CenterCode {
        CenterCode::from_number(n).expect("test centre numbers are in range")
    }

    fn id_digits(center: u16, serial: u32) -> [u8; 10] {
        let mut digits = [0u8; 10];
        fill_digits(&mut digits[..3], u32::from(center));
        fill_digits(&mut digits[3..9], serial);
        digits[9] = damm(&digits[..9]);
        digits
    }

    /// Every single-digit substitution and every swap of two neighbouring different digits of `digits`
    /// must leave a Damm state other than 0, and so be rejected by `from_digits`.
    fn assert_all_single_errors_caught(digits: &[u8; 10]) {
        assert_eq!(damm(digits), 0);
        for pos in 0..10 {
            for wrong in 0..10u8 {
                if wrong == digits[pos] {
                    continue;
                }
                let mut typo = *digits;
                typo[pos] = wrong;
                assert_ne!(damm(&typo), 0, "substitution at {pos} of {digits:?}");
                assert!(CommonId::from_digits(&typo).is_err());
            }
        }
        for pos in 0..9 {
            if digits[pos] == digits[pos + 1] {
                continue;
            }
            let mut swapped = *digits;
            swapped.swap(pos, pos + 1);
            assert_ne!(damm(&swapped), 0, "swap at {pos} of {digits:?}");
            assert!(CommonId::from_digits(&swapped).is_err());
        }
    }

    #[test]
    fn the_damm_table_is_a_latin_square() {
        for row in DAMM {
            let mut seen = [false; 10];
            for v in row {
                seen[usize::from(v)] = true;
            }
            assert!(seen.iter().all(|&s| s), "row {row:?} is not a permutation");
        }
        for col in 0..10 {
            let mut seen = [false; 10];
            for row in DAMM {
                seen[usize::from(row[col])] = true;
            }
            assert!(seen.iter().all(|&s| s), "column {col} is not a permutation");
        }
    }

    #[test]
    fn the_damm_table_has_a_zero_diagonal() {
        for (i, row) in DAMM.iter().enumerate() {
            assert_eq!(row[i], 0);
        }
    }

    #[test]
    fn the_damm_table_is_weakly_totally_anti_symmetric() {
        for c in 0..10 {
            for x in 0..10 {
                for y in 0..10 {
                    if x == y {
                        continue;
                    }
                    let xy = DAMM[usize::from(DAMM[c][x])][y];
                    let yx = DAMM[usize::from(DAMM[c][y])][x];
                    assert_ne!(xy, yx, "c={c} x={x} y={y}");
                }
            }
        }
    }

    #[test]
    fn every_typo_in_a_whole_block_of_serials_is_caught() {
        for serial in 1..=99_999 {
            assert_all_single_errors_caught(&id_digits(12, serial));
        }
    }

    #[test]
    fn every_typo_at_every_centre_number_is_caught() {
        for c in 1..=999 {
            for serial in [1, 2, 10, 123, 98_765, 500_000, 909_090, 999_999] {
                assert_all_single_errors_caught(&id_digits(c, serial));
            }
        }
    }

    #[test]
    fn a_swap_of_two_neighbouring_digits_is_caught() {
        let id = CommonId::issue(&center(12), 123).expect("valid serial");
        assert_eq!(id.as_str(), "C012-000123-8");
        assert_eq!(CommonId::parse("C012-000213-8"), Err(CommonIdError::CheckDigit));
        // The last serial digit swapped with the check digit.
        assert_eq!(CommonId::parse("C012-000128-3"), Err(CommonIdError::CheckDigit));
    }

    #[test]
    fn typos_are_rejected_through_the_text_parser_as_well() {
        for c in [1, 12, 390, 999] {
            for serial in [1, 4_321, 999_999] {
                let digits = id_digits(c, serial);
                for pos in 0..10 {
                    for wrong in 0..10u8 {
                        if wrong == digits[pos] {
                            continue;
                        }
                        let mut typo = digits;
                        typo[pos] = wrong;
                        let text: String = typo.iter().map(|d| char::from(b'0' + d)).collect();
                        assert!(CommonId::parse(&format!("C{text}")).is_err());
                    }
                }
            }
        }
    }

    #[test]
    fn issued_ids_print_and_parse_back_to_the_same_id() {
        for c in [1, 12, 500, 999] {
            for serial in [1, 7, 123, 100_000, 999_999] {
                let id = CommonId::issue(&center(c), serial).expect("valid serial");
                assert_eq!(id.center_number(), c);
                assert_eq!(id.serial(), serial);
                assert_eq!(id.center_code(), center(c));
                assert_eq!(CommonId::parse(id.as_str()), Ok(id.clone()));
                assert_eq!(id.to_string().parse::<CommonId>(), Ok(id.clone()));
                let compact = id.as_str().replace('-', "");
                assert_eq!(CommonId::parse(&compact), Ok(id));
            }
        }
    }

    #[test]
    fn lower_case_full_width_and_dash_look_alikes_are_accepted() {
        let id = CommonId::issue(&center(12), 123).expect("valid serial");
        for typed in [
            "c012-000123-8",
            "  C012-000123-8 ",
            "Ｃ０１２－０００１２３－８",
            "ｃ０１２０００１２３８",
            "C012ー000123ー8",
            "C012‐000123‐8",
            "C012−000123−8",
            "C012–000123–8",
            "C012 000123 8",
            "C012\u{3000}000123\u{3000}8",
            "C-012-000123-8",
        ] {
            assert_eq!(CommonId::parse(typed), Ok(id.clone()), "{typed}");
        }
    }

    #[test]
    fn malformed_ids_are_format_errors() {
        for typed in [
            "",
            "C",
            "0120001238",
            "X012-000123-8",
            "C012-000123",
            "C012-000123-85",
            "C01-2000123-8",
            "C012-000123-8-",
            "C012-00012a-4",
            "C000-000001-0",
            "C0０12-000123-8x",
            "C012-٠٠٠١٢٣-4",
        ] {
            assert_eq!(CommonId::parse(typed), Err(CommonIdError::Format), "{typed}");
        }
    }

    #[test]
    fn serial_zero_is_never_issued_or_accepted() {
        assert_eq!(
            CommonId::issue(&center(12), 0),
            Err(CommonIdError::SerialOutOfRange)
        );
        let digits = id_digits(12, 0);
        assert_eq!(damm(&digits), 0);
        assert_eq!(CommonId::from_digits(&digits), Err(CommonIdError::Format));
    }

    #[test]
    fn a_serial_above_six_digits_is_never_issued() {
        for serial in [1_000_000, 1_234_567, u32::MAX] {
            assert_eq!(
                CommonId::issue(&center(12), serial),
                Err(CommonIdError::SerialOutOfRange)
            );
        }
    }

    #[test]
    fn ids_serialise_as_their_printed_form_and_deserialising_validates() {
        let id = CommonId::issue(&center(12), 123).expect("valid serial");
        let json = serde_json::to_string(&id).expect("serialises");
        assert_eq!(json, "\"C012-000123-8\"");
        let back: CommonId = serde_json::from_str("\"c0120001238\"").expect("deserialises");
        assert_eq!(back, id);
        assert!(serde_json::from_str::<CommonId>("\"C012-000123-4\"").is_err());
    }

    #[test]
    fn ids_sort_by_centre_then_serial() {
        let a = CommonId::issue(&center(2), 999_999).expect("valid");
        let b = CommonId::issue(&center(12), 1).expect("valid");
        let c = CommonId::issue(&center(12), 2).expect("valid");
        assert!(a < b && b < c);
    }

    #[test]
    fn a_centre_code_is_accepted_in_any_width_and_case() {
        for typed in ["C012", "c012", " C012 ", "Ｃ０１２", "ｃ012"] {
            let code = CenterCode::parse(typed).expect(typed);
            assert_eq!(code.as_str(), "C012");
            assert_eq!(code.number(), 12);
            assert_eq!(code.to_string(), "C012");
        }
        assert_eq!(CenterCode::parse("C999").map(|c| c.number()), Ok(999));
        assert_eq!(CenterCode::parse("C001").map(|c| c.number()), Ok(1));
    }

    #[test]
    fn a_malformed_centre_code_is_rejected() {
        for typed in [
            "", "C", "C000", "C12", "C0123", "012", "D012", "C-012", "C+12", "C1 2",
        ] {
            assert_eq!(CenterCode::parse(typed), Err(CenterCodeError::Format), "{typed}");
        }
        assert_eq!(CenterCode::from_number(0), Err(CenterCodeError::Format));
        assert_eq!(CenterCode::from_number(1000), Err(CenterCodeError::Format));
    }

    #[test]
    fn a_centre_code_round_trips_through_serde_and_is_validated() {
        let code = center(12);
        assert_eq!(serde_json::to_string(&code).expect("ok"), "\"C012\"");
        assert_eq!(serde_json::from_str::<CenterCode>("\"c012\"").expect("ok"), code);
        assert!(serde_json::from_str::<CenterCode>("\"C000\"").is_err());
    }

    #[test]
    fn errors_have_stable_codes_and_japanese_messages() {
        assert_eq!(CommonIdError::Format.code(), "format");
        assert_eq!(CommonIdError::CheckDigit.code(), "check_digit");
        assert_eq!(CenterCodeError::Format.code(), "format");
        assert!(CommonIdError::CheckDigit.to_string().contains("チェック数字"));
    }

    #[test]
    fn search_fragments_ignore_hyphens_and_width() {
        assert_eq!(search_fragment("000007").as_deref(), Some("000007"));
        assert_eq!(search_fragment("C001000007").as_deref(), Some("C001000007"));
        assert_eq!(
            search_fragment("ｃ００１－０００００７").as_deref(),
            Some("C001000007")
        );
        assert_eq!(search_fragment(" C001-000007 ").as_deref(), Some("C001000007"));
        assert_eq!(search_fragment("０００００７").as_deref(), Some("000007"));
        assert_eq!(search_fragment("007"), None);
        assert_eq!(search_fragment("やまだ"), None);
        assert_eq!(search_fragment("C"), None);
        assert_eq!(search_fragment("C12345678901"), None);
    }
}
