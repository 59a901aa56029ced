//! The OpenAI wire format the fake endpoint speaks: request fields it reads, response bodies it writes.
//!
//! Pure functions from a request to bytes, so the shapes are tested without a socket.

use base64::Engine as _;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The fields of a request body the endpoint looks at; everything else is accepted and ignored.
#[derive(Debug, Deserialize)]
pub struct Request {
    /// Echoed back; `error-500` / `error-429` select an injected error.
    #[serde(default)]
    pub model: String,
    /// `true`: answer with server-sent events.
    #[serde(default)]
    pub stream: bool,
    /// Embeddings input: a string or a list of strings/token arrays; its length sets the number of vectors.
    #[serde(default)]
    pub input: Option<serde_json::Value>,
    /// Embeddings: `float` (default) or `base64`, as the official SDKs send.
    #[serde(default)]
    pub encoding_format: Option<String>,
}

/// Identity of one response: the `id` and `created` every OpenAI object carries.
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    pub serial: u64,
    pub created: u64,
}

/// Token counts reported in `usage`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

impl Usage {
    pub fn new(prompt_tokens: u64, completion_tokens: u64) -> Self {
        Self { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens }
    }
}

/// `system_fingerprint` of every completion, so a trace shows where the answer came from.
pub const FINGERPRINT: &str = "fp_leaksoak";
/// Length of every embedding vector.
pub const EMBEDDING_DIMENSIONS: usize = 16;

/// Room for a typical response body, so serializing it allocates once.
const BODY_CAPACITY: usize = 640;

/// Serializes `v` straight into a pre-sized buffer, behind `prefix` and before `suffix`.
fn write_json(prefix: &[u8], v: &impl Serialize, suffix: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(BODY_CAPACITY);
    out.extend_from_slice(prefix);
    // Writing plain structs of strings and numbers into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut out, v);
    out.extend_from_slice(suffix);
    Bytes::from(out)
}

fn to_bytes(v: &impl Serialize) -> Bytes {
    write_json(b"", v, b"")
}

fn sse(v: &impl Serialize) -> Bytes {
    write_json(b"data: ", v, b"\n\n")
}

/// An object `id`: a prefix and the serial as 16 hex digits, written without an intermediate `String`.
#[derive(Debug, Clone, Copy)]
struct Id {
    prefix: &'static str,
    serial: u64,
}

impl Serialize for Id {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}{:016x}", self.prefix, self.serial))
    }
}

/// The envelope of every completion and completion chunk, fields in the order OpenAI sends them.
#[derive(Serialize)]
struct Completion<'a, C> {
    id: Id,
    object: &'static str,
    created: u64,
    model: &'a str,
    system_fingerprint: &'static str,
    choices: [C; 1],
    /// Whole responses only; chunks have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Usage>,
}

impl<'a, C> Completion<'a, C> {
    fn new(prefix: &'static str, object: &'static str, stamp: Stamp, model: &'a str, choice: C) -> Self {
        Self {
            id: Id { prefix, serial: stamp.serial },
            object,
            created: stamp.created,
            model,
            system_fingerprint: FINGERPRINT,
            choices: [choice],
            usage: None,
        }
    }
}

/// `choices[0]` of a whole chat completion. `()` fields serialize as `null`.
#[derive(Serialize)]
struct ChatChoice<'a> {
    index: u32,
    message: Message<'a>,
    logprobs: (),
    finish_reason: &'static str,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    content: &'a str,
    refusal: (),
}

/// `choices[0]` of a chat completion chunk.
#[derive(Serialize)]
struct ChunkChoice<'a> {
    index: u32,
    delta: Delta<'a>,
    logprobs: (),
    finish_reason: Option<&'a str>,
}

/// What a chat chunk adds: the role (first chunk), a piece of content, or nothing (last chunk).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<&'a str>,
}

/// `choices[0]` of a (legacy) completion or completion chunk.
#[derive(Serialize)]
struct TextChoice<'a> {
    index: u32,
    text: &'a str,
    logprobs: (),
    finish_reason: Option<&'a str>,
}

/// `POST /v1/chat/completions` without streaming.
pub fn chat(stamp: Stamp, model: &str, content: &str, usage: Usage) -> Bytes {
    let choice = ChatChoice {
        index: 0,
        message: Message { role: "assistant", content, refusal: () },
        logprobs: (),
        finish_reason: "stop",
    };
    let mut body = Completion::new("chatcmpl-", "chat.completion", stamp, model, choice);
    body.usage = Some(usage);
    to_bytes(&body)
}

/// One `data:` event of a streamed chat completion: the first carries the role, the last the finish reason.
pub fn chat_chunk(stamp: Stamp, model: &str, delta: Delta<'_>, finish: Option<&str>) -> Bytes {
    let choice = ChunkChoice { index: 0, delta, logprobs: (), finish_reason: finish };
    sse(&Completion::new("chatcmpl-", "chat.completion.chunk", stamp, model, choice))
}

/// `POST /v1/completions` without streaming.
pub fn completion(stamp: Stamp, model: &str, text: &str, usage: Usage) -> Bytes {
    let mut body = Completion::new("cmpl-", "text_completion", stamp, model, text_choice(text, Some("stop")));
    body.usage = Some(usage);
    to_bytes(&body)
}

/// One `data:` event of a streamed (legacy) completion.
pub fn completion_chunk(stamp: Stamp, model: &str, text: &str, finish: Option<&str>) -> Bytes {
    sse(&Completion::new("cmpl-", "text_completion", stamp, model, text_choice(text, finish)))
}

fn text_choice<'a>(text: &'a str, finish: Option<&'a str>) -> TextChoice<'a> {
    TextChoice { index: 0, text, logprobs: (), finish_reason: finish }
}

/// The terminator of every stream.
pub const DONE: &[u8] = b"data: [DONE]\n\n";

/// `POST /v1/embeddings`: one deterministic vector per input item, as floats or base64 little-endian f32.
pub fn embeddings(model: &str, req: &Request, usage: Usage) -> Bytes {
    let count = match &req.input {
        Some(serde_json::Value::Array(items)) if !items.is_empty() => items.len(),
        _ => 1,
    };
    let base64 = req.encoding_format.as_deref() == Some("base64");
    let data: Vec<_> = (0..count)
        .map(|i| {
            let v: Vec<f32> = (0..EMBEDDING_DIMENSIONS).map(|d| ((i + d) as f32 * 0.37).sin()).collect();
            let embedding = if base64 {
                let raw: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                json!(base64::engine::general_purpose::STANDARD.encode(raw))
            } else {
                json!(v)
            };
            json!({"object": "embedding", "index": i, "embedding": embedding})
        })
        .collect();
    to_bytes(&json!({
        "object": "list", "data": data, "model": model,
        "usage": {"prompt_tokens": usage.prompt_tokens, "total_tokens": usage.prompt_tokens},
    }))
}

/// One entry of `GET /v1/models`.
#[derive(Serialize)]
struct Model {
    id: &'static str,
    object: &'static str,
    created: u64,
    owned_by: &'static str,
}

/// The list objects of the API (`models`).
#[derive(Serialize)]
struct List<T> {
    object: &'static str,
    data: T,
}

/// `GET /v1/models`.
pub fn models(created: u64) -> Bytes {
    let ids = ["gpt-3.5-turbo", "gpt-4o-mini", "text-embedding-3-small", "error-500", "error-429"];
    let data = ids.map(|id| Model { id, object: "model", created, owned_by: "leaksoak" });
    to_bytes(&List { object: "list", data })
}

/// An OpenAI-style error body.
pub fn error(message: &str, kind: &str, code: Option<&str>) -> Bytes {
    to_bytes(&json!({"error": {"message": message, "type": kind, "param": null, "code": code}}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(b: &[u8]) -> serde_json::Value {
        serde_json::from_slice(b).expect("valid JSON")
    }

    const STAMP: Stamp = Stamp { serial: 7, created: 1_700_000_000 };

    #[test]
    fn chat_has_the_openai_shape() {
        let v = parse(&chat(STAMP, "m", "hi", Usage::new(3, 2)));
        assert_eq!(v["object"], "chat.completion");
        assert_eq!(v["id"], "chatcmpl-0000000000000007");
        assert_eq!(v["choices"][0]["message"]["content"], "hi");
        assert_eq!(v["usage"]["total_tokens"], 5);
    }

    /// Every field OpenAI sends, with `null`s, whatever the order the typed structs write them in.
    #[test]
    fn whole_documents_are_exactly_the_openai_objects() {
        let head = |id: &str, object: &str| {
            json!({"id": id, "object": object, "created": 1_700_000_000, "model": "m",
                   "system_fingerprint": FINGERPRINT})
        };
        let mut want = head("chatcmpl-0000000000000007", "chat.completion");
        want["choices"] = json!([{"index": 0, "logprobs": null, "finish_reason": "stop",
            "message": {"role": "assistant", "content": "hi", "refusal": null}}]);
        want["usage"] = json!({"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5});
        assert_eq!(parse(&chat(STAMP, "m", "hi", Usage::new(3, 2))), want);
        let mut want = head("cmpl-0000000000000007", "text_completion");
        want["choices"] = json!([{"index": 0, "text": "x", "logprobs": null, "finish_reason": null}]);
        let b = completion_chunk(STAMP, "m", "x", None);
        assert_eq!(parse(&b[6..b.len() - 2]), want);
        let mut want = head("chatcmpl-0000000000000007", "chat.completion.chunk");
        want["choices"] = json!([{"index": 0, "delta": {}, "logprobs": null, "finish_reason": "stop"}]);
        let b = chat_chunk(STAMP, "m", Delta::default(), Some("stop"));
        assert_eq!(parse(&b[6..b.len() - 2]), want);
    }

    #[test]
    fn chunks_are_sse_events() {
        let delta = Delta { role: None, content: Some("x") };
        let b = chat_chunk(STAMP, "m", delta, None);
        let text = std::str::from_utf8(&b).expect("utf-8");
        assert!(text.starts_with("data: {") && text.ends_with("}\n\n"), "{text}");
        let v = parse(&b[6..b.len() - 2]);
        assert_eq!(v["object"], "chat.completion.chunk");
        assert!(v["choices"][0]["finish_reason"].is_null());
    }

    #[test]
    fn embeddings_as_floats_and_base64() {
        let req: Request = serde_json::from_str(r#"{"model":"e","input":["a","b"]}"#).expect("request");
        let v = parse(&embeddings("e", &req, Usage::new(2, 0)));
        assert_eq!(v["data"].as_array().map(Vec::len), Some(2));
        assert_eq!(v["data"][1]["embedding"].as_array().map(Vec::len), Some(EMBEDDING_DIMENSIONS));
        let req: Request = serde_json::from_str(r#"{"input":"a","encoding_format":"base64"}"#).expect("request");
        let v = parse(&embeddings("e", &req, Usage::new(1, 0)));
        let encoded = v["data"][0]["embedding"].as_str().expect("a base64 string");
        let raw = base64::engine::general_purpose::STANDARD.decode(encoded).expect("base64");
        assert_eq!(raw.len(), EMBEDDING_DIMENSIONS * 4);
    }
}
