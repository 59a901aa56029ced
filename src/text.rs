//! Text from outside (a source's error message, a recorded scenario name) made safe to print: in a log line
//! or on a terminal a newline forges a line and an escape sequence moves the cursor, clears the screen or
//! sets the window title. Such characters are shown escaped instead, so the text stays readable.

use std::borrow::Cow;

/// `text` with every control character (C0, DEL, C1) and every bidirectional override escaped the way Rust
/// escapes them (`\n`, `\u{1b}`, `\u{202e}`); text without any is returned as it is.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A character that changes how the text around it is shown: a control character, or a bidirectional
/// embedding, override or isolate (which can make a line read differently from what it holds).
fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_bidi_overrides_are_escaped() {
        assert!(matches!(printable("chat-1 ü 日本"), Cow::Borrowed("chat-1 ü 日本")));
        let forged = "bad query\n2026-01-01T00:00:00Z  INFO leaksoak: all good\u{1b}[2J\u{1b}]0;x\u{7}\u{202e}";
        let shown = printable(forged);
        assert_eq!(
            shown,
            "bad query\\n2026-01-01T00:00:00Z  INFO leaksoak: all good\\u{1b}[2J\\u{1b}]0;x\\u{7}\\u{202e}"
        );
        assert!(!shown.chars().any(unsafe_char));
        assert_eq!(printable("tab\there\r"), "tab\\there\\r");
        assert_eq!(printable("\u{9b}31m"), "\\u{9b}31m", "the C1 control sequence introducer");
    }
}
