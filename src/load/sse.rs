//! A server-sent-events parser that is linear in its input: each byte is looked at once, however long an
//! event is and however the stream is cut into chunks (a general-purpose parser that rescans its buffer on
//! every chunk turns a 1 MiB event into seconds of CPU).
//!
//! It keeps what an OpenAI stream needs: `data:` fields joined into one event per blank line; comments
//! (`:`), other fields (`event:`, `id:`, `retry:`) and lines that are not fields are ignored, as the SSE
//! specification says. Lines end with LF or CRLF.

use std::ops::ControlFlow;

/// Incremental parser state.
#[derive(Debug, Default)]
pub struct Parser {
    /// The start of a line not yet terminated: only it is copied, lines whole in a chunk are read in place.
    pending: Vec<u8>,
    /// The event being built.
    event: Event,
}

/// The event being built from the lines seen since the last blank line.
#[derive(Debug, Default)]
struct Event {
    /// `data` fields, joined by `\n`: raw bytes, UTF-8 or not (the validation decides), reused across events.
    data: Vec<u8>,
    /// Whether a `data` field was seen at all.
    has_data: bool,
}

impl Parser {
    /// Feeds one chunk, handing the data of every event it completes to `on_event` (borrowed: no event is
    /// copied out); stops at the first `Break`, which it returns.
    pub fn feed<B>(&mut self, chunk: &[u8], mut on_event: impl FnMut(&[u8]) -> ControlFlow<B>) -> ControlFlow<B> {
        let mut rest = chunk;
        if !self.pending.is_empty() {
            // The chunk continues the pending line: finish it first (only the new bytes are searched).
            let Some(end) = memchr::memchr(b'\n', rest) else {
                self.pending.extend_from_slice(rest);
                return ControlFlow::Continue(());
            };
            self.pending.extend_from_slice(&rest[..end]);
            rest = &rest[end + 1..];
            let flow = self.event.line(strip_cr(&self.pending), &mut on_event);
            self.pending.clear();
            if flow.is_break() {
                return flow;
            }
        }
        while let Some(end) = memchr::memchr(b'\n', rest) {
            let flow = self.event.line(strip_cr(&rest[..end]), &mut on_event);
            if flow.is_break() {
                return flow;
            }
            rest = &rest[end + 1..];
        }
        self.pending.extend_from_slice(rest);
        ControlFlow::Continue(())
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

impl Event {
    /// Handles one line; a blank line completes the event being built.
    fn line<B>(&mut self, line: &[u8], on_event: &mut impl FnMut(&[u8]) -> ControlFlow<B>) -> ControlFlow<B> {
        if line.is_empty() {
            // As the SSE specification says, an event whose data is empty is not dispatched.
            let flow = if std::mem::take(&mut self.has_data) && !self.data.is_empty() {
                on_event(&self.data)
            } else {
                ControlFlow::Continue(())
            };
            self.data.clear();
            return flow;
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(0) => return ControlFlow::Continue(()),
            Some(i) => (&line[..i], &line[i + 1..]),
            None => (line, &b""[..]),
        };
        if field == b"data" {
            let value = value.strip_prefix(b" ").unwrap_or(value);
            if self.has_data {
                self.data.push(b'\n');
            }
            self.data.extend_from_slice(value);
            self.has_data = true;
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::Parser;
    use std::ops::ControlFlow;

    fn parse(chunks: &[&[u8]]) -> Vec<String> {
        let mut p = Parser::default();
        let mut events = Vec::new();
        for c in chunks {
            let flow: ControlFlow<()> = p.feed(c, |data| {
                events.push(String::from_utf8_lossy(data).into_owned());
                ControlFlow::Continue(())
            });
            assert!(flow.is_continue());
        }
        events
    }

    #[test]
    fn a_break_stops_at_that_event_whatever_the_chunking() {
        let text = b"data: a\r\n\r\ndata: b\n\ndata: c\n\n";
        for size in 1..=text.len() {
            let (mut p, mut seen) = (Parser::default(), Vec::new());
            let flow = text.chunks(size).map(|chunk| {
                p.feed(chunk, |data| {
                    seen.push(data.to_vec());
                    if data == b"b" { ControlFlow::Break(seen.len()) } else { ControlFlow::Continue(()) }
                })
            });
            assert_eq!(flow.into_iter().find(ControlFlow::is_break), Some(ControlFlow::Break(2)), "size {size}");
            assert_eq!(seen, [b"a".to_vec(), b"b".to_vec()], "size {size}");
        }
    }

    #[test]
    fn events_end_at_blank_lines_whatever_the_chunking() {
        let text = b"data: {\"a\":1}\n\n: comment\nevent: x\nid: 3\ndata: two\r\ndata:lines\r\n\r\ndata: [DONE]\n\n";
        let expected = ["{\"a\":1}", "two\nlines", "[DONE]"];
        assert_eq!(parse(&[text]), expected);
        for cut in 1..text.len() {
            assert_eq!(parse(&[&text[..cut], &text[cut..]]), expected, "cut at {cut}");
        }
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(parse(&bytes), expected);
    }

    #[test]
    fn garbage_lines_and_empty_data_are_ignored_and_unfinished_events_are_not_emitted() {
        assert!(parse(&[b"garbage\n\ndata:\n\ndata: x\n"]).is_empty());
        assert!(parse(&[b"data: never finished"]).is_empty());
    }

    #[test]
    fn a_one_mib_event_in_small_chunks() {
        let mut text = b"data: ".to_vec();
        text.extend(std::iter::repeat_n(b'x', 1 << 20));
        text.extend_from_slice(b"\n\n");
        let chunks: Vec<&[u8]> = text.chunks(512).collect();
        let events = parse(&chunks);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].len(), 1 << 20);
    }
}
