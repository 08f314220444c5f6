//! Characters no text field accepts: control characters (NUL, BEL, ESC, C1 controls …),
//! bidirectional overrides and isolates (U+202E RLO …) and invisible joiners (U+200D ZWJ …).
//! They change how a name reads on screen, in CSV and in logs without being seen, so the
//! server refuses them in every field (with a message naming the field) and screens can warn
//! before sending. Line breaks and tabs stay allowed (notes are multi-line).

/// Whether `c` is refused in text fields.
pub fn is_forbidden(c: char) -> bool {
    match c {
        '\t' | '\n' | '\r' => false,
        // C0 and C1 controls, DEL.
        c if c.is_control() => true,
        // Bidirectional marks, embeddings, overrides and isolates.
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => true,
        // Zero-width space, non-joiner, joiner, word joiner and invisible operators, BOM.
        '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' => true,
        // Interlinear annotation controls, object replacement, and the non-characters.
        '\u{FFF9}'..='\u{FFFC}' | '\u{FFFE}' | '\u{FFFF}' => true,
        // Line and paragraph separators (a line break that CSV and logs do not see).
        '\u{2028}' | '\u{2029}' => true,
        _ => false,
    }
}

/// The first refused character of `s`, if any.
pub fn forbidden_char(s: &str) -> Option<char> {
    s.chars().find(|c| is_forbidden(*c))
}

/// The message for a refused character, naming it by its code point.
pub fn forbidden_message(c: char) -> String {
    format!(
        "制御文字・書式制御文字（U+{:04X}）は入力できません。コピー＆ペーストした文字に含まれていないか確認してください。",
        c as u32
    )
}

/// The stable error code for a refused character.
pub const FORBIDDEN_CODE: &str = "control_character";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_bel_rlo_and_zwj_are_refused_and_line_breaks_are_not() {
        for c in [
            '\0', '\u{7}', '\u{1b}', '\u{7f}', '\u{85}', '\u{202E}', '\u{200D}', '\u{2066}', '\u{FEFF}',
        ] {
            assert!(is_forbidden(c), "U+{:04X}", c as u32);
        }
        for c in ['\n', '\r', '\t', ' ', '　', 'ｱ', '髙', '﨑', '𠮷'] {
            assert!(!is_forbidden(c), "U+{:04X}", c as u32);
        }
        assert_eq!(forbidden_char("山本\u{202E}花子"), Some('\u{202E}'));
        assert_eq!(forbidden_char("膝が悪く\n送迎が必要"), None);
    }
}
