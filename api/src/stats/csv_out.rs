//! CSV for Japanese Excel: UTF-8 with BOM and CRLF by default, CP932 on request with every
//! character it cannot hold reported (or, when asked, replaced by `?`). Quoting is the csv
//! crate's.

use encoding_rs::SHIFT_JIS;

use super::Encoding;

/// UTF-8 byte-order mark: without it Excel reads UTF-8 as the local code page.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A character CP932 cannot hold, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmappable {
    /// 1-based line in the CSV (1 = header).
    pub line: u64,
    pub column: String,
    pub character: char,
}

/// Characters of `s` that Windows-31J (WHATWG Shift_JIS, which includes the NEC and IBM
/// extensions such as 髙 and 﨑) cannot encode.
pub fn unmappable_chars(s: &str) -> Vec<char> {
    if s.is_ascii() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 8];
    for c in s.chars().filter(|c| !c.is_ascii()) {
        let mut encoder = SHIFT_JIS.new_encoder();
        let mut tmp = [0u8; 4];
        let (result, _, _) =
            encoder.encode_from_utf8_without_replacement(c.encode_utf8(&mut tmp), &mut buf, true);
        if !matches!(result, encoding_rs::EncoderResult::InputEmpty) && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Writes CSV records one at a time into bytes in the chosen encoding.
pub struct CsvEncoder {
    encoding: Encoding,
    line: u64,
    started: bool,
}

impl CsvEncoder {
    pub fn new(encoding: Encoding) -> CsvEncoder {
        CsvEncoder {
            encoding,
            line: 0,
            started: false,
        }
    }

    /// Encodes one record (the header is the first), appending to `out`. Characters CP932
    /// cannot hold become `?` and are returned with their place.
    pub fn record<S: AsRef<str>>(
        &mut self,
        header: &[String],
        fields: &[S],
        out: &mut Vec<u8>,
    ) -> Vec<Unmappable> {
        self.line += 1;
        if !self.started {
            self.started = true;
            if self.encoding == Encoding::Utf8Bom {
                out.extend_from_slice(BOM);
            }
        }
        let mut utf8 = Vec::with_capacity(128);
        {
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(&mut utf8);
            // Writing into a Vec cannot fail.
            let _ = w.write_record(fields.iter().map(|f| f.as_ref()));
            let _ = w.flush();
        }
        let mut lost = Vec::new();
        match self.encoding {
            Encoding::Utf8Bom | Encoding::Utf8 => out.extend_from_slice(&utf8),
            Encoding::Cp932 => {
                for (i, f) in fields.iter().enumerate() {
                    for c in unmappable_chars(f.as_ref()) {
                        lost.push(Unmappable {
                            line: self.line,
                            column: header.get(i).cloned().unwrap_or_default(),
                            character: c,
                        });
                    }
                }
                let text = String::from_utf8_lossy(&utf8);
                if lost.is_empty() {
                    let (bytes, _, _) = SHIFT_JIS.encode(&text);
                    out.extend_from_slice(&bytes);
                } else {
                    let replaced: String = text
                        .chars()
                        .map(|c| {
                            if lost.iter().any(|u| u.character == c) {
                                '?'
                            } else {
                                c
                            }
                        })
                        .collect();
                    let (bytes, _, _) = SHIFT_JIS.encode(&replaced);
                    out.extend_from_slice(&bytes);
                }
            }
        }
        lost
    }
}

/// Content-Type for an encoding.
pub fn content_type(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Utf8Bom | Encoding::Utf8 => "text/csv; charset=utf-8",
        Encoding::Cp932 => "text/csv; charset=Shift_JIS",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Vec<String> {
        vec!["センター".into(), "人数".into()]
    }

    #[test]
    fn utf8_csv_starts_with_the_bom_and_ends_lines_with_crlf() {
        let mut enc = CsvEncoder::new(Encoding::Utf8Bom);
        let mut out = Vec::new();
        enc.record(&header(), &header(), &mut out);
        enc.record(&header(), &["春野, 高知市", "12"], &mut out);
        assert!(out.starts_with(BOM));
        let text = std::str::from_utf8(&out[3..]).unwrap();
        assert_eq!(text, "センター,人数\r\n\"春野, 高知市\",12\r\n");
    }

    #[test]
    fn cp932_encodes_japanese_and_the_ibm_extension_kanji() {
        let mut enc = CsvEncoder::new(Encoding::Cp932);
        let mut out = Vec::new();
        let lost = enc.record(&header(), &["髙木・山﨑", "1"], &mut out);
        assert!(lost.is_empty());
        let (decoded, _, had_errors) = SHIFT_JIS.decode(&out);
        assert!(!had_errors);
        assert_eq!(decoded, "髙木・山﨑,1\r\n");
    }

    #[test]
    fn cp932_reports_what_it_cannot_hold_with_its_place() {
        let mut enc = CsvEncoder::new(Encoding::Cp932);
        let mut out = Vec::new();
        enc.record(&header(), &header(), &mut out);
        let lost = enc.record(&header(), &["𠮷野家", "3"], &mut out);
        assert_eq!(
            lost,
            [Unmappable {
                line: 2,
                column: "センター".into(),
                character: '𠮷'
            }]
        );
        let (decoded, _, _) = SHIFT_JIS.decode(&out);
        assert!(decoded.ends_with("?野家,3\r\n"));
    }
}
