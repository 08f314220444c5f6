//! The password policy for new passwords, after NIST SP 800-63B §5.1.1.2: a minimum length, a
//! blocklist of common, repetitive or sequential passwords and of words from this context
//! (the username, the service's name), and no rule on character kinds. Passwords chosen
//! before the policy keep working; it applies when one is set.

use shared::error::FieldErrors;
use unicode_normalization::UnicodeNormalization;

/// NIST: at least 8, and 15 recommended for single-factor; 12 is this node's floor.
pub const MIN_CHARS: usize = 12;
/// Long enough for any pass phrase (NIST: allow at least 64).
pub const MAX_CHARS: usize = 200;

/// Words common passwords are built on (checked after digits and symbols at either end are
/// taken away, so `Password2024!` counts as `password`).
const COMMON_WORDS: &[&str] = &[
    "password",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "pass",
    "passwd",
    "qwerty",
    "qwertyuiop",
    "asdfgh",
    "asdfghjkl",
    "zxcvbn",
    "zxcvbnm",
    "qwertz",
    "azerty",
    "iloveyou",
    "letmein",
    "welcome",
    "admin",
    "administrator",
    "root",
    "user",
    "guest",
    "login",
    "logon",
    "abc",
    "abcd",
    "abcdef",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "soccer",
    "sunshine",
    "princess",
    "master",
    "shadow",
    "superman",
    "batman",
    "trustno",
    "starwars",
    "whatever",
    "changeme",
    "default",
    "secret",
    "hello",
    "helloworld",
    "freedom",
    "computer",
    "internet",
    "test",
    "testtest",
    "sample",
    "example",
    "japan",
    "nippon",
    "tokyo",
    "osaka",
    "kochi",
    "kouchi",
    "tosa",
    "ryoma",
    "pokemon",
    "doraemon",
    "sakura",
    "himitsu",
    "pasuwado",
    "pasuwaado",
    "パスワード",
    "ぱすわーど",
    "ひみつ",
    "秘密",
    "qazwsx",
    "1qaz2wsx",
    "zaq12wsx",
    "1q2w3e4r",
    "q1w2e3r4",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "1q2w3e4r5t6y",
    "qwer1234",
    "asdf1234",
    "zxcv1234",
];

/// Words of this service and its users: a password holding one is refused.
const CONTEXT_WORDS: &[&str] = &[
    "attaka",
    "あったか",
    "アッタカ",
    "あったかふれあい",
    "ふれあいセンター",
    "kochi-pref",
];

/// Keyboard rows and alphabets: a password that is a run along one of them is refused.
const RUNS: &[&str] = &[
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "q1w2e3r4t5y6u7i8o9p0",
    "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん",
];

/// The form passwords are compared in: NFKC (full-width letters, half-width kana) and lower case.
fn normalised(password: &str) -> String {
    password.nfkc().collect::<String>().to_lowercase()
}

/// Whether `s` is `unit` said again and again (`abcabcabc`), for a short unit.
fn repeats_a_short_unit(s: &[char]) -> bool {
    (1..=s.len() / 2)
        .filter(|n| *n <= 4)
        .any(|n| s.len().is_multiple_of(n) && s.chunks(n).all(|c| c == &s[..n]))
}

/// Whether `s` runs along a keyboard row or an alphabet, forwards or backwards, going round.
fn is_a_run(s: &str) -> bool {
    if s.chars().count() < 4 {
        return false;
    }
    let reversed: String = s.chars().rev().collect();
    RUNS.iter().any(|run| {
        let thrice = format!("{run}{run}{run}");
        thrice.contains(s) || thrice.contains(&reversed)
    })
}

/// The password with digits, spaces and symbols taken away at either end.
fn core(s: &str) -> &str {
    s.trim_matches(|c: char| !c.is_alphanumeric() || c.is_ascii_digit())
}

/// Why `password` may not be used by `username`, if it may not: `(code, Japanese message)`.
pub fn refusal(username: &str, password: &str) -> Option<(&'static str, String)> {
    let count = password.chars().count();
    if count < MIN_CHARS {
        return Some((
            "too_short",
            format!(
                "パスワードは{MIN_CHARS}文字以上にしてください。記号や大文字を混ぜる必要はありません。覚えやすい長めの語句をおすすめします。"
            ),
        ));
    }
    if count > MAX_CHARS {
        return Some((
            "too_long",
            format!("パスワードは{MAX_CHARS}文字以内にしてください。"),
        ));
    }
    let n = normalised(password);
    let chars: Vec<char> = n.chars().filter(|c| !c.is_whitespace()).collect();
    let mut distinct = chars.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let squeezed: String = chars.iter().collect();
    let core = core(&squeezed);
    let predictable = distinct.len() < 4
        || repeats_a_short_unit(&chars)
        || is_a_run(&squeezed)
        || is_a_run(core)
        || COMMON_WORDS.contains(&core)
        || COMMON_WORDS
            .iter()
            .any(|w| w.chars().count() >= 4 && !core.is_empty() && core.replace(w, "").is_empty());
    if predictable {
        return Some((
            "common",
            "よく使われるパスワードや推測されやすい並び（同じ文字の繰り返し、abcd・1234・qwerty のような連続、password など）は使えません。別の語句にしてください。".into(),
        ));
    }
    let name = normalised(username.trim());
    let has_context = CONTEXT_WORDS
        .iter()
        .map(|w| normalised(w))
        .any(|w| squeezed.contains(&w))
        || (name.chars().count() >= 3 && squeezed.contains(&name));
    if has_context {
        return Some((
            "context",
            "ユーザー名や「あったか」（attaka）を含むパスワードは使えません。".into(),
        ));
    }
    None
}

/// Records why `password` may not be used by `username` under `field`, if it may not.
pub fn check(errors: &mut FieldErrors, field: &str, username: &str, password: &str) {
    if let Some((code, message)) = refusal(username, password) {
        errors.push(field, code, message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(username: &str, password: &str) -> Option<&'static str> {
        refusal(username, password).map(|(c, _)| c)
    }

    #[test]
    fn a_long_pass_phrase_of_lower_case_words_is_accepted() {
        assert_eq!(code("pref", "correct-horse-battery"), None);
        assert_eq!(code("staff", "春はあけぼの やうやう白く"), None);
        assert_eq!(code("staff", "tosa wind over the bay"), None);
    }

    #[test]
    fn fewer_than_twelve_characters_are_refused_with_a_japanese_message() {
        let (why, message) = refusal("pref", "abc-def-gh1").unwrap();
        assert_eq!(why, "too_short");
        assert!(message.contains("12文字以上"), "{message}");
        assert_eq!(code("pref", "          "), Some("too_short"));
    }

    #[test]
    fn repeated_and_sequential_characters_are_refused() {
        for p in [
            "aaaaaaaaaaaa",
            "            ",
            "abababababab",
            "abcabcabcabc",
            "abcdefghijkl",
            "123456789012",
            "lkjihgfedcba",
            "qwertyuiop12",
            "1qaz2wsx3edc",
            "ＡＡＡＡＡＡＡＡＡＡＡＡ",
        ] {
            assert_eq!(code("pref", p), Some("common"), "{p:?}");
        }
    }

    #[test]
    fn common_passwords_dressed_up_with_digits_and_symbols_are_refused() {
        for p in [
            "Password2024!",
            "password1234",
            "P@ssw0rd12345",
            "iloveyou2024",
            "passwordpassword",
            "パスワード12345678",
        ] {
            assert_eq!(code("pref", p), Some("common"), "{p:?}");
        }
    }

    #[test]
    fn the_username_and_the_services_name_are_refused() {
        assert_eq!(code("tanaka", "my-name-is-Tanaka"), Some("context"));
        assert_eq!(code("pref", "attaka-is-great-2024"), Some("context"));
        assert_eq!(code("pref", "あったかふれあいの合言葉"), Some("context"));
        assert_eq!(code("pref", "ｱｯﾀｶのパスワードです"), Some("context"));
    }
}
