//! A small parser for sample lines of the Prometheus text exposition format (and the OpenMetrics text
//! that most exporters also serve). Pure, no I/O, and it never panics: every input is either a sample, a
//! line to skip (blank, comment, `# HELP`, `# TYPE`, `# EOF`), or a [`ParseError`] naming the column.

use std::borrow::Cow;

/// A label pair, value unescaped.
pub type Label<'a> = (Cow<'a, str>, Cow<'a, str>);

/// One sample: `name{label="value",...} value [timestamp] [# exemplar]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    /// Metric name (for a histogram or summary, the series name: `x_bucket`, `x_sum`, ...).
    pub name: Cow<'a, str>,
    /// Label pairs in line order, values unescaped (`\\`, `\"`, `\n`).
    pub labels: Vec<Label<'a>>,
    /// The value; may be NaN or infinite, as the format allows.
    pub value: f64,
}

impl Sample<'_> {
    /// The value of `label`, or "" when absent (Prometheus treats a missing label as empty).
    pub fn label(&self, name: &str) -> &str {
        self.labels.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v)
    }
}

/// Why a line is not a sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 0-based byte offset in the line where parsing stopped.
    pub column: usize,
    /// What was expected there.
    pub reason: &'static str,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "column {}: {}", self.column + 1, self.reason)
    }
}

/// Every sample line of `body` with its 1-based line number; skips blank and comment lines. Accepts `\n`
/// and `\r\n` line ends.
pub fn samples(body: &str) -> impl Iterator<Item = (usize, Result<Sample<'_>, ParseError>)> {
    body.split('\n').enumerate().filter_map(|(i, line)| parse_line(line).transpose().map(|r| (i + 1, r)))
}

/// Parses one line: `Ok(None)` for a blank or comment line.
pub fn parse_line(line: &str) -> Result<Option<Sample<'_>>, ParseError> {
    let mut c = Cursor { text: line, pos: 0 };
    c.skip_spaces();
    match c.peek() {
        None | Some(b'#') => return Ok(None),
        Some(b'\r') if c.rest().trim().is_empty() => return Ok(None),
        _ => {}
    }
    let mut name = if c.peek() == Some(b'{') { None } else { Some(Cow::Borrowed(c.metric_name()?)) };
    let labels = if c.peek() == Some(b'{') { c.labels(&mut name)? } else { vec![] };
    let name = name.ok_or(c.error("metric name"))?;
    c.skip_spaces();
    let value = c.number("sample value")?;
    c.skip_spaces();
    if c.peek().is_some_and(|b| b != b'#' && b != b'\r') {
        c.number("timestamp")?;
        c.skip_spaces();
    }
    // What may follow: nothing, a `\r` of a Windows line end, or an OpenMetrics exemplar (`# {...} 1`).
    match c.peek() {
        None | Some(b'#') => Ok(Some(Sample { name, labels, value })),
        Some(b'\r') if c.pos + 1 == line.len() => Ok(Some(Sample { name, labels, value })),
        Some(_) => Err(c.error("end of line after the timestamp")),
    }
}

/// A read position in one line. It only stops on ASCII bytes, so every slice falls on a char boundary.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn error(&self, expected: &'static str) -> ParseError {
        ParseError { column: self.pos, reason: expected }
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, expected: &'static str) -> Result<(), ParseError> {
        if self.peek() != Some(byte) {
            return Err(self.error(expected));
        }
        self.pos += 1;
        Ok(())
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    fn metric_name(&mut self) -> Result<&'a str, ParseError> {
        self.identifier(true).ok_or(self.error("metric name"))
    }

    fn identifier(&mut self, colons: bool) -> Option<&'a str> {
        let ok = |b: u8, first: bool| {
            b.is_ascii_alphabetic() || b == b'_' || (colons && b == b':') || (!first && b.is_ascii_digit())
        };
        let start = self.pos;
        if !self.peek().is_some_and(|b| ok(b, true)) {
            return None;
        }
        while self.peek().is_some_and(|b| ok(b, false)) {
            self.pos += 1;
        }
        self.text.get(start..self.pos)
    }

    /// `{label="value",...}` with an optional trailing comma. A quoted string standing alone is the
    /// metric name (Prometheus 3's UTF-8 names: `{"my.metric", job="x"}`).
    fn labels(&mut self, name: &mut Option<Cow<'a, str>>) -> Result<Vec<Label<'a>>, ParseError> {
        self.expect(b'{', "'{'")?;
        let mut labels = vec![];
        loop {
            self.skip_spaces();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(labels);
            }
            let key = match self.peek() {
                Some(b'"') => self.quoted()?,
                _ => Cow::Borrowed(self.identifier(false).ok_or(self.error("label name"))?),
            };
            self.skip_spaces();
            if self.peek() == Some(b'=') {
                self.pos += 1;
                self.skip_spaces();
                labels.push((key, self.quoted()?));
            } else if name.is_none() {
                *name = Some(key);
            } else {
                return Err(self.error("'=' after the label name"));
            }
            self.skip_spaces();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err(self.error("',' or '}' after a label")),
            }
        }
    }

    /// A double-quoted string with `\\`, `\"` and `\n` escapes; borrowed when it has none.
    fn quoted(&mut self) -> Result<Cow<'a, str>, ParseError> {
        self.expect(b'"', "'\"' opening a label value")?;
        let start = self.pos;
        let mut owned: Option<String> = None;
        let mut chars = self.rest().char_indices();
        while let Some((i, ch)) = chars.next() {
            match ch {
                '"' => {
                    let text = owned.map_or_else(|| Cow::Borrowed(&self.text[start..start + i]), Cow::Owned);
                    self.pos = start + i + 1;
                    return Ok(text);
                }
                '\\' => {
                    let buf = owned.get_or_insert_with(|| self.text[start..start + i].to_owned());
                    match chars.next() {
                        Some((_, 'n')) => buf.push('\n'),
                        Some((_, other)) => buf.push(other),
                        None => break,
                    }
                }
                _ => {
                    if let Some(buf) = owned.as_mut() {
                        buf.push(ch);
                    }
                }
            }
        }
        self.pos = self.text.len();
        Err(self.error("closing '\"'"))
    }

    /// A number token up to the next space: decimal, exponent, `NaN`, `+Inf`, `-Inf`.
    fn number(&mut self, expected: &'static str) -> Result<f64, ParseError> {
        let start = self.pos;
        while self.peek().is_some_and(|b| !matches!(b, b' ' | b'\t' | b'\r')) {
            self.pos += 1;
        }
        let token = self.text.get(start..self.pos).unwrap_or("");
        token.parse::<f64>().map_err(|_| ParseError { column: start, reason: expected })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Sample<'_> {
        parse_line(line).expect("parses").expect("a sample")
    }

    #[test]
    fn plain_labelled_and_timestamped_samples() {
        let s = one("process_resident_memory_bytes 1.2345e+07");
        assert_eq!((s.name.as_ref(), s.value), ("process_resident_memory_bytes", 12_345_000.0));
        let s = one(r#"http_requests_total{method="post",code="200"} 1027 1395066363000"#);
        assert_eq!(s.label("code"), "200");
        assert_eq!(s.label("absent"), "");
        assert_eq!(s.value, 1027.0);
        let s = one("  x{a=\"b\",} 3\t  ");
        assert_eq!((s.label("a"), s.value), ("b", 3.0));
        assert!(one("x{} 1").labels.is_empty());
        assert_eq!(one("x 5 -12").value, 5.0);
    }

    #[test]
    fn escapes_commas_and_braces_inside_values() {
        let s = one(
            r#"msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9"#,
        );
        assert_eq!(s.label("path"), r"C:\DIR\FILE.TXT");
        assert_eq!(s.label("error"), "Cannot find file:\n\"FILE.TXT\"");
        let s = one(r#"m{a="x,y=\"z\"}",b="{}"} 7"#);
        assert_eq!((s.label("a"), s.label("b")), ("x,y=\"z\"}", "{}"));
        let s = one("m{a=\"żółw 🐢\"} 1");
        assert_eq!(s.label("a"), "żółw 🐢");
    }

    #[test]
    fn special_values_and_line_ends() {
        assert!(one("m NaN").value.is_nan());
        assert_eq!(one("m +Inf").value, f64::INFINITY);
        assert_eq!(one("m -Inf").value, f64::NEG_INFINITY);
        assert_eq!(one("m 42\r").value, 42.0);
        assert_eq!(one("m{a=\"b\"} 42 1000\r").value, 42.0);
        assert_eq!(one(r#"m_bucket{le="0.5"} 3 # {trace_id="abc"} 0.4 1.6e9"#).value, 3.0);
        assert_eq!(one(r#"{"my.metric", job="x"} 9"#).name, "my.metric");
    }

    #[test]
    fn skipped_lines() {
        for line in ["", "   ", "\r", "# HELP m help text", "# TYPE m gauge", "#", "# EOF", "\t# indented"] {
            assert_eq!(parse_line(line), Ok(None), "{line:?}");
        }
    }

    #[test]
    fn hostile_lines_are_errors_never_panics() {
        let bad = [
            "m",
            "m ",
            "1m 2",
            "m{ 2",
            "m{a} 2",
            "m{a=b} 2",
            "m{a=\"b} 2",
            "m{a=\"b\"",
            "m{a=\"b\" c=\"d\"} 1",
            "m{=\"b\"} 1",
            "m 1 2 3",
            "m one",
            "m 1 ts",
            "{} 1",
            "{\"a\" \"b\"} 1",
            "m{a=\"\\",
            "m{a=\"é\\",
            "\u{0}",
            "m{a=\"b\"}}",
            "<html><body>Not found</body></html>",
            "m\r 1",
            "m{\"x\",\"y\"} 1",
        ];
        for line in bad {
            assert!(parse_line(line).is_err(), "{line:?} should not parse");
        }
        // Every prefix of tricky lines, cut at every char boundary: no panic whatever the cut.
        let tricky = "m{a=\"x\\\"é,}\",b=\"🐢\"} NaN 17 # {t=\"1\"} 2";
        for (i, _) in tricky.char_indices() {
            let _ = parse_line(&tricky[..i]);
        }
    }

    #[test]
    fn a_whole_body_with_windows_newlines() {
        let body = "# HELP m x\r\n# TYPE m gauge\r\nm{a=\"1\"} 10\r\n\r\nm{a=\"2\"} 20\r\nbroken{\r\n";
        let got: Vec<_> = samples(body).map(|(n, r)| (n, r.map(|s| s.value))).collect();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], (3, Ok(10.0)));
        assert_eq!(got[1], (5, Ok(20.0)));
        assert_eq!(got[2].0, 6);
        assert!(got[2].1.is_err());
    }
}
