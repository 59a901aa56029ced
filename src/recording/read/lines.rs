//! The lines of a recording, each read up to [`MAX_LINE_BYTES`]: a longer one is passed over without being
//! kept, so no line of any length costs more memory than the cap.

use super::{MAX_LINE_BYTES, ReadError, err};
use std::io::{BufRead, Read};

/// One line of the input, without its end.
#[derive(Debug)]
pub(super) enum Line {
    /// Its bytes, at most [`MAX_LINE_BYTES`].
    Text(Vec<u8>),
    /// It was longer than [`MAX_LINE_BYTES`]; its bytes were read and dropped.
    TooLong,
}

impl Line {
    /// The line as JSON; a line over the cap is no JSON read.
    pub(super) fn json(&self) -> Option<Result<serde_json::Value, serde_json::Error>> {
        match self {
            Line::Text(bytes) => Some(serde_json::from_slice(bytes)),
            Line::TooLong => None,
        }
    }

    /// Whether the line is one JSON object by itself.
    pub(super) fn is_object(&self) -> bool {
        matches!(self.json(), Some(Ok(serde_json::Value::Object(_))))
    }

    /// Whether the line is not JSON at all (cut short, too long): what a JSON-lines file may hold.
    pub(super) fn is_not_json(&self) -> bool {
        !matches!(self.json(), Some(Ok(_)))
    }
}

/// The lines of the input, numbered from 1.
pub(super) struct Lines<'a, R> {
    /// What is read.
    pub(super) input: &'a mut R,
    /// The number of the last line read.
    pub(super) number: usize,
}

impl<'a, R: BufRead> Lines<'a, R> {
    pub(super) fn new(input: &'a mut R) -> Self {
        Self { input, number: 0 }
    }

    /// The next line, `None` at the end of the input.
    pub(super) fn next(&mut self) -> Result<Option<Line>, ReadError> {
        let mut line = Vec::new();
        let read = self.input.by_ref().take(MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut line);
        let read = read.map_err(|e| failed(self.number + 1, &e))?;
        if read == 0 {
            return Ok(None);
        }
        self.number += 1;
        if line.last() == Some(&b'\n') {
            line.pop();
        } else if line.len() > MAX_LINE_BYTES {
            drop(line);
            self.pass_over_the_rest()?;
            return Ok(Some(Line::TooLong));
        }
        Ok(Some(Line::Text(line)))
    }

    /// The next line that is not blank, with its number.
    pub(super) fn next_non_empty(&mut self) -> Result<Option<(usize, Line)>, ReadError> {
        while let Some(line) = self.next()? {
            if !matches!(&line, Line::Text(t) if t.trim_ascii().is_empty()) {
                return Ok(Some((self.number, line)));
            }
        }
        Ok(None)
    }

    /// Reads up to the end of the current line (or of the input), keeping nothing.
    fn pass_over_the_rest(&mut self) -> Result<(), ReadError> {
        loop {
            let number = self.number;
            let buf = self.input.fill_buf().map_err(|e| failed(number, &e))?;
            if buf.is_empty() {
                return Ok(());
            }
            if let Some(end) = memchr::memchr(b'\n', buf) {
                self.input.consume(end + 1);
                return Ok(());
            }
            let n = buf.len();
            self.input.consume(n);
        }
    }
}

/// A read of line `number` that failed.
fn failed(number: usize, e: &std::io::Error) -> ReadError {
    err(format!("line {number}"), e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_over_the_cap_is_passed_over_and_the_next_one_read() {
        let long = "x".repeat(MAX_LINE_BYTES + 10);
        let text = format!("a\n{long}\n\nb\n{}", "y".repeat(MAX_LINE_BYTES));
        let mut input = std::io::BufReader::with_capacity(1 << 16, text.as_bytes());
        let mut lines = Lines::new(&mut input);
        let mut seen = vec![];
        while let Some((n, line)) = lines.next_non_empty().expect("read") {
            seen.push(match line {
                Line::Text(t) => format!("{n}: {} bytes", t.len()),
                Line::TooLong => format!("{n}: too long"),
            });
        }
        let last = format!("5: {MAX_LINE_BYTES} bytes");
        assert_eq!(seen, ["1: 1 bytes", "2: too long", "4: 1 bytes", last.as_str()]);
    }
}
