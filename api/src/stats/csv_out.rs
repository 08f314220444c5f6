//! CSV for Japanese Excel: UTF-8 with BOM and CRLF by default, CP932 on request — with the
//! characters JIS and Unicode map differently written as Windows writes them, and every
//! character it still cannot hold reported (or, when asked, replaced by `?`). Quoting is the
//! csv crate's.

use std::borrow::Cow;

use encoding_rs::SHIFT_JIS;

use super::Encoding;

/// UTF-8 byte-order mark: without it Excel reads UTF-8 as the local code page.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A character CP932 cannot hold, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmappable {
    /// 1-based line in the CSV (1 = header); 0 when checked before writing, for any line.
    pub line: u64,
    pub column: String,
    pub character: char,
}

/// The character Windows writes in CP932 for `c`, where the JIS X 0208 mapping to Unicode
/// (which Japanese text typed on macOS, Linux or the web follows) and Microsoft's differ: the
/// WAVE DASH / MINUS SIGN family. Anything else is itself.
pub fn cp932_equivalent(c: char) -> char {
    match c {
        '\u{301C}' => '\u{FF5E}', // 〜 WAVE DASH → ～ FULLWIDTH TILDE
        '\u{2212}' => '\u{FF0D}', // − MINUS SIGN → － FULLWIDTH HYPHEN-MINUS
        '\u{2016}' => '\u{2225}', // ‖ DOUBLE VERTICAL LINE → ∥ PARALLEL TO
        '\u{2014}' => '\u{2015}', // — EM DASH → ― HORIZONTAL BAR
        '\u{00A2}' => '\u{FFE0}', // ¢ → ￠
        '\u{00A3}' => '\u{FFE1}', // £ → ￡
        '\u{00AC}' => '\u{FFE2}', // ¬ → ￢
        '\u{00A6}' => '\u{FFE4}', // ¦ → ￤
        c => c,
    }
}

/// `s` with each character as its [`cp932_equivalent`], borrowed when nothing changes.
pub fn to_cp932_text(s: &str) -> Cow<'_, str> {
    if s.is_ascii() || !s.chars().any(|c| cp932_equivalent(c) != c) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().map(cp932_equivalent).collect())
    }
}

/// Characters of `s` that Windows-31J (WHATWG Shift_JIS, which includes the NEC and IBM
/// extensions such as 髙 and 﨑) cannot encode, even as their [`cp932_equivalent`].
pub fn unmappable_chars(s: &str) -> Vec<char> {
    if s.is_ascii() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 8];
    for c in s.chars().filter(|c| !c.is_ascii()) {
        let mut encoder = SHIFT_JIS.new_encoder();
        let mut tmp = [0u8; 4];
        let (result, _, _) = encoder.encode_from_utf8_without_replacement(
            cp932_equivalent(c).encode_utf8(&mut tmp),
            &mut buf,
            true,
        );
        if !matches!(result, encoding_rs::EncoderResult::InputEmpty) && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Writes CSV records into bytes in the chosen encoding, one at a time or in batches.
pub struct CsvEncoder {
    encoding: Encoding,
    line: u64,
    started: bool,
}

/// Records being written with one csv writer (see [`CsvEncoder::batch`]).
pub struct Batch<'a> {
    encoder: &'a mut CsvEncoder,
    header: &'a [String],
    writer: csv::Writer<Vec<u8>>,
    lost: Vec<Unmappable>,
}

impl Batch<'_> {
    /// Adds one record. With CP932, characters are written as Windows writes them
    /// ([`cp932_equivalent`]); those it still cannot hold become `?` and are noted with their
    /// place.
    pub fn record<S: AsRef<str>>(&mut self, fields: &[S]) {
        self.encoder.line += 1;
        if self.encoder.encoding != Encoding::Cp932 {
            // Writing into a Vec cannot fail.
            let _ = self.writer.write_record(fields.iter().map(|f| f.as_ref()));
            return;
        }
        let before = self.lost.len();
        for (i, f) in fields.iter().enumerate() {
            for c in unmappable_chars(f.as_ref()) {
                self.lost.push(Unmappable {
                    line: self.encoder.line,
                    column: self.header.get(i).cloned().unwrap_or_default(),
                    character: c,
                });
            }
        }
        let lost = &self.lost[before..];
        // Field by field, so a million rows need no list of converted fields each.
        for f in fields {
            let text = if lost.is_empty() {
                to_cp932_text(f.as_ref())
            } else {
                Cow::Owned(
                    f.as_ref()
                        .chars()
                        .map(|c| {
                            if lost.iter().any(|u| u.character == c) {
                                '?'
                            } else {
                                cp932_equivalent(c)
                            }
                        })
                        .collect(),
                )
            };
            let _ = self.writer.write_field(text.as_bytes());
        }
        let _ = self.writer.write_record(None::<&[u8]>);
    }

    /// Appends the batch's bytes to `out`; returns what CP932 could not hold.
    pub fn finish(self, out: &mut Vec<u8>) -> Vec<Unmappable> {
        let utf8 = self.writer.into_inner().unwrap_or_default();
        match self.encoder.encoding {
            Encoding::Utf8Bom | Encoding::Utf8 => out.extend_from_slice(&utf8),
            Encoding::Cp932 => {
                let text = String::from_utf8_lossy(&utf8);
                let (bytes, _, _) = SHIFT_JIS.encode(&text);
                out.extend_from_slice(&bytes);
            }
        }
        self.lost
    }
}

impl CsvEncoder {
    pub fn new(encoding: Encoding) -> CsvEncoder {
        CsvEncoder {
            encoding,
            line: 0,
            started: false,
        }
    }

    /// Starts a batch of records written with one csv writer (a writer per record would
    /// allocate its buffer for each of a million rows), appending the BOM to `out` before the
    /// first record of all.
    pub fn batch<'a>(&'a mut self, header: &'a [String], out: &mut Vec<u8>) -> Batch<'a> {
        if !self.started {
            self.started = true;
            if self.encoding == Encoding::Utf8Bom {
                out.extend_from_slice(BOM);
            }
        }
        let writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .flexible(true)
            .from_writer(Vec::with_capacity(4096));
        Batch {
            encoder: self,
            header,
            writer,
            lost: Vec::new(),
        }
    }

    /// The header block: each `[key, value]` line as a record, then an empty line (nothing
    /// when there are no lines). Characters CP932 cannot hold are returned with their place,
    /// the key naming the column.
    pub fn header_block(&mut self, lines: &[[String; 2]], out: &mut Vec<u8>) -> Vec<Unmappable> {
        if lines.is_empty() {
            return Vec::new();
        }
        let mut lost = Vec::new();
        for line in lines {
            let names = [line[0].clone(), line[0].clone()];
            lost.extend(self.record(&names, line, out));
        }
        self.line += 1;
        out.extend_from_slice(b"\r\n");
        lost
    }

    /// Encodes one record (the header is the first), appending to `out`. Characters CP932
    /// cannot hold become `?` and are returned with their place.
    pub fn record<S: AsRef<str>>(
        &mut self,
        header: &[String],
        fields: &[S],
        out: &mut Vec<u8>,
    ) -> Vec<Unmappable> {
        let mut batch = self.batch(header, out);
        batch.record(fields);
        batch.finish(out)
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
    fn a_header_block_is_key_value_lines_then_an_empty_line() {
        let mut enc = CsvEncoder::new(Encoding::Utf8Bom);
        let mut out = Vec::new();
        let lines = [
            ["表題".to_owned(), "実施回数".to_owned()],
            ["範囲".to_owned(), "高知市".to_owned()],
        ];
        assert!(enc.header_block(&lines, &mut out).is_empty());
        enc.record(&header(), &header(), &mut out);
        let text = std::str::from_utf8(&out[3..]).unwrap();
        assert_eq!(text, "表題,実施回数\r\n範囲,高知市\r\n\r\nセンター,人数\r\n");
        assert_eq!(out.iter().filter(|b| **b == 0xEF).count(), 1, "one BOM only");
        let mut none = Vec::new();
        CsvEncoder::new(Encoding::Utf8).header_block(&[], &mut none);
        assert!(none.is_empty());
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
    fn cp932_writes_the_wave_dash_and_minus_family_as_windows_does() {
        let mut enc = CsvEncoder::new(Encoding::Cp932);
        let mut out = Vec::new();
        let lost = enc.record(&header(), &["75〜84歳 −3 ‖ — ¢£¬¦", "1"], &mut out);
        assert!(lost.is_empty(), "{lost:?}");
        assert!(unmappable_chars("〜−‖—¢£¬¦").is_empty());
        let (decoded, _, had_errors) = SHIFT_JIS.decode(&out);
        assert!(!had_errors);
        assert_eq!(decoded, "75～84歳 －3 ∥ ― ￠￡￢￤,1\r\n");
        assert_eq!(to_cp932_text("75～84歳"), Cow::Borrowed("75～84歳"));
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
