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

fn to_bytes(v: &serde_json::Value) -> Bytes {
    Bytes::from(serde_json::to_vec(v).unwrap_or_default())
}

/// `POST /v1/chat/completions` without streaming.
pub fn chat(stamp: Stamp, model: &str, content: &str, usage: Usage) -> Bytes {
    to_bytes(&json!({
        "id": format!("chatcmpl-{:016x}", stamp.serial), "object": "chat.completion",
        "created": stamp.created, "model": model, "system_fingerprint": FINGERPRINT,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": null},
                     "logprobs": null, "finish_reason": "stop"}],
        "usage": usage,
    }))
}

/// One `data:` event of a streamed chat completion: the first carries the role, the last the finish reason.
pub fn chat_chunk(stamp: Stamp, model: &str, delta: serde_json::Value, finish: Option<&str>) -> Bytes {
    sse(&json!({
        "id": format!("chatcmpl-{:016x}", stamp.serial), "object": "chat.completion.chunk",
        "created": stamp.created, "model": model, "system_fingerprint": FINGERPRINT,
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
    }))
}

/// `POST /v1/completions` without streaming.
pub fn completion(stamp: Stamp, model: &str, text: &str, usage: Usage) -> Bytes {
    to_bytes(&json!({
        "id": format!("cmpl-{:016x}", stamp.serial), "object": "text_completion",
        "created": stamp.created, "model": model, "system_fingerprint": FINGERPRINT,
        "choices": [{"index": 0, "text": text, "logprobs": null, "finish_reason": "stop"}],
        "usage": usage,
    }))
}

/// One `data:` event of a streamed (legacy) completion.
pub fn completion_chunk(stamp: Stamp, model: &str, text: &str, finish: Option<&str>) -> Bytes {
    sse(&json!({
        "id": format!("cmpl-{:016x}", stamp.serial), "object": "text_completion",
        "created": stamp.created, "model": model, "system_fingerprint": FINGERPRINT,
        "choices": [{"index": 0, "text": text, "logprobs": null, "finish_reason": finish}],
    }))
}

/// The terminator of every stream.
pub const DONE: &[u8] = b"data: [DONE]\n\n";

fn sse(v: &serde_json::Value) -> Bytes {
    let mut out = b"data: ".to_vec();
    out.extend(serde_json::to_vec(v).unwrap_or_default());
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

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

/// `GET /v1/models`.
pub fn models(created: u64) -> Bytes {
    let ids = ["gpt-3.5-turbo", "gpt-4o-mini", "text-embedding-3-small", "error-500", "error-429"];
    let data: Vec<_> =
        ids.iter().map(|id| json!({"id": id, "object": "model", "created": created, "owned_by": "leaksoak"})).collect();
    to_bytes(&json!({"object": "list", "data": data}))
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

    #[test]
    fn chunks_are_sse_events() {
        let b = chat_chunk(STAMP, "m", json!({"content": "x"}), None);
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
