//! A small JSON writer for the fake endpoint's hot responses (completions and their chunks): constant
//! parts are copied as they are, and a string is escaped only when it holds a byte that needs it.
//! serde_json escapes every key and value byte by byte, which was a fifth of the endpoint's instructions
//! per request. The output is byte for byte what serde_json writes for the same document (tested against
//! it in `wire/tests.rs`).

use bytes::Bytes;

/// Room for a typical response body, so writing it allocates once.
const CAPACITY: usize = 640;

/// A JSON text being written.
pub struct Out(Vec<u8>);

impl Out {
    /// An empty text, after `prefix` (`data: ` for an SSE event).
    pub fn new(prefix: &[u8]) -> Self {
        let mut buf = Vec::with_capacity(CAPACITY);
        buf.extend_from_slice(prefix);
        Self(buf)
    }

    /// JSON syntax or text known to need no escaping, as it is.
    pub fn raw(&mut self, text: &str) -> &mut Self {
        self.0.extend_from_slice(text.as_bytes());
        self
    }

    /// A string value, quoted; escaped as serde_json escapes it (control characters, `"` and `\`).
    pub fn string(&mut self, s: &str) -> &mut Self {
        // No short circuit: the scan is branch-free per byte, and vectorizes.
        let needs_escape = s.bytes().fold(false, |any, b| any | (b < 0x20) | (b == b'"') | (b == b'\\'));
        if !needs_escape {
            self.0.push(b'"');
            self.0.extend_from_slice(s.as_bytes());
            self.0.push(b'"');
        } else {
            // Writing a string into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut self.0, s);
        }
        self
    }

    /// A string, or `null`.
    pub fn string_or_null(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.string(s),
            None => self.raw("null"),
        }
    }

    /// An unsigned integer.
    pub fn number(&mut self, n: u64) -> &mut Self {
        self.0.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        self
    }

    /// `n` as 16 lowercase hex digits (object ids), without quotes.
    pub fn hex16(&mut self, n: u64) -> &mut Self {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let digits: [u8; 16] = std::array::from_fn(|i| DIGITS[(n >> (60 - 4 * i)) as usize & 0xf]);
        self.0.extend_from_slice(&digits);
        self
    }

    /// The text, then `suffix`.
    pub fn finish(mut self, suffix: &[u8]) -> Bytes {
        self.0.extend_from_slice(suffix);
        Bytes::from(self.0)
    }
}
