//! Checks that a body is an answer (a JSON object with a non-null `choices` or `data` member) in one pass
//! over its bytes, without building any value.
//!
//! It accepts and rejects exactly what `serde_json::from_slice` into a struct of two `Option<IgnoredAny>`
//! fields (`choices`, `data`) did, which it replaces on the hot path (a quarter of the load generator's
//! instructions per request; this takes half the time): the whole text must be JSON (RFC 8259 syntax, any
//! nesting depth, nothing but whitespace after it); the top-level keys must be valid UTF-8 with paired
//! `\u` surrogates, other strings only free of control characters and bad escapes; a known member given
//! twice is an error. One difference, on purpose: serde also maps a struct from a sequence, so it took a
//! top-level two-element array `[choices, data]` for an answer; an answer is an object, and this says so.
//! The differential tests in `json_tests.rs` and the `answer` fuzz target hold it to the rest.

use super::frames::Frames;

/// The member whose presence makes a body an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member {
    /// `choices`: chat and text completions.
    Choices,
    /// `data`: embeddings.
    Data,
}

/// Whether `text` is a JSON object whose `member` is present and not `null`. With `utf8_keys` false, the
/// top-level keys may hold invalid UTF-8 (for text that was decoded lossily before, as SSE events were).
pub fn has_member(text: &[u8], member: Member, utf8_keys: bool) -> bool {
    envelope(text, utf8_keys).is_ok_and(|found| match member {
        Member::Choices => found.choices == Some(true),
        Member::Data => found.data == Some(true),
    })
}

/// The text is not what is expected; where or why does not matter to the caller.
#[derive(Debug)]
struct Invalid;

/// The functions below take the text and the index of the next byte to read, and return the index after
/// what they read: plain values, so that the position stays in a register.
type Scan<T> = Result<T, Invalid>;

/// What the top level held: `None` when absent, `Some(false)` when `null`.
#[derive(Debug, Default)]
struct Found {
    /// The `choices` member.
    choices: Option<bool>,
    /// The `data` member.
    data: Option<bool>,
}

fn envelope(text: &[u8], utf8_keys: bool) -> Scan<Found> {
    let pos = whitespace(text, 0);
    let (found, pos) = match text.get(pos) {
        Some(b'{') => object(text, pos + 1, utf8_keys)?,
        _ => return Err(Invalid),
    };
    if whitespace(text, pos) == text.len() { Ok(found) } else { Err(Invalid) }
}

/// The top-level object (its `{` read): known members noted, others skipped.
fn object(text: &[u8], pos: usize, utf8_keys: bool) -> Scan<(Found, usize)> {
    let mut found = Found::default();
    let mut pos = whitespace(text, pos);
    if text.get(pos) == Some(&b'}') {
        return Ok((found, pos + 1));
    }
    loop {
        let (name, end) = key(text, expect(text, pos, b'"')?, utf8_keys)?;
        pos = expect(text, end, b':')?;
        let slot = match name {
            Some(Member::Choices) => Some(&mut found.choices),
            Some(Member::Data) => Some(&mut found.data),
            None => None,
        };
        pos = match slot {
            Some(slot) if slot.is_some() => return Err(Invalid),
            Some(slot) => {
                let (present, end) = optional(text, pos)?;
                *slot = Some(present);
                end
            }
            None => value(text, pos)?,
        };
        pos = whitespace(text, pos);
        match text.get(pos) {
            Some(b',') => pos += 1,
            Some(b'}') => return Ok((found, pos + 1)),
            _ => return Err(Invalid),
        }
    }
}

/// A value that may be `null`: whether it is not.
fn optional(text: &[u8], pos: usize) -> Scan<(bool, usize)> {
    let pos = whitespace(text, pos);
    if text.get(pos) == Some(&b'n') {
        return Ok((false, literal(text, pos, b"null")?));
    }
    Ok((true, value(text, pos)?))
}

/// Skips one value of any kind and depth, iteratively (hostile nesting cannot overflow the stack).
/// Whitespace is one more case of each dispatch on the next byte, so compact JSON pays nothing for it.
fn value(text: &[u8], mut pos: usize) -> Scan<usize> {
    let mut open = Frames::default();
    'value: loop {
        let first = *text.get(pos).ok_or(Invalid)?;
        pos += 1;
        match first {
            b' ' | b'\n' | b'\t' | b'\r' => continue,
            b'"' => pos = string(text, pos)?,
            b'{' | b'[' => {
                let (object, close) = if first == b'{' { (true, b'}') } else { (false, b']') };
                pos = whitespace(text, pos);
                if text.get(pos) == Some(&close) {
                    pos += 1;
                } else {
                    open.push(object);
                    pos = if object { member_name(text, pos)? } else { pos };
                    continue;
                }
            }
            b'n' => pos = literal(text, pos, b"ull")?,
            b't' => pos = literal(text, pos, b"rue")?,
            b'f' => pos = literal(text, pos, b"alse")?,
            b'-' | b'0'..=b'9' => pos = number(text, pos, first)?,
            _ => return Err(Invalid),
        }
        // A value ended: close what it ends, up to a comma (the next value) or the end of this one.
        while let Some(object) = open.top() {
            let next = *text.get(pos).ok_or(Invalid)?;
            pos += 1;
            match next {
                b' ' | b'\n' | b'\t' | b'\r' => {}
                b',' if object => {
                    pos = member_name(text, pos)?;
                    continue 'value;
                }
                b',' => continue 'value,
                b'}' if object => open.pop(),
                b']' if !object => open.pop(),
                _ => return Err(Invalid),
            }
        }
        return Ok(pos);
    }
}

/// The name and colon of a member of a nested object.
#[inline(always)]
fn member_name(text: &[u8], pos: usize) -> Scan<usize> {
    expect(text, string(text, expect(text, pos, b'"')?)?, b':')
}

/// `word` (or the rest of it, its first letter read).
#[inline(always)]
fn literal(text: &[u8], pos: usize, word: &[u8]) -> Scan<usize> {
    let end = pos + word.len();
    if text.get(pos..end) == Some(word) { Ok(end) } else { Err(Invalid) }
}

/// The rest of a number whose `first` byte was read:
/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`; what follows is the container's to judge.
fn number(text: &[u8], mut pos: usize, first: u8) -> Scan<usize> {
    let lead = if first == b'-' {
        pos += 1;
        text.get(pos - 1).copied()
    } else {
        Some(first)
    };
    match lead {
        Some(b'0') => {}
        Some(b'1'..=b'9') => pos = digits(text, pos),
        _ => return Err(Invalid),
    }
    if text.get(pos) == Some(&b'.') {
        pos = some_digits(text, pos + 1)?;
    }
    if matches!(text.get(pos), Some(b'e' | b'E')) {
        pos += 1 + usize::from(matches!(text.get(pos + 1), Some(b'+' | b'-')));
        pos = some_digits(text, pos)?;
    }
    Ok(pos)
}

fn some_digits(text: &[u8], pos: usize) -> Scan<usize> {
    let end = digits(text, pos);
    if end > pos { Ok(end) } else { Err(Invalid) }
}

fn digits(text: &[u8], mut pos: usize) -> usize {
    while text.get(pos).is_some_and(u8::is_ascii_digit) {
        pos += 1;
    }
    pos
}

/// The rest of a string whose opening quote was read: no control character, valid escapes.
#[inline(always)]
fn string(text: &[u8], mut pos: usize) -> Scan<usize> {
    loop {
        pos = plain_end(text, pos);
        match text.get(pos) {
            Some(b'"') => return Ok(pos + 1),
            Some(b'\\') => {
                pos += match text.get(pos + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => 2,
                    Some(b'u') if text.get(pos + 2..pos + 6).is_some_and(|d| d.iter().all(u8::is_ascii_hexdigit)) => 6,
                    _ => return Err(Invalid),
                };
            }
            _ => return Err(Invalid),
        }
    }
}

/// A top-level key (its opening quote read), held to the stricter rules of a string serde decodes:
/// which known member it names, if any.
fn key(text: &[u8], pos: usize, utf8_keys: bool) -> Scan<(Option<Member>, usize)> {
    let end = plain_end(text, pos);
    if text.get(end) != Some(&b'"') {
        return escaped_key(text, pos, utf8_keys);
    }
    let name = &text[pos..end];
    if utf8_keys && !name.is_ascii() && std::str::from_utf8(name).is_err() {
        return Err(Invalid);
    }
    Ok((known(name), end + 1))
}

fn known(name: &[u8]) -> Option<Member> {
    match name {
        b"choices" => Some(Member::Choices),
        b"data" => Some(Member::Data),
        _ => None,
    }
}

/// A key with escapes, decoded as far as it could still be a known one.
fn escaped_key(text: &[u8], mut pos: usize, utf8_keys: bool) -> Scan<(Option<Member>, usize)> {
    let mut name = Name::default();
    loop {
        let end = plain_end(text, pos);
        let plain = &text[pos..end];
        if utf8_keys && std::str::from_utf8(plain).is_err() {
            return Err(Invalid);
        }
        name.extend(plain);
        match text.get(end) {
            Some(b'"') => return Ok((name.as_slice().and_then(known), end + 1)),
            Some(b'\\') => {}
            _ => return Err(Invalid),
        }
        let escaped = text.get(end + 1).copied().ok_or(Invalid)?;
        pos = end + 2;
        let c = match escaped {
            b'u' => {
                let (c, after) = code_point(text, pos)?;
                pos = after;
                c
            }
            b'"' | b'\\' | b'/' => char::from(escaped),
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            _ => return Err(Invalid),
        };
        name.extend(c.encode_utf8(&mut [0; 4]).as_bytes());
    }
}

/// The character of a `\u` escape (`\u` read), a surrogate pair taking two.
fn code_point(text: &[u8], pos: usize) -> Scan<(char, usize)> {
    let high = hex4(text, pos)?;
    if !(0xD800..=0xDBFF).contains(&high) {
        return Ok((char::from_u32(high).ok_or(Invalid)?, pos + 4));
    }
    let low = if text.get(pos + 4..pos + 6) == Some(b"\\u") { hex4(text, pos + 6)? } else { 0 };
    if !(0xDC00..=0xDFFF).contains(&low) {
        return Err(Invalid);
    }
    Ok((char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)).ok_or(Invalid)?, pos + 10))
}

fn hex4(text: &[u8], pos: usize) -> Scan<u32> {
    let digits = text.get(pos..pos + 4).ok_or(Invalid)?;
    digits.iter().try_fold(0, |n, &d| Ok(n << 4 | char::from(d).to_digit(16).ok_or(Invalid)?))
}

/// The index of the first byte at or after `pos` that is not JSON whitespace.
#[inline(always)]
fn whitespace(text: &[u8], mut pos: usize) -> usize {
    while matches!(text.get(pos), Some(b' ' | b'\n' | b'\t' | b'\r')) {
        pos += 1;
    }
    pos
}

/// After whitespace, the byte `want`: the index after it.
#[inline(always)]
fn expect(text: &[u8], pos: usize, want: u8) -> Scan<usize> {
    let pos = whitespace(text, pos);
    if text.get(pos) == Some(&want) { Ok(pos + 1) } else { Err(Invalid) }
}

/// Index of the first byte at or after `pos` that ends a run of plain string bytes: a quote, a backslash
/// or a control character (or the end of `text`). Eight bytes at a time: in each word, the lowest byte the
/// masks flag is exactly the first special one (their false positives only ever sit above a true one).
#[inline(always)]
fn plain_end(text: &[u8], pos: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let rest = text.get(pos..).unwrap_or_default();
    let mut words = rest.chunks_exact(8);
    let mut end = pos;
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
        // XOR with 0x02 maps `"` (0x22) to 0x20 and control characters to control characters: one
        // "less than 0x21" test finds both. A zero test finds the backslash.
        let flipped = w ^ (ONES * 0x02);
        let backslash = w ^ (ONES * u64::from(b'\\'));
        let special = (flipped.wrapping_sub(ONES * 0x21) & !flipped | backslash.wrapping_sub(ONES) & !backslash) & HIGH;
        if special != 0 {
            return end + (special.trailing_zeros() / 8) as usize;
        }
        end += 8;
    }
    let tail = words.remainder();
    end + tail.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).unwrap_or(tail.len())
}

/// The decoded name of a top-level key, kept only as far as it could still be a known one.
#[derive(Debug, Default)]
struct Name {
    /// Its first bytes.
    bytes: [u8; 8],
    /// Its length so far, which may exceed `bytes`.
    len: usize,
}

impl Name {
    fn extend(&mut self, more: &[u8]) {
        if let Some(room) = self.bytes.get_mut(self.len..(self.len + more.len())) {
            room.copy_from_slice(more);
        }
        self.len += more.len();
    }

    /// The whole name, unless it is longer than any known one.
    fn as_slice(&self) -> Option<&[u8]> {
        self.bytes.get(..self.len)
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
