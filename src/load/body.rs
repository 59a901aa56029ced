//! Reading responses to their end within a byte cap, and classifying what went wrong.
//!
//! The transport hands a body over as a stream of byte chunks, `http://` and `https://` alike; everything
//! here works on that stream (the SSE fuzz target feeds it one of its own).

use super::answer::{self, Member};
use super::sse;
use crate::failure::ErrorKind;
use crate::settings::Api;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// What reading a response yielded.
#[derive(Debug)]
pub struct Read {
    /// Body bytes received, up to the cap.
    pub bytes: u64,
    /// Time from send to the first stream event.
    pub first_event: Option<Duration>,
    /// `Err` carries why the body did not count as an answer.
    pub result: Result<(), ErrorKind>,
    /// The client stopped reading a stream on purpose, after the events it was to read (the `disconnect`
    /// path); `result` is then `Ok`.
    pub disconnected: bool,
}

/// An error of the transport under a body stream.
pub trait TransportError: std::error::Error + Send + Sync + 'static {
    /// Whether a timeout of the transport's own cut the body.
    fn is_timeout(&self) -> bool;
}

impl TransportError for std::io::Error {
    fn is_timeout(&self) -> bool {
        self.kind() == std::io::ErrorKind::TimedOut
    }
}

impl TransportError for hyper::Error {
    fn is_timeout(&self) -> bool {
        hyper::Error::is_timeout(self)
    }
}

fn classify_body(e: &impl TransportError, otherwise: ErrorKind) -> ErrorKind {
    if e.is_timeout() { ErrorKind::Timeout } else { otherwise }
}

/// Reads a whole (non-streamed) body. A non-2xx status is drained (so the connection can be reused) and
/// counted as `status`.
pub async fn read_whole<E: TransportError>(
    chunks: impl Stream<Item = Result<Bytes, E>>,
    cap: u64,
    api: Api,
    ok_status: bool,
) -> Read {
    let mut chunks = std::pin::pin!(chunks);
    let mut body = Collected::default();
    let mut bytes = 0u64;
    while let Some(chunk) = chunks.next().await {
        let failed = |bytes, kind| Read { bytes, first_event: None, result: Err(kind), disconnected: false };
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                let kind = if ok_status { classify_body(&e, ErrorKind::Decode) } else { ErrorKind::Status };
                return failed(bytes, kind);
            }
        };
        bytes += chunk.len() as u64;
        if bytes > cap {
            return failed(bytes, if ok_status { ErrorKind::Decode } else { ErrorKind::Status });
        }
        if ok_status && api != Api::Http {
            body.push(chunk);
        }
    }
    let result = if !ok_status {
        Err(ErrorKind::Status)
    } else if valid_answer(api, body.as_slice()) {
        Ok(())
    } else {
        Err(ErrorKind::Decode)
    };
    Read { bytes, first_event: None, result, disconnected: false }
}

/// A body gathered chunk by chunk, copied only when it came in more than one.
#[derive(Debug, Default)]
struct Collected {
    /// The only chunk so far (most small answers arrive whole).
    single: Option<Bytes>,
    /// Every chunk, once there was more than one.
    joined: Vec<u8>,
}

impl Collected {
    fn push(&mut self, chunk: Bytes) {
        if self.single.is_none() && self.joined.is_empty() {
            self.single = Some(chunk);
            return;
        }
        if let Some(first) = self.single.take() {
            self.joined.extend_from_slice(&first);
        }
        self.joined.extend_from_slice(&chunk);
    }

    fn as_slice(&self) -> &[u8] {
        self.single.as_deref().unwrap_or(&self.joined)
    }
}

fn valid_answer(api: Api, body: &[u8]) -> bool {
    match api {
        Api::Http => true,
        Api::Embeddings => answer::has_member(body, Member::Data),
        Api::Chat | Api::Completions => answer::has_member(body, Member::Choices),
    }
}

/// Reads a server-sent-event stream event by event to `data: [DONE]`. Every event must be a JSON chunk
/// object with `choices`, judged as a whole body is; a stream that ends without `[DONE]`, or grows past
/// `cap` bytes, is broken. With `stop_after`, reading stops on purpose once that many chunk events came
/// (the `disconnect` path): the caller then drops the stream and its connection.
pub async fn read_stream<E: TransportError>(
    chunks: impl Stream<Item = Result<Bytes, E>>,
    cap: u64,
    started: Instant,
    stop_after: Option<usize>,
) -> Read {
    let mut chunks = std::pin::pin!(chunks);
    let mut parser = sse::Parser::default();
    let mut read = Read { bytes: 0, first_event: None, result: Err(ErrorKind::Stream), disconnected: false };
    let mut events = 0usize;
    while let Some(chunk) = chunks.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                read.result = Err(classify_body(&e, ErrorKind::Stream));
                return read;
            }
        };
        read.bytes += chunk.len() as u64;
        if read.bytes > cap {
            return read;
        }
        let (first_event, disconnected) = (&mut read.first_event, &mut read.disconnected);
        let verdict = parser.feed(&chunk, |data| {
            first_event.get_or_insert_with(|| started.elapsed());
            if data == b"[DONE]" {
                ControlFlow::Break(Ok(()))
            } else if answer::has_member(data, Member::Choices) {
                events += 1;
                if stop_after.is_some_and(|n| events >= n) {
                    *disconnected = true;
                    return ControlFlow::Break(Ok(()));
                }
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(Err(ErrorKind::Stream))
            }
        });
        if let ControlFlow::Break(result) = verdict {
            read.result = result;
            return read;
        }
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_in_pieces_is_joined_in_order() {
        let mut body = Collected::default();
        assert_eq!(body.as_slice(), b"");
        body.push(Bytes::from_static(b"{\"choi"));
        assert_eq!(body.as_slice(), b"{\"choi");
        body.push(Bytes::from_static(b"ces\":"));
        body.push(Bytes::from_static(b"[]}"));
        assert_eq!(body.as_slice(), b"{\"choices\":[]}");
        assert!(valid_answer(Api::Chat, body.as_slice()));
    }
}
