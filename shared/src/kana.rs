//! フリガナ: the search key that makes name search width-, script- and spacing-blind, and the check
//! for a stored フリガナ field.
//!
//! Variant kanji (髙/高, 﨑/崎) are not unified by Unicode, so name search goes by kana.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

/// Why a フリガナ field was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KanaError {
    /// Nothing but spaces.
    Empty,
    /// Holds a character that is not katakana (the first one found, after normalisation).
    NotKana(char),
}

impl KanaError {
    /// Stable machine-readable code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            KanaError::Empty => "empty",
            KanaError::NotKana(_) => "not_kana",
        }
    }
}

impl fmt::Display for KanaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KanaError::Empty => f.write_str("フリガナを入力してください。"),
            KanaError::NotKana(c) => write!(
                f,
                "フリガナはカタカナかひらがなで入力してください（使えない文字:「{c}」）。"
            ),
        }
    }
}

impl std::error::Error for KanaError {}

/// The search key for a フリガナ: NFKC (half-width kana become full-width, ｶﾞ becomes ガ), hiragana
/// folded to katakana, every dash-like long mark unified to ー, and all spaces dropped.
///
/// `～` and `〜` are left alone: they are not long marks. Idempotent.
pub fn normalize_kana(input: &str) -> String {
    let folded: String = input
        .nfkc()
        .filter(|c| !c.is_whitespace())
        .map(fold_char)
        .collect();
    // NFKC turns a spacing ゛ into a space plus a combining mark; once the space is gone the mark
    // sits on the kana before it, and composing again keeps the function idempotent.
    folded.nfc().collect()
}

/// Checks a フリガナ to be stored and returns its display form: NFKC, hiragana as katakana, long
/// marks unified, each run of spaces as one full-width space, no leading or trailing space.
pub fn validate_kana(input: &str) -> Result<String, KanaError> {
    let mut display = String::new();
    let normalized: String = input.nfkc().map(fold_char).collect();
    // A spacing ゛ or ゜ typed after a kana comes out of NFKC as a space plus a combining mark; that
    // space is not a word break.
    let composed: String = normalized
        .replace(" \u{3099}", "\u{3099}")
        .replace(" \u{309A}", "\u{309A}")
        .nfc()
        .collect();
    for word in composed.split_whitespace() {
        if let Some(bad) = word.chars().find(|&c| !is_katakana(c)) {
            return Err(KanaError::NotKana(bad));
        }
        if !display.is_empty() {
            display.push('\u{3000}');
        }
        display.push_str(word);
    }
    if display.is_empty() {
        return Err(KanaError::Empty);
    }
    Ok(display)
}

/// Hiragana to katakana and long-mark look-alikes to ー; everything else unchanged.
fn fold_char(c: char) -> char {
    match c {
        // ぁ..=ゖ sit exactly 0x60 below ァ..=ヶ, as do ゝゞ below ヽヾ.
        '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}' => {
            char::from_u32(u32::from(c) + 0x60).unwrap_or(c)
        }
        '-' | '\u{2010}' // ‐ hyphen (NFKC target of the non-breaking hyphen)
        | '\u{2011}'
        | '\u{2013}' // – en dash
        | '\u{2014}' // — em dash
        | '\u{2015}' // ― horizontal bar
        | '\u{2212}' // − minus sign
        | '\u{FF70}' // ｰ (NFKC already maps it; kept for clarity of intent)
        => '\u{30FC}',
        _ => c,
    }
}

/// Katakana letters ァ..=ヺ plus ・ ー ヽ ヾ.
fn is_katakana(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FE}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_width_hiragana_and_full_width_spellings_share_one_key() {
        let key = normalize_kana("ガクコウチ");
        for typed in [
            "ｶﾞｸｺｳﾁ",
            "がくこうち",
            "ガクコウチ",
            "ｶﾞｸ ｺｳﾁ",
            "がく　こうち",
            " ガク\tコウチ ",
            "ガク　 こうち",
            "カ\u{3099}クコウチ",
        ] {
            assert_eq!(normalize_kana(typed), key, "{typed}");
        }
        assert_eq!(key, "ガクコウチ");
    }

    #[test]
    fn long_marks_of_every_kind_become_one() {
        for typed in [
            "コーヒー",
            "ｺｰﾋｰ",
            "こーひー",
            "コ−ヒ−",
            "コ-ヒ-",
            "コ‐ヒ‐",
            "コ‑ヒ‑",
            "コ–ヒ–",
            "コ—ヒ—",
            "コ―ヒ―",
            "コ－ヒ－",
        ] {
            assert_eq!(normalize_kana(typed), "コーヒー", "{typed}");
        }
    }

    #[test]
    fn wave_dashes_are_not_long_marks() {
        assert_eq!(normalize_kana("ア〜"), "ア〜");
        assert_eq!(normalize_kana("ア～"), "ア~");
    }

    #[test]
    fn iteration_marks_fold_to_katakana() {
        assert_eq!(normalize_kana("すゞき"), "スヾキ");
        assert_eq!(normalize_kana("ゝ"), "ヽ");
        assert_eq!(normalize_kana("ゔぁ"), "ヴァ");
    }

    #[test]
    fn a_spacing_voiced_mark_joins_the_kana_before_it() {
        assert_eq!(normalize_kana("カ゛"), "ガ");
        assert_eq!(normalize_kana("ハ゜"), "パ");
    }

    #[test]
    fn normalising_twice_changes_nothing() {
        let samples = [
            "ｶﾞｸ ｺｳﾁ",
            "カ゛",
            "か ゛",
            "ﾊﾟ",
            "ゝ゛",
            "ア〜ｰ－",
            "㍻ ㋿",
            "髙﨑　たろう",
            "",
            " \u{3000}\t",
        ];
        for s in samples {
            let once = normalize_kana(s);
            assert_eq!(normalize_kana(&once), once, "{s}");
        }
    }

    #[test]
    fn normalising_any_character_with_a_voicing_mark_is_idempotent() {
        let marks = [
            '\u{3099}', '\u{309A}', '\u{309B}', '\u{309C}', '\u{FF9E}', '\u{FF9F}',
        ];
        for cp in (0x20u32..0x3400).chain(0xF900..0x10000) {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let once = normalize_kana(&c.to_string());
            assert_eq!(normalize_kana(&once), once, "U+{cp:04X}");
            if (0x3000..0x3100).contains(&cp) || (0xFF00..0xFFF0).contains(&cp) {
                for m in marks {
                    for s in [format!("{c}{m}"), format!("{c} {m}")] {
                        let once = normalize_kana(&s);
                        assert_eq!(normalize_kana(&once), once, "U+{cp:04X} + {m}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_stored_furigana_is_shown_in_full_width_katakana_with_single_spaces() {
        assert_eq!(
            validate_kana("  ｺｳﾁ   ﾀﾛｳ "),
            Ok("コウチ\u{3000}タロウ".to_string())
        );
        assert_eq!(
            validate_kana("こうち\u{3000}\u{3000}はなこ"),
            Ok("コウチ\u{3000}ハナコ".to_string())
        );
        assert_eq!(validate_kana("ｽｽﾞｷ"), Ok("スズキ".to_string()));
        assert_eq!(validate_kana("ジョン・スミス"), Ok("ジョン・スミス".to_string()));
        assert_eq!(validate_kana("ﾏｰｸ"), Ok("マーク".to_string()));
        assert_eq!(validate_kana("マ-ク"), Ok("マーク".to_string()));
        assert_eq!(validate_kana("カ゛ク"), Ok("ガク".to_string()));
    }

    #[test]
    fn an_empty_furigana_is_rejected() {
        assert_eq!(validate_kana(""), Err(KanaError::Empty));
        assert_eq!(validate_kana(" \u{3000}\t "), Err(KanaError::Empty));
    }

    #[test]
    fn a_furigana_with_kanji_or_latin_letters_is_rejected() {
        assert_eq!(validate_kana("高知タロウ"), Err(KanaError::NotKana('高')));
        assert_eq!(validate_kana("Taro"), Err(KanaError::NotKana('T')));
        assert_eq!(validate_kana("タロウ1"), Err(KanaError::NotKana('1')));
        assert_eq!(validate_kana("タロウ〜"), Err(KanaError::NotKana('〜')));
        assert_eq!(KanaError::NotKana('高').code(), "not_kana");
        assert_eq!(KanaError::Empty.code(), "empty");
    }

    #[test]
    fn the_key_of_a_stored_furigana_matches_the_key_of_what_is_typed() {
        let stored = validate_kana("ｺｳﾁ ﾀﾛｳ").expect("valid");
        assert_eq!(normalize_kana(&stored), normalize_kana("こうちたろう"));
    }
}
