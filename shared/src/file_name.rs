//! File names in `Content-Disposition` (RFC 6266): the server writes a UTF-8 name as RFC 5987
//! `filename*=UTF-8''…` beside an ASCII `filename="…"`; the web app reads it back to save the
//! download under the name that says what is inside.

/// RFC 5987 `value-chars`: attr-chars as they are, every other byte of the UTF-8 as `%XX`.
pub fn rfc5987_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The file name a `Content-Disposition` value offers: its `filename*` (UTF-8) when present and
/// readable, else its `filename`.
pub fn from_content_disposition(value: &str) -> Option<String> {
    let mut plain = None;
    for part in value.split(';').map(str::trim) {
        let Some((key, v)) = part.split_once('=') else {
            continue;
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "filename*" => {
                let v = v.trim();
                if let Some(rest) = v
                    .get(..7)
                    .filter(|p| p.eq_ignore_ascii_case("utf-8''"))
                    .map(|_| &v[7..])
                {
                    if let Some(name) = percent_decode(rest).filter(|n| !n.is_empty()) {
                        return Some(name);
                    }
                }
            }
            "filename" => plain = Some(v.trim().trim_matches('"').to_owned()),
            _ => {}
        }
    }
    plain.filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_utf8_name_is_preferred_and_round_trips() {
        let name = "集計_高知市_令和6年度_市町村×機能.xlsx";
        let header = format!(
            "attachment; filename=\"attaka-stats_392014_FY2024_municipality-function.xlsx\"; filename*=UTF-8''{}",
            rfc5987_encode(name)
        );
        assert_eq!(from_content_disposition(&header).as_deref(), Some(name));
        assert!(rfc5987_encode(name).is_ascii());
    }

    #[test]
    fn without_a_readable_utf8_name_the_ascii_name_is_used() {
        assert_eq!(
            from_content_disposition("attachment; filename=\"a.csv\"").as_deref(),
            Some("a.csv")
        );
        assert_eq!(
            from_content_disposition("attachment; filename=\"a.csv\"; filename*=UTF-8''%E9%9B").as_deref(),
            Some("a.csv")
        );
        assert_eq!(from_content_disposition("inline"), None);
    }
}
